"""While the database does not answer: requests wait a bounded time, then fail fast instead of piling up.

A database that hangs (its packets dropped, nothing refused) holds every thread that asks it for
as long as TCP takes to give up, minutes; once gunicorn's threads all wait, even the paths that need
no database (the consent-state check, banner.js, the privacy notice) stop answering. So, for
requests (commands and background work wait as long as they must):

* every wait for PostgreSQL's answer is bounded (``DB_ANSWER_TIMEOUT``, 1.5 s): once connected,
  psycopg waits with no limit of its own; past the bound the connection is closed and the request
  answers 503 with Retry-After. Connecting is bounded by ``DB_CONNECT_TIMEOUT`` and SQLite's lock
  by its busy timeout (``config.engine_options``);
* after an error that says the database is away, one request at a time (the probe) tries it;
  the others answer 503 at once, so that the threads stay free. When the database answered the
  probe, the outage is over for every request.

The state is the app's, per process (``app.extensions[EXTENSION]``).
"""
import contextlib
import contextvars
import os
import threading
import time

from flask import current_app, g, has_app_context, has_request_context
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.pool import QueuePool

from .errors import RETRY_AFTER_SECONDS, ApiError

EXTENSION = "database_outage"
PROBE_SECONDS = 10.0  # a probe that neither finished nor failed by then leaves the turn to another
DEFAULT_ANSWER_TIMEOUT = 1.5
UNAVAILABLE = "The consent store is briefly unavailable; retry shortly."


class DatabaseAway(PoolTimeout):
    """No connection for this request: the database did not answer lately (a 503, like a pool timeout)."""


class Outage:
    """Whether the database answers, as the last requests found; cheap to ask while it does."""

    def __init__(self):
        self.away = False  # since an error said the database is away, until a probe was answered
        self._probe = None  # (thread, deadline, failures seen when it started), during an outage
        self.failures = 0
        self._answered = False
        self._guard = threading.Lock()

    def admit(self):
        """True when this thread may ask the database now: it answers, or this thread is the probe."""
        if not self.away:
            return True
        with self._guard:
            now, me = time.monotonic(), threading.get_ident()
            if not self.away or (self._probe is not None and self._probe[0] == me):
                return True
            if self._probe is not None and now < self._probe[1]:
                return False
            self._probe = (me, now + PROBE_SECONDS, self.failures)
            self._answered = False
            return True

    def failed(self):
        """The database did not answer (a timeout, a refused or dropped connection); the next
        request to come is the probe."""
        with self._guard:
            self.failures += 1
            self.away = True
            self._probe = None

    def answered(self):
        """A connection of this thread came back to the pool in working order."""
        if self._probe is not None and self._probe[0] == threading.get_ident():
            self._answered = True

    def request_ended(self):
        """The probe's request is over: the outage ends if the database answered it, else the turn is free."""
        if self._probe is None or self._probe[0] != threading.get_ident():
            return
        with self._guard:
            if self._probe is not None and self._probe[0] == threading.get_ident():
                if self._answered and self.failures == self._probe[2]:
                    self.away = False
                self._probe = None


_BOUNDED_HERE = contextvars.ContextVar("database_waits_bounded", default=False)


@contextlib.contextmanager
def bounded_waits():
    """Inside the block (in an app context), database waits are bounded as in a request: for
    background work of the service that must not hang with the database (a refresher thread)."""
    token = _BOUNDED_HERE.set(True)
    try:
        yield
    finally:
        _BOUNDED_HERE.reset(token)


def current_outage():
    """This app's Outage, in a request (or ``bounded_waits``); None elsewhere: commands wait as long
    as they must."""
    if has_request_context() or (_BOUNDED_HERE.get() and has_app_context()):
        return current_app.extensions.get(EXTENSION)
    return None


def admitted(outage):
    """``outage.admit()`` for this request, which tries the database at most once: a request that
    already saw it fail (its own wait, or another's since it began) is not let in again, so that
    no request waits for the database twice."""
    first = g.get("database_failures_seen")
    if first is None:
        g.database_failures_seen = outage.failures
    elif outage.away and first != outage.failures:
        return False
    return outage.admit()


