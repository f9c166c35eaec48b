"""Shared pieces of the banner's browser tests: a plain host page on another origin, a sites file
that allows it, and readers for what a tracker or the ledger would see.

Test modules import the fixtures they use (``from .banner_pages import app_config, host``).
"""
import threading
import time

import pytest
from sqlalchemy import select
from werkzeug.serving import make_server

from consent_service.extensions import db
from consent_service.ledger.models import ConsentRecord
from consent_service.sites import DEFAULT_FILE

# A host with a parent domain, answered by Playwright's routing (no DNS, no network).
NAMED_HOST = "http://www.entrack.test"
SHIPPED_ORIGINS = 'origins = ["https://www.entrack.fi", "https://entrack.fi"]'
# Google's Consent Mode commands and the dataLayer, as plain JSON (gtag pushes `arguments` objects).
READ_DATALAYER = """() => (window.dataLayer || []).map(
    (entry) => entry && typeof entry === 'object' && !Array.isArray(entry) && 'length' in entry
        ? Array.from(entry) : entry)"""
# Layout shifts of the host page and CSP violations, recorded from the first byte.
WATCH_PAGE = """
window.__shifts = 0; window.__violations = [];
new PerformanceObserver((list) => { for (const e of list.getEntries()) window.__shifts += e.value; })
    .observe({type: 'layout-shift', buffered: true});
document.addEventListener('securitypolicyviolation', (e) => window.__violations.push(e.violatedDirective + ' ' + e.blockedURI));
"""


class HostPages:
    """A WSGI app serving pages registered by path, each with an optional Content-Security-Policy."""

    def __init__(self):
        self.pages = {}
        self.origin = None

    def __call__(self, environ, start_response):
        page = self.pages.get(environ["PATH_INFO"])
        if page is None:
            start_response("404 Not Found", [("Content-Type", "text/plain")])
            return [b"not found"]
        html, csp = page
        headers = [("Content-Type", "text/html; charset=utf-8"), ("Cache-Control", "no-store")]
        if csp:
            headers.append(("Content-Security-Policy", csp))
        start_response("200 OK", headers)
        return [html.encode()]

    def add(self, path, html, csp=None):
        """Serve ``html`` at ``path``; return its address."""
        self.pages[path] = (html, csp)
        return self.origin + path


def host_page(service, head="", body="", lang="en", attrs=""):
    """A plain page that embeds the banner with the one tag, first in its head."""
    return (
        f'<!doctype html><html lang="{lang}"><head>'
        f'<script src="{service}/banner.js" data-site="entrack"{attrs}></script>'
        f'<meta charset="utf-8"><title>Host page</title>{head}</head>'
        f'<body><main><h1>A host page</h1><p>Its own content.</p>{body}</main></body></html>'
    )


@pytest.fixture
def host():
    """Plain pages on another origin (another port of 127.0.0.1) than the consent service."""
    pages = HostPages()
    server = make_server("127.0.0.1", 0, pages, threaded=True)
    pages.origin = f"http://127.0.0.1:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield pages
    server.shutdown()
    thread.join(timeout=5)


@pytest.fixture
def sites_toml(host):
    """The shipped sites file with the host pages' origin allowed; tests may change more of it."""
    text = DEFAULT_FILE.read_text(encoding="utf-8")
    assert SHIPPED_ORIGINS in text
    return text.replace(SHIPPED_ORIGINS, f'origins = ["https://www.entrack.fi", "{host.origin}", "{NAMED_HOST}"]')


@pytest.fixture
def app_config(sites_toml, tmp_path):
    """The app of these tests reads the sites file above."""
    path = tmp_path / "sites.toml"
    path.write_text(sites_toml, encoding="utf-8")
    return {"CONSENT_SITES_FILE": str(path)}


def records(app):
    """Every stored consent record, in chain order."""
    with app.app_context():
        return db.session.scalars(select(ConsentRecord).order_by(ConsentRecord.seq)).all()


def wait_for_records(app, count, timeout=10.0):
    """The stored records once there are ``count`` (then a moment more, to catch a duplicate)."""
    deadline = time.monotonic() + timeout
    while len(records(app)) < count and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.3)
    return records(app)


def consent_commands(page):
    """The gtag('consent', ...) commands pushed so far, as [command, type, parameters]."""
    return [entry for entry in page.evaluate(READ_DATALAYER) if isinstance(entry, list) and entry[0] == "consent"]


def cookie_names(context):
    """The names of the cookies the browser holds."""
    return {cookie["name"] for cookie in context.cookies()}


def banner(page):
    """The first layer of the banner."""
    return page.locator('[data-cs="banner"]')


def settings(page):
    """The settings dialog."""
    return page.locator('[data-cs="settings"]')
