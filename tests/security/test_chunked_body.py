"""A chunked request body over the 16 KB limit answers 413 (JSON), as one with a Content-Length does;
werkzeug alone would cut it at 16 KB and let the view parse the cut. Against gunicorn, raw sockets."""
import json
import socket

import pytest

from tests.support.servers import service_env

pytestmark = pytest.mark.slow
LIMIT = 16 * 1024


@pytest.fixture
def server(gunicorn, database_uri):
    return gunicorn(service_env(database_uri), workers=1, threads=2)


def padded(body, size):
    """``body`` as JSON followed by spaces up to ``size`` bytes: still valid JSON when whole, and also
    when cut anywhere past the object."""
    text = json.dumps(body).encode()
    return text + b" " * (size - len(text))


def chunked_post(url, path, body, chunk=4000):
    """POST ``body`` with Transfer-Encoding: chunked; ``(status, json)``."""
    host, port = url.removeprefix("http://").split(":")
    chunks = b"".join(b"%x\r\n%s\r\n" % (len(body[i:i + chunk]), body[i:i + chunk]) for i in range(0, len(body), chunk))
    request = (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
               "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n").encode() + chunks + b"0\r\n\r\n"
    with socket.create_connection((host, int(port)), timeout=15) as sock:
        sock.sendall(request)
        answer = b""
        while part := sock.recv(65536):
            answer += part
    head, _, payload = answer.partition(b"\r\n\r\n")
    return int(head.split()[1]), json.loads(payload)


@pytest.mark.parametrize(("size", "status"), [(2000, 201), (LIMIT, 201), (LIMIT + 1, 413), (20000, 413),
                                              (200_000, 413)])
def test_chunked_decision_is_measured_whole(server, consent_body, size, status):
    answer_status, answer = chunked_post(server.url, "/api/v1/consents", padded(consent_body, size))
    assert answer_status == status, answer
    if status == 413:
        assert answer == {"error": f"The request body is larger than {LIMIT} bytes."}


@pytest.mark.parametrize(("size", "status"), [(LIMIT, 200), (LIMIT + 1, 413)])
def test_chunked_state_question_is_measured_whole(server, size, status):
    answer_status, answer = chunked_post(server.url, "/api/v1/consent-state/verify", padded({"token": "a.b.c"}, size))
    assert answer_status == status, answer
