"""Production serving: gunicorn with the shipped configuration, behind a reverse proxy, and N
stateless instances sharing one database with the chain intact."""
import socket
import threading

import pytest
import sqlalchemy as sa

from consent_service import config

from tests.support import load
from tests.support.servers import flask, migrate, service_env

pytestmark = pytest.mark.slow


def ip_prefixes(database_url):
    engine = sa.create_engine(config.database_uri(database_url, ""), poolclass=sa.pool.NullPool)
    with engine.connect() as connection:
        rows = connection.execute(sa.text("SELECT ip_prefix FROM consent_records ORDER BY seq")).scalars().all()
    engine.dispose()
    return rows


def post_decision(url, **headers):
    client = load.Client(url, timeout=10)
    body = load.json.dumps(load.decision())
    try:
        return client.request("POST", "/api/v1/consents", body, {"Content-Type": "application/json", **headers})
    finally:
        client.close()


def test_fresh_database_migrated_once_then_served(gunicorn, tmp_path):
    env = service_env(f"sqlite:///{tmp_path / 'fresh.sqlite3'}")
    migrate(env)
    server = gunicorn(env, workers=2, threads=2)
    status, headers, _ = post_decision(server.url)
    assert status == 201
    assert headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize(("proxies", "expected"), [(1, "203.0.113.0/24"), (0, "127.0.0.0/24")])
def test_visitor_address_behind_proxy(gunicorn, database_uri, proxies, expected):
    """Only a configured proxy's X-Forwarded-For is believed; the stored address is truncated."""
    server = gunicorn(service_env(database_uri, PROXY_FIX_X_FOR=proxies), workers=1, threads=2)
    status, headers, _ = post_decision(server.url, **{"X-Forwarded-For": "203.0.113.77",
                                                      "X-Forwarded-Proto": "https"})
    assert status == 201
    assert ("Strict-Transport-Security" in headers) is bool(proxies)
    assert ip_prefixes(database_uri) == [expected]


def test_oversized_body_is_refused_from_content_length(gunicorn, database_uri):
    server = gunicorn(service_env(database_uri), workers=1, threads=2)
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
        sock.sendall(b"POST /api/v1/consents HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                     b"Content-Length: 104857600\r\n\r\n{")
        answer = b""
        while b'"error"' not in answer:
            chunk = sock.recv(4096)
            if not chunk:
                break
            answer += chunk
        answer = answer.decode()
    assert answer.startswith("HTTP/1.1 413")
    assert '"error"' in answer


def test_two_instances_share_one_database(gunicorn, database_uri):
    """Two stateless instances on different ports, one database: one intact chain, nothing lost."""
    env = service_env(database_uri)
    first, second = gunicorn(env, workers=1, threads=4), gunicorn(env, workers=1, threads=4)
    assert first.port != second.port
    results = {}
    threads = [threading.Thread(target=lambda s=s: results.update({s.port: load.run(s.url, clients=8, seconds=4)}))
               for s in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    combined = load.Results()
    for part in results.values():
        assert part.errors == [] and len(part.acknowledged) > 10
        combined.acknowledged.update(part.acknowledged)
        combined.sent_keys |= part.sent_keys
    problems, count = load.check_stored(combined, database_uri)
    assert problems == []
    assert count == len(combined.acknowledged)
    assert "OK, " in flask(["consent", "verify"], env)
