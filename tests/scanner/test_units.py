"""The scanner's pieces without a browser: cookie strings, parties, page source, the known-cookie data,
the declaration, suggested blocks, result status; and the service starting without Playwright."""
import subprocess
import sys
import tomllib
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from consent_service.scanner import known_cookies, result
from consent_service.scanner.cookie_text import parse_cookie
from consent_service.scanner.declaration import Declaration, stale, violations
from consent_service.scanner.html_source import Source
from consent_service.scanner.parties import FIRST, SERVICE, THIRD, Parties
from consent_service.scanner.plan import make_plan
from consent_service.scanner.suggest import toml_block
from consent_service.sites import load_sites
from consent_service.sites.schemas import CookieSchema


ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 12, 1, 12, 0, tzinfo=timezone.utc)
SITE = load_sites()["entrack"]


@pytest.mark.parametrize(("text", "expected"), [
    ("_ga=GA1; Max-Age=60; Path=/", ("_ga", None, "/", NOW + timedelta(seconds=60), False)),
    ("a=1; domain=.Example.COM", ("a", "example.com", None, None, False)),
    ("a=; Max-Age=0; Path=/", ("a", None, "/", NOW, True)),
    ("a=1; Expires=Thu, 01 Jan 1970 00:00:00 GMT", ("a", None, None, datetime(1970, 1, 1, tzinfo=timezone.utc), True)),
    ("a=1; Max-Age=nonsense; Expires=Wed, 02 Dec 2026 12:00:00 GMT", ("a", None, None, NOW + timedelta(days=1), False)),
    ("a=1; Expires=not a date", ("a", None, None, None, False)),
])
def test_cookie_strings(text, expected):
    write = parse_cookie(text, now=NOW)
    assert (write.name, write.domain, write.path, write.expires, write.deletion) == expected


@pytest.mark.parametrize("text", ["", "novalue", "=1", " ; a=1"])
def test_strings_that_name_no_cookie(text):
    assert parse_cookie(text, now=NOW) is None


@pytest.mark.parametrize(("url", "party"), [
    ("https://www.entrack.fi/x", FIRST), ("https://entrack.fi/", FIRST), ("https://cdn.entrack.fi/a.js", FIRST),
    ("https://consent.example/banner.js", SERVICE), ("https://consent.example:8443/x", THIRD),
    ("https://www.google-analytics.com/g/collect", THIRD), ("https://notentrack.fi/", THIRD),
])
def test_parties(url, party):
    assert Parties(SITE.origins, "https://consent.example").of_url(url) == party


def test_loopback_hosts_are_parties_by_address_not_by_suffix():
    parties = Parties(["http://127.0.0.1:5001"])
    assert (parties.of_url("http://127.0.0.1:9/x"), parties.of_url("http://127.0.0.2:5001/x")) == (FIRST, THIRD)
    assert parties.is_site_url("http://127.0.0.1:5001/a") and not parties.is_site_url("http://127.0.0.1:5002/a")


@pytest.mark.parametrize(("head", "found", "first", "before"), [
    ('<script src="https://c.example/banner.js" data-site="entrack"></script><meta charset="utf-8">', True, True, []),
    ('<meta charset="utf-8"><title>t</title><script src="https://c.example/banner.js?site=entrack" data-site="entrack">'
     "</script>", True, True, []),
    ('<script src="/gtm.js"></script><script src="https://c.example/banner.js" data-site="entrack"></script>',
     True, False, ['<script src="/gtm.js">']),
    ('<script src="https://c.example/banner.js" data-site="other"></script>', False, False, []),
])
def test_head_order(head, found, first, before):
    report = Source(f"<!doctype html><html><head>{head}</head><body></body></html>", "https://www.entrack.fi/").head_report("entrack")
    assert (report["banner_tag_found"], report["banner_tag_first_in_head"], report["before_banner_tag"]) == (found, first, before)


def test_banner_tag_in_body_is_found_but_not_in_head():
    html = '<html><head><title>t</title></head><body><script src="/banner.js" data-site="entrack"></script></body></html>'
    report = Source(html, "https://www.entrack.fi/").head_report("entrack")
    assert (report["banner_tag_found"], report["banner_tag_in_head"]) == (True, False)


