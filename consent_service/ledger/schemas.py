"""Request and response bodies of the ledger API."""
from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema

from ..sites import LANGUAGES

ACTIONS = ("accept_all", "reject_all", "custom", "withdraw")


class StrictBoolean(fields.Boolean):
    """Only a real JSON boolean: "true", 1 or "yes" is a type error, not consent."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, bool):
            raise self.make_error("invalid")
        return value


class _Input(Schema):
    class Meta:
        unknown = RAISE


class CategoriesInSchema(_Input):
    necessary = StrictBoolean(
        validate=validate.Equal(True, error="Necessary cookies are always on: send true or leave it out."),
        metadata={"description": "Always on; may be sent, only as true."},
    )
    analytics = StrictBoolean(required=True, metadata={"description": "Google Analytics."})
    marketing = StrictBoolean(required=True, metadata={"description": "Marketing (Google Ads)."})


class ConsentInSchema(_Input):
    """A visitor's decision, as the banner posts it."""

    site = fields.String(required=True, validate=validate.Length(1, 40), metadata={"example": "entrack"})
    categories = fields.Nested(CategoriesInSchema, required=True)
    action = fields.String(required=True, validate=validate.OneOf(ACTIONS))
    policy_version = fields.String(required=True, validate=validate.Length(1, 64),
                                   metadata={"description": "The policy version the visitor saw."})
    language = fields.String(required=True, validate=validate.OneOf(LANGUAGES))
    page_url = fields.Url(required=True, schemes={"http", "https"}, require_tld=False,
                          validate=validate.Length(max=2048),
                          metadata={"description": "Stored without query string and fragment."})
    consent_id = fields.UUID(metadata={"description": "A returning visitor's id: the new record joins its history."})
    idempotency_key = fields.String(
        validate=validate.Regexp(r"^[\x21-\x7e]{1,128}$"),
        metadata={"description": "Same as the Idempotency-Key header, for navigator.sendBeacon, which cannot set headers."},
    )

    @validates_schema
    def _action_matches_categories(self, data, **kwargs):
        categories = data.get("categories")
        action = data.get("action")
        if not categories or not action:
            return
        chosen = (categories["analytics"], categories["marketing"])
        if action == "accept_all" and chosen != (True, True):
            raise ValidationError("accept_all grants every category.", "action")
        if action in ("reject_all", "withdraw") and chosen != (False, False):
            raise ValidationError(f"{action} refuses every optional category.", "action")
        if action == "withdraw" and not data.get("consent_id"):
            raise ValidationError("withdraw needs the consent_id being withdrawn.", "consent_id")


class CategoriesOutSchema(Schema):
    necessary = fields.Boolean(required=True)
    analytics = fields.Boolean(required=True)
    marketing = fields.Boolean(required=True)


class ConsentOutSchema(Schema):
    """What the service stored, and the signed token that proves it."""

    consent_id = fields.String(required=True)
    categories = fields.Nested(CategoriesOutSchema, required=True)
    action = fields.String(required=True)
    policy_version = fields.String(required=True)
    recorded_at = fields.DateTime(required=True)
    expires_at = fields.DateTime(required=True)
    token = fields.String(required=True)


class ConsentStateSchema(Schema):
    """What a tag manager may load. When ``valid`` is false every optional category is false."""

    valid = fields.Boolean(required=True)
    reason = fields.String(
        metadata={"enum": ["missing", "invalid_signature", "expired", "unknown_site", "other_site", "outdated_policy"]}
    )
    consent_id = fields.String(required=True, allow_none=True)
    site = fields.String(required=True, allow_none=True)
    categories = fields.Nested(CategoriesOutSchema, required=True)
    policy_version = fields.String(required=True, allow_none=True)
    issued_at = fields.DateTime(required=True, allow_none=True)
    expires_at = fields.DateTime(required=True, allow_none=True)


class ConsentStateQuerySchema(_Input):
    site = fields.String(validate=validate.Length(1, 40), metadata={"description": "The site the caller expects."})
    token = fields.String(validate=validate.Length(1, 1024))


class VerifyInSchema(_Input):
    """A server-side tag manager's question."""

    token = fields.String(required=True, validate=validate.Length(max=1024))
    site = fields.String(validate=validate.Length(1, 40))


class ErrorSchema(Schema):
    error = fields.String(required=True)
    messages = fields.Dict()


consent_in = ConsentInSchema()
consent_out = ConsentOutSchema()
consent_state_out = ConsentStateSchema()
consent_state_query = ConsentStateQuerySchema()
verify_in = VerifyInSchema()
