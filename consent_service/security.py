"""Security headers on every response, the API's CORS settings and the session's signer.

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

from .errors import ApiError

log = logging.getLogger(__name__)

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


class OriginNotAllowed(ApiError):
    """A page on an origin that the site does not list posted a decision: 403 ``origin_not_allowed``.

    Only this answer carries CORS headers for that origin (no credentials), so that the banner reads
    why and stops retrying instead of seeing a network error; the operator gets a warning in the log.
    """

    reason_code = "origin_not_allowed"

    def __init__(self, origin, site_key):
        super().__init__(
            403, f"Origin {origin} may not record consent for site {site_key!r}: it is not among the site's origins.",
            headers={"Access-Control-Allow-Origin": origin, "Vary": "Origin"}, reason=self.reason_code,
        )
        log.warning("consent refused: origin %r is not among the origins of site %r", origin, site_key)


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
    app.jinja_env.globals["csp_nonce"] = csp_nonce
    app.session_interface = SessionInterface()
