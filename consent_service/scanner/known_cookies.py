"""Guesses for cookies a site has not declared, from the Open Cookie Database (Apache-2.0; the
derived file ``data/known_cookies.json`` is rebuilt by ``known_cookies_build``)."""
import json
from functools import cache
from pathlib import Path

DATA = Path(__file__).with_name("data") / "known_cookies.json"
# The database's categories in this service's terms; the rest (Personalization) have no match here.
CATEGORIES = {
    "Functional": "necessary", "Security": "necessary", "Necessary": "necessary",
    "Analytics": "analytics", "Marketing": "marketing",
}


@cache
def _index():
    """``(exact names, [(prefix, row)] longest prefix first)``."""
    rows = json.loads(DATA.read_text(encoding="utf-8"))["cookies"]
    exact = {row[0]: row for row in rows if not row[1]}
    prefixes = sorted(((row[0], row) for row in rows if row[1]), key=lambda item: -len(item[0]))
    return exact, prefixes


def guess(name):
    """What the database knows of cookie ``name``: category (ours, or None), provider, retention and
    description; None when it does not know the name."""
    exact, prefixes = _index()
    row = exact.get(name)
    wildcard = None
    if row is None:
        match = next(((prefix, row) for prefix, row in prefixes if name.startswith(prefix)), None)
        if match is None:
            return None
        wildcard, row = match
    _, _, known_as, platform, retention, description = row
    return {
        "category": CATEGORIES.get(known_as),
        "known_as": known_as,
        "provider": platform,
        "retention": retention,
        "description": description,
        "pattern": wildcard + "*" if wildcard else None,
        "source": "Open Cookie Database",
    }
