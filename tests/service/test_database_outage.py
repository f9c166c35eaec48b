"""While the database is away, one request at a time tries it and the others answer 503 at once
(``database_outage.Outage``); a request that finds it answering ends the outage for all.

The gunicorn test with a database that really hangs is ``test_database_hang.py``.
"""
import os
import threading

import pytest
import sqlalchemy as sa

from consent_service import config, database_outage
from consent_service.database_outage import EXTENSION, Outage
from consent_service.extensions import db


def in_thread(function):
    """``function()``'s value, computed in another thread (another request's thread)."""
    result = []
    thread = threading.Thread(target=lambda: result.append(function()))
    thread.start()
    thread.join(5)
    return result[0]


def test_answering_database_admits_everyone():
    outage = Outage()
    assert outage.admit() and in_thread(outage.admit)


def test_after_a_failure_one_probe_goes_in_and_the_others_wait():
    outage = Outage()
    outage.failed()
    assert outage.admit()  # this thread is the probe
    assert outage.admit()  # and stays it
    assert in_thread(outage.admit) is False


def test_an_answered_probe_ends_the_outage():
    outage = Outage()
    outage.failed()
    assert outage.admit()
    outage.answered()
    outage.request_ended()
    assert outage.away is False
    assert in_thread(outage.admit)


def test_a_failed_probe_hands_the_turn_to_the_next_request():
    outage = Outage()
    outage.failed()
    assert outage.admit()
    outage.answered()  # a connection came back ...
    outage.failed()  # ... but the database failed it after all
    outage.request_ended()
    assert outage.away is True
    assert in_thread(outage.admit)  # the next request probes


def test_a_probe_that_used_no_database_frees_the_turn():
    outage = Outage()
    outage.failed()
    assert outage.admit()
    outage.request_ended()
    assert outage.away is True
    assert in_thread(outage.admit)


def test_a_probe_that_never_ends_loses_the_turn(monkeypatch):
    monkeypatch.setattr(database_outage, "PROBE_SECONDS", 0.0)
    outage = Outage()
    outage.failed()
    assert outage.admit()
    assert in_thread(outage.admit)


@pytest.fixture
def away(app):
    """The app's database marked away, with another request's thread holding the probe."""
    outage = app.extensions[EXTENSION]
    outage.failed()
    assert in_thread(outage.admit)
    return outage


def test_post_while_another_request_probes_is_503_at_once(client, consent_body, away):
    response = client.post("/api/v1/consents", json=consent_body)
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    assert response.get_json() == {"error": "The consent store is briefly unavailable; retry shortly."}


@pytest.mark.parametrize("path", ["/api/v1/consent-state?site=entrack", "/banner.js?site=entrack",
                                  "/privacy/entrack", "/"])
def test_paths_without_database_answer_while_it_is_away(client, away, path):
    assert client.get(path).status_code == 200


def test_a_page_that_reads_the_database_is_503_too(app, client, consent_body):
    """'Your consent' reads the history: while another request probes, it waits for none."""
    token = client.post("/api/v1/consents", json=consent_body).get_json()["token"]
    outage = app.extensions[EXTENSION]
    outage.failed()
    assert in_thread(outage.admit)
    client.set_cookie("consent_entrack", token)
    response = client.get("/my-consent?site=entrack")
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"


def test_a_request_ends_the_outage_once_the_database_answers(app, client, consent_body):
    outage = app.extensions[EXTENSION]
    outage.failed()
    assert client.post("/api/v1/consents", json=consent_body).status_code == 201  # this request probed
    assert outage.away is False
    assert in_thread(outage.admit)


def test_commands_are_never_held_back(app):
    outage = app.extensions[EXTENSION]
    outage.failed()
    assert in_thread(outage.admit)
    with app.app_context():
        assert database_outage.current_outage() is None
        with database_outage.bounded_waits():
            assert database_outage.current_outage() is outage


MACHINE_POSTGRES = "postgresql://postgres@127.0.0.1:5432/test"  # as tests/deploy: this case is PostgreSQL's


def test_a_connection_the_server_dropped_is_replaced_without_an_outage(make_app):
    """A pooled connection whose backend is gone (a PostgreSQL restart) fails its ping at once: it is
    replaced as before, the request succeeds and the database is not marked away. Only a wait that
    ran out, or a refused connection, says the database is away."""
    url = os.environ.get("DATABASE_URL", "")
    app = make_app(uri=config.database_uri(url if url.startswith("postgres") else MACHINE_POSTGRES, ""),
                   SQLALCHEMY_ENGINE_OPTIONS={"pool_size": 1, "max_overflow": 0})
    with app.test_request_context():
        pid = db.session.execute(sa.text("SELECT pg_backend_pid()")).scalar()
        db.session.remove()
        admin = sa.create_engine(db.engine.url, poolclass=sa.pool.NullPool)
        with admin.begin() as connection:
            assert connection.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}).scalar()
        admin.dispose()
        assert db.session.execute(sa.text("SELECT pg_backend_pid()")).scalar() != pid
        db.session.remove()
    assert app.extensions[EXTENSION].away is False
