"""The one writer of consent records, chain heads, idempotency keys, purge checkpoints and policy snapshots.

Every change to those tables is made here, in a writer's turn: appending decisions (in group-commit
batches, with the policy snapshots they point at), storing the snapshots a banner carries, scrubbing
an erased consent's personal fields, and deleting a purged prefix of a chain.
``tests/ledger/test_single_writer.py`` fails when any other module writes them.
"""
import contextlib
import fcntl
import json
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timezone

from flask import current_app
from sqlalchemy import bindparam, delete, event, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.pool import Pool

from ..database_errors import is_unavailable
from ..errors import RETRY_AFTER_SECONDS, ApiError
from ..extensions import db
from ..policies.models import PolicySnapshot
from ..proof import chain
from . import revocations
from .group_commit import GroupCommit
from .models import ChainHead, ConsentRecord, IdempotencyKey, PurgeCheckpoint

UNAVAILABLE = "The consent store is briefly unavailable; retry shortly."
PII_COLUMNS = {"ip_prefix": None, "user_agent": None, "page_url": None, "pii_salt": None}

# Built once (constructing them cost more than running them), as Core statements run on the
# session's connection: the ORM's execute machinery had doubled their cost.
_HEADS = ChainHead.__table__
_RECORDS = ConsentRecord.__table__
_RECORD_COLUMNS = tuple(column.key for column in _RECORDS.columns)
_ADVANCE_HEAD = (
    update(_HEADS).where(_HEADS.c.site == bindparam("head_site"))
    .values(seq=_HEADS.c.seq + bindparam("count")).returning(_HEADS.c.seq, _HEADS.c.head_hash)
)
_SET_HEAD_HASH = update(_HEADS).where(_HEADS.c.site == bindparam("head_site")).values(head_hash=bindparam("new_hash"))
# Run with a list of rows, an INSERT with RETURNING goes as one multi-row INSERT (SQLAlchemy's
# "insertmanyvalues"; without RETURNING psycopg would send a statement per row). The rows come back in
# no promised order, so each names its seq.
_INSERT_RECORDS = insert(_RECORDS).returning(_RECORDS.c.seq, _RECORDS.c.id)
_INSERT_KEYS = insert(IdempotencyKey.__table__).returning(IdempotencyKey.__table__.c.key)
_SCRUB = (
    update(_RECORDS)
    .where(_RECORDS.c.site == bindparam("scrub_site"), _RECORDS.c.consent_id.in_(bindparam("consent_ids", expanding=True)))
    .values(**PII_COLUMNS)
)
_INSERT_SNAPSHOT = {
    module.dialect.name: module.insert(PolicySnapshot.__table__).on_conflict_do_nothing(index_elements=["hash"])
    for module in (postgresql, sqlite)
}
STORED_SNAPSHOTS = "consent_policies_stored"  # app.extensions: hashes of the snapshots this app has stored


def unavailable():
    """The 503 a writer answers when it could not get its turn in time."""
    return ApiError(503, UNAVAILABLE, headers={"Retry-After": str(RETRY_AFTER_SECONDS)})


def _advance_head(site_key, count):
    """Lock the site's chain head and move it ``count`` steps; return ``(first seq, previous hash)``.

    The UPDATE is the transaction's first write to the chain: it takes PostgreSQL's row lock or SQLite's
    write lock (waiting for the busy timeout), so that writers queue here and the chain never forks.
    """
    params = {"head_site": site_key, "count": count}
    row = db.session.connection().execute(_ADVANCE_HEAD, params).first()
    if row is None:
        try:
            with db.session.begin_nested():
                db.session.execute(insert(ChainHead).values(site=site_key, seq=0, head_hash=chain.GENESIS_HASH))
        except IntegrityError:
            pass  # another writer created it first
        row = db.session.connection().execute(_ADVANCE_HEAD, params).first()
    return row.seq - count + 1, row.head_hash


class Appended:
    """A record as the writer appends it: the values of its ``consent_records`` row as attributes, and
    ``as_chain_dict`` as on ConsentRecord (an ORM instance cost more to build than the rest of an append)."""

    __slots__ = _RECORD_COLUMNS

    def __init__(self, **values):
        for name in _RECORD_COLUMNS:
            setattr(self, name, values.get(name))

    def as_chain_dict(self):
        """The record as the mapping that ``chain`` hashes and verifies."""
        return {name: getattr(self, name) for name in _RECORD_COLUMNS}


def prepared(site_key, fields):
    """A record with everything that needs no place in the chain: its salt and personal-data digest.

    Made before the writer's turn (in the request's own thread), so that the turn holds only the work
    that needs the previous record.
    """
    salt = secrets.token_hex(16)
    record = Appended(**{"supersedes": False, **fields}, site=site_key, pii_salt=salt)
    record.pii_digest = chain.pii_digest(salt, record.ip_prefix, record.user_agent, record.page_url)
    return record


