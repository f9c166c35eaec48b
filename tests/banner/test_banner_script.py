"""GET /banner.js: one response with code, styles and the site's texts; cached, compressed, within budget.
GET /banner-embeds.js: the embeds module, served and cached alike, within its own budget."""
import gzip
import json
import re
from pathlib import Path

import pytest

from consent_service.banner.assets import BANNER_JS, EMBEDS_JS, compact_site, script_json
from consent_service.policies import site_hashes
from consent_service.sites import DEFAULT_FILE

STATIC = Path(__file__).resolve().parents[2] / "static"
BUDGET_GZIP_BYTES = 7000
EMBEDS_BUDGET_GZIP_BYTES = 2500


def site_config(body):
    """The configuration embedded in the script, parsed back."""
    match = re.search(r'=(\{"entrack":.*?\}\]\}\})[,;]', body)
    return json.loads(match.group(1))


def test_one_response_carries_code_styles_and_texts(client):
    response = client.get("/banner.js")
    assert response.status_code == 200
    assert response.mimetype == "text/javascript"
    body = response.get_data(as_text=True)
    config = site_config(body)["entrack"]
    assert config["v"] == "2026-11-01" and config["d"] == 365 and config["l"] == "fi"
    assert [config["t"][lang]["accept_all"] for lang in ("fi", "sv", "en")] == ["Hyväksy kaikki", "Godkänn alla", "Accept all"]
    assert [category["k"] for category in config["c"]] == ["necessary", "analytics", "marketing"]
    assert config["c"][1]["o"] == [
        ["_ga", "Google Analytics (Google Ireland Ltd)"], ["_ga_*", "Google Analytics (Google Ireland Ltd)", 1],
        ["_gid", "Google Analytics (Google Ireland Ltd)"],
    ], "purposes and lifetimes are in the cookie declaration the banner links to"
    assert ".banner{" in body and "__CONSENT_" not in body
    assert "notice" not in config and "controller" not in config


def test_it_carries_the_hash_of_each_languages_snapshot(client, app):
    hashes = site_config(client.get("/banner.js").get_data(as_text=True))["entrack"]["h"]
    assert hashes == site_hashes("entrack", app)
    assert sorted(hashes) == ["en", "fi", "sv"] and len(set(hashes.values())) == 3
    assert all(re.fullmatch("[0-9a-f]{64}", value) for value in hashes.values())


@pytest.mark.parametrize(("language", "change"), [
    ("fi", ('save = "Tallenna valinnat"', 'save = "Tallenna"')),
    ("sv", ('sv = "Analys"', 'sv = "Analyser"')),
    ("en", ('en = "Google Ads measures', 'en = "Google Ads counts')),
])
def test_a_changed_text_changes_that_languages_hash_only(client, make_app, tmp_path, language, change):
    before = site_config(client.get("/banner.js").get_data(as_text=True))["entrack"]["h"]
    text = DEFAULT_FILE.read_text(encoding="utf-8")
    assert text.count(change[0]) == 1
    path = tmp_path / "sites.toml"
    path.write_text(text.replace(*change), encoding="utf-8")
    changed = make_app(CONSENT_SITES_FILE=str(path))
    after = site_config(changed.test_client().get("/banner.js").get_data(as_text=True))["entrack"]["h"]
    assert after == site_hashes("entrack", changed)
    assert {lang for lang in before if before[lang] != after[lang]} == {language}


def test_first_visit_download_is_within_budget(client):
    response = client.get("/banner.js", headers={"Accept-Encoding": "gzip, deflate, br"})
    assert response.headers["Content-Encoding"] == "gzip"
    assert len(response.data) <= BUDGET_GZIP_BYTES, f"banner.js is {len(response.data)} bytes gzip"
    assert gzip.decompress(response.data) == client.get("/banner.js").data


