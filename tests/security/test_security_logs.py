"""No personal data or secrets in logs or error bodies: addresses, user agents, page addresses,
tokens and keys stay out of every log line and every error answer."""
import logging

import pytest

from consent_service import gunicorn_config

from tests.support.apps import TEST_SECRET

ADDRESS = "203.0.113.187"
USER_AGENT = "Mozilla/5.0 (PersonalBrowser; matti.meikalainen)"
PAGE = "https://www.entrack.fi/tilaa?email=matti@example.fi"
PERSONAL = (ADDRESS, "PersonalBrowser", "matti", TEST_SECRET)


@pytest.fixture
def app_config():
    return {"RATELIMIT_CONSENT": "2 per minute", "PROPAGATE_EXCEPTIONS": False}


@pytest.fixture
def logs(caplog):
    caplog.set_level(logging.DEBUG)
    return caplog


def visitor(client, body, **kwargs):
    return client.post("/api/v1/consents", json=body, headers={"User-Agent": USER_AGENT},
                       environ_base={"REMOTE_ADDR": ADDRESS}, **kwargs)


def everything_logged(caplog):
    text = "\n".join(caplog.text.splitlines())
    for record in caplog.records:
        if record.exc_info:
            text += "\n" + logging.Formatter().formatException(record.exc_info)
    return text


def assert_nothing_personal(text):
    for value in PERSONAL:
        assert value not in text


def test_stored_decisions_and_rate_limit_log_nothing_personal(client, consent_body, logs):
    consent_body["page_url"] = PAGE
    answers = [visitor(client, consent_body) for _ in range(3)]
    assert [a.status_code for a in answers] == [201, 201, 429]
    token = answers[0].get_json()["token"]
    client.get(f"/api/v1/consent-state?token={token}", environ_base={"REMOTE_ADDR": ADDRESS})
    assert_nothing_personal(everything_logged(logs))
    assert token not in everything_logged(logs)
    assert_nothing_personal(answers[2].get_data(as_text=True))


def test_database_outage_logs_and_answers_nothing_personal(make_app, tmp_path, consent_body, logs):
    app = make_app(uri=f"sqlite:///{tmp_path}/missing/dir/consent.sqlite3")
    response = visitor(app.test_client(), consent_body)
    assert response.status_code == 503
    assert_nothing_personal(response.get_data(as_text=True))
    assert_nothing_personal(everything_logged(logs))
    assert "unable to open" not in response.get_data(as_text=True)


def test_server_error_answer_names_no_cause(app, consent_body, logs):
    @app.get("/api/v1/explode")
    def explode():
        raise RuntimeError(f"failed for {ADDRESS}")

    response = app.test_client().get("/api/v1/explode")
    assert response.status_code == 500
    assert response.get_json() == {"error": "Internal server error."}


@pytest.mark.parametrize("bad", [
    {"site": "entrack", "page_url": "javascript:alert('matti')"},
    {"site": "nope-matti"},
])
def test_validation_errors_do_not_echo_secrets(client, consent_body, bad):
    consent_body.update(bad)
    response = visitor(client, consent_body)
    assert response.status_code == 422
    assert TEST_SECRET not in response.get_data(as_text=True)
    assert ADDRESS not in response.get_data(as_text=True)


def test_access_log_format_has_no_personal_fields():
    """gunicorn's access log: no client address, user agent, referrer or query string."""
    for field in ("%(h)s", "%(a)s", "%(f)s", "%(q)s", "%(r)s", "%({x-forwarded-for}i)s"):
        assert field not in gunicorn_config.access_log_format
    assert "%(U)s" in gunicorn_config.access_log_format
