"""Query parameters and JSON answers of the audit API."""
import re
from datetime import date, datetime, time, timedelta, timezone

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from ..ledger.schemas import ACTIONS
from ..text_fields import SiteKey, Text

RECORD_ACTIONS = (*ACTIONS, "erase")


class Moment(fields.Field):
    """A date (``2026-11-01``) or a date and time (``2026-11-01T09:30:00Z``); without an offset, UTC.

    Loads to ``(datetime, is_date)`` so that ``to=2026-11-30`` can mean the whole of that day. The API
    document says what ``_SHAPE`` checks: an RFC 3339 date or date-time, whose offset may be left out
    and seconds too; ISO 8601's other spellings (weeks, no dashes) are refused.
    """

    _SHAPE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}"
                        r"(?:[Tt ][0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]+)?)?(?:[Zz]|[+-][0-9]{2}:[0-9]{2})?)?")
    default_error_messages = {"invalid": "Not a date (YYYY-MM-DD) or an ISO 8601 date and time."}

    def __init__(self, *, metadata=None, **kwargs):
        documented = {"type": "string", "anyOf": [{"format": "date"}, {"format": "date-time"}]}
        super().__init__(metadata={**documented, **(metadata or {})}, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str) or not self._SHAPE.fullmatch(value):
            raise self.make_error("invalid")
        try:
            if len(value) == 10:
                return datetime.combine(date.fromisoformat(value), time(), timezone.utc), True
            moment = datetime.fromisoformat(value.replace("z", "Z"))
        except ValueError:
            raise self.make_error("invalid") from None
        if moment.tzinfo is None:
            return moment.replace(tzinfo=timezone.utc), False
        try:
            return moment.astimezone(timezone.utc), False
        except OverflowError:
            # e.g. 0001-01-01T00:00+14:00, before the first moment a datetime holds: that first (or last)
            # moment stands for it, which no record precedes (or follows), so the same records are selected.
            edge = datetime.min if moment.utcoffset() > timedelta(0) else datetime.max
            return edge.replace(tzinfo=timezone.utc), False


class RangeQuerySchema(Schema):
    """A site and a time range (``from`` inclusive; ``to`` inclusive, a date meaning its whole day).

    A ``from`` after ``to`` is a range that holds nothing, not an error: no API document can say that one
    parameter must not exceed another, and the empty answer is the true one.
    """

    site = SiteKey(validate=validate.Length(1, 40),
                   metadata={"description": "A site key (default: every site the auditor may see)."})
    from_ = Moment(data_key="from", metadata={"description": "From this date or time (UTC), inclusive."})
    to = Moment(metadata={"description": "To this date (its whole day) or time (UTC), inclusive; "
                                         "before 'from', nothing is selected."})


def time_bounds(data):
    """``(start, end, end_inclusive)`` of a loaded range query; start and end None where open.

    ``to=9999-12-31``, whose whole day ends past the last representable moment, is an open end.
    """
    start = data["from_"][0] if "from_" in data else None
    if "to" not in data:
        return start, None, False
    moment, is_date = data["to"]
    if not is_date:
        return start, moment, True
    try:
        return start, moment + timedelta(days=1), False
    except OverflowError:
        return start, None, False


class ExportQuerySchema(RangeQuerySchema):
    """The filter of a consent-proof CSV export."""

    consent_id = fields.UUID(metadata={"description": "Only this consent id."})
    action = Text(validate=validate.OneOf(RECORD_ACTIONS), metadata={"description": "Only this action."})


class ProofQuerySchema(RangeQuerySchema):
    """The filter of a proof pack: one site, and one visitor's consent id or a time range."""

    # ``_whole_consent`` in JSON Schema, for the API document (openapi.build_spec).
    json_schema_rules = {"not": {"required": ["consent_id"], "anyOf": [{"required": ["from"]}, {"required": ["to"]}]}}

    site = SiteKey(required=True, validate=validate.Length(1, 40), metadata={"description": "The site key."})
    consent_id = fields.UUID(metadata={"description": "One visitor's pack: every record of this consent id "
                                                      "(not with 'from' or 'to')."})

    @validates_schema
    def _whole_consent(self, data, **kwargs):
        if "consent_id" in data and ("from_" in data or "to" in data):
            raise ValidationError("A visitor's pack holds every record of the consent id: leave out 'from' and 'to'.",
                                  "consent_id")


