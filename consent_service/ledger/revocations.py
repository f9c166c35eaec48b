"""Feeding the consent-state check's table of superseded consents (``state/revocations.py``).

This process's writer tells the table at once after each commit (``learn_committed``). What other
processes and instances stored is read by the table's refresher, in the background, every
``REVOCATION_POLL_SECONDS`` (1 s by default): one indexed ``max(id)`` query when nothing changed;
otherwise the records stored meanwhile that follow an earlier record of their consent. The check
itself never queries the database.

Why polling rather than PostgreSQL's LISTEN/NOTIFY or a Redis set: it works the same on SQLite
(one machine, several workers) and on PostgreSQL (many instances), needs no extra connection or
service, and a missed message cannot exist: after a restart or an outage the next poll catches up
from the database itself. Record ids are handed out at insert, so on PostgreSQL a record may become
visible after one with a higher id (another site's batch committed first); each poll therefore reads
the records past the highest id it had seen and, for ``LAG_SECONDS``, the ids below it that it had not
seen yet (reading the whole last ``LAG_SECONDS`` again on every poll had cost a third of a worker's
CPU under a steady load of decisions).
"""
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from flask import current_app
from sqlalchemy import exists, func, or_, select
from sqlalchemy.orm import aliased

from ..extensions import db
from ..sites import configured_sites
from ..state.revocations import revocations_of
from .models import ConsentRecord

LAG_SECONDS = 10.0
_EARLIER = aliased(ConsentRecord)


def _superseding(after_id, upto_id, since=None):
    """Records with ``after_id < id <= upto_id`` that follow an earlier record of their consent."""
    record = ConsentRecord
    statement = (select(record.id, record.site, record.consent_id, record.seq, record.action, record.recorded_at)
                 .where(record.id > after_id, record.id <= upto_id,
                        exists().where(_EARLIER.site == record.site, _EARLIER.consent_id == record.consent_id,
                                       _EARLIER.seq < record.seq)))
    if since is not None:
        statement = statement.where(record.recorded_at >= since)
    return db.session.execute(statement).all()


def _new_superseding(after_id, upto_id, holes=()):
    """``_superseding`` for a poll's new records (``after_id < id <= upto_id``, and the ids in ``holes``):
    read by primary key, then the first seq of each of their consents by the consent_id index (a
    correlated EXISTS got a plan that scanned the index per record on PostgreSQL, seconds per poll under
    load). Both on the session's connection, as plain rows (the ORM's row handling cost more than the
    queries); returns ``(the superseding records, the ids read)``."""
    record = ConsentRecord
    wanted = record.id > after_id
    if holes:
        wanted = or_(wanted, record.id.in_(sorted(holes)))
    connection = db.session.connection()
    rows = connection.execute(
        select(record.id, record.site, record.consent_id, record.seq, record.action, record.recorded_at)
        .where(wanted, record.id <= upto_id)).all()
    if not rows:
        return [], set()
    firsts = dict(((site, consent_id), first) for site, consent_id, first in connection.execute(
        select(record.site, record.consent_id, func.min(record.seq))
        .where(record.consent_id.in_({row.consent_id for row in rows}))
        .group_by(record.site, record.consent_id)))
    return [row for row in rows if row.seq > firsts.get((row.site, row.consent_id), row.seq)], {row.id for row in rows}


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
                _learn(table, _superseding(0, highest, since))
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
