"""Retry-After says what the code means: only a 429 (when the client's window lets it in again) and a
503 (5 s, the store is briefly away) carry it; a 201 never does, and the limiter never stretches a
503's 5 s to the end of its window."""
import threading

import pytest

from consent_service.database_outage import EXTENSION


@pytest.fixture
def app_config():
    return {"RATELIMIT_CONSENT": "3 per minute"}


def post(client, body):
    return client.post("/api/v1/consents", json=body, environ_base={"REMOTE_ADDR": "198.51.100.9"})


def store_away(app):
    """The database marked away, with another request's thread trying it."""
    outage = app.extensions[EXTENSION]
    outage.failed()
    thread = threading.Thread(target=outage.admit)
    thread.start()
    thread.join(5)


def test_stored_decision_has_no_retry_after(client, consent_body):
    response = post(client, consent_body)
    assert response.status_code == 201
    assert "Retry-After" not in response.headers


@pytest.mark.parametrize("path", ["/api/v1/consent-state?site=entrack", "/banner.js", "/privacy/entrack",
                                  "/audit/", "/my-consent?site=entrack"])
def test_other_answers_have_no_retry_after(client, path):
    assert "Retry-After" not in client.get(path).headers


def test_limited_client_is_told_when_its_window_ends(client, consent_body):
    for _ in range(3):
        assert post(client, consent_body).status_code == 201
    response = post(client, consent_body)
    assert response.status_code == 429
    assert 1 <= int(response.headers["Retry-After"]) <= 60


def test_unavailable_store_says_five_seconds_even_on_a_limited_route(app, client, consent_body):
    assert post(client, consent_body).status_code == 201
    store_away(app)
    response = post(client, consent_body)
    assert response.status_code == 503
    assert response.headers.getlist("Retry-After") == ["5"]


def test_missing_database_says_five_seconds(make_app, tmp_path, consent_body):
    app = make_app(uri=f"sqlite:///{tmp_path}/missing/dir/consent.sqlite3")
    response = post(app.test_client(), consent_body)
    assert response.status_code == 503
    assert response.headers.getlist("Retry-After") == ["5"]
