"""Cookie strings as a browser receives them: a ``Set-Cookie`` header line or a ``document.cookie``
assignment. Only what the report needs is read: the name, where it applies, when it ends, and whether
the write is really a deletion (an expiry in the past)."""
from dataclasses import dataclass
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime


@dataclass(frozen=True)
class CookieWrite:
    """One write of one cookie."""

    name: str
    domain: str | None
    path: str | None
    expires: datetime | None
    deletion: bool


def _expiry(attributes, now):
    """The absolute expiry from Max-Age (which wins) or Expires, or None for a session cookie."""
    if "max-age" in attributes:
        try:
            seconds = int(attributes["max-age"])
        except ValueError:
            seconds = None
        if seconds is not None:
            return datetime.fromtimestamp(now.timestamp() + max(seconds, 0), timezone.utc) if seconds > 0 else now
    if "expires" in attributes:
        try:
            value = parsedate_to_datetime(attributes["expires"])
        except (TypeError, ValueError, IndexError):
            return None
        return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    return None


def parse_cookie(text, now=None):
    """The write that ``text`` makes, or None when it names no cookie."""
    now = now or datetime.now(timezone.utc)
    first, _, rest = str(text).partition(";")
    name, equals, _value = first.partition("=")
    name = name.strip() if equals else ""
    if not name:
        return None
    attributes = {}
    for part in rest.split(";"):
        key, _, value = part.partition("=")
        attributes[key.strip().lower()] = value.strip()
    expires = _expiry(attributes, now)
    domain = attributes.get("domain") or None
    return CookieWrite(
        name=name,
        domain=domain.lstrip(".").lower() if domain else None,
        path=attributes.get("path") or None,
        expires=expires,
        deletion=expires is not None and expires <= now,
    )


def header_lines(headers):
    """The Set-Cookie lines of a raw header mapping (CDP joins repeated headers with newlines)."""
    lines = []
    for name, value in (headers or {}).items():
        if name.lower() == "set-cookie":
            lines.extend(line for line in str(value).split("\n") if line.strip())
    return lines
