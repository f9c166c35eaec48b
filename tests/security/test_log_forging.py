"""Log lines cannot be forged: a request path holding a line break, NUL or another control character is
escaped in gunicorn's access log and in the service's own log lines, so that every request is one line."""
import logging
import socket

import pytest

from consent_service.log_text import escaped

from tests.support.servers import service_env

FORGED = '"GET /admin HTTP/1.1" 200 0 0.000001s'
PATHS = [
    ("/x%0A" + FORGED.replace(" ", "%20").replace('"', "%22"), "\\x0a"),
    ("/x%0D%0A" + FORGED.replace(" ", "%20").replace('"', "%22"), "\\x0d\\x0a"),
    ("/x%00hidden", "\\x00"),
    ("/x%1B%5B2Kerased", "\\x1b"),
    ("/x%E2%80%A8after", "\\x80"),  # WSGI paths are bytes as Latin-1: U+2028's bytes hold a C1 control
    ("/x%5Cx0a", "\\\\x0a"),  # a literal backslash stays distinguishable from an escape
]


def raw_get(url, path):
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode("ascii"))
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    return answer


@pytest.mark.slow
def test_gunicorn_access_log_escapes_control_characters(gunicorn, database_uri):
    server = gunicorn(service_env(database_uri, GUNICORN_ACCESS_LOG="-"), workers=1, threads=2)
    for path, _ in PATHS:
        assert raw_get(server.url, path).startswith(b"HTTP/1.1 404")
    server.stop()
    lines = [line for line in server.log().splitlines() if line.startswith('"GET /x')]
    assert len(lines) == len(PATHS)  # one line per request, whatever its path held
    for line, (_, shown) in zip(lines, PATHS):
        assert shown in line
        assert line.endswith("s") and '" 404 ' in line
    assert not any(line.startswith(FORGED) for line in server.log().splitlines())
    assert "\x00" not in server.log() and "\x1b" not in server.log()


@pytest.mark.parametrize(("text", "shown"), [
    ("a\nb", "a\\x0ab"), ("a\r\nb", "a\\x0d\\x0ab"), ("a\x00b", "a\\x00b"), ("a\u2028b", "a\\u2028b"),
    ("a\\nb", "a\\\\nb"), ("a\x85b", "a\\x85b"), ("plain /path?q=1", "plain /path?q=1"),
])
def test_escaped(text, shown):
    assert escaped(text) == shown


def test_service_log_lines_of_a_failed_request_are_one_line_each(app, caplog):
    app.config["PROPAGATE_EXCEPTIONS"] = False

    @app.before_request
    def explode():
        raise RuntimeError("boom")

    caplog.set_level(logging.ERROR)
    response = app.test_client().get("/api/v1/explode/x%0A" + FORGED.replace(" ", "%20").replace('"', "%22"))
    assert response.status_code == 500
    messages = [record.getMessage() for record in caplog.records]
    assert messages and all("\n" not in message for message in messages)
    assert any("\\x0a" in message for message in messages)
