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


def csp_nonce():
    """This response's nonce, made on first use; a template that uses it gets it into the policy."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(18)
    return g.csp_nonce


def content_security_policy(response):
    """The policy for ``response``: a page policy for HTML, nothing allowed for everything else."""
    if response.mimetype != "text/html":
        return NOTHING_POLICY
    nonce = f" 'nonce-{g.csp_nonce}'" if "csp_nonce" in g else ""
    return "; ".join(PAGE_POLICY).format(nonce=nonce)


def add_security_headers(response):
    """Headers every response carries; a view may set its own CSP, which is then kept."""
    headers = response.headers
    headers.setdefault("Content-Security-Policy", content_security_policy(response))
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "no-referrer")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=(), interest-cohort=()")
    if response.mimetype == "text/html":
        headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    if request.is_secure:
        max_age = current_app.config.get("HSTS_MAX_AGE", HSTS_MAX_AGE)
        headers.setdefault("Strict-Transport-Security", f"max-age={max_age}; includeSubDomains")
    return response


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
