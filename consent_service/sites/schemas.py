"""marshmallow schemas that validate the operator's sites file."""
import re

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

LANGUAGES = ("fi", "sv", "en")
OPTIONAL_CATEGORIES = ("analytics", "marketing")
CATEGORY_KEYS = ("necessary",) + OPTIONAL_CATEGORIES
TEXT_KEYS = (
    "title", "body", "accept_all", "reject_all", "settings", "save", "close",
    "settings_title", "privacy_link", "my_consent_link", "always_on", "cookies",
    "consent_id", "consent_date", "gpc_honoured", "reopen",
)
_ORIGIN = re.compile(r"^https?://[A-Za-z0-9.-]+(:\d{1,5})?$")
_NON_EMPTY = validate.Length(min=1)
# A policy version is a token: it stands unquoted in CSV cells and spreadsheets, and in URLs.
POLICY_VERSION_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:+-]{0,63}$"


class TranslatedSchema(Schema):
    """One text in each of the banner's languages."""

    fi = fields.String(required=True, validate=_NON_EMPTY)
    sv = fields.String(required=True, validate=_NON_EMPTY)
    en = fields.String(required=True, validate=_NON_EMPTY)


def _texts_schema():
    """A schema with every banner text of one language required."""
    return Schema.from_dict(
        {key: fields.String(required=True, validate=_NON_EMPTY) for key in TEXT_KEYS},
        name="BannerTextsSchema",
    )


BannerTextsSchema = _texts_schema()


class CookieSchema(Schema):
    name = fields.String(required=True, validate=validate.Regexp(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$"))
    pattern = fields.Boolean(load_default=False)
    provider = fields.String(required=True, validate=_NON_EMPTY)
    purpose = fields.Nested(TranslatedSchema, required=True)
    duration = fields.Nested(TranslatedSchema, required=True)

    @validates_schema
    def _pattern_has_star(self, data, **kwargs):
        if data.get("pattern") and not data["name"].endswith("*"):
            raise ValidationError("a pattern ends with '*'", "name")


class CategorySchema(Schema):
    key = fields.String(required=True, validate=validate.OneOf(CATEGORY_KEYS))
    label = fields.Nested(TranslatedSchema, required=True)
    description = fields.Nested(TranslatedSchema, required=True)
    cookies = fields.List(fields.Nested(CookieSchema), load_default=list)


class ControllerSchema(Schema):
    name = fields.String(required=True, validate=_NON_EMPTY)
    street = fields.String(required=True, validate=_NON_EMPTY)
    postal_code = fields.String(required=True, validate=_NON_EMPTY)
    city = fields.String(required=True, validate=_NON_EMPTY)
    country = fields.String(required=True, validate=_NON_EMPTY)
    business_id = fields.String(required=True, validate=_NON_EMPTY)
    phone = fields.String(required=True, validate=_NON_EMPTY)
    email = fields.Email(required=True)


class NoticeSectionSchema(Schema):
    """A titled paragraph of the privacy notice, in every language."""

    title = fields.Nested(TranslatedSchema, required=True)
    text = fields.Nested(TranslatedSchema, required=True)


class NoticeSchema(Schema):
    """The operator's facts for the privacy notice (``/privacy/<site>``), in every language."""

    purposes = fields.List(fields.Nested(NoticeSectionSchema), required=True, validate=_NON_EMPTY)
    data_subjects = fields.Nested(TranslatedSchema, required=True)
    data_categories = fields.List(fields.Nested(TranslatedSchema), required=True, validate=_NON_EMPTY)
    sources = fields.List(fields.Nested(TranslatedSchema), required=True, validate=_NON_EMPTY)
    processors = fields.Nested(TranslatedSchema, required=True)
    transfers = fields.Nested(TranslatedSchema, required=True)
    storage = fields.Nested(TranslatedSchema, required=True)
    complaint = fields.Nested(TranslatedSchema, required=True)


class SiteSchema(Schema):
    name = fields.String(required=True, validate=_NON_EMPTY)
    origins = fields.List(fields.String(validate=validate.Regexp(_ORIGIN)), required=True)
    policy_version = fields.String(required=True, validate=validate.Regexp(
        POLICY_VERSION_PATTERN, error="1-64 letters, digits and . _ : + - (no spaces), starting with a letter or digit"))
    consent_days = fields.Integer(required=True, strict=True, validate=validate.Range(1, 3650))
    retention_days = fields.Integer(required=True, strict=True, validate=validate.Range(1, 36500))
    default_language = fields.String(required=True, validate=validate.OneOf(LANGUAGES))
    controller = fields.Nested(ControllerSchema, required=True)
    texts = fields.Dict(
        keys=fields.String(validate=validate.OneOf(LANGUAGES)),
        values=fields.Nested(BannerTextsSchema),
        required=True,
    )
    categories = fields.List(fields.Nested(CategorySchema), required=True)
    notice = fields.Nested(NoticeSchema, metadata={"description": "Optional: the privacy notice's own facts."})

    @validates_schema
    def _complete(self, data, **kwargs):
        missing = [lang for lang in LANGUAGES if lang not in data.get("texts", {})]
        if missing:
            raise ValidationError(f"texts missing for {', '.join(missing)}", "texts")
        keys = [category["key"] for category in data.get("categories", [])]
        if sorted(keys) != sorted(CATEGORY_KEYS):
            raise ValidationError(
                f"exactly one each of {', '.join(CATEGORY_KEYS)} required, got {keys}", "categories"
            )
