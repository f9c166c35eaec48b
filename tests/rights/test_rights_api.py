"""GET/DELETE /api/v1/consents/<id>: a visitor's history and its erasure, for the token's owner only."""
import functools
import dataclasses
import time
import uuid
from unittest import mock

import pytest
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import delete, func, select, update

from consent_service.extensions import db
from consent_service.state import tokens
from consent_service.ledger.models import ConsentRecord
from consent_service.ledger.verification import check_stored_chain

from tests.support import rights as rights_support
from tests.support.records import records
from tests.support.rights import app_config  # noqa: F401  (two sites)

PII = ("ip_prefix", "user_agent", "page_url")


decide = functools.partial(rights_support.decide, user_agent="Mozilla/5.0 (X11) Visitor", address="198.51.100.23")


@pytest.fixture
def visitor(client, consent_body):
    """One visitor with two decisions: a custom choice, then accepting everything."""
    first = decide(client, consent_body)
    return decide(client, consent_body, consent_id=first["consent_id"], token=first["token"], action="accept_all",
                  categories={"analytics": True, "marketing": True})


@pytest.fixture
def stranger(client, consent_body):
    """Another visitor of the same site."""
    return decide(client, consent_body, page_url="https://www.entrack.fi/toinen")


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def test_owner_sees_full_history(client, visitor):
    answer = client.get(f"/api/v1/consents/{visitor['consent_id']}", headers=bearer(visitor["token"]))
    assert answer.status_code == 200
    assert answer.headers["Cache-Control"] == "no-store"
    assert "Authorization" in answer.headers["Vary"]
    body = answer.get_json()
    assert body["consent_id"] == visitor["consent_id"]
    assert body["site"] == "entrack"
    assert body["erased"] is False
    assert body["categories"] == {"necessary": True, "analytics": True, "marketing": True}
    assert [(r["seq"], r["action"]) for r in body["records"]] == [(1, "custom"), (2, "accept_all")]
    first = body["records"][0]
    assert first["categories"] == {"necessary": True, "analytics": True, "marketing": False}
    assert (first["ip_prefix"], first["user_agent"], first["page_url"]) == (
        "198.51.100.0/24", "Mozilla/5.0 (X11) Visitor", "https://www.entrack.fi/palvelut")
    assert first["recorded_at"].endswith("+00:00")
    assert len(first["record_hash"]) == 64


def test_history_holds_only_the_owners_records(client, app, visitor, stranger):
    body = client.get(f"/api/v1/consents/{visitor['consent_id']}", headers=bearer(visitor["token"])).get_json()
    assert len(body["records"]) == 2
    assert "toinen" not in str(body)


def test_token_of_an_older_policy_still_proves_the_owner(client, app, visitor):
    sites = app.extensions["consent_sites"]
    sites["entrack"] = dataclasses.replace(sites["entrack"], policy_version="2027-01-01")
    answer = client.get(f"/api/v1/consents/{visitor['consent_id']}", headers=bearer(visitor["token"]))
    assert answer.status_code == 200
    assert len(answer.get_json()["records"]) == 2


def _expired(app, visitor, stranger):
    with mock.patch("itsdangerous.timed.time.time", return_value=time.time() - 400 * 86400):
        with app.test_request_context():
            return bearer(tokens.issue(records(app, visitor["consent_id"])[0]))


def _other_key(app, visitor, stranger):
    payload = {"s": "entrack", "i": visitor["consent_id"], "a": 1, "m": 1, "v": "2026-11-01"}
    return bearer(URLSafeTimedSerializer("k" * 64, salt=tokens.SALT).dumps(payload))


def _tampered(app, visitor, stranger):
    payload, timestamp, signature = visitor["token"].rsplit(".", 2)
    return bearer(f"{payload}.{timestamp}.{signature[::-1]}")


def _other_site(app, visitor, stranger):
    with app.test_request_context():
        [record] = records(app, stranger["consent_id"])
        record.site = "other"
        return bearer(tokens.issue(record))


BAD_CREDENTIALS = {
    "no header": (lambda app, visitor, stranger: {}, 401),
    "empty bearer": (lambda app, visitor, stranger: {"Authorization": "Bearer "}, 401),
    "basic scheme": (lambda app, visitor, stranger: {"Authorization": f"Basic {visitor['token']}"}, 401),
    "garbage": (lambda app, visitor, stranger: bearer("not-a-token"), 401),
    "tampered signature": (_tampered, 401),
    "signed by another key": (_other_key, 401),
    "expired": (_expired, 401),
    "another visitor's token": (lambda app, visitor, stranger: bearer(stranger["token"]), 403),
    "another site's token": (_other_site, 403),
}


