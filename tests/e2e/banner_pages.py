"""Shared pieces of the banner's browser tests: plain host pages on another origin (the ``host`` and
``sites_toml`` fixtures in conftest.py serve and allow them), and readers for what a tracker would see.

A test module that embeds the banner in host pages uses their sites file: ``from .banner_pages import
app_config``.
"""
import pytest

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
window.__shiftObserver = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) window.__shifts += e.value;
});
window.__shiftObserver.observe({type: 'layout-shift', buffered: true});
document.addEventListener('securitypolicyviolation', (e) => window.__violations.push(e.violatedDirective + ' ' + e.blockedURI));
"""
# Once the page's (finite) animations have ended and two more frames were drawn: the layout shifts
# so far, those not yet handed to the observer included.
SETTLED_SHIFTS = """() => Promise.all(document.getAnimations()
    .filter((a) => a.effect && a.effect.getComputedTiming().endTime !== Infinity).map((a) => a.finished)
).then(() => new Promise(
    (done) => requestAnimationFrame(() => requestAnimationFrame(() => {
        for (const e of window.__shiftObserver.takeRecords()) window.__shifts += e.value;
        done(window.__shifts);
    }))))"""


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
def app_config(sites_toml, tmp_path):
    """The app of these tests reads the sites file above."""
    path = tmp_path / "sites.toml"
    path.write_text(sites_toml, encoding="utf-8")
    return {"CONSENT_SITES_FILE": str(path)}


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
