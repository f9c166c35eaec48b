"""Security headers on every response, and pages that keep to their Content-Security-Policy."""
from html.parser import HTMLParser

import pytest
from werkzeug.middleware.proxy_fix import ProxyFix

from tests.support.apps import TEST_SECRET

EVERY_RESPONSE = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}


def policy(response):
    """The CSP as ``{directive: [sources]}``."""
    directives = {}
    for part in response.headers["Content-Security-Policy"].split(";"):
        name, *sources = part.split()
        directives[name] = sources
    return directives


def assert_secure(response):
    for name, value in EVERY_RESPONSE.items():
        assert response.headers.get(name) == value, name
    csp = policy(response)
    assert "'unsafe-inline'" not in response.headers["Content-Security-Policy"]
    assert "'unsafe-eval'" not in response.headers["Content-Security-Policy"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert "Strict-Transport-Security" not in response.headers  # plain http here


@pytest.mark.parametrize(("method", "path", "kwargs", "status"), [
    ("get", "/", {}, 200),
    ("get", "/api/v1/openapi.json", {}, 200),
    ("get", "/api/v1/consent-state", {}, 200),
    ("get", "/api/v1/consent-state?token=" + "x" * 1025, {}, 422),
    ("post", "/api/v1/consents", {"data": "x", "content_type": "text/csv"}, 415),
    ("post", "/api/v1/consents", {"data": b"{", "content_type": "application/json"}, 400),
    ("get", "/no-such-page", {}, 404),
    ("get", "/api/v1/no-such-thing", {}, 404),
    ("delete", "/api/v1/consents", {}, 405),
])
def test_every_response_has_security_headers(client, method, path, kwargs, status):
    response = getattr(client, method)(path, **kwargs)
    assert response.status_code == status
    assert_secure(response)


def test_stored_decision_has_security_headers(client, consent_body):
    response = client.post("/api/v1/consents", json=consent_body)
    assert response.status_code == 201
    assert_secure(response)
    assert policy(response)["default-src"] == ["'none'"]


def test_server_error_has_security_headers_and_no_detail(app):
    @app.get("/api/v1/boom")
    def boom():
        raise RuntimeError(f"secret {TEST_SECRET} leaked")

    app.config["PROPAGATE_EXCEPTIONS"] = False
    response = app.test_client().get("/api/v1/boom")
    assert response.status_code == 500
    assert_secure(response)
    assert response.get_json() == {"error": "Internal server error."}
    assert TEST_SECRET not in response.get_data(as_text=True)


def test_page_policy_allows_only_own_origin_and_nonce(app):
    @app.get("/nonce-page")
    def nonce_page():
        from flask import render_template_string
        return render_template_string('<script nonce="{{ csp_nonce() }}">1</script>'
                                      '<style nonce="{{ csp_nonce() }}">p{}</style>')

    client = app.test_client()
    first, second = client.get("/nonce-page"), client.get("/nonce-page")
    nonce = first.get_data(as_text=True).split('nonce="')[1].split('"')[0]
    assert len(nonce) >= 16
    csp = policy(first)
    assert csp["script-src"] == ["'self'", f"'nonce-{nonce}'"]
    assert csp["style-src"] == ["'self'", f"'nonce-{nonce}'"]
    assert csp["object-src"] == ["'none'"] and csp["base-uri"] == ["'none'"]
    assert nonce not in second.headers["Content-Security-Policy"]
    assert policy(client.get("/"))["script-src"] == ["'self'"]


class InlineFinder(HTMLParser):
    """What the page CSP would block: inline scripts and styles without the nonce, handlers, style=."""

    def __init__(self, nonce):
        super().__init__()
        self.nonce = nonce
        self.blocked = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in ("script", "style") and "src" not in attrs and attrs.get("nonce") != self.nonce:
            self.blocked.append(f"<{tag}> without the response's nonce")
        for name, value in attrs.items():
            if name.startswith("on") or name == "style":
                self.blocked.append(f"<{tag} {name}=...>")
            if name in ("href", "src", "action") and (value or "").strip().lower().startswith("javascript:"):
                self.blocked.append(f"<{tag} {name}=javascript:...>")


def html_pages(app):
    """Every GET route without arguments that answers an HTML page."""
    client = app.test_client()
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.arguments or rule.endpoint == "static":
            continue
        response = client.get(rule.rule)
        if response.status_code == 200 and response.mimetype == "text/html":
            yield rule.rule, response


PAGES_WITH_ARGUMENTS = ("/privacy/entrack?lang=en", "/privacy/entrack?lang=fi", "/my-consent?site=entrack&lang=sv")


def test_own_pages_need_no_unsafe_inline(app):
    pages = dict(html_pages(app))
    assert "/" in pages
    client = app.test_client()
    for path in PAGES_WITH_ARGUMENTS:
        response = client.get(path)
        assert response.status_code == 200 and response.mimetype == "text/html", path
        pages[path] = response
    for path, response in pages.items():
        assert_secure(response)
        csp = policy(response)
        nonce = next((s[len("'nonce-"):-1] for s in csp["script-src"] if s.startswith("'nonce-")), None)
        finder = InlineFinder(nonce)
        finder.feed(response.get_data(as_text=True))
        assert finder.blocked == [], f"{path}: {finder.blocked}"


def test_scripts_and_styles_may_be_embedded_elsewhere(app):
    """banner.js runs on other sites' pages: nothing here may stop a cross-origin <script src>."""
    client = app.test_client()
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.arguments or not rule.rule.endswith((".js", ".css")):
            continue
        response = client.get(rule.rule)
        assert response.headers.get("Cross-Origin-Resource-Policy") in (None, "cross-origin"), rule.rule
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.mimetype in ("text/javascript", "application/javascript", "text/css"), rule.rule


def test_hsts_only_over_https(make_app):
    client = make_app(PUBLIC_URL="https://consent.example.fi").test_client()
    assert "Strict-Transport-Security" not in client.get("/").headers
    secure = client.get("/", base_url="https://consent.example.fi")
    assert secure.headers["Strict-Transport-Security"] == "max-age=63072000; includeSubDomains"


def test_hsts_behind_a_trusted_proxy(make_app):
    app = make_app(PROXY_FIX_X_FOR=1)
    assert isinstance(app.wsgi_app, ProxyFix)
    client = app.test_client()
    proxied = client.get("/", headers={"X-Forwarded-Proto": "https", "X-Forwarded-For": "192.0.2.1"})
    assert proxied.headers["Strict-Transport-Security"].startswith("max-age=")
    assert "Strict-Transport-Security" not in client.get("/").headers


def test_untrusted_forwarded_proto_gives_no_hsts(client):
    response = client.get("/", headers={"X-Forwarded-Proto": "https"})
    assert "Strict-Transport-Security" not in response.headers
