"""A gunicorn worker killed with SIGKILL during load: no acknowledged decision lost or stored twice.

The visitors retry a dropped connection with the same Idempotency-Key, as the banner does.
Runs on the session's database (SQLite file, or PostgreSQL when DATABASE_URL is set).
"""
import os
import signal
import threading
import time

import pytest

from bench import load
from bench.servers import Gunicorn, flask, service_env

pytestmark = pytest.mark.slow


@pytest.fixture
def server(database_uri, tmp_path):
    gunicorn = Gunicorn(service_env(database_uri), workers=2, threads=4, log_path=tmp_path / "gunicorn.log")
    try:
        yield gunicorn.start()
    finally:
        gunicorn.stop()


def test_killed_worker_loses_nothing(server, database_uri):
    background = {}
    loader = threading.Thread(target=lambda: background.update(results=load.run(server.url, clients=16, seconds=7)))
    loader.start()
    killed = []
    for _ in range(2):
        time.sleep(2)
        victim = server.worker_pids()[0]
        os.kill(victim, signal.SIGKILL)
        killed.append(victim)
    loader.join(90)
    results = background["results"]
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
