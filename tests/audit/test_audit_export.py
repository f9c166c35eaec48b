"""GET /audit/consents.csv: who may ask, every filter, quoting and formula neutralising, the log."""
import csv
import io
import json

import pytest
from sqlalchemy import select

from consent_service.audit import export
from consent_service.audit.models import AuditExport
from consent_service.extensions import db
from consent_service.ledger.models import ConsentRecord
from consent_service.proof import chain
from consent_service.proof.csvfile import COLUMNS, neutralise, restore

from tests.support.audit import add_records, bearer, make_auditor, read_csv, utc

@pytest.fixture
def app_config(tmp_path):
    """The shipped site plus a second one, ``other``, to test site limits."""
    from consent_service.sites import DEFAULT_FILE

    text = DEFAULT_FILE.read_text(encoding="utf-8")
    other = text[text.index("[entrack]"):].replace("[entrack", "[other").replace('"entrack"', '"other"')
    path = tmp_path / "sites.toml"
    path.write_text(text + "\n" + other, encoding="utf-8")
    return {"CONSENT_SITES_FILE": str(path)}


@pytest.fixture
def token(app):
    return make_auditor(app, "alice", ["entrack"])


@pytest.mark.parametrize(("headers", "message"), [
    ({}, "Not signed in"),
    ({"Authorization": "Basic YWxpY2U6eA=="}, "not a Bearer token"),
    ({"Authorization": "Bearer"}, "not a Bearer token"),
    ({"Authorization": "Bearer not-a-token"}, "unknown or was revoked"),
])
def test_no_or_bad_token_is_401(client, token, headers, message):
    response = client.get("/audit/consents.csv", headers=headers)
    assert response.status_code == 401
    assert message in response.get_json()["error"]
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_revoked_token_is_401(client, app, runner, token):
    assert client.get("/audit/consents.csv", headers=bearer(token)).status_code == 200
    assert runner.invoke(args=["auditor", "revoke", "alice"]).exit_code == 0
    response = client.get("/audit/consents.csv", headers=bearer(token))
    assert response.status_code == 401


@pytest.mark.parametrize("path", [
    "/audit/consents.csv?site=other", "/audit/chain-head?site=other", "/audit/stats.csv?site=other",
])
def test_site_not_allowed_is_403(client, token, path):
    response = client.get(path, headers=bearer(token))
    assert response.status_code == 403
    assert response.get_json()["error"] == "Auditor alice may not see site 'other'."


@pytest.mark.parametrize(("query", "field"), [
    ("from=2026-13-01", "from"),
    ("from=yesterday", "from"),
    ("to=2026-02-30", "to"),
    ("consent_id=42", "consent_id"),
    ("action=maybe", "action"),
    ("colour=blue", "colour"),
])
def test_bad_query_is_400_naming_the_parameter(client, token, query, field):
    response = client.get(f"/audit/consents.csv?{query}", headers=bearer(token))
    assert response.status_code == 400
    body = response.get_json()
    assert field in body["messages"]
    assert body["error"].startswith(f"Bad query parameters ({field}:")


def test_export_is_every_record_in_chain_order(client, app, token):
    add_records(app, {"action": "accept_all"}, {"action": "reject_all"}, {})
    add_records(app, {}, site="other")
    response = client.get("/audit/consents.csv", headers=bearer(token))
    assert response.status_code == 200
    assert response.content_type == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"].startswith('attachment; filename="consents-entrack-')
    rows = read_csv(response.data)
    assert list(rows[0]) == list(COLUMNS)
    assert [row["seq"] for row in rows] == ["1", "2", "3"]
    assert {row["site"] for row in rows} == {"entrack"}
    assert [row["action"] for row in rows] == ["accept_all", "reject_all", "custom"]
    assert rows[0]["recorded_at"].endswith("Z") and rows[0]["necessary"] == "true"
    assert rows[1]["prev_hash"] == rows[0]["record_hash"]


def test_each_filter(client, app, token):
    first, second, third = add_records(
        app, {"at": utc(2026, 10, 31, 23, 59, 59), "action": "accept_all"},
        {"at": utc(2026, 11, 1, 0, 0), "action": "custom"}, {"at": utc(2026, 11, 2, 12, 0), "action": "reject_all"},
    )

    def seqs(query):
        response = client.get(f"/audit/consents.csv?{query}", headers=bearer(token))
        assert response.status_code == 200, response.get_json()
        return [int(row["seq"]) for row in read_csv(response.data)]

    assert seqs("site=entrack") == [1, 2, 3]
    assert seqs("from=2026-11-01") == [2, 3]
    assert seqs("to=2026-11-01") == [1, 2]
    assert seqs("to=2026-10-31T23:59:59Z") == [1]
    assert seqs("from=2026-11-01T02:00:00%2B02:00&to=2026-11-01") == [2]
    assert seqs(f"consent_id={second}") == [2]
    assert seqs(f"consent_id={third.upper()}") == [3]
    assert seqs("action=reject_all") == [3]
    assert seqs("action=withdraw") == []
    assert seqs(f"action=accept_all&consent_id={first}&from=2026-10-01&to=2026-11-30") == [1]


NASTY = [
    "=HYPERLINK(\"http://evil.example\",\"x\")", "+1+2", "-2", "@SUM(A1)", "\tTab", "\rCR", "'quoted",
    "comma, \"quotes\" and\nnewline", "ääkköset ✓ 日本", "",
]


