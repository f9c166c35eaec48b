"""The scan held against the site's declaration in the sites file.

- violations: before a decision and after "Reject all", any cookie or storage key outside
  ``necessary`` (undeclared ones included) and any request to a third-party host; in any pass, a cookie
  of a category the visitor did not grant;
- undeclared: cookies and storage keys seen but not declared, each with a guess and a sites-file block;
- stale: declared cookies seen on no page (judged only when an "Accept all" pass completed).
"""
from . import known_cookies
from .parties import THIRD
from .plan import ACCEPT, NONE, PASSES, REJECT
from .suggest import toml_block

GRANTED = {NONE: {"necessary"}, REJECT: {"necessary"}, ACCEPT: {"necessary", "analytics", "marketing"}}
MAX_PAGES_LISTED = 10


class Declaration:
    """The site's declared cookies by category, and the banner's own cookie and storage key."""

    def __init__(self, site):
        self.site = site
        self.entries = [(cookie["name"], cookie.get("pattern", False), category["key"])
                        for category in site.categories for cookie in category.get("cookies", [])]
        self.builtin = {site.cookie_name, f"consent_queue_{site.key}"}

    def category_of(self, name):
        """The declared category of cookie or key ``name`` (the banner's own are necessary), or None."""
        if name in self.builtin:
            return "necessary"
        for declared, pattern, category in self.entries:
            if (name.startswith(declared[:-1]) if pattern else name == declared):
                return category
        return None

    def matches(self, declared, pattern, names):
        return any((name.startswith(declared[:-1]) if pattern else name == declared) for name in names)


def _passes(pages):
    """Every completed pass as ``(page url, kind, records)``."""
    for page in pages:
        for kind in PASSES:
            result = page["passes"].get(kind)
            if result and result.get("status") in ("ok", "incomplete"):
                yield page["url"], kind, result


def _add(found, key, page_url, item):
    entry = found.setdefault(key, {**item, "pages": []})
    if page_url not in entry["pages"] and len(entry["pages"]) < MAX_PAGES_LISTED:
        entry["pages"].append(page_url)


def _cookie_violation(declaration, kind, cookie):
    category = declaration.category_of(cookie["name"])
    if category in GRANTED[kind] or (category is None and kind == ACCEPT):
        return None
    why = "not declared" if category is None else f"declared as {category}, not granted"
    return {"reason": why, "category": category}


def violations(declaration, pages):
    """The violations, one per pass and cookie, storage key or requested address (without its query),
    with the pages and the first evidence."""
    found = {}
    for url, kind, result in _passes(pages):
        for cookie in result.get("cookies", []):
            verdict = _cookie_violation(declaration, kind, cookie)
            if verdict:
                _add(found, (kind, "cookie", cookie["name"], cookie["domain"]), url, {
                    "pass": kind, "kind": "cookie", "name": cookie["name"], "domain": cookie["domain"],
                    "party": cookie["party"], "stored": cookie["stored"], "blocked": cookie["blocked"],
                    **verdict, "evidence": cookie["set_by"][:1]})
        for item in result.get("storage", []):
            category = declaration.category_of(item["key"])
            if kind != ACCEPT and category != "necessary":
                _add(found, (kind, "storage", item["key"], item["origin"]), url, {
                    "pass": kind, "kind": "storage", "name": item["key"], "area": item["area"],
                    "origin": item["origin"], "category": category,
                    "reason": "not declared" if category is None else f"declared as {category}, not granted",
                    "evidence": item["set_by"][:1]})
        for request in result.get("requests", []):
            if kind != ACCEPT and request["party"] == THIRD:
                _add(found, (kind, "request", request["host"], request["url"].split("?")[0]), url, {
                    "pass": kind, "kind": "request", "name": request["host"], "url": request["url"],
                    "reason": "request to a third party", "evidence": [request["initiator"]]})
    return list(found.values())


def undeclared(declaration, pages):
    """Cookies and storage keys seen but not declared, with a guess and a suggested sites-file block."""
    found = {}
    for url, kind, result in _passes(pages):
        items = [("cookie", cookie["name"], cookie["party"], cookie["domain"]) for cookie in result.get("cookies", [])]
        items += [("storage", item["key"], item["party"], item["origin"]) for item in result.get("storage", [])]
        for what, name, party, where in items:
            if declaration.category_of(name) is not None:
                continue
            entry = found.get((what, name))
            if entry is None:
                guess = known_cookies.guess(name)
                entry = found[(what, name)] = {
                    "kind": what, "name": name, "party": party, "where": where, "passes": [], "pages": [],
                    "guess": guess, "suggestion": toml_block(declaration.site, name, guess, party, where)}
            if kind not in entry["passes"]:
                entry["passes"].append(kind)
            if url not in entry["pages"] and len(entry["pages"]) < MAX_PAGES_LISTED:
                entry["pages"].append(url)
    return sorted(found.values(), key=lambda entry: (entry["kind"], entry["name"]))


def stale(declaration, pages):
    """Declared cookies seen on no page, or None when no "Accept all" pass completed to judge by."""
    if not any(kind == ACCEPT for _, kind, _ in _passes(pages)):
        return None
    seen = set()
    for _, _, result in _passes(pages):
        seen.update(cookie["name"] for cookie in result.get("cookies", []))
        seen.update(item["key"] for item in result.get("storage", []))
    return [{"name": name, "pattern": pattern, "category": category}
            for name, pattern, category in declaration.entries if not declaration.matches(name, pattern, seen)]
