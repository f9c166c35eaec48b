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
    assert status == 200 and b"evil.example" not in page and b"//127.0.0.1/banner.js" in page
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
])
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
