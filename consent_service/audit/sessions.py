"""Auditors' web sessions, kept on the server: signing out ends one for good.

Flask's session is a signed cookie: clearing it in the browser leaves any copy of it valid. So the
cookie holds a random secret, and the server keeps the SHA-256 of that secret with its auditor
(``AuditorSession``). A session counts while its row is not ended, is younger than
``AUDIT_SESSION_HOURS`` (12 h), and its auditor's token was not revoked or replaced.
"""
import hashlib
import secrets
from datetime import datetime, timedelta, timezone

from flask import current_app, session

from ..extensions import db
from .models import Auditor, AuditorSession

SESSION_KEY = "auditor"
SECRET_BYTES = 32
DEFAULT_HOURS = 12


def _hash(secret):
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def _utc(moment):
    """SQLite hands back naive datetimes; they were stored in UTC."""
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment


def start(auditor):
    """A new session for ``auditor`` in this browser (nothing from before carries over); commit."""
    secret = secrets.token_urlsafe(SECRET_BYTES)
    db.session.add(AuditorSession(secret_hash=_hash(secret), auditor_id=auditor.id,
                                  started_at=datetime.now(timezone.utc)))
    db.session.commit()
    session.clear()
    session[SESSION_KEY] = [auditor.id, secret]


def _row():
    """This browser's session row, or None when its cookie names none."""
    value = session.get(SESSION_KEY)
    if not (isinstance(value, list) and len(value) == 2 and isinstance(value[1], str)):
        return None
    row = db.session.get(AuditorSession, _hash(value[1]))
    return row if row is not None and row.auditor_id == value[0] else None


def auditor():
    """The auditor of this browser's session while it counts (see the module), else None."""
    row = _row()
    if row is None or row.ended_at is not None:
        return None
    hours = current_app.config.get("AUDIT_SESSION_HOURS", DEFAULT_HOURS)
    if datetime.now(timezone.utc) - _utc(row.started_at) > timedelta(hours=hours):
        return None
    found = db.session.get(Auditor, row.auditor_id)
    return found if found is not None and found.revoked_at is None else None


def end():
    """End this browser's session on the server (a copy of its cookie stops counting) and clear it; commit."""
    row = _row()
    if row is not None and row.ended_at is None:
        row.ended_at = datetime.now(timezone.utc)
        db.session.commit()
    session.clear()
