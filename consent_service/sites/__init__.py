"""The operator's sites: loaded once from a TOML file and validated at start-up."""
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from marshmallow import ValidationError

from .schemas import CATEGORY_KEYS, LANGUAGES, OPTIONAL_CATEGORIES, POLICY_VERSION_PATTERN, SiteSchema

DEFAULT_FILE = Path(__file__).with_name("sites.toml")
_SITE_KEY = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")

__all__ = [
    "CATEGORY_KEYS", "LANGUAGES", "OPTIONAL_CATEGORIES", "POLICY_VERSION_PATTERN", "DEFAULT_FILE",
    "Site", "SiteConfigError", "load_sites", "configured_sites", "find_site", "EXTENSION",
]
EXTENSION = "consent_sites"  # where ``create_app`` keeps the loaded sites: ``app.extensions[EXTENSION]``


class SiteConfigError(Exception):
    """The sites file is missing, unreadable or invalid; the message names the bad key."""


@dataclass(frozen=True)
class Site:
    """One site as configured: read-only for the life of the process."""

    key: str
    name: str
    origins: tuple
    policy_version: str
    consent_days: int
    retention_days: int
    default_language: str
    controller: dict
    texts: dict
    categories: tuple
    extra: dict

    @property
    def consent_seconds(self):
        return self.consent_days * 86400

    @property
    def cookie_name(self):
        """The first-party cookie in which the banner keeps the choice and token."""
        return f"consent_{self.key}"

    def category(self, key):
        return next(category for category in self.categories if category["key"] == key)


def _flatten(messages, prefix):
    """Turn marshmallow's nested messages into ``a.b.0.c: message`` lines."""
    if isinstance(messages, dict):
        for key, value in messages.items():
            yield from _flatten(value, f"{prefix}.{key}")
    elif isinstance(messages, list) and messages and not all(isinstance(m, str) for m in messages):
        for value in messages:
            yield from _flatten(value, prefix)
    else:
        text = "; ".join(messages) if isinstance(messages, list) else str(messages)
        yield f"{prefix}: {text}"


def _build(key, raw):
    try:
        data = SiteSchema().load(raw)
    except ValidationError as error:
        raise SiteConfigError("\n".join(_flatten(error.messages, key))) from None
    order = {name: index for index, name in enumerate(CATEGORY_KEYS)}
    categories = tuple(sorted(data.pop("categories"), key=lambda c: order[c["key"]]))
    for category in categories:
        category["required"] = category["key"] == "necessary"
    return Site(
        key=key,
        name=data.pop("name"),
        origins=tuple(data.pop("origins")),
        policy_version=data.pop("policy_version"),
        consent_days=data.pop("consent_days"),
        retention_days=data.pop("retention_days"),
        default_language=data.pop("default_language"),
        controller=data.pop("controller"),
        texts=data.pop("texts"),
        categories=categories,
        extra=data,
    )


def load_sites(path=None):
    """Read and validate the sites file; return ``{key: Site}`` or raise SiteConfigError."""
    path = Path(path or DEFAULT_FILE)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise SiteConfigError(f"{path}: cannot read the sites file ({error.strerror})") from None
    except tomllib.TOMLDecodeError as error:
        raise SiteConfigError(f"{path}: not valid TOML ({error})") from None
    if not raw:
        raise SiteConfigError(f"{path}: no site is configured")
    sites = {}
    for key, value in raw.items():
        if not _SITE_KEY.match(key):
            raise SiteConfigError(f"{key}: a site key is 1-40 of a-z, 0-9, '_' and '-'")
        if not isinstance(value, dict):
            raise SiteConfigError(f"{key}: a site is a table")
        sites[key] = _build(key, value)
    return sites


def configured_sites(app=None):
    """The sites this app serves, ``{key: Site}``, in the sites file's order."""
    return (app or current_app).extensions[EXTENSION]


def find_site(key, app=None):
    """The configured site ``key``, or None."""
    return configured_sites(app).get(key)
