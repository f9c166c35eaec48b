"""Request and response bodies of the ledger API."""
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from ..policies import HASH_PATTERN
from ..sites import LANGUAGES, POLICY_VERSION_PATTERN
from ..state.query import LIMITS as STATE_LIMITS
from ..state.schemas import CategoriesOutSchema
from ..text_fields import SiteKey, Text

ACTIONS = ("accept_all", "reject_all", "custom", "withdraw")
# An absolute http(s) URL as the banner sends it (location.origin + location.pathname): a host name or
# IPv4 address in ASCII (a browser's origin is punycode) with an optional port, then anything without
# spaces or controls. The API document carries this exact pattern. No brackets, so no IPv6 literal, and
# no user:password@ (an origin never has one): the stored address (``service.clean_page_url``, urlsplit)
# can never fail on a malformed host.
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
PAGE_URL_PATTERN = rf"^https?://{_LABEL}(?:\.{_LABEL})*\.?(?::[0-9]{{1,5}})?(?:[/?#][^\x00-\x20\x7f-\x9f]*)?$"


class StrictBoolean(fields.Boolean):
    """Only a real JSON boolean: "true", 1 or "yes" is a type error, not consent."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, bool):
            raise self.make_error("invalid")
        return value


class CategoriesInSchema(Schema):
    necessary = StrictBoolean(
        validate=validate.Equal(True, error="Necessary cookies are always on: send true or leave it out."),
        metadata={"description": "Always on; may be sent, only as true."},
    )
    analytics = StrictBoolean(required=True, metadata={"description": "Google Analytics."})
    marketing = StrictBoolean(required=True, metadata={"description": "Marketing (Google Ads)."})


def _decision(actions, analytics=None, marketing=None, needs=()):
    """A decision with one of ``actions``, in JSON Schema: its categories, if fixed, and the fields it needs."""
    rule = {"properties": {"action": {"enum": list(actions)}}, "required": ["action", *needs]}
    if analytics is not None:
        rule["properties"]["categories"] = {"properties": {"analytics": {"enum": [analytics]},
                                                           "marketing": {"enum": [marketing]}}}
    return rule


class ConsentInSchema(Schema):
    """A visitor's decision, as the banner posts it."""

    # ``_action_matches_categories`` in JSON Schema, for the API document (openapi.build_spec).
    json_schema_rules = {"oneOf": [
        _decision(["accept_all"], True, True),
        _decision(["reject_all"], False, False),
        _decision(["withdraw"], False, False, needs=["consent_id"]),
        _decision(["custom"]),
    ]}

    site = SiteKey(required=True, validate=validate.Length(1, 40), metadata={"example": "entrack"})
    categories = fields.Nested(CategoriesInSchema, required=True)
    action = Text(required=True, validate=validate.OneOf(ACTIONS))
    policy_version = Text(required=True, validate=validate.Regexp(
                              POLICY_VERSION_PATTERN, error="A policy version is 1-64 letters, digits and . _ : + - "
                                                            "(no spaces or control characters)."),
                          metadata={"description": "The policy version the visitor saw.", "example": "2026-11-01"})
    policy_hash = Text(validate=validate.Regexp(HASH_PATTERN, error="A policy snapshot hash is 64 hex digits."),
                       metadata={"description": "The policy snapshot the visitor was shown (banner.js carries "
                                                "one per language); without it, the site's current texts."})
    language = Text(required=True, validate=validate.OneOf(LANGUAGES))
    page_url = Text(required=True, validate=[
                        validate.Length(max=2048),
                        validate.Regexp(PAGE_URL_PATTERN, error="Not an absolute http or https URL with a host name.")],
                    metadata={"description": "Stored without query string and fragment.",
                              "example": "https://www.entrack.fi/tilaa"})
    consent_id = fields.UUID(metadata={"description": "A returning visitor's id: the new record joins its "
                                                      "history. Needs that consent's token in `token`."})
    token = Text(validate=validate.Length(1, STATE_LIMITS["token"]),
                 metadata={"description": "The token given for `consent_id`: proof that the caller "
                                          "holds that consent (the banner keeps it in its cookie)."})
    idempotency_key = Text(
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


class ConsentOutSchema(Schema):
    """What the service stored, and the signed token that proves it."""

    consent_id = fields.String(required=True)
    categories = fields.Nested(CategoriesOutSchema, required=True)
    action = fields.String(required=True)
    policy_version = fields.String(required=True)
    recorded_at = fields.DateTime(required=True)
    expires_at = fields.DateTime(required=True)
    token = fields.String(required=True)


class ErrorSchema(Schema):
    error = fields.String(required=True)
    messages = fields.Dict()


consent_in = ConsentInSchema()
consent_out = ConsentOutSchema()
