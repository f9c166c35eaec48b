"""The consent-state check's own small app, in front of the main one.

``GET /api/v1/consent-state`` and ``POST /api/v1/consent-state/verify`` sit in front of every tracker
on every page view of a customer's site. They need the token check, CORS, the security headers and
JSON errors, and nothing else the main app does per request (the limiter's bookkeeping, the session,
the database session's teardown). ``mount`` serves exactly their paths from an app that has only
what they need; every other request goes to the main app. Both share one configuration and one set
of extensions (sites, keys).
"""
import logging

from flask import Flask, request
from flask.sessions import SessionInterface

from .. import errors, security
from ..request_data import bearer_token
from ..sites import configured_sites
from . import check, views
from .cors import StateCors
from .query import read_query

log = logging.getLogger(__name__)
QUICK_PATH = "/api/v1/consent-state"


class NoSession(SessionInterface):
    """No session at all: these views never read or write one, and Flask would open one per request."""

    def open_session(self, app, request):
        return self.make_null_session(app)

    def save_session(self, app, session, response):
        """Nothing to save."""


def create_state_app(app):
    """An app with the consent-state views only, sharing ``app``'s configuration and extensions."""
    state = Flask(app.import_name, root_path=app.root_path, static_folder=None)
    state.config = app.config
    state.extensions = app.extensions
    state.session_interface = NoSession()
    cors = StateCors.of_sites(configured_sites(app))
    errors.register_request_errors(state)
    state.register_blueprint(views.bp)

    @state.after_request
    def add_headers(response):
        """CORS for the sites' origins, then the security headers every answer carries."""
        rule = request.url_rule
        preflight = request.headers.get("Access-Control-Request-Method") if request.method == "OPTIONS" else None
        methods = sorted(rule.methods - {"OPTIONS"}) if rule else ()
        for name, value in cors.headers(request.headers.get("Origin"), preflight, methods):
            response.headers.add(name, value)
        return security.add_security_headers(response)

    return state


class StatePaths:
    """WSGI middleware: the state app's paths go to it, everything else to the main app.

    The usual consent-state GET (no cookie: a tag manager in a browser on a customer's site or on a
    server, the token in the Authorization header or the query) is answered here without the app's
    per-request machinery, by the views' own functions (``read_query``, ``consent_state``,
    ``state_body``) with the same headers (compared in ``tests/state/test_state_app.py``); anything
    else goes to the state app's views.
    """

    def __init__(self, state, wsgi_app):
        self.state = state
        self.wsgi_app = wsgi_app
        self.paths = {rule.rule for rule in state.url_map.iter_rules()}
        self.cors = StateCors.of_sites(configured_sites(state))

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO")
        if path not in self.paths:
            return self.wsgi_app(environ, start_response)
        answer = None
        if path == QUICK_PATH:
            try:
                answer = self.quick_answer(environ)
            except Exception:  # noqa: BLE001 - logged; the views then answer with their own errors
                log.exception("consent-state quick path failed; the views answer instead")
        if answer is None:
            return self.state.wsgi_app(environ, start_response)
        status, headers, body = answer
        start_response(status, headers)
        return [body]

    def quick_answer(self, environ):
        """``(status, headers, body)`` of a usual consent-state GET, or None for the views to answer."""
        if environ.get("REQUEST_METHOD") != "GET" or "HTTP_COOKIE" in environ:
            return None
        try:
            query = read_query(environ.get("QUERY_STRING", ""))
        except errors.ApiError:
            return None  # the views say what is wrong
        token = bearer_token(environ.get("HTTP_AUTHORIZATION")) or query.get("token")
        state = check.consent_state(token, query.get("site"), self.state)
        response = self.state.json.response(check.state_body(state))
        secure = environ.get("wsgi.url_scheme") == "https"
        return response.status, [
            *response.headers.to_wsgi_list(), *views.STATE_HEADERS,
            *self.cors.headers(environ.get("HTTP_ORIGIN")),
            *security.security_headers(response.mimetype, secure, self.state.config),
        ], response.get_data()


def mount(app):
    """Put the consent-state app in front of ``app.wsgi_app``; returns the middleware."""
    app.wsgi_app = StatePaths(create_state_app(app), app.wsgi_app)
    return app.wsgi_app
