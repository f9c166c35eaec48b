"""Gunicorn workers killed with SIGKILL during load: no acknowledged decision lost or stored twice.

Every worker is killed at once, twice, so that the one busy with a request is always among them.
The visitors retry a dropped connection with the same Idempotency-Key, as the banner does.
Runs on the session's database (SQLite file, or PostgreSQL when DATABASE_URL is set).
"""
import os
import signal

import pytest

from tests.support import load
from tests.support.servers import flask, service_env
from tests.support.waiting import wait_for

pytestmark = pytest.mark.slow
CLIENTS = 16
BETWEEN_KILLS = 25  # decisions acknowledged before the first kill and after each


@pytest.fixture
def server(gunicorn, database_uri):
    return gunicorn(service_env(database_uri), workers=2, threads=4)


def kill_every_worker(server):
    """SIGKILL to each of the master's workers; their pids."""
    victims = server.worker_pids()
    for pid in victims:
        os.kill(pid, signal.SIGKILL)
    return victims


def replaced(server, killed):
    """The master's workers once it has started two in place of the killed ones (at most 30 s)."""
    return wait_for(lambda: set(server.worker_pids()) - set(killed), lambda workers: len(workers) == 2, timeout=30)


def test_killed_workers_lose_nothing(server, database_uri):
    killed = []
    with load.running(server.url, clients=CLIENTS) as results:
        assert results.wait_for_acknowledged(BETWEEN_KILLS) >= BETWEEN_KILLS
        for _ in range(2):
            acknowledged = len(results.acknowledged)
            killed += kill_every_worker(server)
            assert len(replaced(server, killed)) == 2, server.log()
            expected = acknowledged + BETWEEN_KILLS
            assert results.wait_for_acknowledged(expected) >= expected, results.summary(1)
    assert results.errors == []
    assert any(isinstance(s, str) for s in results.statuses), "no request was cut by the kill"
    assert not [s for s in results.statuses if isinstance(s, int) and s >= 500], results.statuses
    problems, count = load.check_stored(results, database_uri)
    assert problems == []
    assert count >= len(results.acknowledged) >= 50
    assert count - len(results.acknowledged) <= 16  # at most one unanswered decision per visitor
    assert not set(killed) & set(server.worker_pids())
    assert len(server.worker_pids()) == 2  # the master replaced them
    assert "OK, " in flask(["consent", "verify"], server.env)
