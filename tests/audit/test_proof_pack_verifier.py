"""A proof pack checked as an auditor would: the pack's own verify.pyz, run with ``python3 -I`` in a folder
outside the project, against the public key given separately; every tampering named."""
import base64
import hashlib
import json
import shutil
import subprocess
import sys
import zipfile

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from tests.support.audit import make_auditor
from tests.support.packs import download, edit_rows, members, record_cases, rewrite_pack

WITH_CRYPTOGRAPHY = ("-I",)  # isolated; this Python's own site-packages hold cryptography
BARE = ("-I", "-S")  # and no site module: only the standard library


@pytest.fixture
def token(app):
    return make_auditor(app)


@pytest.fixture
def visitor(app, client, consent_body):
    return record_cases(app, client, consent_body)


@pytest.fixture
def key(client):
    """The service's public key, as the operator publishes it (base64)."""
    return client.get("/audit/signing-key").get_json()["public_key"]


def save(folder, data, name="pack.zip"):
    """The pack saved in the auditor's folder, with the verify.pyz it holds beside it."""
    path = folder / name
    path.write_bytes(data)
    (folder / "verify.pyz").write_bytes(members(data)["verify.pyz"])
    return path


@pytest.fixture
def whole(client, token, visitor, folder):
    return save(folder, download(client, token))


@pytest.fixture
def one_visitor(client, token, visitor, folder):
    return save(folder, download(client, token, f"site=entrack&consent_id={visitor}"), "visitor.zip")


def run(pack, *args, flags=WITH_CRYPTOGRAPHY):
    """``python3 FLAGS verify.pyz PACK ARGS`` in the auditor's folder: (exit status, output)."""
    done = subprocess.run([sys.executable, *flags, "verify.pyz", pack.name, *map(str, args)], cwd=pack.parent,
                          capture_output=True, text=True, timeout=120)
    return done.returncode, done.stdout + done.stderr


@pytest.mark.parametrize("pack", ["whole", "one_visitor"])
def test_a_good_pack_verifies(request, key, pack):
    path = request.getfixturevalue(pack)
    status, output = run(path, "--public-key", key, "--jobs", 2)
    assert status == 0, output
    assert "every row's hash verifies" in output
    assert f"whose SHA-256 matches ({2 if pack == 'whole' else 1} snapshot" in output
    assert "signatures: manifest.sig and head.json verify with the public key given" in output
    assert output.endswith("OK\n")


def test_a_pem_key_file_works_too(whole, client):
    (whole.parent / "key.pem").write_text(client.get("/audit/signing-key").get_json()["pem"])
    status, output = run(whole, "--public-key", "key.pem")
    assert status == 0, output


def test_an_edited_cell_is_named(whole, key):
    def edit(rows):
        rows[3][rows[0].index("analytics")] = "false"

    rewrite_pack(whole, lambda files: edit_rows(files, edit))
    status, output = run(whole, "--public-key", key)
    assert status == 1, output
    assert "BROKEN: row 4 (seq 3, consent_id " in output and "the record was edited" in output


def test_a_deleted_row_of_the_whole_chain_is_named(whole, key):
    rewrite_pack(whole, lambda files: edit_rows(files, lambda rows: rows.pop(3)))
    status, output = run(whole, "--public-key", key)
    assert status == 1, output
    assert "BROKEN: row 4 (seq 4, consent_id " in output and "record seq 3 is missing before this row" in output


def test_a_deleted_row_of_one_visitors_pack_is_found(one_visitor, key):
    """Each row left verifies on its own and the filter allows gaps: the signed manifest's count tells."""
    rewrite_pack(one_visitor, lambda files: edit_rows(files, lambda rows: rows.pop(1)))
    status, output = run(one_visitor, "--public-key", key)
    assert status == 1, output
    assert "BROKEN: consents.csv holds 1 row, the manifest says 2: rows were deleted" in output


def test_a_deleted_row_with_the_manifest_rewritten_fails_its_signature(one_visitor, key):
    def tamper(files):
        edit_rows(files, lambda rows: rows.pop(1))
        manifest = json.loads(files["manifest.json"])
        manifest.update(rows=1, first_seq=5)
        manifest["files"]["consents.csv"] = {"sha256": hashlib.sha256(files["consents.csv"]).hexdigest(),
                                             "bytes": len(files["consents.csv"])}
        files["manifest.json"] = json.dumps(manifest).encode()

    rewrite_pack(one_visitor, tamper)
    status, output = run(one_visitor, "--public-key", key)
    assert status == 1, output
    assert "BROKEN: manifest.sig does not verify manifest.json with the public key given" in output


