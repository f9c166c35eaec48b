"""deploy/'s recipe on loopback (tests/deploy/conftest.py): nginx with the shipped site file in front of two
gunicorn instances started by the shipped unit's command, on PostgreSQL.

What a hosting team relies on: the visitor's address, scheme and host come from nginx and from no one
else; banner.js passes gzip, ETag and Cache-Control through and is cached; bad requests get JSON errors
from nginx; with an instance killed by SIGKILL under 64 visitors nothing acknowledged is lost or stored
twice and the consent-state check keeps answering; slow-header clients starve nothing.
"""
import gzip
import http.client
import json
import socket
import ssl
import threading
import time
import uuid

import pytest
import sqlalchemy as sa

from consent_service import config

from tests.support import load
from tests.support.servers import flask
from tests.support.waiting import wait_for

pytestmark = pytest.mark.slow
STATE = "/api/v1/consent-state"


def request(url, method, path, body=None, headers=None, source=None, cafile=None, timeout=10):
    """One request on a new connection: ``(status, headers, body)``; ``source``: the client's address."""
    scheme, _, address = url.partition("://")
    host, port = address.split(":")
    options = {"timeout": timeout, "source_address": (source, 0) if source else None}
    if scheme == "https":
        connection = http.client.HTTPSConnection(host, int(port), context=ssl.create_default_context(cafile=cafile),
                                                 **options)
    else:
        connection = http.client.HTTPConnection(host, int(port), **options)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.headers, response.read()
    finally:
        connection.close()


def post_decision(url, **options):
    """Post one decision; its answer as ``(status, headers, json)``."""
    headers = {"Content-Type": "application/json", **options.pop("headers", {})}
    status, answer_headers, body = request(url, "POST", "/api/v1/consents", json.dumps(load.decision()),
                                           headers, **options)
    return status, answer_headers, json.loads(body)


@pytest.fixture(scope="module")
def token(deployment):
    """A visitor's consent token, for consent-state checks."""
    status, _, body = post_decision(deployment.nginx.url)
    assert status == 201, body
    return body["token"]


