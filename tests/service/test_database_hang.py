"""A database that hangs (packets dropped, nothing refused): a POST answers 503 with Retry-After
within 5 s, and once the first request found the database away (within DB_ANSWER_TIMEOUT), the
paths that need no database (the consent-state check, banner.js, the privacy notice) answer at
their usual speed, even while more visitors post than gunicorn has threads.

On PostgreSQL the service reaches the database through a TCP proxy that turns into a black hole;
on SQLite another process holds the write lock. Served by gunicorn with the shipped configuration
and the default timeouts.
"""
import contextlib
import http.client
import json
import sqlite3
import threading
import time
from urllib.parse import urlsplit, urlunsplit

import pytest

from tests.support.servers import service_env
from tests.support.tcp_proxy import TcpProxy
from tests.support.waiting import wait_for

pytestmark = pytest.mark.slow
ANSWER_WITHIN = 5.0  # seconds, for a POST while the database hangs
QUICK = 1.5  # seconds: a path that needs no database, on a shared and busy CPU
POSTING_CLIENTS = 12  # more than the 2 workers x 4 threads
HANG_SECONDS = 8.0


@contextlib.contextmanager
def hangable(database_uri):
    """``(url for the service, hang, end)``: ``hang()`` makes the database stop answering."""
    if database_uri.startswith("sqlite"):
        path = database_uri.removeprefix("sqlite:///")
        holder = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        yield database_uri, lambda: holder.execute("BEGIN IMMEDIATE"), lambda: holder.execute("ROLLBACK")
        holder.close()
        return
    parts = urlsplit(database_uri)
    with TcpProxy(parts.hostname, parts.port or 5432) as proxy:
        netloc = f"{parts.username}@127.0.0.1:{proxy.port}" if parts.username else f"127.0.0.1:{proxy.port}"
        yield urlunsplit(parts._replace(netloc=netloc)), proxy.black_hole, proxy.restore


class Visitor:
    """One keep-alive connection; ``(status, headers, body, seconds)`` per request."""

    def __init__(self, url):
        parts = urlsplit(url)
        self.host, self.port = parts.hostname, parts.port
        self.connection = None

    def request(self, method, path, body=None, headers=None):
        if self.connection is None:
            self.connection = http.client.HTTPConnection(self.host, self.port, timeout=30)
        started = time.monotonic()
        try:
            self.connection.request(method, path, body=body, headers=headers or {})
            response = self.connection.getresponse()
            payload = response.read()
        except (OSError, http.client.HTTPException):
            self.connection.close()
            self.connection = None
            raise
        return response.status, dict(response.getheaders()), payload, time.monotonic() - started

    def close(self):
        if self.connection is not None:
            self.connection.close()


def post(visitor, consent_body):
    return visitor.request("POST", "/api/v1/consents", json.dumps(consent_body), {"Content-Type": "application/json"})


def keep_posting(url, consent_body, answers, stop):
    """A visitor posting until ``stop`` is set, with a short pause after each answer, as the banner."""
    visitor = Visitor(url)
    try:
        while not stop.is_set():
            answers.append(post(visitor, consent_body))
            stop.wait(0.1)
    finally:
        visitor.close()


def test_hanging_database_answers_503_quickly_and_spares_other_paths(gunicorn, database_uri, consent_body):
    with contextlib.ExitStack() as stack:
        url, hang, end = stack.enter_context(hangable(database_uri))
        server = gunicorn(service_env(url), workers=2, threads=4)
        visitor = stack.enter_context(contextlib.closing(Visitor(server.url)))
        status, _, body, _ = post(visitor, consent_body)
        assert status == 201
        token = json.loads(body)["token"]
        quick_paths = [f"/api/v1/consent-state?site=entrack&token={token}", "/banner.js?site=entrack",
                       "/privacy/entrack"]
        answers, stop = [], threading.Event()
        hang()
        try:
            posters = [threading.Thread(target=keep_posting, args=(server.url, consent_body, answers, stop))
                       for _ in range(POSTING_CLIENTS)]
            for thread in posters:
                thread.start()
            # Until the first request finds the database away (within DB_ANSWER_TIMEOUT), the posts
            # may hold every thread; from then on they are refused at once.
            assert wait_for(lambda: len(answers), timeout=ANSWER_WITHIN + 5) > 0
            deadline = time.monotonic() + HANG_SECONDS
            quick = []
            while time.monotonic() < deadline:
                quick += [(path, *visitor.request("GET", path)) for path in quick_paths]
            stop.set()
            for thread in posters:
                thread.join(30)
        finally:
            end()
        assert len(answers) >= POSTING_CLIENTS
        slowest = max(seconds for *_, seconds in answers)
        assert {status for status, *_ in answers} == {503}, answers[:3]
        assert slowest < ANSWER_WITHIN
        assert {headers.get("Retry-After") for _, headers, *_ in answers} == {"5"}
        assert all(json.loads(payload) == {"error": "The consent store is briefly unavailable; retry shortly."}
                   for *_, payload, _ in answers)
        assert {status for _, status, *_ in quick} == {200}
        assert max(seconds for *_, seconds in quick) < QUICK, sorted(s for *_, s in quick)[-5:]
        assert json.loads(quick[0][3])["valid"] is True

        recovered = wait_for(lambda: post(visitor, consent_body)[0], lambda status: status == 201, timeout=30)
        assert recovered == 201
        log = server.log()
        assert "Exception on /" not in log and "unhandled error" not in log  # no request failed with a 500
        print(f"posts while hanging: {len(answers)}, slowest {slowest:.2f} s; quick paths: {len(quick)}, "
              f"slowest {max(s for *_, s in quick):.3f} s")
