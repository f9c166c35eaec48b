"""Verifying the stored chains against their hashes and heads."""
from dataclasses import dataclass

from sqlalchemy import select

from ..extensions import db
from . import chain
from .models import ChainHead, ConsentRecord, PurgeCheckpoint

BATCH = 2000


@dataclass
class ChainReport:
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


def _records(site_key, after_seq):
    statement = (
        select(ConsentRecord).where(ConsentRecord.site == site_key, ConsentRecord.seq > after_seq)
        .order_by(ConsentRecord.seq).execution_options(yield_per=BATCH)
    )
    result = db.session.scalars(statement)
    try:
        for record in result:
            yield record.as_chain_dict()
    finally:
        result.close()  # a server-side cursor on PostgreSQL


def verify_site(site_key):
    """Check every stored record of one site and its head; the report names the first bad record."""
    start_seq, start_hash = chain_start(site_key)
    records = _records(site_key, start_seq)
    try:
        count, last_seq, head_hash = chain.verify(records, start_seq, start_hash)
    except chain.ChainBreak as error:
        return ChainReport(site_key, 0, 0, "", f"record {error}")
    finally:
        records.close()
        db.session.rollback()
    report = ChainReport(site_key, count, last_seq, head_hash)
    head = db.session.get(ChainHead, site_key)
    stored = (head.seq, head.head_hash) if head else (start_seq, start_hash)
    if stored != (last_seq, head_hash):
        report.error = (f"the chain head says seq {stored[0]} but the records end at seq {last_seq}: "
                        "records at the end were deleted or the head was edited")
    return report


def verify_all(site_keys):
    """A report for each site, in the order given."""
    return [verify_site(key) for key in site_keys]