def stored_ip_prefix(database_uri, consent_id):
    engine = sa.create_engine(config.database_uri(database_uri, ""), poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as connection:
            return connection.execute(sa.text("SELECT ip_prefix FROM consent_records WHERE consent_id = :id"),
                                      {"id": consent_id}).scalar_one()
    finally:
        engine.dispose()


def test_address_scheme_and_host_are_nginx_s(deployment, token):
    """What a client claims in X-Forwarded-* is overwritten: the stored network is the connection's,
    https (and HSTS) only on nginx's TLS server, and a request naming another host is closed unanswered."""
    forged = {"X-Forwarded-For": "203.0.113.77", "X-Forwarded-Proto": "https", "X-Forwarded-Host": "evil.example"}
    status, headers, body = post_decision(deployment.nginx.url, headers=forged, source="127.0.5.9")
    assert status == 201, body
    assert stored_ip_prefix(deployment.database_uri, body["consent_id"]) == "127.0.5.0/24"
    assert "Strict-Transport-Security" not in headers
    status, headers, _ = request(deployment.nginx.https_url, "GET", f"{STATE}?token={token}",
                                 cafile=deployment.nginx.certificate)
    assert status == 200 and headers["Strict-Transport-Security"].startswith("max-age=")
    status, _, page = request(deployment.nginx.url, "GET", "/demo", headers=forged)
    assert status == 200 and b"evil.example" not in page and f"{deployment.nginx.url}/banner.js".encode() in page
    with pytest.raises((http.client.RemoteDisconnected, ConnectionResetError)):
        request(deployment.nginx.url, "GET", "/", headers={"Host": "evil.example"})


def test_banner_passes_gzip_etag_and_cache_control_and_is_cached(deployment):
    path = f"/banner.js?site=entrack&v={uuid.uuid4().hex}"  # a cache entry of this test's own
    instance = next(iter(deployment.instances.values())).url
    for encoding in ("gzip", "identity"):
        direct = request(instance, "GET", path, headers={"Accept-Encoding": encoding})
        first, second = (request(deployment.nginx.url, "GET", path, headers={"Accept-Encoding": encoding})
                         for _ in range(2))
        for status, headers, body in (first, second):
            assert status == 200 and body == direct[2]
            for name in ("ETag", "Cache-Control", "Vary", "Content-Type", "Cross-Origin-Resource-Policy"):
                assert headers[name] == direct[1][name], name
            assert headers.get("Content-Encoding") == direct[1].get("Content-Encoding")
        assert (first[1]["X-Cache-Status"], second[1]["X-Cache-Status"]) == ("MISS", "HIT")
    assert first[1].get("Content-Encoding") is None and b"consent" in first[2]  # the plain copy, stored apart
    status, headers, body = request(deployment.nginx.url, "GET", path,
                                    headers={"Accept-Encoding": "gzip", "If-None-Match": direct_etag(instance, path)})
    assert (status, headers["X-Cache-Status"], body) == (304, "HIT", b"")
    status, headers, body = request(deployment.nginx.url, "GET", "/api/v1/openapi.json",
                                    headers={"Accept-Encoding": "gzip"})
    assert status == 200 and headers["Content-Encoding"] == "gzip" and json.loads(gzip.decompress(body))


def direct_etag(instance, path):
    return request(instance, "GET", path, headers={"Accept-Encoding": "gzip"})[1]["ETag"]


OVERSIZED = b'{"site": "' + b"x" * 17000 + b'"}'


def chunked(body):
    return b"".join(b"%x\r\n%s\r\n" % (len(part), part) for part in (body[:9000], body[9000:])) + b"0\r\n\r\n"


@pytest.mark.parametrize(("head", "body", "status"), [
    (b"Content-Length: %d\r\n" % len(OVERSIZED), OVERSIZED, 413),
    (b"Transfer-Encoding: chunked\r\n", chunked(OVERSIZED), 413),
    (b"Content-Length: 2\r\nBad header line\r\n", b"{}", 400),
], ids=["oversized", "oversized-chunked", "malformed-header"])
def test_bad_requests_get_json_errors_from_nginx(deployment, head, body, status):
    with socket.create_connection(("127.0.0.1", deployment.nginx.http_port), timeout=10) as sock:
        sock.sendall(b"POST /api/v1/consents HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                     + head + b"\r\n" + body)
        response = http.client.HTTPResponse(sock)
        response.begin()
        answer = response.read()
    assert response.status == status
    assert response.headers["Content-Type"] == "application/json"
    assert json.loads(answer)["error"]


LOAD_CLIENTS = 64
LOAD_SECONDS = 30
BETWEEN_STEPS = 50  # decisions acknowledged before the kill, and again with one instance down


class StateChecks:
    """Tag managers asking the consent-state check through nginx, each every 0.1 s on a new connection,
    until stopped: each answer (or failure) with the time it was asked."""

    def __init__(self, url, token, askers=3):
        self.url, self.path = url, f"{STATE}?token={token}&site=entrack"
        self.answers = []  # (asked at, status or exception name, valid)
        self.stop = threading.Event()
        self.threads = [threading.Thread(target=self._run, daemon=True) for _ in range(askers)]

    def _run(self):
        while not self.stop.is_set():
            asked = time.monotonic()
            try:
                status, _, body = request(self.url, "GET", self.path, timeout=10)
                self.answers.append((asked, status, json.loads(body).get("valid")))
            except (OSError, http.client.HTTPException) as error:
                self.answers.append((asked, type(error).__name__, None))
            self.stop.wait(0.1)

    def between(self, start, end):
        return [answer for answer in self.answers if start <= answer[0] <= end]

    def __enter__(self):
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        for thread in self.threads:
            thread.join(30)


def answered_by(nginx, port):
    """How many requests nginx's access log shows answered by the instance on ``port`` alone."""
    mark = f"upstream=127.0.0.1:{port} upstream_status=2"
    return sum(mark in line for line in nginx.access_lines())


def test_instance_killed_under_load_loses_nothing(deployment, token):
    """64 visitors post for 30 s; one instance is killed with SIGKILL, then started again as systemd
    would. Every acknowledged decision is stored exactly once, the chain verifies, and the consent-state
    check answered throughout."""
    # The running instances remember the policy snapshots they stored (never deleted in production).
    deployment.databases.fresh(keep=("policy_snapshots",))
    victim = deployment.ports[0]
    results = load.Results()
    loader = threading.Thread(target=load.run, args=(deployment.nginx.url,),
                              kwargs={"clients": LOAD_CLIENTS, "seconds": LOAD_SECONDS, "results": results})
    with StateChecks(deployment.nginx.url, token) as checks:
        loader.start()
        assert results.wait_for_acknowledged(BETWEEN_STEPS, timeout=30) >= BETWEEN_STEPS, results.summary(1)
        killed_at = time.monotonic()
        deployment.kill_instance(victim)
        expected = len(results.acknowledged) + BETWEEN_STEPS
        assert results.wait_for_acknowledged(expected, timeout=30) >= expected, results.summary(1)
        before = answered_by(deployment.nginx, victim)
        deployment.start_instance(victim)
        back_at = time.monotonic()
        rejoined = wait_for(lambda: answered_by(deployment.nginx, victim), lambda n: n > before, timeout=40)
        loader.join(LOAD_SECONDS + 120)
    summary = results.summary(LOAD_SECONDS)
    down = checks.between(killed_at, back_at)
    print(summary, f"state checks: {len(checks.answers)}, {len(down)} with the instance down")
    assert rejoined > before, "nginx never sent the restarted instance a request"
    assert results.errors == [], summary
    # 502: nginx, for a request the kill cut; 503: the service's own "retry shortly" (a database wait past
    # DB_ANSWER_TIMEOUT, e.g. a slow fsync on a busy machine). Each with Retry-After, retried with its key.
    assert set(s for s in results.statuses if isinstance(s, int)) <= {201, 502, 503}, summary
    assert None not in results.retry_after
    assert results.statuses[502] >= 1, f"the kill cut no request in flight: {summary}"
    problems, count = load.check_stored(results, deployment.database_uri)
    assert problems == []
    assert count == len(results.acknowledged)
    assert "OK, " in flask(["consent", "verify"], deployment.env)
    assert down, "no consent-state check while the instance was down"
    assert {(status, valid) for _, status, valid in checks.answers} == {(200, True)}


SLOW_CLIENTS = 32  # four times one instance's threads; twelve starved a bare instance (issue 12)
SLOW_HEADER = b"GET /api/v1/consent-state HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + b"s" * 64 + b"\r\n\r\n"
HEADER_TIMEOUT = 10  # client_header_timeout in deploy/nginx


class SlowHeaders:
    """Clients that send their request header one byte every 2 s; when nginx closed each connection."""

    def __init__(self, port, count):
        self.sockets = [socket.create_connection(("127.0.0.1", port), timeout=5) for _ in range(count)]
        self.opened = time.monotonic()
        self.sent = [0] * count
        self.closed = [None] * count
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self.stop.is_set() and None in self.closed:
            for number, sock in enumerate(self.sockets):
                if self.closed[number] is None:
                    self._send_byte(number, sock)
            self.stop.wait(2)

    def _send_byte(self, number, sock):
        try:
            sock.setblocking(False)
            if sock.recv(1024) == b"":
                raise ConnectionResetError
        except BlockingIOError:
            pass  # still open, nothing to read
        except OSError:
            self.closed[number] = time.monotonic()
            return
        try:
            sock.sendall(SLOW_HEADER[self.sent[number]:self.sent[number] + 1])
            self.sent[number] += 1
        except OSError:
            self.closed[number] = time.monotonic()

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join(10)
        for sock in self.sockets:
            sock.close()


def check_state_at_once(url, token, count):
    """``count`` consent-state checks sent together: each one's answer and the time it came."""
    answers = [None] * count

    def ask(number):
        status, _, body = request(url, "GET", f"{STATE}?token={token}", timeout=8)
        answers[number] = (status, json.loads(body)["valid"], time.monotonic())

    load.in_threads(ask, [(n,) for n in range(count)], timeout=15)
    return answers


def test_slow_header_clients_starve_nothing(deployment, token):
    """While 32 clients trickle their headers (more than both instances have threads), consent-state
    checks answer through nginx; nginx closes the slow clients after client_header_timeout."""
    with SlowHeaders(deployment.nginx.http_port, SLOW_CLIENTS) as slow:
        assert wait_for(lambda: min(slow.sent), lambda sent: sent >= 2, timeout=15) >= 2
        answers = check_state_at_once(deployment.nginx.url, token, 16)
        assert None not in wait_for(lambda: list(slow.closed), lambda closed: None not in closed,
                                    timeout=HEADER_TIMEOUT + 15)
    assert [(status, valid) for status, valid, _ in answers] == [(200, True)] * 16
    assert max(at for _, _, at in answers) < min(slow.closed), "a slow client was closed before the checks ended"
    assert max(slow.closed) - slow.opened < HEADER_TIMEOUT + 5
    assert max(slow.sent) < len(SLOW_HEADER)