def _link(records, first_seq, previous_hash, now=None):
    """Give prepared records of one site their places after ``previous_hash``, hash them in order and
    insert them with one statement; set the head's hash. In the open transaction, head locked."""
    rows = []
    for seq, record in enumerate(records, first_seq):
        record.seq, record.prev_hash = seq, previous_hash
        record.recorded_at = now or datetime.now(timezone.utc)
        values = record.as_chain_dict()
        previous_hash = record.record_hash = values["record_hash"] = chain.record_hash(values)
        del values["id"]
        rows.append(values)
    connection = db.session.connection()
    ids = dict(connection.execute(_INSERT_RECORDS, rows).all())
    for record in records:
        record.id = ids[record.seq]
    connection.execute(_SET_HEAD_HASH, {"head_site": records[0].site, "new_hash": previous_hash})


def append(site_key, fields, now=None):
    """Append one record to the site's chain in the open transaction and return it (not committed)."""
    record = prepared(site_key, fields)
    _link([record], *_advance_head(site_key, 1), now=now)
    return record


def _store_snapshot(snapshot, now):
    """Store a policy snapshot unless this app already has (a concurrent writer's copy is the same
    content under the same hash, so a conflict is nothing to do)."""
    if snapshot.hash in current_app.extensions.get(STORED_SNAPSHOTS, ()):
        return snapshot.hash
    db.session.connection().execute(_INSERT_SNAPSHOT[db.session.get_bind().dialect.name], {
        "hash": snapshot.hash, "site": snapshot.site, "language": snapshot.language,
        "policy_version": snapshot.policy_version, "body": snapshot.body, "stored_at": now})
    return snapshot.hash


def _scrub(site_key, consent_ids):
    """Blank the personal fields and their salt on every record of the consents (erasure). The chain
    still verifies: those fields enter the record hash only through ``pii_digest``."""
    db.session.connection().execute(_SCRUB, {"scrub_site": site_key, "consent_ids": list(consent_ids)})


@dataclass
class Pending:
    """One record waiting for its batch's commit; ``submit`` prepares ``record``, the leader links it into
    the chain and fills in ``body``, or ``error``.

    ``respond(record)`` makes the answer; ``key`` and ``digest`` remember it under an Idempotency-Key;
    ``snapshot`` is the policy snapshot the record points at, stored first if it is not yet;
    ``erase`` also scrubs the consent's earlier records in the same transaction.
    """

    site_key: str
    fields: dict
    respond: object
    key: str | None = None
    digest: str | None = None
    erase: bool = False
    snapshot: object = None
    record: "Appended | None" = None
    body: dict | None = None
    error: Exception | None = None


_GROUP = GroupCommit()


def submit(item):
    """Store ``item``, committed with this process's concurrent records for its site; its answer."""
    # End the validation reads: no connection idles in a transaction while its batch is written,
    # and a connection the database dropped meanwhile is discarded by the pool, not rolled back here.
    db.session.close()
    item.record = prepared(item.site_key, item.fields)
    try:
        _GROUP.submit((id(current_app._get_current_object()), item.site_key), item, _write_batch)
    except TimeoutError:
        raise unavailable() from None
    if item.error is not None:
        raise item.error
    if item.body is None:  # the leader was interrupted
        raise unavailable()
    return item.body


def _write_batch(items):
    """The leader's work: every item in one transaction. After any error of one item's own (a
    repeated Idempotency-Key, a value the database refuses, a failing statement), each item in a
    transaction of its own, so that only the one at fault fails; while the database is away, every
    item fails at once with the 503 (errors are re-raised in each item's own request)."""
    try:
        _commit(items)
        return
    except Exception as error:
        if len(items) == 1 or is_unavailable(error):
            for item in items:
                item.error = error
            return
    away = None
    for item in items:
        if away is not None:
            item.error = away
            continue
        try:
            _commit([item])
        except Exception as error:
            item.error = error
            away = error if is_unavailable(error) else None


def _commit(items):
    """Append the items (all of one site) and remember their idempotency keys in one transaction, with
    the same statements however many items: the head locked and advanced, any snapshot not yet stored,
    the records' INSERT, the head's new hash, the erasures' scrub, the keys' INSERT; commit once."""
    site_key = items[0].site_key
    records = [item.record if item.record is not None else prepared(site_key, item.fields) for item in items]
    snapshots = {item.snapshot.hash: item.snapshot for item in items if item.snapshot is not None}
    with writer_turn():
        try:
            first_seq, previous_hash = _advance_head(site_key, len(items))
            now = datetime.now(timezone.utc)
            stored = {_store_snapshot(snapshot, now) for snapshot in snapshots.values()}
            _link(records, first_seq, previous_hash)
            if erased := [record.consent_id for item, record in zip(items, records) if item.erase]:
                _scrub(site_key, erased)
            keys = []
            for item, record in zip(items, records):
                item.record, item.body = record, item.respond(record)
                if item.key:
                    keys.append({"key": item.key, "request_digest": item.digest, "record_id": record.id,
                                 "response": json.dumps(item.body), "created_at": record.recorded_at})
            if keys:
                db.session.connection().execute(_INSERT_KEYS, keys)
            db.session.commit()
        except BaseException:
            db.session.rollback()  # before the next writer's turn
            for item in items:
                item.body = None
            raise
    current_app.extensions.setdefault(STORED_SNAPSHOTS, set()).update(stored)
    revocations.learn_committed([item.record for item in items if item.record.supersedes])


