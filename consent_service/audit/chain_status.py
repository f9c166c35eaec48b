"""The chain's status as last checked: checking a site's stored chain reads every record (about 10 s
at a million), so pages show the stored result of the last check, with its time, and a check runs
only when asked ("Check now" in the portal, or ``flask consent verify``).

Only this module writes ``chain_checks``: one row per site, replaced by each check.
"""
from datetime import datetime, timezone

from sqlalchemy.dialects import postgresql, sqlite

from ..extensions import db
from ..ledger.verification import check_stored_chain
from .models import ChainCheck

_INSERTS = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


def last_check(site_key):
    """The last recorded check of the site's chain, or None if it was never checked."""
    check = db.session.get(ChainCheck, site_key)
    if check is not None and check.checked_at.tzinfo is None:  # SQLite hands back naive UTC times
        check.checked_at = check.checked_at.replace(tzinfo=timezone.utc)
    return check


def record(report, who, now=None):
    """Keep ``report`` (a ``ledger.verification.ChainReport``) as the site's last check, made by ``who``
    (an auditor's name or ``cli:USER``); commit. Two checks at once leave the later one."""
    values = {"site": report.site, "checked_at": now or datetime.now(timezone.utc), "checked_by": who,
              "ok": report.ok, "record_count": report.count, "head_seq": report.last_seq,
              "head_hash": report.head_hash, "error": report.error}
    insert = _INSERTS[db.session.get_bind().dialect.name]
    statement = insert(ChainCheck).values(**values)
    db.session.execute(statement.on_conflict_do_update(
        index_elements=[ChainCheck.site], set_={key: statement.excluded[key] for key in values if key != "site"}))
    db.session.commit()


def check_now(site_key, who):
    """Check the site's stored chain now, keep the result as its last check, and return that check."""
    record(check_stored_chain(site_key), who)
    return last_check(site_key)
