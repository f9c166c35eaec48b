"""A stand-in third party on 127.0.0.2: an embed page like youtube-nocookie.com's, an image, and the log
of every request that reached it (what a provider would learn about the visitor)."""
import pytest

from tests.support.servers import serving

THIRD_PARTY_HOST = "127.0.0.2"
# A 1x1 transparent GIF: what a map tile or a tracking pixel would answer.
PIXEL = bytes.fromhex("47494638396101000100800000000000ffffff21f90401000000002c00000000010001000002024401003b")


class ThirdParty:
    """A WSGI app answering /embed/<id> with a small page and /image.gif with a pixel; it logs each path."""

    def __init__(self):
        self.requests = []
        self.origin = None

    def __call__(self, environ, start_response):
        path = environ["PATH_INFO"]
        self.requests.append(path)
        if path.startswith("/embed/"):
            body = (f"<!doctype html><title>Embedded video</title><body><p id=video>Video {path[7:]} playing"
                    "</p><script>document.cookie='VISITOR_INFO1_LIVE=x; SameSite=None; Secure';</script>").encode()
            start_response("200 OK", [("Content-Type", "text/html; charset=utf-8")])
            return [body]
        start_response("200 OK", [("Content-Type", "image/gif"), ("Cache-Control", "no-store")])
        return [PIXEL]

    def url(self, path):
        return self.origin + path


@pytest.fixture
def third_party():
    """The stand-in provider, on its own loopback address (another site than the host page and the service)."""
    app = ThirdParty()
    with serving(app, THIRD_PARTY_HOST) as origin:
        app.origin = origin
        yield app
