"""HTML or script in site texts, cookie descriptions, page addresses and user agents is shown as
text everywhere: the service's pages, the visitor's page, the auditors' pages, and the banner."""
import json
import re
from pathlib import Path
from urllib.parse import quote

import pytest

from consent_service.sites import DEFAULT_FILE

from tests.support.audit import make_auditor
from tests.security.test_security_headers import html_pages

STATIC_BANNER = Path(__file__).resolve().parents[2] / "static" / "banner"
PAYLOADS = {
    "site name": "<script>alert('name')</script>",
    "banner body": "<img src=x onerror=alert('body')>",
    "cookie purpose": "<b onmouseover=alert('purpose')>visitors</b>",
    "category label": "<iframe src=javascript:alert('label')>",
    "user agent": "<script>alert('agent')</script>",
    "page address": "https://www.entrack.fi/<svg/onload=alert('page')>",
}
RAW_MARKERS = ("<script>alert", "<img src=x", "<b onmouseover", "<iframe src=javascript", "<svg/onload")


@pytest.fixture
def app_config(tmp_path):
    """The shipped site with markup in its name, texts, cookie descriptions and labels."""
    text = DEFAULT_FILE.read_text(encoding="utf-8")
    for old, new in [
        ('name = "Entrack Oy Ab"', f'name = "Entrack {PAYLOADS["site name"]}"'),  # the site's, first
        ("We use necessary cookies", f'{PAYLOADS["banner body"]} We use necessary cookies'),
        ("Käytämme välttämättömiä", f'{PAYLOADS["banner body"]} Käytämme välttämättömiä'),
        ('en = "Distinguishes visitors."', f'en = "{PAYLOADS["cookie purpose"]}"'),
        ('en = "Analytics" }', f'en = "Analytics {PAYLOADS["category label"]}" }}'),
    ]:
        assert old in text, old
        text = text.replace(old, new, 1)
    path = tmp_path / "sites.toml"
    path.write_text(text, encoding="utf-8")
    return {"CONSENT_SITES_FILE": str(path), "RATELIMIT_CONSENT": "1000 per minute"}


@pytest.fixture
def decision(client, consent_body):
    consent_body["page_url"] = PAYLOADS["page address"]
    response = client.post("/api/v1/consents", json=consent_body, headers={"User-Agent": PAYLOADS["user agent"]})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def assert_shown_as_text(html, *names):
    """No payload is live markup; each named one is there, escaped."""
    for marker in RAW_MARKERS:
        assert marker not in html
    for name in names:
        escaped = PAYLOADS[name].replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        escaped_quotes = escaped.replace("'", "&#39;")
        assert escaped in html or escaped_quotes in html, name


def test_service_pages_show_markup_as_text(app, decision):
    pages = dict(html_pages(app))
    assert {"/", "/demo"} <= pages.keys()
    for path, response in pages.items():
        assert_shown_as_text(response.get_data(as_text=True))
    assert_shown_as_text(pages["/"].get_data(as_text=True), "site name")


def test_privacy_notice_shows_markup_as_text(client, decision):
    html = client.get("/privacy/entrack?lang=en").get_data(as_text=True)
    assert_shown_as_text(html, "site name", "cookie purpose")


def test_visitors_page_shows_markup_as_text(client, decision):
    cookie = quote(json.dumps({"t": decision["token"], "id": decision["consent_id"]}), safe="")
    client.set_cookie("consent_entrack", cookie)
    response = client.get("/my-consent?site=entrack&lang=en")
    assert response.status_code == 200
    assert_shown_as_text(response.get_data(as_text=True), "user agent", "page address")


def test_auditor_pages_show_markup_as_text(app, client, decision):
    token = make_auditor(app)
    page = client.get("/audit/").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    assert client.post("/audit/sign-in", data={"token": token, "csrf_token": csrf}).status_code == 302
    for path in ("/audit/?site=entrack", "/audit/stats?site=entrack"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert_shown_as_text(response.get_data(as_text=True), "site name")


def test_banner_script_carries_texts_as_data(client, decision):
    script = client.get("/banner.js?site=entrack", headers={"Accept-Encoding": "identity"}).get_data(as_text=True)
    assert "</script" not in script.lower()
    assert "onerror=alert" in script or "onerror\\u003dalert" in script  # the text is there, as data


def test_banner_sources_never_parse_text_as_html():
    """The banner writes text with textContent: no HTML parsing sink anywhere in its sources."""
    sinks = re.compile(r"\.innerHTML|\.outerHTML|insertAdjacentHTML|document\.write|\beval\(|new Function\(")
    sources = sorted(STATIC_BANNER.rglob("*.js"))
    assert sources
    for source in sources:
        assert not sinks.search(source.read_text(encoding="utf-8")), source.name
