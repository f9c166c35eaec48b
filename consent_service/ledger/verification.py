"""Checking the stored chains: every record checked exactly as in the site's full consent-proof export
(the offline verifier's engine, ``proof.checking``, on the texts the database renders), then the site's head.

The texts are read as the database holds them, UTF-8 bytes, without decoding each: the engine hashes UTF-8.
"""
import itertools
from dataclasses import dataclass
from functools import cache, partial
from operator import itemgetter

from sqlalchemy import NullPool, String, case, create_engine, func, inspect, literal, select, type_coerce

from ..extensions import db
from ..proof import chain, checking
from .models import ChainHead, ConsentRecord, PurgeCheckpoint

TIME_COLUMNS = {"recorded_at"}
FLAG_COLUMNS = {"necessary", "analytics", "marketing", "gpc"}
NUMBER_COLUMNS = {"seq"}
# Only these can be NULL (the others are NOT NULL in the schema): the empty text stands for NULL here.
NULLABLE_COLUMNS = {column.key for column in inspect(ConsentRecord).columns if column.nullable}
LAYOUT = checking.Layout.of(chain.CHECKED_FIELDS, gaps_allowed=False, cells=bytes)
BATCH = 200  # rows fetched at a time (5000 at a time, a batch's rows outgrew the CPU's caches: 8 % slower)
SERVER_BATCH = 1000  # from PostgreSQL's server-side cursor, a round trip each (200 at a time: 2 % slower)
PARALLEL_FROM = 5000  # records of a site from which ``jobs`` > 1 checks them in worker processes
JOINED_BY = "\x1f"  # between a record's texts, read as one text from PostgreSQL (see _joined)


@dataclass
class ChainReport:
    """What the check of one site's stored chain found: its records and head, or the first error."""

    site: str
    count: int
    last_seq: int
    head_hash: str
    error: str | None = None

    @property
    def ok(self):
        return self.error is None


def chain_start(site_key):
    """Where a site's chain starts: ``(seq, hash)`` before its first stored record.

    After a retention purge, that is the newest checkpoint: the seq and hash of the last purged record
    (its signed statement is in ``purge_checkpoints``).
    """
    checkpoint = db.session.execute(
        select(PurgeCheckpoint.seq, PurgeCheckpoint.record_hash).where(PurgeCheckpoint.site == site_key)
        .order_by(PurgeCheckpoint.seq.desc()).limit(1)
    ).first()
    return (checkpoint.seq, checkpoint.record_hash) if checkpoint else (0, chain.GENESIS_HASH)


