"""Auditor accounts, who is asking, and the log of what they read. The audit area commits only here,
in ``sessions`` (web sign-in), ``chain_status`` (the last check of each chain) and ``retention``."""
import hashlib
import json
import re
import secrets
from datetime import datetime, timezone

from flask import request
from sqlalchemy import func, select

from ..errors import ApiError
from ..extensions import db
from ..request_data import bearer_token
from ..sites import configured_sites
from . import sessions
from .models import AuditExport, Auditor

TOKEN_BYTES = 32
_NAME = re.compile(r"^[\w.@+-]{1,80}$")
BEARER_HELP = "Send 'Authorization: Bearer TOKEN' with a token from `./manage.sh flask auditor create`."


class AccountError(Exception):
    """A CLI request about accounts that cannot be done; the message says why."""


def hash_token(token):
    """The stored form of a token: tokens are random, so a plain SHA-256 cannot be searched back."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_auditor(name, site_keys=()):
    """Create an account and return ``(auditor, token)``; the token is never stored or shown again."""
    if not _NAME.match(name):
        raise AccountError("a name is 1-80 letters, digits and . _ @ + -")
    unknown = [key for key in site_keys if key not in configured_sites()]
    if unknown:
        raise AccountError(f"unknown site {', '.join(unknown)}")
    if db.session.scalar(select(Auditor.id).where(Auditor.name == name)) is not None:
        raise AccountError(f"an auditor named {name!r} exists (names stay taken after revoking, for the log)")
    token = secrets.token_urlsafe(TOKEN_BYTES)
    auditor = Auditor(name=name, token_hash=hash_token(token), sites=" ".join(dict.fromkeys(site_keys)) or None,
                      created_at=datetime.now(timezone.utc))
    db.session.add(auditor)
    db.session.commit()
    return auditor, token


def list_auditors():
    """Every account with its number of logged exports and the time of the last, oldest account first."""
    exports = (select(AuditExport.auditor_id, func.count().label("count"), func.max(AuditExport.at).label("last"))
               .group_by(AuditExport.auditor_id).subquery())
    statement = (select(Auditor, exports.c.count, exports.c.last)
                 .outerjoin(exports, exports.c.auditor_id == Auditor.id).order_by(Auditor.id))
    return db.session.execute(statement).all()


def revoke_auditor(name):
    """Revoke an account's token at once; its log stays."""
    auditor = db.session.scalar(select(Auditor).where(Auditor.name == name))
    if auditor is None:
        raise AccountError(f"no auditor named {name!r}")
    if auditor.revoked_at is not None:
        raise AccountError(f"{name} was already revoked")
    auditor.revoked_at = datetime.now(timezone.utc)
    db.session.commit()
    return auditor


def authenticate(token):
    """The active auditor holding ``token``, or None."""
    if not token or len(token) > 200:
        return None
    auditor = db.session.scalar(select(Auditor).where(Auditor.token_hash == hash_token(token)))
    return auditor if auditor is not None and auditor.revoked_at is None else None


def sign_in(token):
    """Start a web session for the token's auditor; return the auditor, or None for a bad token."""
    auditor = authenticate(token)
    if auditor is not None:
        sessions.start(auditor)
    return auditor


def sign_out():
    """End this browser's session, on the server too: a copied session cookie no longer signs anyone in."""
    sessions.end()


def session_auditor():
    """The signed-in auditor of this browser session, if the session and the account are still active."""
    return sessions.auditor()


def current_auditor():
    """The auditor of this request (Bearer token, else web session), or a 401."""
    header = request.headers.get("Authorization")
    challenge = {"WWW-Authenticate": 'Bearer realm="audit"'}
    if header is None:
        auditor = session_auditor()
        if auditor is None:
            raise ApiError(401, f"Not signed in. {BEARER_HELP}", headers=challenge)
        return auditor
    token = bearer_token(header)
    if token is None:
        raise ApiError(401, f"The Authorization header is not a Bearer token. {BEARER_HELP}", headers=challenge)
    auditor = authenticate(token)
    if auditor is None:
        raise ApiError(401, "This token is not valid: it is unknown or was revoked.", headers=challenge)
    return auditor


def readable_sites(auditor, requested=None):
    """The site keys the auditor reads: ``requested`` if allowed (403 if not), else every allowed one."""
    known = configured_sites()
    if requested is None:
        return tuple(key for key in known if auditor.may_read(key))
    if not auditor.may_read(requested):
        raise ApiError(403, f"Auditor {auditor.name} may not see site {requested!r}.")
    if requested not in known:
        raise ApiError(400, f"Unknown site {requested!r}.")
    return (requested,)


def log_access(who, kind, query):
    """Record that ``who`` (an Auditor, or a CLI user's name) read ``kind`` with ``query``; commit."""
    auditor = who if isinstance(who, Auditor) else None
    db.session.add(AuditExport(
        auditor_id=auditor.id if auditor else None, who=auditor.name if auditor else who,
        at=datetime.now(timezone.utc), kind=kind, filter=json.dumps(query, sort_keys=True, default=str),
    ))
    db.session.commit()


def export_log(name=None, limit=50):
    """The newest logged exports, of one auditor or of all."""
    statement = select(AuditExport).order_by(AuditExport.id.desc()).limit(limit)
    if name:
        statement = statement.where(AuditExport.who == name)
    return db.session.scalars(statement).all()
