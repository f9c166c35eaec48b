"""Retention: deleting old records while what remains still verifies from a signed checkpoint."""
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy import func, select

from ..extensions import db
from ..ledger import service as ledger
from ..ledger.models import ConsentRecord
from ..ledger.verification import chain_start, check_stored_chain
from ..proof import chain
from ..sites import configured_sites
from . import signing


class PurgeRefused(Exception):
    """Nothing was purged; the message says why."""


@dataclass
class PurgeResult:
    site: str
    deleted: int
    checkpoint_seq: int
    checkpoint_hash: str


def _last_purgeable(site_key, cutoff):
    """The highest seq such that it and every record before it are older than ``cutoff``."""
    first_kept = db.session.scalar(select(func.min(ConsentRecord.seq))
                                   .where(ConsentRecord.site == site_key, ConsentRecord.recorded_at >= cutoff))
    if first_kept is not None:
        return first_kept - 1
    return db.session.scalar(select(func.max(ConsentRecord.seq)).where(ConsentRecord.site == site_key))


def purge(site_key, older_than_days=None, now=None):
    """Delete the site's records older than the days given (default: its ``retention_days``).

    Only a prefix of the chain is deleted, and only if the whole chain verifies first; the last
    deleted record's seq and hash are kept as a signed checkpoint, from which the rest verifies.
    """
    site = configured_sites()[site_key]
    days = site.retention_days if older_than_days is None else older_than_days
    if days < site.consent_days:
        raise PurgeRefused(f"{site_key}: {days} days is less than the site's consent_days ({site.consent_days}): "
                           "the proof of consents still in force would be deleted")
    report = check_stored_chain(site_key)
    if not report.ok:
        raise PurgeRefused(f"{site_key}: the chain does not verify, so nothing is purged: {report.error}")
    start_seq, _ = chain_start(site_key)
    last = _last_purgeable(site_key, (now or datetime.now(timezone.utc)) - timedelta(days=days))
    if last is None or last <= start_seq:
        return PurgeResult(site_key, 0, *chain_start(site_key))
    record = db.session.scalar(select(ConsentRecord)
                               .where(ConsentRecord.site == site_key, ConsentRecord.seq == last))
    record_hash, recorded_at = record.record_hash, record.recorded_at
    statement = {
        "statement": "consent-purge-checkpoint", "site": site_key, "seq": last, "record_hash": record_hash,
        "last_recorded_at": chain.text(recorded_at), "purged_count": last - start_seq,
        "previous_start_seq": start_seq,
    }
    signed = signing.sign(statement)
    deleted = ledger.purge_prefix(site_key, last, {
        "record_hash": record_hash, "last_recorded_at": recorded_at,
        "purged_count": last - start_seq, "purged_at": datetime.now(timezone.utc),
        "payload": signed["payload"], "signature": signed["signature"], "key_id": signed["key_id"],
    })
    return PurgeResult(site_key, deleted, last, record_hash)
