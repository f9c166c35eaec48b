"""The consent records the ledger holds, read back for assertions; and a bounded wait for them when
a browser sends its decisions in the background."""
import time

from sqlalchemy import select

from consent_service.extensions import db
from consent_service.ledger.models import ConsentRecord

from tests.support.waiting import browser_pause, wait_for, wait_until_steady


def records(app, consent_id=None):
    """Every stored consent record in chain order (by site, then seq), or only ``consent_id``'s."""
    with app.app_context():
        statement = select(ConsentRecord).order_by(ConsentRecord.site, ConsentRecord.seq)
        if consent_id:
            statement = statement.where(ConsentRecord.consent_id == consent_id)
        return db.session.scalars(statement).all()


def wait_for_records(app, count, timeout=10.0, page=None):
    """The stored records once there are at least ``count`` and their number has then held still for
    a moment (so that a duplicate sent just after is caught); gives up after ``timeout`` seconds.
    With ``page``, Playwright handles that page's events (its routed requests) while this waits."""
    pause = browser_pause(page) if page is not None else time.sleep
    wait_for(lambda: len(records(app)), lambda found: found >= count, timeout, pause)
    return wait_until_steady(lambda: records(app), key=len, timeout=timeout, pause=pause)