@pytest.mark.parametrize("method", ["get", "delete"])
@pytest.mark.parametrize("case", BAD_CREDENTIALS)
def test_refused_without_the_owners_token(client, app, visitor, stranger, method, case):
    make_headers, status = BAD_CREDENTIALS[case]
    headers = make_headers(app, visitor, stranger)
    before = [(r.seq, r.action, r.ip_prefix, r.user_agent, r.page_url, r.pii_salt) for r in records(app)]
    answer = getattr(client, method)(f"/api/v1/consents/{visitor['consent_id']}", headers=headers)
    assert answer.status_code == status
    body = answer.get_json()
    assert set(body) == {"error"}
    assert visitor["consent_id"] not in answer.get_data(as_text=True)
    if status == 401:
        assert answer.headers["WWW-Authenticate"].startswith("Bearer")
    after = [(r.seq, r.action, r.ip_prefix, r.user_agent, r.page_url, r.pii_salt) for r in records(app)]
    assert after == before


def test_unknown_id_with_a_valid_token_is_refused_alike(client, visitor):
    """A valid token does not reveal whether another id exists: 403 either way."""
    for consent_id in (str(uuid.uuid4()), visitor["consent_id"].upper()):
        assert client.get(f"/api/v1/consents/{consent_id}", headers=bearer(visitor["token"])).status_code == 403


def test_erase_scrubs_personal_fields_and_records_it(client, app, runner, visitor, stranger):
    answer = client.delete(f"/api/v1/consents/{visitor['consent_id']}", headers=bearer(visitor["token"]))
    assert answer.status_code == 200
    body = answer.get_json()
    assert body["erased"] is True
    assert body["categories"] == {"necessary": True, "analytics": False, "marketing": False}
    assert [r["action"] for r in body["records"]] == ["custom", "accept_all", "erase"]
    assert all(r[name] is None for r in body["records"] for name in PII)
    mine = records(app, visitor["consent_id"])
    assert [r.action for r in mine] == ["custom", "accept_all", "erase"]
    assert all(getattr(r, name) is None for r in mine for name in (*PII, "pii_salt"))
    assert (mine[-1].analytics, mine[-1].marketing, mine[-1].language) == (False, False, "fi")
    [theirs] = records(app, stranger["consent_id"])
    assert theirs.page_url == "https://www.entrack.fi/toinen" and theirs.pii_salt
    with app.app_context():
        report = check_stored_chain("entrack")
    assert report.ok, report.error
    assert report.count == 4
    result = runner.invoke(args=["consent", "verify"])
    assert result.exit_code == 0, result.output
    assert "entrack: OK, 4 records" in result.output


def test_erasing_again_changes_nothing(client, app, visitor):
    url = f"/api/v1/consents/{visitor['consent_id']}"
    first = client.delete(url, headers=bearer(visitor["token"])).get_json()
    again = client.delete(url, headers=bearer(visitor["token"]))
    assert again.status_code == 200
    assert again.get_json() == first
    assert len(records(app, visitor["consent_id"])) == 3


def test_a_later_decision_can_be_erased_too(client, app, consent_body, visitor):
    url = f"/api/v1/consents/{visitor['consent_id']}"
    client.delete(url, headers=bearer(visitor["token"]))
    later = decide(client, consent_body, consent_id=visitor["consent_id"], token=visitor["token"])
    assert records(app, visitor["consent_id"])[-1].ip_prefix == "198.51.100.0/24"
    body = client.delete(url, headers=bearer(later["token"])).get_json()
    assert [r["action"] for r in body["records"]] == ["custom", "accept_all", "erase", "custom", "erase"]
    assert body["erased"] is True
    with app.app_context():
        assert check_stored_chain("entrack").ok


@pytest.mark.parametrize("column", PII)
def test_personal_data_put_back_after_erasure_is_detected(client, app, runner, visitor, column):
    """The erased chain verifies because it is checked, not because nothing is: a restored field fails it."""
    client.delete(f"/api/v1/consents/{visitor['consent_id']}", headers=bearer(visitor["token"]))
    with app.app_context():
        db.session.execute(update(ConsentRecord).where(ConsentRecord.seq == 1).values({column: "restored"}))
        db.session.commit()
        report = check_stored_chain("entrack")
    assert not report.ok
    assert "personal fields present on an erased record" in report.error
    assert runner.invoke(args=["consent", "verify"]).exit_code == 1


def test_history_gone_after_retention_is_404(client, app, visitor):
    with app.app_context():
        db.session.execute(delete(ConsentRecord))
        db.session.commit()
    for method in ("get", "delete"):
        answer = getattr(client, method)(f"/api/v1/consents/{visitor['consent_id']}", headers=bearer(visitor["token"]))
        assert answer.status_code == 404
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ConsentRecord)) == 0


def test_openapi_documents_the_rights_api(client):
    document = client.get("/api/v1/openapi.json").get_json()
    operations = document["paths"]["/api/v1/consents/{consent_id}"]
    assert set(operations) >= {"get", "delete"}
    for operation in operations.values():
        assert operation["security"] == [{"bearer": []}]
        assert {"200", "401", "403", "404"} <= set(operation["responses"])
    assert "ConsentHistory" in document["components"]["schemas"]


@pytest.mark.parametrize("app_config", [{"RATELIMIT_CONSENT": "2 per minute"}])
def test_erasure_is_rate_limited_per_address(client, visitor):
    url = f"/api/v1/consents/{visitor['consent_id']}"
    statuses = [client.delete(url, headers=bearer(visitor["token"])).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    assert client.get(url, headers=bearer(visitor["token"])).status_code == 200
