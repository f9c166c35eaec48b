"""One error path: every API error is ``{"error": message, "messages": {...}}`` with its status.

This module knows nothing of the database (the consent-state app uses it); the database's errors
are ``database_errors.py``'s.
"""
import logging

from flask import current_app, jsonify, request
from marshmallow import ValidationError
from werkzeug.exceptions import HTTPException, SecurityError

from .hosts import UNKNOWN_HOST
from .log_text import EscapedMessages, escaped

log = logging.getLogger(__name__)
JSON_PREFIXES = ("/api/", "/audit/")
RETRY_AFTER_SECONDS = 5


class ApiError(Exception):
    """An error the client can act on; raised by services, rendered by ``error_response``."""

    def __init__(self, status, message, messages=None, headers=None, reason=None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.messages = messages
        self.headers = headers or {}
        self.reason = reason


def error_response(status, message, messages=None, headers=None, reason=None):
    """The JSON body and status of an error; ``reason`` is a code a program can act on."""
    body = {"error": message}
    if reason:
        body["reason"] = reason
    if messages:
        body["messages"] = messages
    response = jsonify(body)
    response.status_code = status
    response.headers.update(headers or {})
    return response


def _wants_json():
    return request.path.startswith(JSON_PREFIXES) or request.accept_mimetypes.best == "application/json"


def api_error(error):
    return error_response(error.status, error.message, error.messages, error.headers, error.reason)


def validation_error(error):
    return error_response(422, "The request body is not valid.", error.messages)


def http_error(error):
    """An HTTP error as JSON for the API (and clients asking for JSON); as is for pages."""
    if isinstance(error, SecurityError):  # a Host not in TRUSTED_HOSTS; never repeated back
        error.description = UNKNOWN_HOST
    if not _wants_json():
        return error
    message = error.description
    if error.code == 413:
        message = f"The request body is larger than {current_app.config['MAX_CONTENT_LENGTH']} bytes."
    response = error_response(error.code, message)
    if error.code == 405 and error.valid_methods:
        response.headers["Allow"] = ", ".join(error.valid_methods)
    return response


def unhandled_error(error):
    """Log the cause; answer without it."""
    cause = error if not isinstance(error, HTTPException) else getattr(error, "original_exception", None)
    log.error("unhandled error on %s %s", request.method, escaped(request.path), exc_info=cause)
    if _wants_json():
        return error_response(500, "Internal server error.")
    return "Internal server error.", 500


def register_request_errors(app):
    """JSON errors for what a request can get wrong; the 500 handler logs and never leaks the cause
    (the main app adds the database's handlers: ``database_errors.init_app``)."""
    app.register_error_handler(ApiError, api_error)
    app.register_error_handler(ValidationError, validation_error)
    app.register_error_handler(HTTPException, http_error)
    app.register_error_handler(500, unhandled_error)
    if not any(isinstance(f, EscapedMessages) for f in app.logger.filters):  # Flask's "Exception on <path>"
        app.logger.addFilter(EscapedMessages())