def test_a_swapped_snapshot_is_named(whole, key):
    names = [name for name in members(whole.read_bytes()) if name.startswith("policies/")]

    def swap(files):
        files[names[0]], files[names[1]] = files[names[1]], files[names[0]]

    rewrite_pack(whole, swap)
    status, output = run(whole, "--public-key", key)
    assert status == 1, output
    assert f"BROKEN: {names[0]}: its content's SHA-256 is {names[1][9:-5]}, not the hash it is named by" in output


def test_a_missing_snapshot_is_named(whole, key):
    def drop(files):
        name = next(name for name in files if name.startswith("policies/"))
        del files[name]

    rewrite_pack(whole, drop)
    status, output = run(whole, "--public-key", key)
    assert status == 1 and "is missing from the pack: the manifest lists it" in output, output


def test_a_wrong_key_fails(whole, key):
    other = Ed25519PrivateKey.generate().public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    status, output = run(whole, "--public-key", base64.b64encode(other).decode())
    assert status == 1, output
    assert "BROKEN: manifest.sig does not verify manifest.json with the public key given" in output
    assert "the manifest names key" in output


def test_without_cryptography_everything_else_is_checked_and_it_says_so(whole, key):
    status, output = run(whole, "--public-key", key, flags=BARE)
    assert status == 3, output
    assert "every row's hash verifies" in output and "files: the SHA-256 of each" in output
    assert "SIGNATURES NOT CHECKED: this Python lacks the cryptography package" in output
    assert "pip install cryptography" in output and "openssl pkeyutl -verify" in output
    assert "\nOK" not in output


def test_without_a_key_it_is_not_a_pass(whole):
    status, output = run(whole)
    assert status == 3 and "SIGNATURES NOT CHECKED: no --public-key was given" in output


def test_without_cryptography_a_broken_pack_is_still_broken(whole, key):
    rewrite_pack(whole, lambda files: edit_rows(files, lambda rows: rows[2].__setitem__(rows[0].index("action"), "x")))
    status, output = run(whole, "--public-key", key, flags=BARE)
    assert status == 1 and "BROKEN: row 3" in output, output


def test_a_pack_does_not_take_a_separate_head(whole, key):
    status, output = run(whole, "--head", "head.json", "--public-key", key)
    assert status == 2 and "holds its own head.json" in output


def test_openssl_checks_the_manifest_signature(whole, client, folder):
    """As README.txt shows: the raw signature over manifest.json's exact bytes."""
    openssl = shutil.which("openssl")
    assert openssl, "the test needs OpenSSL 3 (apt install openssl)"
    (folder / "key.pem").write_text(client.get("/audit/signing-key").get_json()["pem"])
    with zipfile.ZipFile(whole) as archive:
        archive.extractall(folder, ["manifest.json", "manifest.sig"])
    command = [openssl, "pkeyutl", "-verify", "-pubin", "-inkey", "key.pem", "-rawin", "-in", "manifest.json",
               "-sigfile", "manifest.sig"]
    done = subprocess.run(command, cwd=folder, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and "Signature Verified Successfully" in done.stdout, done.stdout + done.stderr
    (folder / "manifest.json").write_bytes((folder / "manifest.json").read_bytes().replace(b'"rows": 5', b'"rows": 4'))
    assert subprocess.run(command, cwd=folder, capture_output=True, timeout=60).returncode != 0


def test_complete_refuses_a_filtered_pack(one_visitor, key):
    status, output = run(one_visitor, "--public-key", key, "--complete")
    assert status == 1 and "the whole chain was required" in output, output


def test_an_empty_pack_verifies(client, token, visitor, folder, key):
    empty = save(folder, download(client, token, "site=entrack&to=2000-01-01"), "empty.zip")
    status, output = run(empty, "--public-key", key)
    assert status == 0 and "consents.csv: 0 rows" in output and "no rows, as it says" in output, output
