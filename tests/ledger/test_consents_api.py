"""POST /api/v1/consents: storing decisions, idempotency, and every kind of bad input."""
import json
import uuid
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from consent_service.extensions import db
from consent_service.ledger.models import ConsentRecord

from tests.support.records import records as stored


def count_records(app):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(ConsentRecord))


def test_decision_is_stored_and_answered(client, app, consent_body):
    response = client.post(
        "/api/v1/consents", json=consent_body,
        headers={"User-Agent": "Mozilla/5.0 test", "Sec-GPC": "1"},
        environ_base={"REMOTE_ADDR": "203.0.113.77"},
    )
    assert response.status_code == 201
    body = response.get_json()
    assert set(body) == {"consent_id", "categories", "action", "policy_version", "recorded_at", "expires_at", "token"}
    assert body["categories"] == {"necessary": True, "analytics": True, "marketing": False}
    assert body["action"] == "custom"
    assert body["policy_version"] == "2026-11-01"
    uuid.UUID(body["consent_id"])
    recorded = datetime.fromisoformat(body["recorded_at"])
    assert recorded.utcoffset() == timedelta(0)
    assert datetime.fromisoformat(body["expires_at"]) - recorded == timedelta(days=365)
    [record] = stored(app)
    assert record.ip_prefix == "203.0.113.0/24"
    assert record.user_agent == "Mozilla/5.0 test"
    assert record.gpc is True
    assert record.language == "fi"
    assert record.consent_id == body["consent_id"]


@pytest.mark.parametrize(("address", "prefix"), [
    ("198.51.100.200", "198.51.100.0/24"),
    ("2001:db8:abcd:12::1", "2001:db8:abcd::/48"),
    ("::ffff:192.0.2.9", "192.0.2.0/24"),
])
def test_client_address_is_truncated(client, app, consent_body, address, prefix):
    client.post("/api/v1/consents", json=consent_body, environ_base={"REMOTE_ADDR": address})
    [record] = stored(app)
    assert record.ip_prefix == prefix
    assert address not in json.dumps([record.ip_prefix, record.user_agent, record.page_url])


def test_page_url_loses_query_and_fragment(client, app, consent_body):
    consent_body["page_url"] = "https://www.entrack.fi/tilaa?email=matti@example.fi#lomake"
    client.post("/api/v1/consents", json=consent_body)
    assert stored(app)[0].page_url == "https://www.entrack.fi/tilaa"


def test_change_of_mind_appends_with_same_id(client, app, consent_body):
    first = client.post("/api/v1/consents", json=consent_body).get_json()
    consent_body.update(consent_id=first["consent_id"], token=first["token"], action="withdraw",
                        categories={"analytics": False, "marketing": False})
    second = client.post("/api/v1/consents", json=consent_body)
    assert second.status_code == 201
    assert second.get_json()["consent_id"] == first["consent_id"]
    records = stored(app)
    assert [(r.seq, r.action, r.analytics) for r in records] == [(1, "custom", True), (2, "withdraw", False)]
    assert records[1].prev_hash == records[0].record_hash


def test_idempotency_key_returns_first_response(client, app, consent_body):
    headers = {"Idempotency-Key": "c0ffee-1"}
    first = client.post("/api/v1/consents", json=consent_body, headers=headers)
    again = client.post("/api/v1/consents", json=consent_body, headers=headers)
    assert again.status_code == 201
    assert again.get_json() == first.get_json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert count_records(app) == 1


def test_idempotency_key_in_body_for_beacons(client, app, consent_body):
    consent_body["idempotency_key"] = "beacon-1"
    for _ in range(2):
        response = client.post("/api/v1/consents", data=json.dumps(consent_body), content_type="text/plain")
        assert response.status_code == 201
    assert count_records(app) == 1


def test_idempotency_key_reused_with_other_body(client, app, consent_body):
    client.post("/api/v1/consents", json=consent_body, headers={"Idempotency-Key": "k"})
    consent_body["categories"]["marketing"] = True
    response = client.post("/api/v1/consents", json=consent_body, headers={"Idempotency-Key": "k"})
    assert response.status_code == 409
    assert "different request body" in response.get_json()["error"]
    assert count_records(app) == 1


def test_idempotency_key_header_and_field_that_differ(client, app, consent_body):
    consent_body["idempotency_key"] = "field"
    response = client.post("/api/v1/consents", json=consent_body, headers={"Idempotency-Key": "header"})
    assert response.status_code == 409
    assert "differ" in response.get_json()["error"]
    assert count_records(app) == 0


def _set(path, value):
    def change(body):
        target = body
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value
    return change


def _drop(key):
    return lambda body: body.pop(key)


