"""The consent-state check's quick path answers exactly what the state app's views answer."""
import json
import logging

import pytest
from werkzeug.test import Client

from consent_service.state import check
from consent_service.state.app import StatePaths

from tests.support.apps import TEST_SECRET

SITE_ORIGIN = "https://www.entrack.fi"


@pytest.fixture
def app_config():
    """Served at https://consent.example.fi (and, as every instance, on the loopback names)."""
    return {"PUBLIC_URL": "https://consent.example.fi"}


@pytest.fixture
def token(client, consent_body):
    return client.post("/api/v1/consents", json=consent_body).get_json()["token"]


def both(app):
    """A client of the app as served (the usual GET answered by the quick path, the rest by the
    state app's views) and one of the state app's views alone."""
    paths = app.wsgi_app
    assert isinstance(paths, StatePaths)
    assert paths.wsgi_app.__self__ is app  # everything else: the main app's own Flask.wsgi_app
    return Client(app, app.response_class), Client(paths.state, app.response_class)


def assert_same(served, main):
    assert served.status == main.status
    assert served.get_data() == main.get_data()
    assert sorted(served.headers.items()) == sorted(main.headers.items())


REQUESTS = [
    ("GET", "/api/v1/consent-state", {"bearer": True}),
    ("GET", "/api/v1/consent-state?site=entrack", {"bearer": True}),
    ("GET", "/api/v1/consent-state?site=othersite", {"bearer": True}),
    ("GET", "/api/v1/consent-state?site=entrack", {"query_token": True}),
    ("GET", "/api/v1/consent-state?site=entrack", {"cookie": True}),
    ("GET", "/api/v1/consent-state", {}),
    ("GET", "/api/v1/consent-state?token=garbage", {}),
    ("GET", "/api/v1/consent-state?bogus=1", {}),
    ("GET", "/api/v1/consent-state?site=entrack&_=1796095000&utm_source=news", {"query_token": True}),
    ("GET", "/api/v1/consent-state?token=", {}),
    ("GET", "/api/v1/consent-state?site=%zz", {"bearer": True}),
    ("GET", "/api/v1/consent-state?site=entrack&site=othersite", {"bearer": True}),
    ("GET", "/api/v1/consent-state?site=othersite&site=entrack", {"bearer": True}),
    ("GET", "/api/v1/consent-state?site=%65ntrack", {"bearer": True}),
    ("GET", "/api/v1/consent-state?site=", {"bearer": True}),
    ("GET", "/api/v1/consent-state?site=entrack", {"bearer": True, "headers": {"Authorization": "Basic eDp5"}}),
    ("GET", "/api/v1/consent-state?site=" + "e" * 41, {"bearer": True}),
    ("GET", "/api/v1/consent-state?token=" + "x" * 2000, {}),
    ("GET", "/api/v1/consent-state?site=entrack", {"bearer": True, "headers": {"Origin": SITE_ORIGIN}}),
    ("GET", "/api/v1/consent-state", {"headers": {"Origin": "HTTPS://WWW.ENTRACK.FI"}}),
    ("GET", "/api/v1/consent-state", {"bearer": True, "headers": {
        "Origin": SITE_ORIGIN, "Access-Control-Request-Private-Network": "true"}}),
    ("GET", "/api/v1/consent-state", {"bearer": True, "headers": {"Origin": "https://evil.example"}}),
    ("HEAD", "/api/v1/consent-state", {"bearer": True}),
    ("OPTIONS", "/api/v1/consent-state", {"headers": {
        "Origin": SITE_ORIGIN, "Access-Control-Request-Method": "GET",
        "Access-Control-Request-Headers": "authorization"}}),
    ("OPTIONS", "/api/v1/consent-state/verify", {"headers": {
        "Origin": "https://evil.example", "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type"}}),
    ("OPTIONS", "/api/v1/consent-state", {}),
    ("POST", "/api/v1/consent-state", {}),
    ("DELETE", "/api/v1/consent-state", {"headers": {"Origin": SITE_ORIGIN}}),
    ("GET", "/api/v1/consent-state/verify", {}),
    ("POST", "/api/v1/consent-state/verify", {"body_token": True}),
    ("POST", "/api/v1/consent-state/verify", {"body_token": True, "headers": {"Origin": SITE_ORIGIN}}),
    ("POST", "/api/v1/consent-state/verify", {"data": "{", "content_type": "application/json"}),
    ("POST", "/api/v1/consent-state/verify", {"data": b"\xff", "content_type": "application/json"}),
    ("POST", "/api/v1/consent-state/verify", {"data": '{"token": 5}', "content_type": "application/json"}),
    ("POST", "/api/v1/consent-state/verify", {"data": "token=a", "content_type": "application/x-www-form-urlencoded"}),
    ("POST", "/api/v1/consent-state/verify", {"data": "x" * 20000, "content_type": "application/json"}),
]


def _request(client, token, method, path, options, base_url="http://localhost"):
    headers = dict(options.get("headers", {}))
    kwargs = {k: options[k] for k in ("data", "content_type") if k in options}
    if options.get("bearer"):
        headers["Authorization"] = f"Bearer {token}"
    if options.get("query_token"):
        path += f"&token={token}"
    if options.get("cookie"):
        headers["Cookie"] = f"consent_entrack={token}"
    if options.get("body_token"):
        kwargs = {"data": json.dumps({"token": token, "site": "entrack"}), "content_type": "application/json"}
    return client.open(path, method=method, headers=headers, base_url=base_url, **kwargs)