class ChainHeadQuerySchema(Schema):
    site = SiteKey(required=True, validate=validate.Length(1, 40), metadata={"description": "The site key."})
    seq = fields.Integer(strict=False, validate=validate.Range(min=0),
                         metadata={"description": "Sign the hash at this seq (default: the current head)."})


class RecordSchema(Schema):
    """One stored record, every value as its text in the CSV."""

    seq = fields.Integer(required=True)
    consent_id = fields.String(required=True)
    recorded_at = fields.String(required=True)
    site = fields.String(required=True)
    action = fields.String(required=True)
    necessary = fields.Boolean(required=True)
    analytics = fields.Boolean(required=True)
    marketing = fields.Boolean(required=True)
    policy_version = fields.String(required=True)
    policy_hash = fields.String(allow_none=True, metadata={
        "description": "The policy snapshot the visitor was shown (/audit/policies/{hash}); null on records "
                       "from before snapshots and on erasures."})
    language = fields.String(required=True)
    page_url = fields.String(allow_none=True)
    ip_prefix = fields.String(allow_none=True)
    user_agent = fields.String(allow_none=True)
    gpc = fields.Boolean(required=True)
    record_hash = fields.String(required=True)
    prev_hash = fields.String(required=True)
    pii_salt = fields.String(allow_none=True)
    pii_digest = fields.String(required=True)
    hash_verifies = fields.Boolean(required=True, metadata={"description": "The record's own hash checks."})


class ConsentHistorySchema(Schema):
    """Every stored record of one consent id, oldest first."""

    consent_id = fields.String(required=True)
    records = fields.List(fields.Nested(RecordSchema), required=True)


class SignedSchema(Schema):
    algorithm = fields.String(required=True, metadata={"enum": ["Ed25519"]})
    key_id = fields.String(required=True)
    payload = fields.String(required=True, metadata={"description": "The exact UTF-8 text signed (JSON)."})
    signature = fields.String(required=True, metadata={"description": "Base64 Ed25519 signature of payload."})


class ChainHeadSchema(Schema):
    """A site's chain head, signed; with the signed purge checkpoint it starts after, if any."""

    site = fields.String(required=True)
    seq = fields.Integer(required=True)
    head_hash = fields.String(required=True)
    start_seq = fields.Integer(required=True)
    start_hash = fields.String(required=True)
    signed = fields.Nested(SignedSchema, required=True)
    checkpoint = fields.Nested(SignedSchema, allow_none=True)
    public_key = fields.String(required=True, metadata={"description": "Compare with the published key."})


class PolicySnapshotSchema(Schema):
    """A policy snapshot: what a site's visitors could read before deciding, in one language."""

    hash = fields.String(required=True, metadata={"description": "SHA-256 of the snapshot's canonical JSON."})
    site = fields.String(required=True)
    language = fields.String(required=True)
    policy_version = fields.String(required=True)
    current = fields.Boolean(required=True, metadata={"description": "The texts the service serves now."})
    stored = fields.Boolean(required=True, metadata={"description": "Stored for the records that point at it."})
    stored_at = fields.String(allow_none=True)
    snapshot = fields.Dict(required=True, metadata={
        "description": "The document; its canonical JSON (sorted keys, no spaces, UTF-8) hashes to `hash`."})


class PublicKeySchema(Schema):
    algorithm = fields.String(required=True)
    key_id = fields.String(required=True)
    public_key = fields.String(required=True)
    pem = fields.String(required=True)


export_query = ExportQuerySchema()
range_query = RangeQuerySchema()
chain_head_query = ChainHeadQuerySchema()
proof_query = ProofQuerySchema()
policy_out = PolicySnapshotSchema()
history_out = ConsentHistorySchema()
chain_head_out = ChainHeadSchema()
public_key_out = PublicKeySchema()