def test_cached_with_etag_and_revalidated(client):
    first = client.get("/banner.js", headers={"Accept-Encoding": "gzip"})
    assert first.headers["Cache-Control"].startswith("public, max-age=")
    assert "Accept-Encoding" in first.headers["Vary"]
    assert first.headers["Cross-Origin-Resource-Policy"] == "cross-origin"
    again = client.get("/banner.js", headers={"Accept-Encoding": "gzip", "If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""
    plain = client.get("/banner.js")
    assert plain.headers["ETag"] != first.headers["ETag"]
    assert "Content-Encoding" not in plain.headers


def test_the_bytes_are_deterministic(client, app):
    first = client.get("/banner.js", headers={"Accept-Encoding": "gzip"}).data
    app.extensions.pop("consent_banner")
    assert client.get("/banner.js", headers={"Accept-Encoding": "gzip"}).data == first


@pytest.mark.parametrize(("query", "status"), [("?site=entrack", 200), ("?site=nosuch", 404), ("?site=", 404)])
def test_one_site_by_query(client, query, status):
    assert client.get(f"/banner.js{query}").status_code == status


def test_texts_cannot_end_the_script(app):
    site = app.extensions["consent_sites"]["entrack"]
    text = script_json({"x": "</script><script>alert(1)</script>\u2028"})
    assert "</" not in text and "\u2028" not in text
    assert compact_site(site)["t"]["en"]["title"] == "Cookies on the Entrack website"


@pytest.mark.parametrize("forbidden", [
    r"\beval\s*\(", r"new\s+Function", r"innerHTML", r"outerHTML", r"insertAdjacentHTML", r"document\.write",
    r"setAttribute\(\s*['\"]style", r"\.style\.", r"\bimport\s", r"\bexport\s",
])
def test_sources_stay_csp_safe_and_module_free(forbidden):
    for name in BANNER_JS + EMBEDS_JS:
        source = (STATIC / name).read_text(encoding="utf-8")
        assert not re.search(forbidden, source), f"{name} uses {forbidden}"


def test_demo_page_embeds_the_one_tag_first_and_holds_trackers_back(client):
    response = client.get("/demo")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    head = html[html.index("<head>"):html.index("</head>")]
    scripts = re.findall(r"<script[^>]*>", head)
    assert scripts[0] == '<script src="/banner.js" data-site="entrack">'
    assert head.index("/banner.js") < head.index("<title>")
    gated = [tag for tag in scripts if "data-consent-category" in tag]
    assert len(gated) == 2 and all('type="text/plain"' in tag for tag in gated)
    assert "'unsafe-inline'" not in response.headers["Content-Security-Policy"]


@pytest.mark.parametrize(("lang", "attribute"), [("fi", ' data-lang="fi"'), ("sv", ' data-lang="sv"'), ("xx", "")])
def test_demo_language(client, lang, attribute):
    html = client.get(f"/demo?lang={lang}").get_data(as_text=True)
    assert f'<script src="/banner.js" data-site="entrack"{attribute}>' in html


def test_gzip_refused_gets_the_plain_script(client):
    response = client.get("/banner.js", headers={"Accept-Encoding": "gzip;q=0, identity"})
    assert "Content-Encoding" not in response.headers
    assert response.data.startswith(b"(function(")


def test_home_page_links_to_the_demo(client):
    assert 'href="/demo"' in client.get("/").get_data(as_text=True)


def test_embeds_module_is_within_its_budget_and_cached_alike(client):
    response = client.get("/banner-embeds.js", headers={"Accept-Encoding": "gzip"})
    assert response.status_code == 200 and response.mimetype == "text/javascript"
    assert len(response.data) <= EMBEDS_BUDGET_GZIP_BYTES, f"banner-embeds.js is {len(response.data)} bytes gzip"
    body = gzip.decompress(response.data).decode()
    assert body.startswith("(function(") and "__CONSENT_" not in body and "[part~=button]{" in body
    banner = client.get("/banner.js", headers={"Accept-Encoding": "gzip"})
    for header in ("Cache-Control", "Cross-Origin-Resource-Policy", "X-Content-Type-Options", "Vary"):
        assert response.headers[header] == banner.headers[header], header
    again = client.get("/banner-embeds.js", headers={"Accept-Encoding": "gzip", "If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304
    assert client.get("/banner-embeds.js").data == body.encode()


def test_banner_carries_the_embeds_module_address_and_what_it_looks_for(client):
    body = client.get("/banner.js").get_data(as_text=True)
    assert body.count("/banner-embeds.js") == 1
    assert '"[data-consent-category][data-src]"' in body
