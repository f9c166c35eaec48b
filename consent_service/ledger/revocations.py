"""Feeding the consent-state check's table of superseded consents (``state/revocations.py``).

This process's writer tells the table at once after each commit (``learn_committed``). What other
processes and instances stored is read by the table's refresher, in the background, every
``REVOCATION_POLL_SECONDS`` (1 s by default): one indexed ``max(id)`` query when nothing changed;
otherwise the ids stored meanwhile, and the few records among them that supersede an earlier one of
their consent (``ConsentRecord.supersedes``, set by the writer, in a partial index of its own). The
check itself never queries the database.

Why polling rather than PostgreSQL's LISTEN/NOTIFY or a Redis set: it works the same on SQLite
(one machine, several workers) and on PostgreSQL (many instances), needs no extra connection or
service, and a missed message cannot exist: after a restart or an outage the next poll catches up
from the database itself. Record ids are handed out at insert, so on PostgreSQL a record may become
visible after one with a higher id (another site's batch committed first); each poll therefore reads
the ids past the highest it had seen and, for ``LAG_SECONDS``, the ids below it that it had not seen
yet. Each record is read once, and only a superseding one as a whole row: reading the whole last
``LAG_SECONDS`` on every poll had cost a third of a worker's CPU under a steady load of decisions, and
reading every new record with a look-up of its consent's first seq was still a few percent of a
worker's CPU in every process of every instance.
"""
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from flask import current_app
from sqlalchemy import func, or_, select

from ..extensions import db
from ..sites import configured_sites
from ..state.revocations import revocations_of
from .models import ConsentRecord

LAG_SECONDS = 10.0
_RECORD = ConsentRecord
_SUPERSEDING = select(_RECORD.id, _RECORD.site, _RECORD.consent_id, _RECORD.seq, _RECORD.action,
                      _RECORD.recorded_at).where(_RECORD.supersedes)


def _superseding_since(since):
    """Every record stored since ``since`` that supersedes an earlier one of its consent."""
    return db.session.execute(_SUPERSEDING.where(_RECORD.recorded_at >= since)).all()


def _new_superseding(after_id, upto_id, holes=()):
    """The superseding records among a poll's new ones (``after_id < id <= upto_id``, and the ids in
    ``holes``), and the ids read: both on the session's connection, as plain rows (the ORM's row
    handling cost more than the queries). Returns ``(the superseding records, the ids read)``."""
    wanted = _RECORD.id > after_id
    if holes:
        wanted = or_(wanted, _RECORD.id.in_(sorted(holes)))
    wanted = wanted & (_RECORD.id <= upto_id)
    connection = db.session.connection()
    read = set(connection.execute(select(_RECORD.id).where(wanted)).scalars())
    if not read:
        return [], read
    return connection.execute(_SUPERSEDING.where(wanted)).all(), read


@dataclass
class _Bookmark:
    """How far the refresher has read: every id up to ``highest``, except ``holes`` ({id: when first
    missed}), ids below it not visible yet, read again until they are or ``LAG_SECONDS`` have passed."""

    highest: int
    holes: dict = field(default_factory=dict)


def _learn(table, rows):
    for row in rows:
        table.learn(row.site, row.consent_id, row.seq, row.action, _timestamp(row.recorded_at))


def _timestamp(moment):
    return (moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)).timestamp()


def refresh(app, table):
    """Read what was stored since the last refresh (at first: every consent still in force) into ``table``.

    ``table.cursor`` holds the refresher's ``_Bookmark``.
    """
    with app.app_context():
        try:
            highest = db.session.scalar(select(func.max(ConsentRecord.id))) or 0
            now = time.time()
            lifetime = max(site.consent_seconds for site in configured_sites().values())
            if table.cursor is None:
                since = datetime.now(timezone.utc) - timedelta(seconds=lifetime)
                _learn(table, _superseding_since(since))
                table.cursor = _Bookmark(highest)
                return
            mark = table.cursor
            holes = {hole: missed for hole, missed in mark.holes.items() if missed > now - LAG_SECONDS}
            if highest > mark.highest or holes:
                rows, read = _new_superseding(mark.highest, highest, holes)
                _learn(table, rows)
                holes.update((hole, now) for hole in range(mark.highest + 1, highest + 1) if hole not in read)
                holes = {hole: missed for hole, missed in holes.items() if hole not in read}
            table.cursor = _Bookmark(max(highest, mark.highest), holes)
            table.forget_before(now - lifetime)
        finally:
            db.session.remove()


def learn_committed(records):
    """Tell this process's table about records just committed that supersede earlier ones."""
    table = revocations_of(current_app)
    for record in records:
        table.learn(record.site, record.consent_id, record.seq, record.action)


def init_app(app):
    """Give the app's table its refresher (started by the first consent-state check of a process)."""
    table = revocations_of(app)
    table.refresh = lambda current: refresh(app, current)
    table.interval = float(app.config["REVOCATION_POLL_SECONDS"])
