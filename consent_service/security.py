"""Security headers on every response, and the JSON answer to a rate limit.

The service's own HTML pages get a Content-Security-Policy without ``unsafe-inline``: scripts and
styles come from this origin, or carry the per-response nonce that templates read with
``{{ csp_nonce() }}`` (``<script nonce="{{ csp_nonce() }}">``). JSON, JavaScript and CSS answers
get a policy that allows nothing at all, because nothing should ever render them as a page.

``/banner.js`` is loaded by other sites' pages: the headers here never stop that (no
Cross-Origin-Resource-Policy is added here; the banner's view sets ``cross-origin`` itself), and a
script's own CSP header does not apply to the page that embeds it.
"""
import logging
import secrets

from flask import current_app, g, request
from flask.sessions import SecureCookieSessionInterface

from .errors import error_response
from .extensions import limiter

PAGE_POLICY = (
    "default-src 'self'",
    "script-src 'self'{nonce}",
    "style-src 'self'{nonce}",
    "img-src 'self' data:",
    "connect-src 'self'",
    "font-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
)
NOTHING_POLICY = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
HSTS_MAX_AGE = 63072000  # two years, as hstspreload.org asks
EVERY_RESPONSE = (
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "no-referrer"),
    ("X-Frame-Options", "DENY"),
    ("Permissions-Policy", "camera=(), microphone=(), geolocation=(), interest-cohort=()"),
)
PAGE_ONLY = (("Cross-Origin-Opener-Policy", "same-origin"),)
# Read-only answers from a signed token, without the database: never rate limited, because every
# page view of a customer's site asks them. They are served by the consent-state app, which has no
# limiter at all (``state_app.py``); the filter covers the same views in the main app's URL map.
UNLIMITED_ENDPOINTS = {"state_api.get_consent_state", "state_api.verify_consent_state"}
CORS_HEADERS = {
    "allow_headers": ["Content-Type", "Authorization", "Idempotency-Key"],
    "expose_headers": ["Idempotent-Replayed", "Retry-After"],
    "max_age": 86400,
    "always_send": False,
}


def cors_options(sites):
    """Flask-CORS settings: ``/api/v1/*`` answers browsers on the sites' own origins only."""
    origins = sorted({origin for site in sites.values() for origin in site.origins})
    return {"resources": {r"/api/v1/*": {"origins": origins}}, **CORS_HEADERS}


def bearer_token(header):
    """The token of an ``Authorization: Bearer TOKEN`` header value, or None (another scheme, none)."""
    scheme, _, token = (header or "").partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


def csp_nonce():
    """This response's nonce, made on first use; a template that uses it gets it into the policy."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(18)
    return g.csp_nonce


def content_security_policy(mimetype):
    """The policy for a response of ``mimetype``: a page policy for HTML, nothing for the rest."""
    if mimetype != "text/html":
        return NOTHING_POLICY
    nonce = f" 'nonce-{g.csp_nonce}'" if "csp_nonce" in g else ""
    return "; ".join(PAGE_POLICY).format(nonce=nonce)


def security_headers(mimetype, secure, config):
    """The security headers of a response of ``mimetype``, over HTTPS or not: ``[(name, value)]``."""
    wanted = [
        ("Content-Security-Policy", content_security_policy(mimetype)),
        *EVERY_RESPONSE,
        *(PAGE_ONLY if mimetype == "text/html" else ()),
    ]
    if secure:
        max_age = config.get("HSTS_MAX_AGE", HSTS_MAX_AGE)
        wanted.append(("Strict-Transport-Security", f"max-age={max_age}; includeSubDomains"))
    return wanted


def add_security_headers(response):
    """Headers every response carries; a header a view set itself is kept.

    Every response pays for this: one pass over the headers.
    """
    headers = response.headers
    present = {name.lower() for name, _ in headers.items()}
    for name, value in security_headers(response.mimetype, request.is_secure, current_app.config):
        if name.lower() not in present:
            headers.add(name, value)
    return response


@limiter.request_filter
def _unlimited():
    return request.endpoint in UNLIMITED_ENDPOINTS


class ClientAddressFilter(logging.Filter):
    """Flask-Limiter logs each breach with its key, the client's full address: log the limit and
    the endpoint only (the ledger itself keeps no more than a truncated address)."""

    def filter(self, record):
        if isinstance(record.msg, str) and record.msg.startswith("ratelimit ") and len(record.args or ()) == 3:
            record.args = (record.args[0], "a client", record.args[2])
        return True


_limiter_log = logging.getLogger("flask-limiter")
if not any(isinstance(f, ClientAddressFilter) for f in _limiter_log.filters):
    _limiter_log.addFilter(ClientAddressFilter())


def rate_limited(error):
    """429 through the one error path, with Retry-After (Flask-Limiter refines it to the window)."""
    response = error_response(429, "Too many requests from this address; retry later.")
    response.headers["Retry-After"] = "60"
    return response


class SessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie session, with its signer built once per key instead of per request
    (Flask builds it for every request, even one that never touches the session)."""

    def get_signing_serializer(self, app):
        keys = (app.secret_key, *(app.config.get("SECRET_KEY_FALLBACKS") or ()))
        cache = app.extensions.setdefault("session_signers", {})
        if keys not in cache:
            cache[keys] = super().get_signing_serializer(app)
        return cache[keys]


def init_app(app):
    """Register the security hooks with the app."""
    app.after_request(add_security_headers)
    app.register_error_handler(429, rate_limited)
    app.jinja_env.globals["csp_nonce"] = csp_nonce
    app.session_interface = SessionInterface()
