"""The offline verifier (``consent_service.proof``): a file alone verifies, and any edit is found and named."""
import base64
import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import update

from consent_service.extensions import db
from consent_service.proof import chain, csvfile
from consent_service.proof.signed_head import ed25519_verify
from consent_service.proof.cli import check_and_report
from consent_service.ledger.models import ConsentRecord

from tests.support.audit import add_records, bearer, make_auditor, utc

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def token(app):
    return make_auditor(app)


@pytest.fixture
def exported(client, app, token, tmp_path):
    """A full export of five records (one of them erased), saved to a file; returns its path."""
    add_records(app, {"action": "accept_all"}, {"user_agent": "=cmd()"}, {"user_agent": "'x"}, {}, {})
    with app.app_context():  # erasure, as the visitor's right does it
        db.session.execute(update(ConsentRecord).where(ConsentRecord.seq == 4).values(
            ip_prefix=None, user_agent=None, page_url=None, pii_salt=None))
        db.session.commit()
    path = tmp_path / "consents.csv"
    path.write_bytes(client.get("/audit/consents.csv?site=entrack", headers=bearer(token)).data)
    return path


def run(path, *args):
    lines = []
    status = check_and_report(str(path), *args, out=lines.append)
    return status, "\n".join(lines)


def edit(path, row, column, value):
    """Change one cell as a spreadsheet would: read with csv, write back with csv."""
    with open(path, newline="", encoding="utf-8") as file:
        rows = list(csv.reader(file))
    rows[row - 1][csvfile.COLUMNS.index(column)] = value
    with open(path, "w", newline="", encoding="utf-8") as file:
        csv.writer(file).writerows(rows)


def test_full_export_verifies(exported):
    status, output = run(exported, True)
    assert status == 0, output
    assert "5 rows, every row's hash verifies" in output
    assert "one unbroken chain from the genesis, head seq 5" in output
    assert output.endswith("OK")


@pytest.mark.parametrize(("row", "column", "value", "reason"), [
    (3, "analytics", "false", "the record was edited"),
    (2, "action", "reject_all", "the record was edited"),
    (4, "user_agent", "curl", "the IP prefix, user agent or page URL was edited"),
    (5, "user_agent", "restored", "personal fields present on an erased record"),
    (6, "recorded_at", "2026-01-01T00:00:00.000000Z", "the record was edited"),
    (3, "prev_hash", "0" * 64, "prev_hash does not match the previous record"),
    (2, "seq", "x", "is not a number"),
])
def test_an_edited_cell_is_named(exported, row, column, value, reason):
    edit(exported, row, column, value)
    status, output = run(exported)
    assert status == 1
    assert f"BROKEN: row {row}" in output and reason in output


def test_a_deleted_or_moved_row_is_found(exported):
    lines = exported.read_text(encoding="utf-8").splitlines(keepends=True)
    exported.write_text("".join(lines[:3] + lines[4:]), encoding="utf-8")
    status, output = run(exported)  # no flag needed: the file says it is the whole chain
    assert status == 1 and "BROKEN: row 4 (seq 4" in output and "the file says it is the whole chain" in output
    assert "record seq 3 is missing before this row" in output
    exported.write_text("".join(lines[:2] + [lines[3], lines[2]] + lines[4:]), encoding="utf-8")
    status, output = run(exported)
    assert status == 1 and "BROKEN: row 4 (seq 2" in output and "out of chain order" in output


def test_a_forged_chain_with_recomputed_hashes_breaks_at_the_link(exported):
    """Replacing row 3 by a record whose own hash is right still breaks the link to row 2."""
    with open(exported, newline="", encoding="utf-8") as file:
        rows = list(csv.reader(file))
    record = dict(zip(csvfile.COLUMNS, map(csvfile.restore, rows[2])))
    record["prev_hash"] = "1" * 64
    record["record_hash"] = chain.record_hash(record)
    rows[2] = [csvfile.neutralise(record[name]) for name in csvfile.COLUMNS]
    with open(exported, "w", newline="", encoding="utf-8") as file:
        csv.writer(file).writerows(rows)
    status, output = run(exported)
    assert status == 1 and "BROKEN: row 3 (seq 2" in output and "prev_hash" in output


def test_filtered_export_verifies_row_by_row(client, app, token, tmp_path):
    add_records(app, {"at": utc(2026, 11, 1), "action": "accept_all"}, {"at": utc(2026, 11, 2)},
                {"at": utc(2026, 11, 3), "action": "accept_all"}, {"at": utc(2026, 11, 4), "action": "accept_all"})
    path = tmp_path / "filtered.csv"
    path.write_bytes(client.get("/audit/consents.csv?action=accept_all", headers=bearer(token)).data)
    status, output = run(path)
    assert status == 0, output
    assert "3 rows of a FILTERED export (site entrack, action accept_all), seq 1..4" in output
    assert "not the whole chain" in output
    assert run(path, True)[0] == 1
    edit(path, 3, "marketing", "false")
    assert "BROKEN: row 3 (seq 3" in run(path)[1]


@pytest.mark.parametrize(("text", "message"), [
    ("", "the file is empty"),
    ("seq,consent_id\n1,x\n", "the header lacks the columns"),
])
def test_unusable_files(tmp_path, text, message):
    path = tmp_path / "bad.csv"
    path.write_text(text, encoding="utf-8")
    status, output = run(path)
    assert status == 1 and message in output