def test_elements_by_address_and_by_line():
    html = '<html><body>\n<img src="/a.gif" width="1">\n<script>\nvar x = 1;\nfetch("/b");\n</script>\n</body></html>'
    source = Source(html, "https://www.entrack.fi/page")
    assert source.element_for_url("https://www.entrack.fi/a.gif", 1).describe() == '<img src="/a.gif" width="1">'
    assert source.script_at(4).describe() == "<script> var x = 1; fetch(\"/b\");"
    assert source.script_at(0) is None


@pytest.mark.parametrize(("name", "category", "pattern"), [
    ("_ga", "analytics", None), ("_ga_ABC123", "analytics", "_ga_*"), ("_fbp", "marketing", None),
])
def test_known_cookies(name, category, pattern):
    guess = known_cookies.guess(name)
    assert (guess["category"], guess["pattern"], guess["source"]) == (category, pattern, "Open Cookie Database")


def test_unknown_cookie_and_the_data_file_names_its_licence():
    assert known_cookies.guess("surely_nobody_sets_this_cookie_xyz") is None
    header = known_cookies.DATA.read_text(encoding="utf-8")[:600]
    assert "Apache-2.0" in header and "Open Cookie Database" in header
    assert known_cookies.DATA.with_name("open-cookie-database.LICENSE").read_text(encoding="utf-8").count("Apache License") >= 1


@pytest.mark.parametrize(("name", "party"), [("_ga_XYZ", "first"), ("weird.name", "third"), ("_fbp", "first")])
def test_suggested_blocks_load_as_declared_cookies(name, party):
    block = toml_block(SITE, name, known_cookies.guess(name), party, "www.entrack.fi")
    [cookie] = tomllib.loads(block)["entrack"]["categories"]["cookies"]
    loaded = CookieSchema().load(cookie)
    assert Declaration(SITE).matches(loaded["name"], loaded["pattern"], [name])


def test_names_the_sites_file_cannot_hold_get_no_block():
    assert toml_block(SITE, "has space", None, "first", "www.entrack.fi") is None


def test_declaration_knows_patterns_and_the_banners_own_names():
    declaration = Declaration(SITE)
    assert [declaration.category_of(name) for name in ("_ga_1", "_gid", "consent_entrack", "consent_queue_entrack",
                                                       "_gcl_au", "other")] == [
        "analytics", "analytics", "necessary", "necessary", "marketing", None]


def _page(url, **passes):
    return {"url": url, "passes": {kind: {"status": "ok", "cookies": [], "storage": [], "requests": [], **records}
                                   for kind, records in passes.items()}}


def _cookie(name, party="first"):
    return {"name": name, "domain": "www.entrack.fi", "party": party, "stored": True, "blocked": None, "set_by": []}


def test_a_cookie_of_a_granted_category_is_no_violation_and_stale_needs_an_accept_pass():
    declaration = Declaration(SITE)
    pages = [_page("https://www.entrack.fi/", none={}, accept={"cookies": [_cookie("_ga"), _cookie("other")]})]
    assert violations(declaration, pages) == []
    assert [item["name"] for item in stale(declaration, pages)] == ["consent_entrack", "_ga_*", "_gid", "_gcl_au"]
    assert stale(declaration, [_page("https://www.entrack.fi/", none={})]) is None


@pytest.mark.parametrize(("pages", "status", "code"), [
    ([_page("https://www.entrack.fi/", none={}, reject={}, accept={})], "clean", 0),
    ([_page("https://www.entrack.fi/", none={"cookies": [_cookie("_ga")]})], "violations", 1),
    ([{"url": "https://www.entrack.fi/", "passes": {"none": {"status": "failed", "problems": ["x"]}}}], "failed", 2),
    ([], "failed", 2),
])
def test_status_and_exit_code(pages, status, code):
    plan = make_plan(SITE)
    document = result.build(plan, pages, [], NOW, NOW)
    assert (document["status"], document["exit_code"]) == (status, code)


NO_PLAYWRIGHT = """
import sys
sys.modules["playwright"] = None  # as if requirements-scan.txt were not installed
from consent_service import create_app
app = create_app({"TESTING": True, "SECRET_KEY": "t" * 64, "SQLALCHEMY_DATABASE_URI": sys.argv[1]})
assert app.test_client().get("/audit/scans/").status_code == 302
assert "scan" in app.cli.commands
assert not [name for name in sys.modules if name.startswith("consent_service.scanner.crawl")]
print("started")
"""


def test_the_service_starts_and_serves_scan_pages_without_playwright(database_uri):
    done = subprocess.run([sys.executable, "-c", NO_PLAYWRIGHT, database_uri], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    assert done.stdout.strip() == "started", done.stderr
