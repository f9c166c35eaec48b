"""Small web servers for the scanner's tests and benchmark: sites on 127.0.0.1 (each its own port, so its
own origin) that embed the real banner from a live consent service, and a third party on 127.0.0.2.

A page is a function of the servers' addresses, so that the HTML can name the service and the third
party. Handlers that never answer wait on the server's ``closing`` event, bounded, so that shutting the
server down ends them.
"""
import threading
from dataclasses import dataclass, field

from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from consent_service.sites import DEFAULT_FILE

SHIPPED_ORIGINS = 'origins = ["https://www.entrack.fi", "https://entrack.fi"]'
HANG_SECONDS = 60
THIRD_PARTY_HOST = "127.0.0.2"


@dataclass
class Addresses:
    """Where things are: the consent service and the third party."""

    service: str = ""
    third: str = ""


class FixtureServer:
    """A WSGI server on ``host`` answering paths from ``routes``: ``path -> callable(request, addresses)``
    returning a Response (or a str of HTML)."""

    def __init__(self, routes, addresses, host="127.0.0.1"):
        self.routes = routes
        self.addresses = addresses
        self.seen = []
        self.closing = threading.Event()
        self.server = make_server(host, 0, self._app, threaded=True)
        self.origin = f"http://{host}:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def _app(self, environ, start_response):
        request = Request(environ)
        self.seen.append(request.full_path.rstrip("?"))
        route = self.routes.get(request.path)
        if route is None:
            response = Response("not found", status=404)
        else:
            response = route(request, self)
            if isinstance(response, str):
                response = Response(response, content_type="text/html; charset=utf-8")
        response.headers["Cache-Control"] = "no-store"
        return response(environ, start_response)

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.closing.set()
        self.server.shutdown()
        self.thread.join(timeout=5)


def hang(request, server):
    """A response that never comes (until the server shuts down, or a minute)."""
    server.closing.wait(HANG_SECONDS)
    return Response("", status=204)


def javascript(text, cookies=()):
    """A route answering ``text`` as JavaScript, with optional Set-Cookie lines."""
    def route(request, server):
        response = Response(text.format(third=server.addresses.third, service=server.addresses.service),
                            content_type="text/javascript")
        for line in cookies:
            response.headers.add("Set-Cookie", line)
        return response
    return route


def html(template, cookies=()):
    """A route answering ``template`` (formatted with ``{service}``, ``{third}``, ``{origin}``) as HTML."""
    def route(request, server):
        body = template.format(service=server.addresses.service, third=server.addresses.third, origin=server.origin)
        response = Response(body, content_type="text/html; charset=utf-8")
        for line in cookies:
            response.headers.add("Set-Cookie", line)
        return response
    return route


def sitemap(*paths):
    """A route answering a sitemap of ``paths`` on the server's own origin."""
    def route(request, server):
        urls = "".join(f"<url><loc>{server.origin}{path}</loc></url>" for path in paths)
        return Response('<?xml version="1.0" encoding="UTF-8"?><urlset '
                        f'xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>',
                        content_type="application/xml")
    return route


def sites_toml(origins_by_key):
    """A sites file with one copy of the shipped site per key, each on its own origins."""
    shipped = DEFAULT_FILE.read_text(encoding="utf-8")
    assert SHIPPED_ORIGINS in shipped
    blocks = []
    for key, origins in origins_by_key.items():
        listed = ", ".join(f'"{origin}"' for origin in origins)
        blocks.append(shipped.replace(SHIPPED_ORIGINS, f"origins = [{listed}]").replace("entrack", key))
    return "\n".join(blocks)


@dataclass
class Fixtures:
    """Running fixture sites by key, the third party, and the shared addresses."""

    addresses: Addresses
    third: FixtureServer
    sites: dict = field(default_factory=dict)

    def stop(self):
        for server in [*self.sites.values(), self.third]:
            server.stop()


def start_fixtures(site_routes, third_routes):
    """Start the third party and one server per site (``{key: routes}``); the service address is set later."""
    addresses = Addresses()
    third = FixtureServer(third_routes, addresses, host=THIRD_PARTY_HOST).start()
    addresses.third = third.origin
    sites = {key: FixtureServer(routes, addresses).start() for key, routes in site_routes.items()}
    return Fixtures(addresses=addresses, third=third, sites=sites)
