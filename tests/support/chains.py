"""Consent records as texts, hashed and checked as ``proof.chain`` promises, stated plainly with
``json.dumps`` and ``hashlib`` (what the tests hold the quick checks to)."""
import hashlib
import json

from consent_service.proof import chain


def canonical(texts):
    return json.dumps(list(texts), ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def digest(texts):
    return hashlib.sha256(canonical(texts)).hexdigest()


def expected_problem(record):
    """What ``chain.problem`` promises of a record (a mapping of CHECKED_FIELDS to texts), stated plainly."""
    if record["pii_salt"]:
        if digest([record[name] for name in ("pii_salt", *chain.PII_FIELDS)]) != record["pii_digest"]:
            return chain.PII_EDITED
    elif any(record[name] for name in chain.PII_FIELDS):
        return chain.PII_ON_ERASED
    names = chain.HASHED_FIELDS if record["policy_hash"] else chain.LEGACY_HASHED_FIELDS
    if digest([record[name] for name in names]) != record["record_hash"]:
        return chain.RECORD_EDITED
    return None


def sealed(**texts):
    """A record whose hashes verify, with ``texts`` in place of the usual ones (the ledger's hashing stated
    plainly; an empty ``pii_salt`` makes an erased record, without personal texts, and an empty
    ``policy_hash`` one of before snapshots)."""
    record = {
        "seq": "7", "consent_id": "9b2f1c3e-0c1d-4e5f-8a9b-0c1d2e3f4a5b", "recorded_at": "2026-11-01T12:00:00.000001Z",
        "site": "entrack", "action": "custom", "necessary": "true", "analytics": "true", "marketing": "false",
        "policy_version": "2026-11-01", "policy_hash": "ab" * 32, "language": "fi", "gpc": "false",
        "prev_hash": "cd" * 32, "pii_salt": "0f" * 16, "ip_prefix": "203.0.113.0/24",
        "user_agent": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko)",
        "page_url": "https://www.entrack.fi/palvelut", **texts,
    }
    if not record["pii_salt"]:
        record.update(dict.fromkeys(chain.PII_FIELDS, ""))
    record["pii_digest"] = digest([record[name] for name in ("pii_salt", *chain.PII_FIELDS)])
    names = chain.HASHED_FIELDS if record["policy_hash"] else chain.LEGACY_HASHED_FIELDS
    record["record_hash"] = digest([record[name] for name in names])
    return record


def chained(*changes, site="entrack"):
    """Sealed records with seq 1, 2, ... of ``site``, each linked to the one before; each with its
    ``changes`` (a dict of texts)."""
    records, prev_hash = [], chain.GENESIS_HASH
    for seq, texts in enumerate(changes, start=1):
        record = sealed(**{"seq": str(seq), "site": site, "prev_hash": prev_hash, **texts})
        records.append(record)
        prev_hash = record["record_hash"]
    return records
