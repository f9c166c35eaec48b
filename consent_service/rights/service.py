"""The visitor's rights over their consent records: see, move, withdraw and erase.

Reading is done here; every change (a withdrawal, an erasure) is the ledger's (``ledger.service``).
Erasure is the one exception to the ledger's append-only rule: it blanks the personal fields and
their salt on the consent's records. The chain still verifies, because those fields enter the
record hash only through ``pii_digest``.
"""
from datetime import timezone

from sqlalchemy import select

from ..extensions import db
from ..ledger import service as ledger
from ..ledger.models import ConsentRecord

OPTIONAL = ("analytics", "marketing")


def _records(owner):
    statement = (
        select(ConsentRecord)
        .where(ConsentRecord.site == owner.site.key, ConsentRecord.consent_id == owner.consent_id)
        .order_by(ConsentRecord.seq)
    )
    return db.session.scalars(statement).all()


def _utc(moment):
    """SQLite hands back naive datetimes; they were stored in UTC."""
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)


def _categories(record):
    return {"necessary": True, "analytics": record.analytics, "marketing": record.marketing}


def _record(record):
    return {
        "seq": record.seq, "recorded_at": _utc(record.recorded_at), "action": record.action,
        "categories": _categories(record), "policy_version": record.policy_version,
        "policy_hash": record.policy_hash, "language": record.language, "gpc": record.gpc, "ip_prefix": record.ip_prefix,
        "user_agent": record.user_agent, "page_url": record.page_url,
        "erased": record.pii_salt is None, "record_hash": record.record_hash,
    }


def history(owner):
    """Every record of the owner's consent, oldest first; ``records`` is empty when none is stored."""
    records = _records(owner)
    latest = records[-1] if records else None
    return {
        "site": owner.site.key,
        "consent_id": owner.consent_id,
        "categories": _categories(latest) if latest else {"necessary": True, "analytics": False, "marketing": False},
        "erased": bool(records) and all(record.pii_salt is None for record in records),
        "records": [_record(record) for record in records],
    }


def withdraw(owner, language, page_url, client):
    """Refuse every optional category from now on; return the ledger's answer with a fresh token.

    A new ``withdraw`` record is appended through the ledger, unless the latest record already
    refuses everything (then nothing is stored and the answer is for that record).
    """
    records = _records(owner)
    if not records:
        return None
    latest = records[-1]
    if not any(getattr(latest, key) for key in OPTIONAL):
        return ledger.response_body(owner.site, latest)
    body, _ = ledger.record_decision({
        "site": owner.site.key, "consent_id": owner.consent_id, "token": owner.token, "action": "withdraw",
        "categories": {"analytics": False, "marketing": False},
        "policy_version": owner.site.policy_version, "language": language, "page_url": page_url,
    }, client)
    return body


def erase(owner, language=None):
    """Scrub the personal fields of every record of the consent, record the erasure, return the history.

    The erasure record also withdraws (every optional category false) and holds no personal
    fields; its language is ``language`` or the latest record's. Erasing again when the latest
    record is an erasure changes nothing.
    """
    records = _records(owner)
    if records and records[-1].action != "erase":
        ledger.erase(owner.site, owner.consent_id, language or records[-1].language)
    return history(owner)
