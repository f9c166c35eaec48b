"""verify.pyz, the auditor's verifier as one file: built from consent_service/proof, served at
/audit/verify.pyz and written by `flask consent verifier`, it runs in a folder of its own with a
Python that has nothing installed (``-I -S``: no site-packages at all)."""
import csv
import io
import json
import os
import re
import subprocess
import sys
import zipfile

import pytest

from consent_service.audit import verifier

from tests.support.audit import add_records, bearer, make_auditor

BARE = ("-I", "-S")  # isolated, and no site module: only the standard library can be imported


@pytest.fixture
def pyz(runner, folder):
    """verify.pyz as `flask consent verifier --out` writes it."""
    path = folder / "verify.pyz"
    result = runner.invoke(args=["consent", "verifier", "--out", str(path)])
    assert result.exit_code == 0, result.output
    assert f"SHA-256 {verifier.zipapp_sha256()}" in result.output
    return path


@pytest.fixture
def exported(app, runner, folder):
    """Four records of entrack (one cell a spreadsheet would run), exported with `flask consent export`."""
    add_records(app, {"action": "accept_all"}, {"user_agent": "=cmd()"}, {}, {"action": "reject_all"})
    path = folder / "consents.csv"
    result = runner.invoke(args=["consent", "export", "--site", "entrack", "--out", str(path)])
    assert result.exit_code == 0, result.output
    return path


def run(pyz, *args, flags=BARE):
    """``python FLAGS verify.pyz ARGS`` in the auditor's folder: (exit status, output)."""
    done = subprocess.run([sys.executable, *flags, str(pyz), *map(str, args)], cwd=pyz.parent,
                          capture_output=True, text=True, timeout=120)
    return done.returncode, done.stdout + done.stderr


def rewrite(path, change):
    """Read the CSV, let ``change`` edit its list of rows, write it back as a spreadsheet would."""
    with open(path, newline="", encoding="utf-8") as file:
        rows = list(csv.reader(file))
    change(rows)
    with open(path, "w", newline="", encoding="utf-8") as file:
        csv.writer(file).writerows(rows)


def test_the_command_writes_an_executable_copy_of_the_served_file(pyz):
    assert pyz.read_bytes() == verifier.zipapp_bytes()
    assert pyz.read_bytes().startswith(b"#!/usr/bin/env python3\n")
    assert os.access(pyz, os.X_OK)


def test_a_good_export_verifies_with_nothing_installed(pyz, exported):
    status, output = run(pyz, exported.name, "--complete", "--jobs", 2)
    assert status == 0, output
    assert "4 rows, every row's hash verifies" in output and "one unbroken chain from the genesis" in output
    assert output.endswith("OK\n")


@pytest.mark.parametrize(("change", "args", "named", "reason"), [
    (lambda rows: rows[2].__setitem__(rows[0].index("analytics"), "false"), [],
     "BROKEN: row 3 (seq 2, consent_id ", "the record was edited"),
    (lambda rows: rows.pop(2), ["--complete"],
     "BROKEN: row 3 (seq 3, consent_id ", "site entrack's record seq 2 is missing before this row"),
])
def test_an_edited_cell_or_a_deleted_row_is_named(pyz, exported, change, args, named, reason):
    rewrite(exported, change)
    status, output = run(pyz, exported.name, *args)
    assert status == 1, output
    assert named in output and reason in output


def test_a_signed_head_needs_cryptography_and_says_so(client, app, pyz, exported):
    token = make_auditor(app)
    head = pyz.parent / "head.json"
    head.write_text(client.get("/audit/chain-head?site=entrack", headers=bearer(token)).get_data(as_text=True))
    key = client.get("/audit/signing-key").get_json()["public_key"]
    status, output = run(pyz, exported.name, "--head", head.name, "--public-key", key)
    assert status == 2 and "needs the cryptography package" in output and "pip install cryptography" in output
    status, output = run(pyz, exported.name, "--head", head.name, "--public-key", key, flags=("-I",))
    assert status == 0 and "signed head: signature OK" in output, output


def test_the_package_imports_only_the_standard_library(pyz):
    """Every module the verifier's package loads is the standard library's or its own."""
    code = ("import sys, json; import proof.cli, proof.signed_head, proof.csvfile, proof.checking, proof.chain; "
            "print(json.dumps(sorted({name.split('.')[0] for name in sys.modules})))")
    done = subprocess.run([sys.executable, *BARE, "-c", f"import sys; sys.path.insert(0, {str(pyz)!r}); {code}"],
                          cwd=pyz.parent, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    main = {"__main__", "__mp_main__"}  # the -c code, and multiprocessing's alias of it
    outside = set(json.loads(done.stdout)) - set(sys.stdlib_module_names) - set(sys.builtin_module_names) - main
    assert outside == {"proof"}


def test_the_zip_holds_the_package_and_nothing_else():
    names = zipfile.ZipFile(io.BytesIO(verifier.zipapp_bytes())).namelist()
    assert "__main__.py" in names and "proof/cli.py" in names and "proof/chain.py" in names
    assert all(name == "__main__.py" or name.startswith("proof/") and not name.endswith(".pyc") for name in names)


def test_the_same_sources_make_the_same_bytes_in_another_process():
    """So that the SHA-256 the command prints is that of the file every worker serves."""
    code = "from consent_service.audit import verifier; print(verifier.zipapp_sha256())"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert done.stdout.strip() == verifier.zipapp_sha256()


def test_the_audit_area_serves_it_to_anyone(client):
    response = client.get("/audit/verify.pyz")
    assert response.status_code == 200 and response.mimetype == "application/zip"
    assert response.headers["Content-Disposition"] == "attachment; filename=verify.pyz"
    assert response.data == verifier.zipapp_bytes()
    again = client.get("/audit/verify.pyz", headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304


def test_the_audit_page_links_to_it(app, client):
    token = make_auditor(app)
    add_records(app, {})
    sign_in = client.get("/audit/").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', sign_in).group(1)
    assert client.post("/audit/sign-in", data={"token": token, "csrf_token": csrf}).status_code == 302
    page = client.get("/audit/?site=entrack").get_data(as_text=True)
    assert 'id="verifier" href="/audit/verify.pyz"' in page and "python3 verify.pyz FILE.csv" in page
