"""PostgreSQL stopped during load: posting answers 503 with Retry-After within seconds, the
consent state keeps answering, and the service recovers without a restart.

Uses a throwaway PostgreSQL cluster of its own (never the shared one), deleted afterwards.
"""
import json
import time
import urllib.error
import urllib.request

import pytest

from tests.support import load
from tests.support.servers import PostgresCluster, flask, migrate, service_env
from tests.support.waiting import wait_for

pytestmark = pytest.mark.slow
ANSWER_WITHIN = 5.0  # seconds: a visitor's POST never hangs while the database is away
LOAD_BEFORE = 20  # decisions the load has stored before the outage, and again after it


def call(url, body=None, headers=None, timeout=15):
    """``(status, headers, json body, seconds)`` of one request; never raises for an HTTP status."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json", **(headers or {})})
    started = time.monotonic()
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            status, answer_headers, payload = response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        status, answer_headers, payload = error.code, error.headers, error.read()
    return status, answer_headers, json.loads(payload), time.monotonic() - started


@pytest.fixture
def cluster():
    with PostgresCluster() as running:
        yield running


@pytest.fixture
def server(cluster, gunicorn):
    env = service_env(cluster.url, DB_CONNECT_TIMEOUT=2, DB_POOL_TIMEOUT=2)
    migrate(env)
    return gunicorn(env, workers=2, threads=4)


def post(server, body, key):
    """A decision with its own Idempotency-Key, so that the exactly-once check covers it too."""
    return call(server.url + "/api/v1/consents", body, {"Idempotency-Key": key})


def test_database_outage_answers_503_and_recovers(cluster, server, consent_body):
    status, _, first, _ = post(server, consent_body, "test-first")
    assert status == 201
    state_url = f"{server.url}/api/v1/consent-state?site=entrack&token={first['token']}"
    workers = set(server.worker_pids())
    with load.running(server.url, clients=8) as results:
        assert results.wait_for_acknowledged(LOAD_BEFORE) >= LOAD_BEFORE
        try:
            cluster.stop("fast")
            down_at = time.monotonic()
            outage = [post(server, consent_body, f"test-outage-{n}") for n in range(4)]
            states = [call(state_url) for _ in range(3)]
            assert time.monotonic() - down_at < 4 * ANSWER_WITHIN + 3
        finally:
            cluster.start()
        for status, headers, body, seconds in outage:
            assert status == 503, body
            assert seconds < ANSWER_WITHIN
            assert int(headers["Retry-After"]) > 0
            assert body == {"error": "The consent store is briefly unavailable; retry shortly."}
        for status, _, body, seconds in states:
            assert (status, body["valid"], body["categories"]["analytics"]) == (200, True, True)
            assert seconds < 1

        recovered = wait_for(lambda: post(server, consent_body, "test-recovered")[0], lambda status: status == 201,
                             timeout=15)
        assert recovered == 201
        expected = len(results.acknowledged) + LOAD_BEFORE
        assert results.wait_for_acknowledged(expected) >= expected
    results.sent_keys |= {"test-first", "test-recovered", *(f"test-outage-{n}" for n in range(4))}
    assert results.errors == []
    assert set(server.worker_pids()) == workers  # recovered without a restart
    problems, _ = load.check_stored(results, cluster.url)
    assert problems == []
    assert "OK, " in flask(["consent", "verify"], server.env)
    assert "Traceback" not in server.log()