def test_command_line_exit_status_and_head(client, exported, token, tmp_path):
    head = tmp_path / "head.json"
    head.write_text(client.get("/audit/chain-head?site=entrack", headers=bearer(token)).get_data(as_text=True))
    key = client.get("/audit/signing-key").get_json()["public_key"]
    command = [sys.executable, "-m", "consent_service.proof", str(exported)]
    done = subprocess.run([*command, "--head", str(head), "--public-key", key],
                          cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "signed head: signature OK" in done.stdout and "to the signed head seq 5" in done.stdout
    edit(exported, 2, "marketing", "false")
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 1 and "BROKEN: row 2 (seq 1" in done.stdout


def signed_head(client, token, seq=None):
    query = "" if seq is None else f"&seq={seq}"
    return client.get(f"/audit/chain-head?site=entrack{query}", headers=bearer(token)).get_json()


def test_head_is_compared_with_the_file(client, exported, token):
    key = client.get("/audit/signing-key").get_json()["public_key"]
    head = signed_head(client, token)
    assert run(exported, False, head, key)[0] == 0
    older = signed_head(client, token, 3)
    status, output = run(exported, False, older, key)
    assert status == 0 and "to the signed head seq 3" in output
    forged = dict(head, signed=dict(head["signed"], payload=head["signed"]["payload"].replace('"seq":5', '"seq":4')))
    assert "signature does not verify" in run(exported, False, forged, key)[1]
    other_key = base64.b64encode(Ed25519PrivateKey.generate().public_key().public_bytes_raw()).decode()
    assert "signature does not verify" in run(exported, False, head, other_key)[1]


def test_head_that_the_file_does_not_match(client, app, exported, token):
    key = client.get("/audit/signing-key").get_json()["public_key"]
    add_records(app, {})
    status, output = run(exported, False, signed_head(client, token), key)
    assert status == 1 and "no row of site entrack at the signed head's seq 6" in output


@pytest.mark.parametrize(("query", "status"), [("", 400), ("site=entrack&seq=9", 404), ("site=entrack&seq=-1", 400)])
def test_chain_head_errors(client, exported, token, query, status):
    assert client.get(f"/audit/chain-head?{query}", headers=bearer(token)).status_code == status


def test_ed25519_check_accepts_only_the_signature_of_the_key():
    key = Ed25519PrivateKey.generate()
    public = key.public_key().public_bytes_raw()
    for message in (b"", b"consent", bytes(range(256))):
        signature = key.sign(message)
        assert ed25519_verify(public, message, signature)
        assert not ed25519_verify(public, message + b"x", signature)
        assert not ed25519_verify(public, message, signature[:40] + bytes([signature[40] ^ 1]) + signature[41:])
    assert not ed25519_verify(public[:31], b"", key.sign(b""))


def test_neutralise_and_restore_are_inverse():
    for cell in ["", "'", "''", "=1", "+", "-x", "@", "\t", "\r", "plain", "a=b", "'=1"]:
        assert csvfile.restore(csvfile.neutralise(cell)) == cell
        assert not csvfile.neutralise(cell).startswith(("=", "+", "-", "@", "\t", "\r"))


def test_signed_statement_is_canonical_json(client, exported, token):
    head = signed_head(client, token)
    payload = head["signed"]["payload"]
    assert payload == json.dumps(json.loads(payload), sort_keys=True, separators=(",", ":"))
    assert json.loads(payload)["statement"] == "consent-chain-head"


@pytest.mark.parametrize("chunk", [1, 97, 400, 10_000])
def test_pieces_end_at_record_boundaries(client, app, token, tmp_path, monkeypatch, chunk):
    """A line break inside a quoted cell never ends a piece, whatever the piece size."""
    add_records(app, {"policy_version": 'a "quoted"\nline, break'}, {"user_agent": '"\r\n"'}, {}, {})
    path = tmp_path / "quoted.csv"
    path.write_bytes(client.get("/audit/consents.csv", headers=bearer(token)).data)
    monkeypatch.setattr(csvfile, "CHUNK_BYTES", chunk)
    with open(path, "rb") as file:
        file.readline()
        spans = list(csvfile.spans(file))
    data = path.read_bytes()
    pieces = [data[start:end].decode("utf-8") for start, end in spans]
    assert spans[0][0] == data.index(b"\n") + 1 and spans[-1][1] == len(data)
    assert all(end == start for (_, end), (start, _) in zip(spans, spans[1:]))
    assert len(pieces) == (1 if chunk == 10_000 else 4)
    assert [len(list(csv.reader(io.StringIO(piece, newline="")))) for piece in pieces] == [1] * 4 or chunk == 10_000
    assert check_and_report(str(path), True, out=lambda line: None, jobs=1) == 0


def test_hashes_checked_in_worker_processes(exported, monkeypatch):
    monkeypatch.setattr(csvfile, "CHUNK_BYTES", 300)
    assert check_and_report(str(exported), True, out=lambda line: None, jobs=2) == 0
    edit(exported, 5, "language", "sv")
    lines = []
    assert check_and_report(str(exported), out=lines.append, jobs=2) == 1
    assert lines == ["BROKEN: row 5 (seq 4, consent_id " + lines[0].split("consent_id ")[1]]
    assert "the record was edited" in lines[0]