@pytest.mark.parametrize(("change", "field"), [
    (_set(["unexpected"], 1), "unexpected"),
    (_set(["categories", "functional"], True), "categories"),
    (_set(["categories", "necessary"], False), "categories"),
    (_set(["categories", "analytics"], "true"), "categories"),
    (_set(["categories", "analytics"], 1), "categories"),
    (_set(["categories", "marketing"], None), "categories"),
    (_drop("categories"), "categories"),
    (_set(["categories"], [True, False]), "categories"),
    (_set(["site"], "nosuchsite"), "site"),
    (_set(["site"], 42), "site"),
    (_drop("site"), "site"),
    (_set(["action"], "maybe"), "action"),
    (_set(["action"], "accept_all"), "action"),
    (_set(["action"], "reject_all"), "action"),
    (_set(["language"], "de"), "language"),
    (_set(["policy_version"], ""), "policy_version"),
    (_set(["policy_version"], "v" * 65), "policy_version"),
    (_set(["page_url"], "javascript:alert(1)"), "page_url"),
    (_set(["page_url"], "not a url"), "page_url"),
    (_set(["consent_id"], "not-a-uuid"), "consent_id"),
    (_set(["idempotency_key"], "has space"), "idempotency_key"),
])
def test_invalid_body_is_refused(client, app, consent_body, change, field):
    change(consent_body)
    response = client.post("/api/v1/consents", json=consent_body)
    assert response.status_code == 422
    body = response.get_json()
    assert body["error"] == "The request body is not valid."
    assert field in body["messages"]
    assert count_records(app) == 0


def test_withdraw_needs_consent_id(client, app, consent_body):
    consent_body.update(action="withdraw", categories={"analytics": False, "marketing": False})
    response = client.post("/api/v1/consents", json=consent_body)
    assert response.status_code == 422
    assert "consent_id" in response.get_json()["messages"]


@pytest.mark.parametrize(("data", "content_type", "status", "message"), [
    ("{", "application/json", 400, "not valid JSON"),
    (b'{"site": "\xff"}', "application/json", 400, "not valid UTF-8"),
    ("[" * 5000 + "]" * 5000, "application/json", 400, "not valid JSON"),
    ("site=entrack", "application/x-www-form-urlencoded", 415, "as JSON"),
    ("{}", "application/xml", 415, "as JSON"),
    ("[]", "application/json", 422, "not valid"),
    ("null", "application/json", 422, "not valid"),
    ('"text"', "application/json", 422, "not valid"),
])
def test_malformed_body_is_refused(client, app, data, content_type, status, message):
    response = client.post("/api/v1/consents", data=data, content_type=content_type)
    assert response.status_code == status
    assert message in response.get_json()["error"]
    assert count_records(app) == 0


def test_body_over_16_kb_is_refused(client, app, consent_body):
    consent_body["page_url"] = "https://www.entrack.fi/" + "a" * (17 * 1024)
    response = client.post("/api/v1/consents", json=consent_body)
    assert response.status_code == 413
    assert "16384 bytes" in response.get_json()["error"]
    assert count_records(app) == 0


@pytest.mark.parametrize("key", ["", "x" * 129, "with space", "tab\there"])
def test_malformed_idempotency_key(client, app, consent_body, key):
    response = client.post("/api/v1/consents", json=consent_body, headers={"Idempotency-Key": key})
    assert response.status_code == 400
    assert "Idempotency-Key" in response.get_json()["error"]
    assert count_records(app) == 0


@pytest.mark.parametrize("origin", ["https://www.entrack.fi", "https://entrack.fi"])
def test_allowed_origins(client, app, consent_body, origin):
    response = client.post("/api/v1/consents", json=consent_body, headers={"Origin": origin})
    assert response.status_code == 201
    assert response.headers["Access-Control-Allow-Origin"] == origin


def test_service_own_pages_may_post(client, app, consent_body):
    response = client.post("/api/v1/consents", json=consent_body, headers={"Origin": "http://localhost"})
    assert response.status_code == 201


@pytest.mark.parametrize("origin", ["https://evil.example", "null", "https://www.entrack.fi.evil.example"])
def test_foreign_origin_is_refused(client, app, consent_body, origin):
    response = client.post("/api/v1/consents", json=consent_body, headers={"Origin": origin})
    assert response.status_code == 403
    assert origin in response.get_json()["error"]
    assert response.headers["Access-Control-Allow-Origin"] == origin  # readable: the banner stops retrying
    assert count_records(app) == 0


def test_preflight_answers_only_configured_origins(client):
    allowed = client.options("/api/v1/consents", headers={
        "Origin": "https://www.entrack.fi", "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type, idempotency-key",
    })
    assert allowed.headers["Access-Control-Allow-Origin"] == "https://www.entrack.fi"
    assert "idempotency-key" in allowed.headers["Access-Control-Allow-Headers"].lower()
    foreign = client.options("/api/v1/consents", headers={
        "Origin": "https://evil.example", "Access-Control-Request-Method": "POST",
    })
    assert "Access-Control-Allow-Origin" not in foreign.headers


@pytest.mark.parametrize(("method", "path", "status"), [
    ("get", "/api/v1/consents", 405),
    ("post", "/api/v1/nothing-here", 404),
])
def test_http_errors_are_json(client, method, path, status):
    response = getattr(client, method)(path)
    assert response.status_code == status
    assert response.is_json and response.get_json()["error"]


def test_no_cors_headers_without_origin(client, consent_body):
    response = client.post("/api/v1/consents", json=consent_body)
    assert "Access-Control-Allow-Origin" not in response.headers


@pytest.mark.parametrize("app_config", [{"RATELIMIT_STORAGE_URI": "redis://127.0.0.1:1/0"}])
def test_unreachable_rate_limit_store_never_fails_a_visitor(client, app, consent_body):
    response = client.post("/api/v1/consents", json=consent_body)
    assert response.status_code == 201
    assert count_records(app) == 1
