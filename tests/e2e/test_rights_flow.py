"""From the banner to the notice and "Your consent": withdrawing or erasing there blocks trackers next time."""
import json
import re
from pathlib import Path
from urllib.parse import unquote

from playwright.sync_api import expect

from tests.support.records import records, wait_for_records

from .banner_pages import cookie_names

TRACKERS = ("/demo/analytics.js", "/demo/ads.js")
GA_COOKIES = {"_ga", "_ga_DEMO123", "_gid"}
TOKEN_STORED = "() => document.cookie.includes('consent_entrack=') && !document.cookie.includes('%22t%22%3Anull')"


def accept_all_on_demo(page, live_server, app):
    """A visitor accepts everything on the demo page; the trackers run and the token is stored."""
    page.goto(f"{live_server}/demo?lang=en")
    page.locator('[data-cs="banner"]').get_by_role("button", name="Accept all").click()
    expect(page.locator('[data-tracker="analytics"]')).to_have_text("loaded")
    page.wait_for_function(TOKEN_STORED)
    [record] = wait_for_records(app, 1)
    return record.consent_id


def open_settings_link(page, link):
    page.get_by_role("button", name="Cookie settings", exact=True).click()
    page.locator(f'[data-cs="settings"] [data-cs-link="{link}"]').click()


def next_demo_load(page, live_server):
    """Load the demo page again; return the tracker scripts it requested."""
    requested = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto(f"{live_server}/demo?lang=en")
    page.wait_for_load_state("networkidle")
    return [url for url in requested if url.endswith(TRACKERS)]


def test_banner_links_lead_to_notice_and_withdrawing_there_blocks_trackers(page, live_server, app):
    consent_id = accept_all_on_demo(page, live_server, app)
    assert GA_COOKIES <= cookie_names(page.context)

    open_settings_link(page, "privacy")
    expect(page).to_have_url(re.compile(rf"^{re.escape(live_server)}/privacy/entrack([?].*)?$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Privacy notice: Entrack Oy Ab")
    expect(page.locator('tr[data-cookie="_ga"]')).to_contain_text("Google Analytics (Google Ireland Ltd)")
    page.get_by_role("link", name="Suomeksi").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Tietosuojaseloste: Entrack Oy Ab")
    page.goto(f"{live_server}/demo?lang=en")

    open_settings_link(page, "my-consent")
    expect(page).to_have_url(re.compile(rf"^{re.escape(live_server)}/my-consent[?]site=entrack(&.*)?$"))
    expect(page.locator("[data-consent-id]")).to_have_text(consent_id)
    expect(page.locator('[data-rights-history] tbody tr')).to_have_count(1)
    page.get_by_role("button", name="Withdraw my consent").click()
    expect(page.get_by_role("status")).to_have_text(
        "Your consent has been withdrawn. Analytics and marketing cookies are blocked.")
    expect(page.locator('[data-rights-history] tbody tr')).to_have_count(2)

    assert next_demo_load(page, live_server) == []
    expect(page.locator('[data-tracker="analytics"]')).to_have_text("not loaded")
    expect(page.locator('[data-tracker="marketing"]')).to_have_text("not loaded")
    expect(page.locator('[data-cs="banner"]')).to_have_count(0)
    expect(page.locator('[data-state="server"]')).to_have_text("valid; analytics false, marketing false")
    assert not GA_COOKIES & cookie_names(page.context)
    assert [(r.action, r.analytics, r.marketing) for r in records(app)] == [
        ("accept_all", True, True), ("withdraw", False, False)]
    assert {r.consent_id for r in records(app)} == {consent_id}


def test_erasing_on_your_consent_asks_again_and_blocks_trackers(page, live_server, app):
    consent_id = accept_all_on_demo(page, live_server, app)
    open_settings_link(page, "my-consent")
    page.get_by_role("checkbox", name="I understand that erasure cannot be undone.").check()
    page.get_by_role("button", name="Erase my personal data").click()
    expect(page.get_by_role("status")).to_contain_text("Your personal data have been erased")
    assert "consent_entrack" not in cookie_names(page.context)

    assert next_demo_load(page, live_server) == []
    expect(page.locator('[data-cs="banner"]')).to_be_visible()
    expect(page.locator('[data-tracker="analytics"]')).to_have_text("not loaded")
    stored = records(app)
    assert [r.action for r in stored] == ["accept_all", "erase"]
    assert all(r.consent_id == consent_id and r.ip_prefix is r.user_agent is r.page_url is None for r in stored)


def test_pasted_token_in_another_browser(page, live_server, app, browser):
    accept_all_on_demo(page, live_server, app)
    [cookie] = [c for c in page.context.cookies() if c["name"] == "consent_entrack"]
    token = json.loads(unquote(cookie["value"]))["t"]
    other = browser.new_context(locale="sv-SE")
    try:
        elsewhere = other.new_page()
        elsewhere.goto(f"{live_server}/my-consent?site=entrack")
        expect(elsewhere.locator("html")).to_have_attribute("lang", "sv")
        expect(elsewhere.locator("[data-rights-problem]")).to_contain_text("Ingen samtyckestoken")
        expect(elsewhere.get_by_role("link", name="myynti@entrack.fi").first).to_be_visible()
        elsewhere.get_by_role("textbox", name="Samtyckestoken").fill(token)
        elsewhere.get_by_role("button", name="Visa mitt samtycke").click()
        expect(elsewhere.locator("[data-consent-id]")).to_have_text(records(app)[0].consent_id)
        with elsewhere.expect_download() as download:
            elsewhere.get_by_role("button", name="Ladda ner som JSON-fil").click()
        exported = json.loads(Path(download.value.path()).read_text(encoding="utf-8"))
        assert [r["action"] for r in exported["records"]] == ["accept_all"]
    finally:
        other.close()


def test_back_link_on_the_same_host_keeps_the_services_new_token(page, live_server, app):
    consent_id = accept_all_on_demo(page, live_server, app)
    open_settings_link(page, "my-consent")
    page.get_by_role("button", name="Withdraw my consent").click()
    page.get_by_role("link", name="Back to Entrack Oy Ab").click()
    expect(page).to_have_url(f"{live_server}/demo")
    expect(page.locator('[data-state="server"]')).to_have_text("valid; analytics false, marketing false")
    assert page.evaluate("consentService.get().consentId") == consent_id
    assert not GA_COOKIES & cookie_names(page.context)
