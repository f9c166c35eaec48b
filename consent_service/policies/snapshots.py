"""A policy snapshot: everything a site's visitor could read before deciding, in one language.

The banner's texts, the categories with their descriptions, the cookie declaration, the controller's
facts, the privacy notice's facts and its version, as one canonical JSON document (sorted keys, no
spaces, UTF-8), named by its SHA-256. Pure functions of a configured ``Site``: no database.
"""
import hashlib
import json
from dataclasses import dataclass

FORMAT = "consent-policy-snapshot/1"


@dataclass(frozen=True)
class Snapshot:
    """One snapshot: its hash, the canonical JSON (``body``) and the document it encodes (``content``)."""

    hash: str
    body: str
    content: dict

    @property
    def site(self):
        return self.content["site"]

    @property
    def language(self):
        return self.content["language"]

    @property
    def policy_version(self):
        return self.content["policy_version"]

    @classmethod
    def of(cls, content):
        body = canonical(content)
        return cls(digest(body), body, content)

    @classmethod
    def from_body(cls, body):
        """The snapshot a stored body encodes (its hash computed again, not trusted)."""
        return cls(digest(body), body, json.loads(body))


def canonical(content):
    """The canonical JSON text of a snapshot document."""
    return json.dumps(content, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def digest(body):
    """The snapshot's name: the SHA-256 (hex) of its canonical JSON in UTF-8."""
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def _in(translated, language):
    return translated[language]


def _cookie(cookie, language):
    return {"name": cookie["name"], "pattern": bool(cookie.get("pattern")), "provider": cookie["provider"],
            "purpose": _in(cookie["purpose"], language), "duration": _in(cookie["duration"], language)}


def _notice(notice, language):
    """The privacy notice's facts in one language (None for a site without them)."""
    if not notice:
        return None
    section = {"title", "text"}
    return {
        key: ([{part: _in(item[part], language) for part in section} if section <= item.keys()
               else _in(item, language) for item in value] if isinstance(value, list) else _in(value, language))
        for key, value in notice.items()
    }


def content(site, language):
    """The snapshot document of ``site`` (a configured Site) shown in ``language``."""
    return {
        "format": FORMAT,
        "site": site.key,
        "site_name": site.name,
        "language": language,
        "policy_version": site.policy_version,
        "controller": dict(site.controller),
        "texts": dict(site.texts[language]),
        "categories": [
            {"key": category["key"], "label": _in(category["label"], language),
             "description": _in(category["description"], language), "required": category["required"],
             "cookies": [_cookie(cookie, language) for cookie in category["cookies"]]}
            for category in site.categories
        ],
        "notice": _notice(site.extra.get("notice"), language),
    }


def site_snapshots(site):
    """``{language: Snapshot}`` of a configured site, in every language it has texts for."""
    return {language: Snapshot.of(content(site, language)) for language in site.texts}
