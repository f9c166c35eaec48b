"""GET /api/v1/consent-state and POST /api/v1/consent-state/verify: signed state that fails closed."""
import json
from datetime import datetime, timedelta, timezone
from unittest import mock
from urllib.parse import quote

import pytest
from sqlalchemy import event

from consent_service import create_app
from consent_service.extensions import db

DENIED = {"necessary": True, "analytics": False, "marketing": False}


@pytest.fixture
def decision(client, consent_body):
    """A stored decision (analytics granted, marketing refused) and its response."""
    return client.post("/api/v1/consents", json=consent_body).get_json()


def state(client, **kwargs):
    response = client.get("/api/v1/consent-state", **kwargs)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    return response.get_json()


def assert_closed(answer, reason):
    assert answer["valid"] is False
    assert answer["reason"] == reason
    assert answer["categories"] == DENIED
    assert answer["consent_id"] is None


def test_bearer_token_is_verified(client, decision):
    answer = state(client, headers={"Authorization": f"Bearer {decision['token']}"})
    assert answer["valid"] is True
    assert "reason" not in answer
    assert answer["consent_id"] == decision["consent_id"]
    assert answer["site"] == "entrack"
    assert answer["categories"] == {"necessary": True, "analytics": True, "marketing": False}
    assert answer["policy_version"] == "2026-11-01"
    issued = datetime.fromisoformat(answer["issued_at"])
    assert datetime.fromisoformat(answer["expires_at"]) - issued == timedelta(days=365)


def test_query_parameter_token(client, decision):
    assert state(client, query_string={"token": decision["token"], "site": "entrack"})["valid"] is True


@pytest.mark.parametrize("value", [
    lambda token: quote(json.dumps({"t": token, "c": {"analytics": True, "marketing": False}})),
    lambda token: token,
])
def test_cookie_token(client, decision, value):
    client.set_cookie("consent_entrack", value(decision["token"]))
    assert state(client, query_string={"site": "entrack"})["valid"] is True
    assert state(client)["valid"] is True


def test_verify_endpoint_for_server_side_tag_managers(client, decision):
    response = client.post("/api/v1/consent-state/verify", json={"token": decision["token"], "site": "entrack"})
    assert response.status_code == 200
    assert response.get_json()["categories"]["analytics"] is True


def test_missing_token_fails_closed(client):
    assert_closed(state(client), "missing")


def _flip(token, index):
    chars = list(token)
    chars[index] = "A" if chars[index] != "A" else "B"
    return "".join(chars)


@pytest.mark.parametrize("tamper", [
    lambda t: _flip(t, 5),  # payload
    lambda t: _flip(t, -3),  # signature
    lambda t: t.rsplit(".", 1)[0],  # signature cut off
    lambda t: "garbage",
    lambda t: t + "x",
])
def test_tampered_token_fails_closed(client, decision, tamper):
    assert_closed(state(client, query_string={"token": tamper(decision["token"])}), "invalid_signature")


def test_token_with_granted_marketing_forged_fails(app, client, decision):
    """Re-encode the token's own payload with marketing granted and keep the old signature."""
    from itsdangerous import URLSafeSerializer

    with app.app_context():
        payload = URLSafeSerializer("unused").load_payload(decision["token"].rsplit(".", 2)[0].encode())
    assert payload["m"] == 0
    forged_payload = URLSafeSerializer("unused").dump_payload({**payload, "m": 1}).decode()
    timestamp, signature = decision["token"].rsplit(".", 2)[1:]
    forged = f"{forged_payload}.{timestamp}.{signature}"
    assert_closed(state(client, query_string={"token": forged}), "invalid_signature")


def test_token_of_other_site_fails_closed(client, decision):
    answer = state(client, query_string={"token": decision["token"], "site": "othersite"})
    assert_closed(answer, "other_site")
    assert answer["site"] == "othersite"


def test_expired_token_fails_closed(client, decision):
    later = datetime.now(timezone.utc) + timedelta(days=366)
    with mock.patch("itsdangerous.timed.time.time", return_value=later.timestamp()):
        answer = state(client, query_string={"token": decision["token"]})
    assert_closed(answer, "expired")


def test_token_expires_with_the_site_lifetime(client, app, decision):
    """A site with a shorter lifetime than the longest one still expires on its own schedule."""
    site = app.extensions["consent_sites"]["entrack"]
    with mock.patch.object(type(site), "consent_seconds", new_callable=mock.PropertyMock, return_value=60):
        with mock.patch("itsdangerous.timed.time.time", return_value=datetime.now(timezone.utc).timestamp() + 120):
            assert_closed(state(client, query_string={"token": decision["token"]}), "expired")


