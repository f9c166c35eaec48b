"""SQLite lock contention: a writer waits for the lock; past the busy timeout the visitor gets a 503
with Retry-After, never a 500 or the database's own message. Always on an SQLite file of its own.
"""
import sqlite3
import threading
import time

import pytest
from flask_migrate import upgrade


@pytest.fixture
def sqlite_app(make_app, tmp_path, monkeypatch):
    """An app on an SQLite file of its own, migrated, with this busy timeout (seconds)."""
    def make(busy_timeout):
        monkeypatch.setenv("SQLITE_BUSY_TIMEOUT", str(busy_timeout))
        app = make_app(uri=f"sqlite:///{tmp_path / 'consent.sqlite3'}", RATELIMIT_CONSENT="1000 per minute")
        with app.app_context():
            upgrade()
        return app

    return make


def hold_write_lock(path, seconds):
    """Another process's writer: holds SQLite's write lock in a thread until ``release()`` is called or
    ``seconds`` have passed; returns ``(thread, release)`` once the lock is held."""
    locked, released = threading.Event(), threading.Event()

    def holder():
        connection = sqlite3.connect(path, timeout=0, isolation_level=None)
        try:
            connection.execute("BEGIN IMMEDIATE")
            locked.set()
            released.wait(seconds)  # the other writer's transaction: its length is what the tests vary
            connection.execute("ROLLBACK")
        finally:
            connection.close()

    thread = threading.Thread(target=holder)
    thread.start()
    locked.wait(5)
    return thread, released.set


def test_writer_waits_for_the_lock(sqlite_app, tmp_path, consent_body):
    client = sqlite_app(busy_timeout=10).test_client()
    holder, _ = hold_write_lock(tmp_path / "consent.sqlite3", 1.0)
    started = time.monotonic()
    response = client.post("/api/v1/consents", json=consent_body)
    holder.join()
    assert response.status_code == 201
    assert time.monotonic() - started >= 0.8


def test_lock_past_busy_timeout_is_503_with_retry_after(sqlite_app, tmp_path, consent_body):
    client = sqlite_app(busy_timeout=0.3).test_client()
    holder, release = hold_write_lock(tmp_path / "consent.sqlite3", 10.0)
    started = time.monotonic()
    response = client.post("/api/v1/consents", json=consent_body)
    elapsed = time.monotonic() - started
    release()
    holder.join()
    assert response.status_code == 503
    assert int(response.headers["Retry-After"]) > 0
    assert response.get_json() == {"error": "The consent store is briefly unavailable; retry shortly."}
    assert elapsed < 2
    assert client.post("/api/v1/consents", json=consent_body).status_code == 201
    assert client.get("/api/v1/consent-state").status_code == 200


def test_concurrent_writers_in_threads_all_succeed(sqlite_app, consent_body):
    app = sqlite_app(busy_timeout=15)
    statuses = []

    def visitor():
        client = app.test_client()
        for _ in range(10):
            statuses.append(client.post("/api/v1/consents", json=consent_body).status_code)

    threads = [threading.Thread(target=visitor) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert statuses == [201] * 80
