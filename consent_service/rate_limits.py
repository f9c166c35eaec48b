"""Rate limits: the JSON answer to a breach, and logs that keep no client address.

The limits themselves are set per view (``@limiter.limit``); storage is memory, or Redis when
``RATELIMIT_STORAGE_URI`` is set. The consent-state check has no limiter at all: it is served by
its own app (``state/app.py``) because every page view of a customer's site asks it.
"""
import logging
import time

from .errors import error_response
from .extensions import limiter

FALLBACK_RETRY_AFTER = 60


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


def seconds_until_reset():
    """Whole seconds until the breached limit's window lets this client in again (at least 1)."""
    breached = limiter.current_limit
    if breached is None:
        return FALLBACK_RETRY_AFTER
    return max(1, int(breached.reset_at - time.time()))


def rate_limited(error):
    """429 through the one error path; Retry-After says when the window lets the client in again.

    Flask-Limiter's own headers are off (``RATELIMIT_HEADERS_ENABLED``): they would put a
    Retry-After on every limited answer, a 201 too, and turn a 503's 5 s into the window's end.
    """
    response = error_response(429, "Too many requests from this address; retry later.")
    response.headers["Retry-After"] = str(seconds_until_reset())
    return response


# Limits that only Flask-Limiter's app-wide ``before_request`` pass would check (none are set here).
APP_WIDE_LIMITS = ("RATELIMIT_DEFAULT", "RATELIMIT_APPLICATION", "RATELIMIT_META")


def init_app(app):
    """Answer a breach with the one JSON error path; drop the limiter's app-wide pass when it has nothing
    to check.

    Every limit here is a view's own, checked by its ``@limiter.limit`` decorator. Flask-Limiter also
    runs a ``before_request`` pass over every request for default and application-wide limits; with none
    configured it finds nothing, at about 50 µs of CPU per request (``bench/profile.py post``: 533 µs over
    the bare insert with it, 482 µs without). Should a deployment set one of ``APP_WIDE_LIMITS``, the
    pass stays.
    """
    app.register_error_handler(429, rate_limited)
    if not any(app.config.get(name) for name in APP_WIDE_LIMITS):
        app.before_request_funcs[None].remove(limiter._check_request_limit)
