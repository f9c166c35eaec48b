"""Under gunicorn, 64 concurrent visitors for a few seconds: no 5xx, every acknowledged decision
stored exactly once, and the chain verifies. (The 60-second run is ``bench/soak.py``.)

Runs on the session's database: an SQLite file, or PostgreSQL when DATABASE_URL is set.
"""
import pytest

from tests.support import load
from tests.support.servers import flask, service_env

pytestmark = pytest.mark.slow
CLIENTS = 64
SECONDS = 6


@pytest.fixture
def server(gunicorn, database_uri):
    return gunicorn(service_env(database_uri, GUNICORN_ACCESS_LOG="-"), workers=2, threads=4)


def test_many_visitors_lose_nothing(server, database_uri):
    results = load.run(server.url, clients=CLIENTS, seconds=SECONDS)
    summary = results.summary(SECONDS)
    assert results.errors == [], summary
    assert not [status for status in results.statuses if isinstance(status, int) and status >= 500], summary
    print(summary)
    assert len(results.acknowledged) >= 50, summary
    problems, count = load.check_stored(results, database_uri)
    assert problems == []
    assert count == len(results.acknowledged)
    assert "OK, " in flask(["consent", "verify"], server.env)
    log = server.log()
    assert "Traceback" not in log
    assert '"POST /api/v1/consents HTTP/1.1" 201' in log
    assert "bench-load" not in log and "127.0.0.1 " not in log.replace(f"127.0.0.1:{server.port}", "")