class GuardedQueuePool(QueuePool):
    """SQLAlchemy's QueuePool that hands no connection to a request while its database is away."""

    def _do_get(self):
        outage = current_outage()
        if outage is not None and not admitted(outage):
            raise DatabaseAway("the database did not answer lately")
        return super()._do_get()

    def _do_return_conn(self, record):
        outage = current_outage()
        if outage is not None and record.dbapi_connection is not None:
            outage.answered()
        super()._do_return_conn(record)


def require_database():
    """Nothing when this request may use the database; a 503 with Retry-After while it is away.

    Views that queue for the database (the ledger's writers) ask first, so that no thread waits in
    that queue behind the one request that is trying the database.
    """
    outage = current_outage()
    if outage is not None and not admitted(outage):
        raise ApiError(503, UNAVAILABLE, headers={"Retry-After": str(RETRY_AFTER_SECONDS)})


@event.listens_for(Engine, "handle_error")
def _note_failure(context):
    """An error that says the database is away (not that it refused a statement) marks it away.

    A pooled connection that fails its ping at once (the server closed it: a restart) is replaced
    as before, without a word; a ping that timed out counted itself already.
    """
    from .database_errors import is_unavailable

    if context.is_pre_ping:
        return
    outage = current_app.extensions.get(EXTENSION) if has_app_context() else None
    if outage is not None and (context.is_disconnect or is_unavailable(context.original_exception)
                               or is_unavailable(context.sqlalchemy_exception)):
        outage.failed()


@event.listens_for(Engine, "do_connect")
def _connect(dialect, connection_record, cargs, cparams):
    """No connecting in a request while another one is the probe; every PostgreSQL connection (also
    one a command or a background thread opens, as the pool shares it) bounds its waits in requests."""
    outage = current_outage()
    if outage is not None and not admitted(outage):
        raise DatabaseAway("the database did not answer lately")  # not a failure of its own
    if dialect.driver != "psycopg" or dialect.is_async:
        return None
    try:
        return bounded_connection_class().connect(*cargs, **cparams)
    except dialect.loaded_dbapi.OperationalError:
        if outage is not None:
            outage.failed()
        raise


_BOUNDED = []


def bounded_connection_class():
    """psycopg's Connection, with every wait for the server's answer in a request bounded (made once)."""
    if _BOUNDED:
        return _BOUNDED[0]
    import psycopg

    class BoundedConnection(psycopg.Connection):
        """Waits for the server no longer than ``DB_ANSWER_TIMEOUT`` while serving a request; then
        the connection is closed (it is mid-conversation) and an OperationalError raised, which
        SQLAlchemy takes for a lost connection."""

        def wait(self, gen, *args, **kwargs):
            outage = current_outage()
            if outage is None or args or kwargs.get("timeout") is not None:
                return super().wait(gen, *args, **kwargs)
            limit = current_app.config["DB_ANSWER_TIMEOUT"]
            started = time.monotonic()
            try:
                return super().wait(gen, timeout=limit, **kwargs)
            except psycopg.OperationalError:
                if self.closed or time.monotonic() - started < limit:
                    raise
            self.close()
            outage.failed()
            raise psycopg.OperationalError(f"the database did not answer within {limit} s")

    _BOUNDED.append(BoundedConnection)
    return BoundedConnection


def init_app(app):
    """This app's outage state, the answer bound from the environment (``DB_ANSWER_TIMEOUT``), and the
    end of each request told to it."""
    app.extensions[EXTENSION] = Outage()
    app.config.setdefault("DB_ANSWER_TIMEOUT", float(os.environ.get("DB_ANSWER_TIMEOUT", DEFAULT_ANSWER_TIMEOUT)))

    @app.teardown_request
    def _probe_done(error=None):
        outage = app.extensions[EXTENSION]
        if outage.away:
            outage.request_ended()
