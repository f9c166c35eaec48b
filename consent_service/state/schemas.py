"""Request and response bodies of the consent-state check."""
from marshmallow import Schema, fields, validate

from ..text_fields import Text
from .query import LIMITS, TOKEN_PATTERN
from .tokens import REASONS


class CategoriesOutSchema(Schema):
    necessary = fields.Boolean(required=True)
    analytics = fields.Boolean(required=True)
    marketing = fields.Boolean(required=True)


class ConsentStateSchema(Schema):
    """What a tag manager may load. When ``valid`` is false every optional category is false."""

    valid = fields.Boolean(required=True)
    reason = fields.String(metadata={"enum": list(REASONS)})
    consent_id = fields.String(required=True, allow_none=True)
    site = fields.String(required=True, allow_none=True)
    categories = fields.Nested(CategoriesOutSchema, required=True)
    policy_version = fields.String(required=True, allow_none=True)
    issued_at = fields.DateTime(required=True, allow_none=True)
    expires_at = fields.DateTime(required=True, allow_none=True)


class ConsentStateQuerySchema(Schema):
    """The query, for the API document (``query.read_query`` applies the same limits)."""

    site = fields.String(validate=validate.Length(max=LIMITS["site"]),
                         metadata={"description": "The site the caller expects."})
    token = fields.String(validate=[validate.Length(max=LIMITS["token"]), validate.Regexp(TOKEN_PATTERN)],
                          metadata={"description": "The consent token (or send it as a Bearer token). "
                                                   "Other parameters, such as a cache-buster, are ignored."})


class VerifyInSchema(Schema):
    """A server-side tag manager's question."""

    token = Text(required=True, validate=validate.Length(max=LIMITS["token"]))
    site = Text(validate=validate.Length(1, LIMITS["site"]))


verify_in = VerifyInSchema()
