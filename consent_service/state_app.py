"""The consent-state check's own small app, in front of the main one.

``GET /api/v1/consent-state`` and ``POST /api/v1/consent-state/verify`` sit in front of every tracker
on every page view of a customer's site. They need the token check, CORS, the security headers and
JSON errors, and nothing else the main app does per request (the limiter's bookkeeping, the session,
the database session's teardown). ``mount`` serves exactly their paths from an app that has only
what they need; every other request goes to the main app. Both share one configuration and one set
of extensions (sites, keys), so the answers are the main app's own (``tests/test_state_app.py``).
"""
from functools import partial

from flask import Flask, request
from flask.sessions import SessionInterface

from . import errors, security
from .extensions import cors
from .ledger import state_api


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
    """WSGI middleware: the state app's paths go to it, everything else to the main app."""

    def __init__(self, state, wsgi_app):
        self.state = state
        self.wsgi_app = wsgi_app
        self.paths = {rule.rule for rule in state.url_map.iter_rules()}

    def __call__(self, environ, start_response):
        if environ.get("PATH_INFO") in self.paths:
            return self.state.wsgi_app(environ, start_response)
        return self.wsgi_app(environ, start_response)


def mount(app):
    """Put the consent-state app in front of ``app.wsgi_app``; returns the middleware."""
    app.wsgi_app = StatePaths(create_state_app(app), app.wsgi_app)
    return app.wsgi_app
