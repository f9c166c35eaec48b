"""What an export says it holds (``export_scope``) and what the verifier holds the file to: a whole-chain
export with a row missing fails without any flag and names the row, a filtered one says so, rows of two
exports do not join, files of the format before policy snapshots and scopes still verify, and records with
and without a policy snapshot verify in one chain."""
import csv
import io

import pytest
from sqlalchemy import update

from consent_service.extensions import db
from consent_service.ledger.models import ConsentRecord
from consent_service.proof import chain, csvfile
from consent_service.proof.cli import check_and_report

from tests.audit.test_audit_export import app_config  # noqa: F401 (the fixture: a second site, "other")
from tests.support.audit import add_records, bearer, make_auditor, utc

LEGACY_COLUMNS = tuple(name for name in csvfile.COLUMNS if name not in ("policy_hash", "export_scope"))
LEGACY_STARTS = ("=", "+", "-", "@", "\t", "\r", "'")  # the rule of files before export_scope


@pytest.fixture
def token(app):
    return make_auditor(app, "scope")  # every site


def run(path, *args, **options):
    lines = []
    status = check_and_report(str(path), *args, out=lines.append, **options)
    return status, "\n".join(lines)


def download(client, token, path, query="site=entrack"):
    response = client.get(f"/audit/consents.csv?{query}", headers=bearer(token))
    assert response.status_code == 200
    path.write_bytes(response.data)
    return path


def lines_of(path):
    return path.read_text(encoding="utf-8").splitlines(keepends=True)


@pytest.fixture
def whole(client, app, token, tmp_path):
    add_records(app, *({"at": utc(2026, 11, day)} for day in range(1, 7)))
    return download(client, token, tmp_path / "whole.csv")


def test_every_row_says_the_scope(whole):
    rows = list(csv.DictReader(io.StringIO(whole.read_text(encoding="utf-8"), newline="")))
    assert {row["export_scope"] for row in rows} == {"whole chain from seq 1"}


@pytest.mark.parametrize(("deleted", "named"), [
    (1, "BROKEN: row 2 (seq 2"),  # the first row: the file starts at seq 2
    (3, "BROKEN: row 4 (seq 4"),  # a middle row (file row 4, seq 3): named at the row after the gap
])
def test_a_row_deleted_from_a_whole_export_fails_without_a_flag(whole, deleted, named):
    lines = lines_of(whole)
    whole.write_text("".join(lines[:deleted] + lines[deleted + 1:]), encoding="utf-8")
    status, output = run(whole)
    assert status == 1, output
    assert named in output and "the file says it is the whole chain" in output
    assert f"record seq {deleted} is missing before this row" in output


def test_a_deleted_last_row_needs_the_signed_head(client, whole, token):
    """A plain CSV cannot show that its last rows were cut off; the signed head (or the proof pack) does."""
    head = client.get("/audit/chain-head?site=entrack", headers=bearer(token)).get_json()
    key = client.get("/audit/signing-key").get_json()["public_key"]
    lines = lines_of(whole)
    whole.write_text("".join(lines[:-1]), encoding="utf-8")
    status, output = run(whole)
    assert status == 0 and "head seq 5" in output
    status, output = run(whole, False, head, key)
    assert status == 1 and "seq 6" in output, output


def test_a_filtered_export_says_it_is_filtered(client, app, token, tmp_path):
    add_records(app, *({"at": utc(2026, 11, day)} for day in range(1, 7)))
    path = download(client, token, tmp_path / "filtered.csv", "site=entrack&from=2026-11-03&to=2026-11-05")
    status, output = run(path)
    assert status == 0, output
    assert ("3 rows of a FILTERED export (site entrack, from 2026-11-03T00:00:00.000000Z, "
            "to 2026-11-06T00:00:00.000000Z exclusive), seq 3..5") in output
    status, output = run(path, True)
    assert status == 1 and "the whole chain was required, and the file says it is 'filtered: site entrack" in output


def test_a_filtered_export_with_a_row_deleted_still_verifies_row_by_row(client, app, token, tmp_path):
    add_records(app, *({"at": utc(2026, 11, day)} for day in range(1, 7)))
    path = download(client, token, tmp_path / "filtered.csv", "site=entrack&from=2026-11-02")
    lines = lines_of(path)
    path.write_text("".join(lines[:2] + lines[3:]), encoding="utf-8")
    status, output = run(path)
    assert status == 0 and "FILTERED" in output and "cannot show that none is missing" in output


def test_rows_of_two_exports_do_not_join(client, app, token, tmp_path):
    add_records(app, *({"at": utc(2026, 11, day)} for day in range(1, 7)))
    early = lines_of(download(client, token, tmp_path / "a.csv", "site=entrack&to=2026-11-03"))
    late = lines_of(download(client, token, tmp_path / "b.csv", "site=entrack&from=2026-11-04"))
    whole = lines_of(download(client, token, tmp_path / "c.csv"))
    joined = tmp_path / "joined.csv"
    joined.write_text("".join(early + late[1:]), encoding="utf-8")
    status, output = run(joined)
    assert status == 1 and "BROKEN: row 5 (seq 4" in output and "rows of different exports were joined" in output
    joined.write_text("".join(whole[:4] + late[2:]), encoding="utf-8")  # whole rows 1..3, filtered 5..6
    status, output = run(joined)
    assert status == 1 and "BROKEN: row 5 (seq 5" in output
    assert "rows of different exports were joined" in output or "missing" in output


