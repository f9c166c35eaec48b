"""Output schemas of the visitor's rights: a consent's history."""
from marshmallow import Schema, fields

from ..ledger.schemas import CategoriesOutSchema


class RecordOutSchema(Schema):
    """One record as its owner sees it; erased personal fields are null."""

    seq = fields.Integer(required=True)
    recorded_at = fields.DateTime(required=True)
    action = fields.String(required=True, metadata={
        "enum": ["accept_all", "reject_all", "custom", "withdraw", "erase"]})
    categories = fields.Nested(CategoriesOutSchema, required=True)
    policy_version = fields.String(required=True)
    policy_hash = fields.String(required=True, allow_none=True, metadata={
        "description": "The SHA-256 of the texts the visitor was shown (a policy snapshot); null on erasures "
                       "and records from before snapshots."})
    language = fields.String(required=True)
    gpc = fields.Boolean(required=True)
    ip_prefix = fields.String(required=True, allow_none=True)
    user_agent = fields.String(required=True, allow_none=True)
    page_url = fields.String(required=True, allow_none=True)
    erased = fields.Boolean(required=True, metadata={"description": "The personal fields were erased."})
    record_hash = fields.String(required=True)


class HistoryOutSchema(Schema):
    """Every stored record of one consent id, oldest first."""

    site = fields.String(required=True)
    consent_id = fields.String(required=True)
    categories = fields.Nested(CategoriesOutSchema, required=True, metadata={
        "description": "What the latest record allows."})
    erased = fields.Boolean(required=True, metadata={
        "description": "No record of this consent holds personal fields any more."})
    records = fields.List(fields.Nested(RecordOutSchema), required=True)


history_out = HistoryOutSchema()
