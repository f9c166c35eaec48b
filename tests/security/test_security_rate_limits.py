"""Rate limits per client on consent posting, in memory and in Redis; CORS only for configured origins."""
import uuid

import pytest
import redis

REDIS_URL = "redis://127.0.0.1:6379/0"


@pytest.fixture
def app_config():
    return {"RATELIMIT_CONSENT": "3 per minute"}


def post(client, body, address="198.51.100.7", **headers):
    return client.post("/api/v1/consents", json=body, headers=headers, environ_base={"REMOTE_ADDR": address})


def assert_limited(response):
    assert response.status_code == 429
    assert response.get_json() == {"error": "Too many requests from this address; retry later."}
    assert 0 < int(response.headers["Retry-After"]) <= 60
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_consent_posting_is_limited_per_address(client, consent_body):
    assert [post(client, consent_body).status_code for _ in range(3)] == [201, 201, 201]
    assert_limited(post(client, consent_body))
    assert post(client, consent_body, address="198.51.100.8").status_code == 201


def test_limit_leaves_consent_state_alone(client, consent_body):
    for _ in range(4):
        post(client, consent_body)
    assert all(client.get("/api/v1/consent-state", environ_base={"REMOTE_ADDR": "198.51.100.7"}).status_code == 200
               for _ in range(10))


def test_spoofed_forwarded_for_does_not_escape_the_limit(client, consent_body):
    codes = [post(client, consent_body, **{"X-Forwarded-For": f"203.0.113.{n}"}).status_code for n in range(4)]
    assert codes == [201, 201, 201, 429]


def test_behind_trusted_proxy_each_visitor_has_own_limit(make_app, consent_body):
    app = make_app(PROXY_FIX_X_FOR=1)
    client = app.test_client()
    for _ in range(3):
        post(client, consent_body, address="10.0.0.2", **{"X-Forwarded-For": "203.0.113.10"})
    assert_limited(post(client, consent_body, address="10.0.0.2", **{"X-Forwarded-For": "203.0.113.10"}))
    assert post(client, consent_body, address="10.0.0.2", **{"X-Forwarded-For": "203.0.113.11"}).status_code == 201


def test_limits_are_shared_through_redis(make_app, consent_body):
    """Two instances with one Redis: the limit counts every instance's requests together."""
    address = f"198.18.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}"
    first = make_app(RATELIMIT_STORAGE_URI=REDIS_URL)
    store = redis.Redis.from_url(REDIS_URL)
    try:
        assert [post(first.test_client(), consent_body, address).status_code for _ in range(2)] == [201, 201]
        second = make_app(RATELIMIT_STORAGE_URI=REDIS_URL)
        assert post(second.test_client(), consent_body, address).status_code == 201
        assert_limited(post(second.test_client(), consent_body, address))
        assert any(address in key.decode() for key in store.scan_iter(match=f"*{address}*"))
    finally:
        for key in store.scan_iter(match=f"*{address}*"):
            store.delete(key)
        store.close()


@pytest.mark.parametrize(("origin", "allowed"), [
    ("https://www.entrack.fi", True),
    ("https://entrack.fi", True),
    ("https://evil.example", False),
    ("https://www.entrack.fi.evil.example", False),
    ("null", False),
])
def test_cors_only_for_configured_origins(client, consent_body, origin, allowed):
    preflight = client.options("/api/v1/consents", headers={
        "Origin": origin, "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "Content-Type",
    })
    assert (preflight.headers.get("Access-Control-Allow-Origin") == origin) is allowed
    assert preflight.headers.get("Access-Control-Allow-Origin") in (origin, None)
    response = client.post("/api/v1/consents", json=consent_body, headers={"Origin": origin})
    assert response.status_code == (201 if allowed else 403)
    # A refused origin may read its 403 (reason origin_not_allowed), so that the banner stops retrying.
    assert response.headers.get("Access-Control-Allow-Origin") == origin
    assert response.get_json().get("reason") == (None if allowed else "origin_not_allowed")


def test_cors_never_reaches_pages(client):
    response = client.get("/", headers={"Origin": "https://www.entrack.fi"})
    assert "Access-Control-Allow-Origin" not in response.headers


def test_a_default_limit_set_by_the_deployment_still_applies(make_app):
    """Without app-wide limits the limiter's before_request pass is dropped (every limit is a view's own);
    a deployment that sets one keeps the pass, and its limit counts on every page."""
    assert limiter_pass_count(make_app()) == 0
    app = make_app(RATELIMIT_DEFAULT="2 per minute")
    assert limiter_pass_count(app) == 1
    client = app.test_client()
    codes = [client.get("/", environ_base={"REMOTE_ADDR": "198.51.100.9"}).status_code for _ in range(3)]
    assert codes == [200, 200, 429]


def limiter_pass_count(app):
    from consent_service.extensions import limiter

    return app.before_request_funcs.get(None, []).count(limiter._check_request_limit)
