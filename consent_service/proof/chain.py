"""The hash chain of consent records: pure functions, shared by the service and the offline verifier.

Every record's hash covers its content fields, a digest of its personal fields and the hash of the
previous record of the same site. The personal fields (IP prefix, user agent, page URL) enter only
through ``pii_digest``, salted per record, so that erasing them (and the salt) keeps the chain valid
while leaving nothing to link the digest back to the person.

Every value is hashed as the text that the consent-proof CSV shows, so that a CSV file alone is
enough to verify it.

A record names the policy snapshot its visitor was shown (``policy_hash``: the SHA-256 of the
snapshot's canonical JSON, see ``consent_service.policies``), and that hash enters the record's hash.
Records stored before snapshots existed have no ``policy_hash``; their hash covers the other fields
(``LEGACY_HASHED_FIELDS``). Which list a record's hash covers follows from the record itself: an empty
``policy_hash`` means the legacy list. Blanking a record's ``policy_hash`` still changes the texts its
hash covers, so that it no longer matches and the record shows as edited.
"""
import hashlib
import json
import operator
from datetime import datetime, timezone

GENESIS_HASH = "0" * 64
TIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"
HASHED_FIELDS = (
    "seq", "consent_id", "recorded_at", "site", "action", "necessary", "analytics", "marketing",
    "policy_version", "policy_hash", "language", "gpc", "pii_digest", "prev_hash",
)
LEGACY_HASHED_FIELDS = tuple(name for name in HASHED_FIELDS if name != "policy_hash")
PII_FIELDS = ("ip_prefix", "user_agent", "page_url")
# Everything one record's check reads, in this order: see ``problem``.
CHECKED_FIELDS = (*HASHED_FIELDS, "pii_salt", *PII_FIELDS, "record_hash")
SEQ, CONSENT_ID, SITE, POLICY_HASH, PII_DIGEST, PREV_HASH, PII_SALT, RECORD_HASH = (
    CHECKED_FIELDS.index(name)
    for name in ("seq", "consent_id", "site", "policy_hash", "pii_digest", "prev_hash", "pii_salt", "record_hash"))
# json.dumps(values, ensure_ascii=False, separators=(",", ":")), without building an encoder per call.
_ENCODE = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
_JSON_ESCAPED = bytes(range(32)) + b'"\\'  # the ASCII bytes that JSON strings escape


def text(value):
    """The canonical text of one value: as it stands in the CSV."""
    if value.__class__ is str:  # the common case, first (a CSV cell is always text)
        return value
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return format_time(value)
    return str(value)


def format_time(moment):
    """ISO 8601 in UTC with microseconds and a Z."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).strftime(TIME_FORMAT)


def digest_texts(texts, sha256=hashlib.sha256):
    """The SHA-256 (hex) of canonical texts: of ``_ENCODE(list(texts))`` in UTF-8.

    A verification of a million records does this twice per record, so the common case is quick:
    ASCII texts without a quote, a backslash or a control character (what JSON escapes) are the JSON
    array's items as they are, and deleting those bytes from the joined texts removes only the quotes
    that join them.
    """
    inner = '","'.join(texts)
    if inner.isascii():
        data = inner.encode("ascii")
        if len(data.translate(None, _JSON_ESCAPED)) == len(data) - 2 * len(texts) + 2:
            return sha256(b'["' + data + b'"]').hexdigest()
    return sha256(_ENCODE(list(texts)).encode("utf-8")).hexdigest()


def _digest(values):
    return digest_texts([text(value) for value in values])


def pii_digest(salt, ip_prefix, user_agent, page_url):
    """The digest that stands for the personal fields in the record hash."""
    return _digest([salt, ip_prefix, user_agent, page_url])


def hashed_fields(policy_hash):
    """The names a record's hash covers: HASHED_FIELDS, or for a record without a policy snapshot
    (stored before snapshots existed) LEGACY_HASHED_FIELDS."""
    return HASHED_FIELDS if policy_hash else LEGACY_HASHED_FIELDS


def record_hash(record):
    """The hash of one record, from a mapping with every name in ``hashed_fields`` of its policy_hash."""
    return _digest([record[name] for name in hashed_fields(record.get("policy_hash"))])


def row_problem(names):
    """The check of one record on its own, for rows of texts named ``names`` (any order that holds every
    name in CHECKED_FIELDS): a function of a row giving what is wrong, or None (the links between records
    are the caller's to check). One per layout, kept: it picks the texts it hashes straight from a row."""
    names = tuple(names)
    found = _ROW_PROBLEMS.get(names)
    if found is None:
        found = _ROW_PROBLEMS[names] = _row_problem(names)
    return found


_ROW_PROBLEMS = {}


def _row_problem(names):
    salt_at, digest_at, policy_at, hash_at = map(names.index, ("pii_salt", "pii_digest", "policy_hash", "record_hash"))
    personal = operator.itemgetter(*map(names.index, ("pii_salt", *PII_FIELDS)))
    pii_only = operator.itemgetter(*map(names.index, PII_FIELDS))
    hashed = operator.itemgetter(*map(names.index, HASHED_FIELDS))
    legacy = operator.itemgetter(*map(names.index, LEGACY_HASHED_FIELDS))

    def problem(texts, digest=digest_texts):
        if texts[salt_at]:
            if digest(personal(texts)) != texts[digest_at]:
                return "the IP prefix, user agent or page URL was edited"
        elif any(pii_only(texts)):
            return "personal fields present on an erased record"
        if digest((hashed if texts[policy_at] else legacy)(texts)) != texts[hash_at]:
            return "record_hash does not match the record's content: the record was edited"
        return None

    return problem


def problem(texts):
    """What is wrong with one record on its own, or None: ``texts`` are the canonical texts of
    CHECKED_FIELDS, in that order (the links between records are the caller's to check)."""
    return row_problem(CHECKED_FIELDS)(texts)


def record_problem(record):
    """``problem`` of a mapping with every name in CHECKED_FIELDS (values of any type ``text`` takes)."""
    return problem([text(record.get(name)) for name in CHECKED_FIELDS])
