"""Security headers on every response, and the JSON answer to a rate limit.

The service's own HTML pages get a Content-Security-Policy without ``unsafe-inline``: scripts and
styles come from this origin, or carry the per-response nonce that templates read with
``{{ csp_nonce() }}`` (``<script nonce="{{ csp_nonce() }}">``). JSON, JavaScript and CSS answers
get a policy that allows nothing at all, because nothing should ever render them as a page.

``/banner.js`` is loaded by other sites' pages: the headers here never stop that (no
Cross-Origin-Resource-Policy, and a script's own CSP does not apply to the page that embeds it).
"""
import secrets

from flask import current_app, g, request

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
# Read-only answers from a signed token, without the database: never rate limited, and spared the
# limiter's bookkeeping, because every page view of a customer's site asks them.
UNLIMITED_ENDPOINTS = frozenset({"ledger_api.get_consent_state", "ledger_api.verify_consent_state"})


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


def add_security_headers(response):
    """Headers every response carries; a header a view set itself is kept.

    Every response pays for this, the consent-state check included: one pass over the headers.
    """
    headers = response.headers
    present = {name.lower() for name, _ in headers.items()}
    mimetype = response.mimetype
    wanted = [
        ("Content-Security-Policy", None),
        *EVERY_RESPONSE,
        *(PAGE_ONLY if mimetype == "text/html" else ()),
    ]
    if request.is_secure:
        max_age = current_app.config.get("HSTS_MAX_AGE", HSTS_MAX_AGE)
        wanted.append(("Strict-Transport-Security", f"max-age={max_age}; includeSubDomains"))
    for name, value in wanted:
        if name.lower() not in present:
            headers.add(name, value if value is not None else content_security_policy(mimetype))
    return response


@limiter.request_filter
def _unlimited():
    return request.endpoint in UNLIMITED_ENDPOINTS


def rate_limited(error):
    """429 through the one error path, with Retry-After (Flask-Limiter refines it to the window)."""
    response = error_response(429, "Too many requests from this address; retry later.")
    response.headers["Retry-After"] = "60"
    return response


def init_app(app):
    """Register the security hooks with the app."""
    app.after_request(add_security_headers)
    app.register_error_handler(429, rate_limited)
    app.jinja_env.globals["csp_nonce"] = csp_nonce