def store_snapshots(snapshots):
    """Store the policy snapshots that this app has not stored yet, in one transaction; commit.

    banner.js carries its snapshots' hashes, so the banner views store them before a banner goes
    out: a decision posted from a banner cached across a restart that changed the texts, or from an
    instance already on a new sites file, then names a snapshot that every instance can find.
    """
    stored = current_app.extensions.setdefault(STORED_SNAPSHOTS, set())
    missing = [snapshot for snapshot in snapshots if snapshot.hash not in stored]
    if not missing:
        return
    with writer_turn():
        try:
            now = datetime.now(timezone.utc)
            done = {_store_snapshot(snapshot, now) for snapshot in missing}
            db.session.commit()
        except BaseException:
            db.session.rollback()
            raise
    stored.update(done)


def delete_prefix(site_key, last_seq, checkpoint):
    """Delete the site's records up to ``last_seq`` (and their idempotency keys), keeping the signed
    ``checkpoint`` (PurgeCheckpoint's columns) from which the rest verifies; commit."""
    with writer_turn():
        try:
            db.session.add(PurgeCheckpoint(site=site_key, seq=last_seq, **checkpoint))
            doomed = select(ConsentRecord.id).where(ConsentRecord.site == site_key, ConsentRecord.seq <= last_seq)
            db.session.execute(delete(IdempotencyKey).where(IdempotencyKey.record_id.in_(doomed)))
            deleted = db.session.execute(delete(ConsentRecord).where(ConsentRecord.site == site_key,
                                                                      ConsentRecord.seq <= last_seq)).rowcount
            db.session.commit()
        except BaseException:
            db.session.rollback()
            raise
    return deleted


_SQLITE_WRITERS = threading.Lock()
FILE_TURN_POLL = 0.0002  # seconds between tries for another process's writer's turn


@contextlib.contextmanager
def writer_turn():
    """On SQLite, writers take turns on locks of their own: this process's on a thread lock, and the
    processes sharing the database file on an advisory lock (``flock``) of a file beside it.

    SQLite lets one writer in at a time; the others wait in its busy handler, which sleeps 1, 2, 5,
    10 ... up to 100 ms between tries however soon the lock is free: under load that sleep, not the
    work, set the pace, first between the threads of a process and then between the processes (a
    leader of one gunicorn worker slept while the other's batch took a millisecond). Here the next
    writer tries every FILE_TURN_POLL seconds instead. PostgreSQL's row lock wakes the next writer
    at once, so there is nothing to do.
    """
    bind = db.session.get_bind()
    if bind.dialect.name != "sqlite":
        yield
        return
    options = current_app.config["SQLALCHEMY_ENGINE_OPTIONS"].get("connect_args", {})
    timeout = float(options.get("timeout", 15))
    deadline = time.monotonic() + timeout
    if not _SQLITE_WRITERS.acquire(timeout=timeout):
        raise unavailable()
    try:
        with _file_turn(bind.url.database, deadline), _busy_until(deadline, timeout):
            yield
    finally:
        _SQLITE_WRITERS.release()


@contextlib.contextmanager
def _busy_until(deadline, timeout):
    """SQLite's own wait for its lock (a writer outside the service) ends at the turn's ``deadline``,
    so that a writer waits SQLITE_BUSY_TIMEOUT in all, not that after its wait for the turn. The
    connection gets its usual timeout back when it returns to the pool (``_restore_busy_timeout``)."""
    left = deadline - time.monotonic()
    if left <= 0:
        raise unavailable()
    pooled = db.session.connection().connection  # the session's transaction starts here, as it would anyway
    pooled.info[BUSY_RESTORE] = int(timeout * 1000)
    pooled.dbapi_connection.execute(f"PRAGMA busy_timeout = {int(left * 1000)}")  # as the restore does
    yield


BUSY_RESTORE = "consent_busy_timeout_ms"


@event.listens_for(Pool, "checkin")
def _restore_busy_timeout(dbapi_connection, record):
    """A SQLite connection whose busy timeout a writer shortened gets it back before anyone reuses it."""
    restore = record.info.pop(BUSY_RESTORE, None)
    if restore is not None and dbapi_connection is not None:
        dbapi_connection.execute(f"PRAGMA busy_timeout = {restore}")


@contextlib.contextmanager
def _file_turn(database, deadline):
    """Hold the advisory lock of ``database``'s writers (none for an in-memory database)."""
    if not database or database == ":memory:":
        yield
        return
    try:
        lock = open(f"{database}-writers.lock", "a+b")  # an open file of its own: flock is per open file
    except OSError as error:  # the database's folder is gone or not writable: so is the database
        current_app.logger.warning("the SQLite writers' lock cannot be opened: %s", error.strerror)
        raise unavailable() from None
    with lock:
        while True:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise unavailable() from None
                time.sleep(FILE_TURN_POLL)
        yield  # closing the file releases the lock
