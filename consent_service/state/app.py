"""The consent-state check's own small app, in front of the main one.

``GET /api/v1/consent-state`` and ``POST /api/v1/consent-state/verify`` sit in front of every tracker
on every page view of a customer's site. They need the token check, CORS, the security headers and
JSON errors, and nothing else the main app does per request (the limiter's bookkeeping, the session,
the database session's teardown). ``mount`` serves exactly their paths from an app that has only
what they need; every other request goes to the main app. Both share one configuration and one set
of extensions (sites, keys), so the answers are the main app's own (``tests/ledger/test_state_app.py``).
"""
import re
from functools import partial

from flask import Flask, request
from flask.sessions import SessionInterface
from flask_cors.core import get_cors_headers, get_cors_options, parse_resources, try_match_pattern
from werkzeug.datastructures import EnvironHeaders

from . import errors, security
from .extensions import cors
from .ledger import service, state_api

QUICK_PATH = "/api/v1/consent-state"
# A query that needs no decoding: ``site`` and ``token`` (a site key, an itsdangerous token), each
# at most once; anything else (other names, escapes, empty values) goes to the views and their errors.
PLAIN_QUERY = re.compile(r"(?:site|token)=[A-Za-z0-9._~-]+(?:&(?:site|token)=[A-Za-z0-9._~-]+)?")


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
    cors.init_app(state, **security.cors_options(app.extensions["consent_sites"]))
    hooks = state.after_request_funcs[None]
    hooks[-1] = partial(_cors_if_asked, hooks[-1])  # the hook Flask-CORS has just registered
    errors.register_request_errors(state)
    state.register_error_handler(500, errors.unhandled_error)
    state.after_request(security.add_security_headers)
    state.register_blueprint(state_api.bp)
    return state


def _cors_if_asked(cors_after_request, response):
    """Flask-CORS's after-request hook, only for a request with an ``Origin``: without one it adds
    nothing (``always_send=False``), and a server-side tag manager sends none."""
    return cors_after_request(response) if "Origin" in request.headers else response


class StatePaths:
    """WSGI middleware: the state app's paths go to it, everything else to the main app.

    The usual consent-state GET (a token in the Authorization header or the query, a plain query, no
    cookie: a tag manager in a browser on a customer's site or on a server) is answered here without
    the app's per-request machinery, with the same body and headers as the view's, Flask-CORS's
    included (compared in ``tests/ledger/test_state_app.py``); anything else goes to the state app's views.
    """

    def __init__(self, state, wsgi_app):
        self.state = state
        self.wsgi_app = wsgi_app
        self.paths = {rule.rule for rule in state.url_map.iter_rules()}
        cors_kwargs = security.cors_options(state.extensions["consent_sites"])
        self.cors = next(get_cors_options(state, {}, cors_kwargs, options)
                         for pattern, options in parse_resources(cors_kwargs["resources"])
                         if try_match_pattern(QUICK_PATH, pattern, caseSensitive=True))

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO")
        if path not in self.paths:
            return self.wsgi_app(environ, start_response)
        try:
            answer = self.quick_answer(environ) if path == QUICK_PATH else None
        except Exception:  # noqa: BLE001 - the views answer instead, with their logging and JSON 500
            answer = None
        if answer is None:
            return self.state.wsgi_app(environ, start_response)
        status, headers, body = answer
        start_response(status, headers)
        return [body]

    def quick_answer(self, environ):
        """``(status, headers, body)`` of a usual consent-state GET, or None for the views to answer."""
        query = environ.get("QUERY_STRING", "")
        if (environ.get("REQUEST_METHOD") != "GET" or "HTTP_COOKIE" in environ
                or query and not PLAIN_QUERY.fullmatch(query)):
            return None
        args = dict(pair.split("=", 1) for pair in query.split("&")) if query else {}
        if query and len(args) != query.count("&") + 1 or any(
                len(value) > state_api.STATE_QUERY_LIMITS[name] for name, value in args.items()):
            return None  # a name twice, or a value too long: the views say which
        token = security.bearer_token(environ.get("HTTP_AUTHORIZATION")) or args.get("token")
        state = service.consent_state(token, args.get("site"), self.state)
        response = self.state.json.response(state_api.state_body(state))
        secure = environ.get("wsgi.url_scheme") == "https"
        headers = [*response.headers.to_wsgi_list(), *state_api.STATE_HEADERS,
                   *security.security_headers(response.mimetype, secure, self.state.config)]
        if "HTTP_ORIGIN" in environ:  # as the views' after-request hook adds them
            cors = get_cors_headers(self.cors, EnvironHeaders(environ), "GET")
            headers.extend((name, str(value)) for name, value in cors.items(multi=True))
        return response.status, headers, response.get_data()


def mount(app):
    """Put the consent-state app in front of ``app.wsgi_app``; returns the middleware."""
    app.wsgi_app = StatePaths(create_state_app(app), app.wsgi_app)
    return app.wsgi_app
