"""The auditor's look-ups beyond the CSV: one consent's history (each record's hash checked), the policy
snapshots that history points at, and a site's signed chain head."""
from sqlalchemy import select

from ..errors import ApiError
from ..extensions import db
from ..ledger.models import ChainHead, ConsentRecord, PurgeCheckpoint
from ..ledger.verification import chain_start
from ..proof import chain
from . import signing


def history(consent_id, site_keys):
    """Every record of ``consent_id`` in the given sites, oldest first, each with its own hash checked."""
    statement = (select(ConsentRecord)
                 .where(ConsentRecord.consent_id == consent_id, ConsentRecord.site.in_(site_keys))
                 .order_by(ConsentRecord.site, ConsentRecord.seq))
    records = []
    for record in db.session.scalars(statement):
        values = record.as_chain_dict()
        verifies = chain.record_problem(values) is None
        values.pop("id")
        records.append({**values, "recorded_at": chain.text(record.recorded_at), "hash_verifies": verifies})
    return records


def snapshots_seen(records):
    """The policy snapshots that ``history`` records point at, each once, in the order first seen:
    ``{"policy_hash", "site", "policy_version", "language", "seqs"}``. Records stored before snapshots
    existed (no ``policy_hash``) name none."""
    seen = {}
    for record in records:
        policy_hash = record.get("policy_hash")
        if policy_hash:
            entry = seen.setdefault(policy_hash, {
                "policy_hash": policy_hash, "site": record["site"], "policy_version": record["policy_version"],
                "language": record["language"], "seqs": []})
            entry["seqs"].append(record["seq"])
    return list(seen.values())


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