def test_quoting_and_neutralising_read_back_with_csv(client, app, token):
    add_records(app, *({"user_agent": value or None, "policy_version": value or "v"} for value in NASTY))
    rows = read_csv(client.get("/audit/consents.csv", headers=bearer(token)).data)
    assert [restore(row["user_agent"]) for row in rows] == NASTY
    for row, value in zip(rows, NASTY):
        assert row["user_agent"] == neutralise(value)
        assert not row["user_agent"].startswith(("=", "+", "-", "@", "\t", "\r"))
    assert rows[0]["user_agent"] == "'=HYPERLINK(\"http://evil.example\",\"x\")"
    assert rows[6]["user_agent"] == "''quoted"


def test_database_renders_the_text_that_is_hashed(app):
    """The SQL rendering of every cell equals ``neutralise(chain.text(value))`` on this database."""
    add_records(app, *({"user_agent": value or None, "policy_version": value or "v", "gpc": bool(i % 2)}
                       for i, value in enumerate(NASTY)))
    with app.app_context():
        expected = [[neutralise(chain.text({**record.as_chain_dict(), "export_scope": "whole chain from seq 1"}[name]))
                     for name in COLUMNS]
                    for record in db.session.scalars(select(ConsentRecord).order_by(ConsentRecord.seq))]
        found = [[cell or "" for cell in row] for rows in export.row_batches(export.ExportFilter(("entrack",)))
                 for row in rows]
    assert found == expected


def test_export_streams_in_batches(client, app, token, monkeypatch):
    add_records(app, *({} for _ in range(7)))
    monkeypatch.setattr(export, "BATCH", 3)
    response = client.get("/audit/consents.csv", headers=bearer(token), buffered=False)
    assert response.is_streamed
    chunks = list(response.iter_encoded())
    response.close()
    assert len(chunks) >= 3
    assert len(read_csv(b"".join(chunks))) == 7


def test_every_export_is_logged(client, app, token):
    client.get("/audit/consents.csv?from=2026-11-01&action=custom", headers=bearer(token))
    with app.app_context():
        [entry] = db.session.scalars(select(AuditExport)).all()
        assert (entry.who, entry.kind) == ("alice", "csv")
        assert json.loads(entry.filter) == {
            "site": ["entrack"], "from": "2026-11-01T00:00:00.000000Z", "action": "custom",
        }
    client.get("/audit/consents.csv?to=2026-11-30", headers=bearer(token))
    with app.app_context():
        last = db.session.scalars(select(AuditExport).order_by(AuditExport.id.desc())).first()
        assert json.loads(last.filter) == {
            "site": ["entrack"], "to": "2026-12-01T00:00:00.000000Z", "to_inclusive": False}


def test_auditor_of_every_site_gets_every_site(client, app):
    token = make_auditor(app, "bob")
    add_records(app, {})
    add_records(app, {}, site="other")
    rows = read_csv(client.get("/audit/consents.csv", headers=bearer(token)).data)
    assert [(row["site"], row["seq"]) for row in rows] == [("entrack", "1"), ("other", "1")]


def test_history_of_one_visitor(client, app, token):
    [consent_id] = add_records(app, {"action": "accept_all"})
    add_records(app, {"consent_id": consent_id, "action": "withdraw", "analytics": False}, {})
    response = client.get(f"/audit/consents/{consent_id}", headers=bearer(token))
    assert response.status_code == 200
    body = response.get_json()
    assert body["consent_id"] == consent_id
    assert [(r["seq"], r["action"], r["hash_verifies"]) for r in body["records"]] == [
        (1, "accept_all", True), (2, "withdraw", True)]
    assert body["records"][0]["recorded_at"].endswith("Z")


@pytest.mark.parametrize(("path", "status"), [
    ("/audit/consents/not-a-uuid", 400),
    ("/audit/consents/1d3c61d2-7a3e-4d8c-9b8e-2f1f6a1b2c3d", 404),
])
def test_history_errors(client, token, path, status):
    response = client.get(path, headers=bearer(token))
    assert response.status_code == status
    assert response.get_json()["error"]


def test_history_hides_other_sites(client, app, token):
    [consent_id] = add_records(app, {}, site="other")
    assert client.get(f"/audit/consents/{consent_id}", headers=bearer(token)).status_code == 404


@pytest.mark.parametrize("selected", [export.ExportFilter(("entrack", "other")),
                                      export.ExportFilter(("entrack", "other"), action="custom")])
def test_database_writes_the_lines_csv_writer_writes(app, selected):
    """``csv_chunks`` (lines written by the database) is byte for byte csv.writer over ``row_batches``' cells,
    scopes with commas included."""
    values = [*NASTY, 'a "b", c', "x\r\ny;=1", " =1+1;", "Mozilla/5.0 (KHTML, like Gecko)"]
    add_records(app, *({"user_agent": value or None, "policy_version": value or "v",
                        "page_url": f"https://e.example/{value}"} for value in values))
    add_records(app, {"user_agent": "other, site"}, site="other")
    with app.app_context():
        written = b"".join(export.csv_chunks(selected))
        buffer = io.StringIO()
        csv.writer(buffer).writerows([COLUMNS, *(row for rows in export.row_batches(selected) for row in rows)])
    assert written == buffer.getvalue().encode("utf-8")
    assert written.count(b"\r\n") >= len(values) + 2
