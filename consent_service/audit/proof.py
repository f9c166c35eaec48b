"""What proves consent beyond the CSV: one visitor's history, a site's signed chain head, and the
stored chain checked exactly as its full export would be."""
from datetime import datetime

from sqlalchemy import select

from ..errors import ApiError
from ..extensions import db
from ..ledger import chain
from ..ledger.models import ChainHead, ConsentRecord, PurgeCheckpoint
from ..ledger.verification import ChainReport, chain_start
from .. import verify
from . import export, signing


def history(consent_id, site_keys):
    """Every record of ``consent_id`` in the given sites, oldest first, each with its own hash checked."""
    statement = (select(ConsentRecord)
                 .where(ConsentRecord.consent_id == consent_id, ConsentRecord.site.in_(site_keys))
                 .order_by(ConsentRecord.site, ConsentRecord.seq))
    records = []
    for record in db.session.scalars(statement):
        values = record.as_chain_dict()
        try:
            chain.check_record(values, record.seq, record.prev_hash)
            verifies = True
        except chain.ChainBreak:
            verifies = False
        values.pop("id")
        records.append({**values, "recorded_at": chain.text(record.recorded_at), "hash_verifies": verifies})
    return records


def _hash_at(site_key, seq, start, head):
    if seq == start[0]:
        return start[1]
    if seq == head[0]:
        return head[1]
    if not start[0] < seq < head[0]:
        raise ApiError(404, f"Site {site_key!r} has no record at seq {seq}: its stored chain runs "
                            f"from seq {start[0] + 1} to {head[0]}.")
    return db.session.scalar(select(ConsentRecord.record_hash)
                             .where(ConsentRecord.site == site_key, ConsentRecord.seq == seq))


def latest_checkpoint(site_key):
    """The newest purge checkpoint of a site, or None."""
    return db.session.scalar(select(PurgeCheckpoint).where(PurgeCheckpoint.site == site_key)
                             .order_by(PurgeCheckpoint.seq.desc()).limit(1))


def chain_head(site_key, seq=None):
    """The site's head (or the hash at ``seq``), signed, with where the stored chain starts."""
    start = chain_start(site_key)
    row = db.session.get(ChainHead, site_key)
    head = (row.seq, row.head_hash) if row else start
    seq = head[0] if seq is None else seq
    statement = {"statement": "consent-chain-head", "site": site_key, "seq": seq,
                 "head_hash": _hash_at(site_key, seq, start, head), "start_seq": start[0], "start_hash": start[1]}
    checkpoint = latest_checkpoint(site_key)
    return {
        **{key: statement[key] for key in ("site", "seq", "head_hash", "start_seq", "start_hash")},
        "signed": signing.sign(statement),
        "checkpoint": None if checkpoint is None else {
            "algorithm": "Ed25519", "key_id": checkpoint.key_id,
            "payload": checkpoint.payload, "signature": checkpoint.signature,
        },
        "public_key": signing.public_key_info()["public_key"],
    }


def _stored_texts(rows, sqlite):
    """Raw database rows (COLUMNS order) as the text cells ``chain.text`` gives; SQLite keeps booleans as
    integers and times as text, which are first typed as SQLAlchemy would."""
    converters = [bool if name in export.FLAG_COLUMNS else datetime.fromisoformat if name in export.TIME_COLUMNS
                  else None for name in verify.COLUMNS] if sqlite else [None] * len(verify.COLUMNS)
    text = chain.text
    return [[text(value if convert is None or value is None else convert(value))
             for convert, value in zip(converters, row)] for row in rows]


def _check_stored(rows, sqlite):
    """The offline verifier's record-level checks of a batch of raw rows (run in a worker if asked)."""
    return (len(rows), *verify._check_batch(_stored_texts(rows, sqlite), len(verify.COLUMNS), None, False))


def _raw_batches(site_key, after_seq, sqlite):
    """The site's records after ``after_seq`` in chain order, as the driver returns them (a server-side
    cursor on PostgreSQL), on the session's connection and transaction."""
    connection = db.session.connection().connection.dbapi_connection
    mark = "?" if sqlite else "%s"
    query = (f"SELECT {', '.join(verify.COLUMNS)} FROM consent_records "
             f"WHERE site = {mark} AND seq > {mark} ORDER BY seq")
    cursor = connection.cursor() if sqlite else connection.cursor(name="audit_verify")
    try:
        cursor.execute(query, (site_key, after_seq))
        while rows := cursor.fetchmany(verify.BATCH):
            yield rows
    finally:
        cursor.close()


def verify_database(site_key, jobs=1):
    """Check the site's stored records as the offline verifier checks its full export: every hash and
    link, from the purge checkpoint (or genesis) to the stored head. A ChainReport naming the first break.

    With ``jobs`` > 1 the hashes are computed in worker processes (for the command line, not a web worker).
    """
    start = chain_start(site_key)
    sqlite = db.session.get_bind().dialect.name == "sqlite"
    try:
        results = verify._checked(_raw_batches(site_key, start[0], sqlite), _check_stored, jobs, sqlite)
        run = verify._link_results(results, {}).get(site_key)
    except verify.FileBreak as error:
        return ChainReport(site_key, 0, 0, "", f"the export's {error}")
    finally:
        db.session.rollback()
    count, last = (run.rows, (run.last_seq, run.last_hash)) if run else (0, start)
    report = ChainReport(site_key, count, *last)
    row = db.session.get(ChainHead, site_key)
    stored = (row.seq, row.head_hash) if row else start
    if run and (run.first_seq - 1, run.first_prev) != start:
        report.error = (f"the first stored record (seq {run.first_seq}) does not follow the chain's start "
                        f"(seq {start[0]}): records at the start were deleted")
    elif run and run.gaps:
        report.error = f"the stored chain has {run.gaps} gap(s) in its seq: records were deleted"
    elif stored != last:
        report.error = (f"the chain head says seq {stored[0]} but the records end at seq {last[0]}: "
                        "records at the end were deleted or the head was edited")
    return report
