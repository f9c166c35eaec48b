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
# Tables for bytes.translate, which returns the very bytes given where it changes none (a check in one pass):
# every byte as itself but those that JSON escapes (then also those beyond ASCII; then but quotes).
_JSON_PLAIN = bytes.maketrans(_JSON_ESCAPED, b" " * len(_JSON_ESCAPED))
_ASCII_JSON_PLAIN = bytes.maketrans(_JSON_ESCAPED + bytes(range(128, 256)), b" " * (len(_JSON_ESCAPED) + 128))
_NOT_QUOTE_ESCAPED = bytes.maketrans(bytes(range(32)) + b"\\", b" " * 33)


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
    """The SHA-256 (hex) of canonical texts: of ``_ENCODE(list(texts))`` in UTF-8."""
    return sha256(canonical_json(texts)).hexdigest()


def canonical_json(texts):
    """``_ENCODE(list(texts))`` in UTF-8, quick where JSON escapes nothing (or only quotes).

    A verification of a million records does this twice per record. Where no text holds a quote, a
    backslash or a control character (what JSON escapes; the bytes of UTF-8 beyond ASCII are none of
    them), the JSON array is its items as they are.
    """
    plain = "".join(texts).encode()
    if texts and plain.translate(_JSON_PLAIN) == plain:  # (no texts: "[]")
        return ('["' + '","'.join(texts) + '"]').encode()
    return _escaped_json(texts, plain)


def _escaped_json(texts, plain):
    """``canonical_json`` of texts that hold something JSON escapes (``plain``: them joined, in UTF-8).

    Texts with quotes only (a user agent like ``=HYPERLINK("...")``) have each quote escaped as ``\\"``,
    all that JSON does to them: joined by NUL first, which no text holds (a control character), so that
    the NULs are exactly the places between the texts.
    """
    if texts and plain.translate(_NOT_QUOTE_ESCAPED) == plain:
        return ('["' + "\0".join(texts).replace('"', '\\"').replace("\0", '","') + '"]').encode()
    return _ENCODE(list(texts)).encode()


def _escaped_cells_json(cells, plain):
    """``_escaped_json`` of the texts whose UTF-8 is ``cells`` (bytes; ``plain``: them joined), where they
    hold something JSON escapes or a byte beyond ASCII; None where a cell is not UTF-8 (no text's hash
    covers it)."""
    if not plain.isascii():
        try:
            return canonical_json([cell.decode() for cell in cells])
        except UnicodeDecodeError:
            return None
    if cells and plain.translate(_NOT_QUOTE_ESCAPED) == plain:
        return b'["' + b"\0".join(cells).replace(b'"', b'\\"').replace(b"\0", b'","') + b'"]'
    return _ENCODE([cell.decode() for cell in cells]).encode()


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


PII_EDITED = "the IP prefix, user agent or page URL was edited"
PII_ON_ERASED = "personal fields present on an erased record"
RECORD_EDITED = "record_hash does not match the record's content: the record was edited"


def row_problem(names, cells=str):
    """The check of one record on its own, for rows of texts named ``names`` (any order that holds every
    name in CHECKED_FIELDS): a function of a row giving what is wrong, or None (the links between records
    are the caller's to check). One per layout, kept: it picks the texts it hashes straight from a row.

    ``cells`` is the type of a row's cells: ``str``, or ``bytes`` for texts in UTF-8 as a database driver
    can give them without decoding each (what ``problem`` says of the decoded texts, faster).
    """
    key = (tuple(names), cells)
    found = _ROW_PROBLEMS.get(key)
    if found is None:
        found = _ROW_PROBLEMS[key] = _row_check(_bytes_digest if cells is bytes else _text_digest, *_picks(key[0]))
    return found


_ROW_PROBLEMS = {}


def _picks(names):
    """Where a row of ``names`` holds what ``problem`` reads: the positions of the salt, the personal
    digest, the policy hash and the record hash, and getters of the texts that each digest covers."""
    at = names.index
    return (*map(at, ("pii_salt", "pii_digest", "policy_hash", "record_hash")),
            operator.itemgetter(*map(at, ("pii_salt", *PII_FIELDS))), operator.itemgetter(*map(at, PII_FIELDS)),
            operator.itemgetter(*map(at, HASHED_FIELDS)), operator.itemgetter(*map(at, LEGACY_HASHED_FIELDS)))


# The two checks below are one, on text or on its UTF-8 (which must be ASCII for the quick way: UTF-8
# too); each writes ``canonical_json`` out in its digest (a call less per digest, in the loop over a
# million records).

def _row_check(digest, salt_at, digest_at, policy_at, hash_at, personal, pii_only, hashed, legacy):
    """The check of a row, given ``digest(picked)``: the hex digest of the picked cells' canonical JSON,
    in the cells' own type (None where the cells have no canonical JSON: not UTF-8)."""
    def problem(cells):
        if cells[salt_at]:
            if digest(personal(cells)) != cells[digest_at]:
                return PII_EDITED
        elif any(pii_only(cells)):
            return PII_ON_ERASED
        if digest((hashed if cells[policy_at] else legacy)(cells)) != cells[hash_at]:
            return RECORD_EDITED
        return None

    return problem


def _text_digest(picked, sha256=hashlib.sha256, json_plain=_JSON_PLAIN):
    plain = "".join(picked).encode()
    if plain.translate(json_plain) == plain:
        return sha256(('["' + '","'.join(picked) + '"]').encode()).hexdigest()
    return sha256(_escaped_json(picked, plain)).hexdigest()


def _bytes_digest(picked, sha256=hashlib.sha256, ascii_json_plain=_ASCII_JSON_PLAIN):
    plain = b"".join(picked)
    if plain.translate(ascii_json_plain) == plain:
        return sha256(b'["' + b'","'.join(picked) + b'"]').hexdigest().encode()
    data = _escaped_cells_json(picked, plain)
    return None if data is None else sha256(data).hexdigest().encode()


def problem(texts):
    """What is wrong with one record on its own, or None: ``texts`` are the canonical texts of
    CHECKED_FIELDS, in that order (the links between records are the caller's to check)."""
    return row_problem(CHECKED_FIELDS)(texts)


def record_problem(record):
    """``problem`` of a mapping with every name in CHECKED_FIELDS (values of any type ``text`` takes)."""
    return problem([text(record.get(name)) for name in CHECKED_FIELDS])