@pytest.mark.parametrize(("method", "path", "options"), REQUESTS)
@pytest.mark.parametrize("base_url", ["http://localhost", "https://consent.example.fi"])
def test_small_app_answers_as_the_main_app(app, token, method, path, options, base_url):
    served, main = both(app)
    served_response = _request(served, token, method, path, options, base_url)
    main_response = _request(main, token, method, path, options, base_url)
    assert served_response.headers["X-Content-Type-Options"] == "nosniff"
    assert ("Strict-Transport-Security" in served_response.headers) is base_url.startswith("https:")
    assert_same(served_response, main_response)


QUICK = [
    ({"HTTP_AUTHORIZATION": "Bearer {token}"}, "", True),
    ({"HTTP_AUTHORIZATION": "bearer {token}"}, "site=entrack", True),
    ({}, "token={token}&site=entrack", True),
    ({}, "", True),
    ({"HTTP_AUTHORIZATION": "Bearer {token}", "HTTP_ORIGIN": SITE_ORIGIN}, "site=entrack", True),
    ({"HTTP_AUTHORIZATION": "Bearer {token}", "HTTP_ORIGIN": "https://evil.example"}, "", True),
    ({"HTTP_COOKIE": "consent_entrack={token}"}, "site=entrack", False),
    ({"HTTP_AUTHORIZATION": "Bearer {token}"}, "site=entrack&site=entrack", True),
    ({"HTTP_AUTHORIZATION": "Bearer {token}"}, "site=%65ntrack", True),
    ({"HTTP_AUTHORIZATION": "Bearer {token}"}, "bogus=1", True),
    ({}, "token={token}&_=1796095000&utm_source=news", True),
    ({}, "token=", True),
    ({}, "token=" + "x" * 1025, False),
    ({"HTTP_AUTHORIZATION": "Bearer {token}", "REQUEST_METHOD": "HEAD"}, "", False),
]


@pytest.mark.parametrize(("extra", "query", "quick"), QUICK)
def test_usual_check_is_answered_before_the_views(app, token, extra, query, quick):
    """A plain GET (what a server-side tag manager and the bench send) skips the views; anything
    else is theirs. Either way the answer is the same (``test_small_app_answers_as_the_main_app``)."""
    environ = {"REQUEST_METHOD": "GET", "QUERY_STRING": query.format(token=token), "wsgi.url_scheme": "http",
               **{name: value.format(token=token) for name, value in extra.items()}}
    answer = app.wsgi_app.quick_answer(environ)
    assert (answer is not None) is quick
    if quick:
        status, headers, body = answer
        assert status == "200 OK" and ("Cache-Control", "no-store") in headers
        assert json.loads(body)["valid"] is ("{token}" in query + "".join(extra.values()))


def test_state_paths_skip_the_main_apps_request_work(app, consent_body):
    """The main app's hooks (limiter, session, database teardown) never run for the state check."""
    seen = []
    app.before_request(lambda: seen.append("before"))
    app.teardown_request(lambda error: seen.append("teardown"))
    client = app.test_client()
    token = client.post("/api/v1/consents", json=consent_body).get_json()["token"]
    seen.clear()
    assert client.get("/api/v1/consent-state", headers={"Authorization": f"Bearer {token}"}).get_json()["valid"]
    assert client.post("/api/v1/consent-state/verify", json={"token": token}).get_json()["valid"]
    assert client.get("/api/v1/consent-state/").status_code == 404  # not the state app's path
    assert seen == ["before", "teardown"]


def test_state_app_sees_the_trusted_proxy(make_app, consent_body):
    app = make_app(PROXY_FIX_X_FOR=1)
    client = app.test_client()
    proxied = client.get("/api/v1/consent-state", headers={"X-Forwarded-Proto": "https",
                                                           "X-Forwarded-For": "192.0.2.1"})
    assert proxied.status_code == 200
    assert proxied.headers["Strict-Transport-Security"].startswith("max-age=")
    assert "Strict-Transport-Security" not in client.get("/api/v1/consent-state").headers


def test_state_app_error_is_logged_and_answered_without_cause(app, token, caplog, monkeypatch):
    def fail(*args):
        raise RuntimeError(f"failed with {TEST_SECRET}")

    monkeypatch.setattr(check, "consent_state", fail)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    served, main = both(app)
    with caplog.at_level(logging.ERROR):
        response = served.get("/api/v1/consent-state", headers={"Origin": SITE_ORIGIN})
    assert response.status_code == 500
    assert response.get_json() == {"error": "Internal server error."}
    assert TEST_SECRET not in response.get_data(as_text=True)
    assert "unhandled error on GET /api/v1/consent-state" in caplog.text
    assert_same(response, main.get("/api/v1/consent-state", headers={"Origin": SITE_ORIGIN}))
    quick = served.get("/api/v1/consent-state", headers={"Authorization": f"Bearer {token}"})
    assert quick.status_code == 500 and quick.get_json() == {"error": "Internal server error."}


def test_state_app_shares_the_configuration(app, token):
    """Sites and keys changed on the main app are the state app's too (one configuration)."""
    client = app.test_client()
    sites = app.extensions["consent_sites"]
    sites["entrack"] = sites["entrack"].__class__(**{**sites["entrack"].__dict__, "policy_version": "2030-01-01"})
    answer = client.get("/api/v1/consent-state", query_string={"token": token}).get_json()
    assert answer["reason"] == "outdated_policy"
    app.config["SECRET_KEY"] = "k" * 64
    assert client.get("/api/v1/consent-state", query_string={"token": token}).get_json()["reason"] == \
        "invalid_signature"