def column_text(name, dialect):
    """The record column ``name`` as the text ``chain.text`` gives (NULL stays NULL), computed by the
    database: the export and the verification read the same texts, and Python only compares them."""
    column = getattr(ConsentRecord, name)
    if name in FLAG_COLUMNS:
        return case((column, literal("true")), else_=literal("false"))
    if name in NUMBER_COLUMNS:
        return column.cast(String)
    if name in TIME_COLUMNS:
        if dialect == "postgresql":
            return func.to_char(func.timezone("UTC", column), 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"', type_=String)
        # SQLAlchemy keeps SQLite times as 'YYYY-MM-DD HH:MM:SS.ffffff' in UTC.
        return type_coerce(func.replace(type_coerce(column, String), " ", "T"), String) + "Z"
    return type_coerce(column, String)


def _texts(dialect):
    """The texts of ``chain.CHECKED_FIELDS`` as the database renders them (NULL of a nullable column as '')."""
    return [func.coalesce(column_text(name, dialect.name), literal("")) if name in NULLABLE_COLUMNS
            else column_text(name, dialect.name) for name in chain.CHECKED_FIELDS]


def _joined(texts):
    """The texts as one, joined by JOINED_BY: it splits back into them exactly when it splits into as many
    pieces (none holds the separator). ``concat_ws`` leaves NULLs out: a NULL where the schema allows none
    (the column's NOT NULL dropped) stands as the separator itself, so that it makes a piece too many."""
    return func.concat_ws(literal(JOINED_BY), *(
        text if name in NULLABLE_COLUMNS else func.coalesce(text, literal(JOINED_BY))
        for name, text in zip(chain.CHECKED_FIELDS, texts)))


def _select(dialect, columns, site_key, after_seq, upto_seq):
    """``(sql, parameters)`` for the driver: ``columns`` of the site's records in ``(after_seq, upto_seq]``,
    in chain order."""
    query = (select(*columns).where(ConsentRecord.site == site_key, ConsentRecord.seq > after_seq,
                                    ConsentRecord.seq <= upto_seq)
             .order_by(ConsentRecord.seq)).compile(dialect=dialect)
    params = tuple(query.params[name] for name in query.positiontup) if dialect.positional else query.params
    return query.string, params


def _check_stored(connection, dialect, site_key, after_seq, upto_seq):
    """``checking.check_rows`` of the site's records in ``(after_seq, upto_seq]``, read with the driver's own
    cursor (SQLAlchemy's result rows would cost more than the database's work); server-side on
    PostgreSQL, so that memory stays flat.

    The texts come undecoded: SQLite's through the connection's ``text_factory`` (set back after),
    PostgreSQL's in the client encoding SQL_ASCII, which the server sends unconverted and psycopg leaves
    as bytes (``SET LOCAL``: until the transaction ends). PostgreSQL sends each record's texts joined in
    one (``_joined``: less work for the server and the driver than a column per text); where the check of
    those finds anything wrong (also a text that holds the separator), the texts are read again one column
    each, and that check counts.
    """
    texts = _texts(dialect)
    if dialect.name != "postgresql":
        text_factory, connection.text_factory = connection.text_factory, bytes
        try:
            return _check_read(connection.cursor(), _select(dialect, texts, site_key, after_seq, upto_seq), BATCH)
        finally:
            connection.text_factory = text_factory
    connection.execute("SET LOCAL client_encoding TO 'SQL_ASCII'")
    checked = _check_read(connection.cursor(name="consent_verify"),
                          _select(dialect, [_joined(texts)], site_key, after_seq, upto_seq), SERVER_BATCH, split=True)
    if checked.error is None:
        return checked
    return _check_read(connection.cursor(name="consent_verify"), _select(dialect, texts, site_key, after_seq, upto_seq),
                       SERVER_BATCH)


def _check_read(cursor, statement, batch, split=False):
    """``checking.check_rows`` of what ``statement`` reads with ``cursor`` (then closed), ``batch`` rows at a
    time: the texts, or with ``split`` one text per record that ``_joined`` made."""
    try:
        cursor.execute(*statement)
        rows = itertools.chain.from_iterable(iter(partial(cursor.fetchmany, batch), []))
        if split:
            rows = map(bytes.split, map(itemgetter(0), rows), itertools.repeat(JOINED_BY.encode()))
        return checking.check_rows(rows, LAYOUT)
    finally:
        cursor.close()


def _check_range(seq_range, url, site_key):
    """``_check_stored`` in a worker process, on a connection of its own."""
    engine = _worker_engine(url)
    with engine.connect() as connection:
        return _check_stored(connection.connection.dbapi_connection, engine.dialect, site_key, *seq_range)


@cache
def _worker_engine(url):
    """A worker process's engine for the database at ``url``, made at its first range (a new engine for each
    range cost a PostgreSQL worker about 10 ms). It pools nothing: each range's connection is closed after."""
    return create_engine(url, poolclass=NullPool)


def _ranges(start_seq, head_seq, parts):
    step = max(1, -(-(head_seq - start_seq) // parts))
    return ((low, min(low + step, head_seq)) for low in range(start_seq, head_seq, step))


def _checked(site_key, start_seq, head_seq, jobs):
    """The checked records of the site up to its head: in this session's transaction, or in ``jobs``
    processes over ranges of seq, each in its own (a file-backed or server database)."""
    engine = db.session.get_bind()
    if jobs > 1 and engine.url.database not in (None, "", ":memory:") and head_seq - start_seq > PARALLEL_FROM:
        url = engine.url.render_as_string(hide_password=False)
        return list(checking.checked_in_order(_ranges(start_seq, head_seq, 4 * jobs), _check_range, jobs,
                                              url, site_key))
    connection = db.session.connection().connection.dbapi_connection
    return [_check_stored(connection, engine.dialect, site_key, start_seq, head_seq)]


def _head(site_key, start):
    """``(head seq, head hash, highest stored seq)``, read in one statement (one snapshot)."""
    highest = (select(func.max(ConsentRecord.seq)).where(ConsentRecord.site == site_key)
               .scalar_subquery())
    row = db.session.execute(select(ChainHead.seq, ChainHead.head_hash, highest)
                             .where(ChainHead.site == site_key)).first()
    return tuple(row) if row else (*start, db.session.scalar(select(highest)))


def check_stored_chain(site_key, jobs=1):
    """Check every stored record of one site from its start (genesis or purge checkpoint) to its head;
    the report names the first bad record. With ``jobs`` > 1 the hashes are computed in that many
    worker processes (for the command line, not inside a web worker); a break found that way is
    checked again in one transaction, so that a purge running meanwhile cannot fake one."""
    start = chain_start(site_key)
    head_seq, head_hash, highest = _head(site_key, start)
    try:
        runs = {site_key: checking.SiteRun.starting(site_key, start[0] + 1, start[1])}
        run = checking.join(_checked(site_key, start[0], head_seq, jobs), LAYOUT, runs)[site_key]
    except checking.ChainBreak as error:
        if jobs > 1:
            return check_stored_chain(site_key)
        where = f"record seq {error.seq} (consent_id {error.consent_id})" if error.seq is not None else "a record"
        return ChainReport(site_key, 0, 0, "", f"{where}: {error.reason}")
    finally:
        db.session.rollback()
    report = ChainReport(site_key, run.rows, run.last_seq, run.last_hash)
    if (run.last_seq, run.last_hash) != (head_seq, head_hash):
        report.error = (f"the chain head says seq {head_seq} but the records end at seq {run.last_seq}: "
                        "records at the end were deleted or the head was edited")
    elif highest is not None and highest > head_seq:
        report.error = (f"record seq {highest} lies beyond the chain head (seq {head_seq}): "
                        "a record was inserted or the head was edited")
    return report


def check_stored_chains(site_keys, jobs=1):
    """A ChainReport for each site, in the order given."""
    return [check_stored_chain(key, jobs) for key in site_keys]