def test_outdated_policy_fails_closed(client, app, decision):
    sites = app.extensions["consent_sites"]
    sites["entrack"] = sites["entrack"].__class__(**{**sites["entrack"].__dict__, "policy_version": "2027-01-01"})
    assert_closed(state(client, query_string={"token": decision["token"]}), "outdated_policy")


def test_token_signed_by_another_key_fails(client, make_app, decision):
    other = make_app(SECRET_KEY="o" * 64)
    answer = other.test_client().get("/api/v1/consent-state", query_string={"token": decision["token"]}).get_json()
    assert_closed(answer, "invalid_signature")


def test_key_rotation(make_app, consent_body):
    old_key, new_key = "a" * 64, "b" * 64
    old = make_app(SECRET_KEY=old_key)
    token = old.test_client().post("/api/v1/consents", json=consent_body).get_json()["token"]
    rotated = make_app(SECRET_KEY=new_key, SECRET_KEY_FALLBACKS=[old_key])
    client = rotated.test_client()
    assert client.get("/api/v1/consent-state", query_string={"token": token}).get_json()["valid"] is True
    new_token = client.post("/api/v1/consents", json=consent_body).get_json()["token"]
    assert old.test_client().get("/api/v1/consent-state", query_string={"token": new_token}).get_json()["valid"] is False


def test_fallback_keys_from_environment(monkeypatch, database_uri):
    monkeypatch.setenv("FLASK_SECRET_KEY", "n" * 40)
    monkeypatch.setenv("FLASK_SECRET_KEY_FALLBACKS", json.dumps(["o" * 40, "p" * 40]))
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_uri})
    assert app.config["SECRET_KEY"] == "n" * 40
    assert app.config["SECRET_KEY_FALLBACKS"] == ["o" * 40, "p" * 40]


def test_state_is_answered_without_the_database(app, client, decision):
    statements = []
    with app.app_context():
        engine = db.engine
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    try:
        assert state(client, query_string={"token": decision["token"]})["valid"] is True
        client.post("/api/v1/consent-state/verify", json={"token": decision["token"]})
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    assert statements == []


@pytest.mark.parametrize("query", [{"token": "x" * 1025}, {"site": "s" * 41}])
def test_state_query_value_too_long(client, query):
    response = client.get("/api/v1/consent-state", query_string=query)
    assert response.status_code == 422
    assert response.get_json()["messages"].keys() == query.keys()


@pytest.mark.parametrize("extra", [{"_": "1796095000"}, {"utm_source": "news"}, {"unknown": "1", "Token": "x"}])
def test_unknown_state_query_parameters_are_ignored(client, decision, extra):
    """A cache-buster or a campaign tag beside a valid token never blocks the trackers."""
    answer = client.get("/api/v1/consent-state", query_string={"token": decision["token"], **extra})
    assert answer.status_code == 200 and answer.get_json()["valid"] is True


def test_empty_token_is_missing(client):
    answer = client.get("/api/v1/consent-state?token=")
    assert answer.status_code == 200
    assert answer.get_json()["valid"] is False and answer.get_json()["reason"] == "missing"


@pytest.mark.parametrize(("data", "content_type", "status"), [
    ("{}", "application/json", 422),
    ('{"token": 5}', "application/json", 422),
    ('{"token": "a", "extra": 1}', "application/json", 422),
    ("{", "application/json", 400),
    ("token=a", "application/x-www-form-urlencoded", 415),
])
def test_bad_verify_body(client, data, content_type, status):
    response = client.post("/api/v1/consent-state/verify", data=data, content_type=content_type)
    assert response.status_code == status
    assert response.get_json()["error"]


def test_browser_on_site_origin_may_ask(client, decision):
    response = client.get("/api/v1/consent-state", headers={
        "Origin": "https://www.entrack.fi", "Authorization": f"Bearer {decision['token']}"})
    assert response.headers["Access-Control-Allow-Origin"] == "https://www.entrack.fi"
    preflight = client.options("/api/v1/consent-state", headers={
        "Origin": "https://www.entrack.fi", "Access-Control-Request-Method": "GET",
        "Access-Control-Request-Headers": "authorization"})
    assert "authorization" in preflight.headers["Access-Control-Allow-Headers"].lower()