def test_two_sites_each_with_their_own_scope(client, app, token, tmp_path):
    add_records(app, {}, {})
    add_records(app, {}, site="other")
    path = download(client, token, tmp_path / "both.csv", "")
    status, output = run(path, True)
    assert status == 0, output
    assert "site entrack: 2 rows, one unbroken chain" in output and "site other: 1 rows" in output


def write_legacy(path, records, skip=()):
    """A file as exported before policy snapshots and export scopes: the old columns and the old rule."""
    with open(path, "w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(LEGACY_COLUMNS)
        for record in records:
            if record["seq"] in skip:
                continue
            cells = [chain.text(record[name]) for name in LEGACY_COLUMNS]
            writer.writerow(["'" + cell if cell.startswith(LEGACY_STARTS) else cell for cell in cells])
    return path


def legacy_records(app):
    add_records(app, {"user_agent": "=1+2"}, {"user_agent": "Mozilla;'=1+2"}, {"user_agent": " =1"}, {}, {})
    with app.app_context():
        records = [record.as_chain_dict() for record in
                   db.session.scalars(db.select(ConsentRecord).order_by(ConsentRecord.seq))]
    assert all(not record.get("policy_hash") for record in records)
    return records


def test_a_legacy_file_verifies_as_whole_and_as_filtered(app, tmp_path):
    path = write_legacy(tmp_path / "legacy.csv", legacy_records(app))
    status, output = run(path)
    assert status == 0 and "one unbroken chain from the genesis, head seq 5" in output, output
    assert run(path, True)[0] == 0
    assert run(path, unscoped_filtered=True)[0] == 0


def test_a_legacy_file_with_a_gap_fails_unless_told_it_is_filtered(app, tmp_path):
    path = write_legacy(tmp_path / "legacy.csv", legacy_records(app), skip={3})
    status, output = run(path)
    assert status == 1 and "BROKEN: row 4 (seq 4" in output
    assert "does not say it is filtered (--filtered checks such a file)" in output
    status, output = run(path, unscoped_filtered=True)
    assert status == 0 and "gaps" in output


def mixed_chain(app, client, consent_body):
    """Two records stored before policy snapshots, then two that name one (through the API)."""
    add_records(app, {}, {})
    for _ in range(2):
        assert client.post("/api/v1/consents", json=consent_body).status_code == 201
    with app.app_context():
        return [record.policy_hash for record in
                db.session.scalars(db.select(ConsentRecord).order_by(ConsentRecord.seq))]


def test_records_with_and_without_a_snapshot_in_one_chain(app, client, token, consent_body, tmp_path):
    hashes = mixed_chain(app, client, consent_body)
    assert hashes[:2] == [None, None] and all(hashes[2:])
    path = download(client, token, tmp_path / "mixed.csv")
    status, output = run(path, True)
    assert status == 0 and "head seq 4" in output, output
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"), newline="")))
    at = rows[0].index("policy_hash")
    for row, blank in ((3, ""), (2, hashes[3])):  # blank a snapshot's hash; give a legacy record one
        edited = [list(cells) for cells in rows]
        edited[row][at] = blank
        out = tmp_path / f"edited{row}.csv"
        with open(out, "w", newline="", encoding="utf-8") as file:
            csv.writer(file).writerows(edited)
        status, output = run(out)
        assert status == 1 and f"BROKEN: row {row + 1} (seq {row}" in output and "the record was edited" in output


def test_the_stored_mixed_chain_verifies(app, client, consent_body):
    mixed_chain(app, client, consent_body)
    from consent_service.ledger.verification import check_stored_chain
    with app.app_context():
        assert check_stored_chain("entrack").ok
        db.session.execute(update(ConsentRecord).where(ConsentRecord.seq == 3).values(policy_hash=None))
        db.session.commit()
        report = check_stored_chain("entrack")
        assert not report.ok and "seq 3" in report.error


def test_an_edited_scope_is_caught_by_the_signed_head(client, whole, token, tmp_path):
    """The scope is not hashed: a file whose first row was deleted and whose scope says it starts at seq 2, or
    with a row deleted and every scope made 'filtered', passes alone; the signed head refuses both."""
    head = client.get("/audit/chain-head?site=entrack", headers=bearer(token)).get_json()
    key = client.get("/audit/signing-key").get_json()["public_key"]
    lines = lines_of(whole)
    forgeries = {
        "later_start.csv": [lines[0]] + [line.replace("whole chain from seq 1", "whole chain from seq 2")
                                         for line in lines[2:]],
        "filtered.csv": [lines[0]] + [line.replace("whole chain from seq 1", "filtered: site entrack")
                                      for line in lines[1:3] + lines[4:]],
    }
    for name, forged in forgeries.items():
        path = tmp_path / name
        path.write_text("".join(forged), encoding="utf-8")
        assert run(path)[0] == 0
        status, output = run(path, False, head, key)
        assert status == 1 and "the file is not the whole chain from seq 1" in output, output
