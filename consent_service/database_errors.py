"""The database's errors: 503 with Retry-After while it is away, and a rollback before any 500."""
import logging

from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

from .errors import RETRY_AFTER_SECONDS, error_response, unhandled_error
from .extensions import db

log = logging.getLogger(__name__)


def _discard_transaction():
    """Roll back; a connection the database already dropped is simply discarded."""
    try:
        db.session.rollback()
    except DBAPIError:
        db.session.close()


def database_error(error):
    """503 with Retry-After while the database is away; any other database error is a 500."""
    _discard_transaction()
    if not (isinstance(error, (OperationalError, InterfaceError)) or error.connection_invalidated):
        return internal_error(error)
    log.warning("database unavailable: %s", type(error.orig).__name__)
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
    app.register_error_handler(500, internal_error)
