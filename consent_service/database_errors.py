"""The database's errors: 503 with Retry-After while it is away, and a rollback before any 500."""
import logging

from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from .errors import RETRY_AFTER_SECONDS, ApiError, error_response, unhandled_error
from .extensions import db

log = logging.getLogger(__name__)


def _discard_transaction():
    """Roll back; a connection the database already dropped is simply discarded."""
    try:
        db.session.rollback()
    except DBAPIError:
        db.session.close()


def is_unavailable(error):
    """True when ``error`` says that the database is away or too slow (no connection, a dropped one,
    a timeout), rather than that it refused one statement; also for the writer's own 503."""
    if isinstance(error, ApiError):
        return error.status == 503
    if isinstance(error, (OperationalError, InterfaceError, PoolTimeout)):
        return True
    return getattr(error, "connection_invalidated", False)


def database_error(error):
    """503 with Retry-After while the database is away; any other database error is a 500."""
    _discard_transaction()
    if not is_unavailable(error):
        return internal_error(error)
    log.warning("database unavailable: %s", type(getattr(error, "orig", error)).__name__)
    return error_response(
        503, "The consent store is briefly unavailable; retry shortly.",
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
    )


def internal_error(error):
    """Roll back, then the logged 500 without its cause."""
    _discard_transaction()
    return unhandled_error(error)


def init_app(app):
    """Database errors answer 503 or a logged 500, each after a rollback (``errors`` does the rest)."""
    app.register_error_handler(DBAPIError, database_error)
    app.register_error_handler(PoolTimeout, database_error)  # no connection free in time
    app.register_error_handler(500, internal_error)
