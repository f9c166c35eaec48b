"""The banner on the demo page: first visit, reject, accept, custom, change of mind, policy change."""
import json
from urllib.parse import quote, unquote

from playwright.sync_api import expect

from tests.support.records import records, wait_for_records

from .banner_pages import app_config  # noqa: F401  (the host pages' sites file)
from .banner_pages import banner, consent_commands, cookie_names, host_page, settings

GA_COOKIES = {"_ga", "_ga_DEMO123", "_gid"}
DENIED_DEFAULT = {
    "ad_storage": "denied", "ad_user_data": "denied", "ad_personalization": "denied",
    "analytics_storage": "denied", "functionality_storage": "denied", "personalization_storage": "denied",
    "security_storage": "granted", "wait_for_update": 500,
}


def open_demo(page, live_server, lang="en"):
    """Load the demo page, recording every request the page makes."""
    requests = []
    page.on("request", lambda request: requests.append(request.url))
    page.goto(f"{live_server}/demo?lang={lang}")
    return requests


def tracker_requests(requests):
    return [url for url in requests if url.endswith(("/demo/analytics.js", "/demo/ads.js"))]


def stored_cookie(context):
    """The consent cookie and the choice it holds."""
    [cookie] = [c for c in context.cookies() if c["name"] == "consent_entrack"]
    return cookie, json.loads(unquote(cookie["value"]))


def test_first_visit_shows_the_banner_and_asks_nothing_else(page, live_server):
    requests = open_demo(page, live_server)
    expect(banner(page)).to_be_visible()
    for name in ("Accept all", "Reject all", "Settings"):
        expect(banner(page).get_by_role("button", name=name, exact=True)).to_be_visible()
    page.wait_for_load_state("networkidle")
    service = [url for url in requests if url.startswith(live_server)]
    assert not [url for url in service if "/api/" in url]
    assert not tracker_requests(requests)
    assert consent_commands(page) == [["consent", "default", DENIED_DEFAULT]]
    assert "consent_entrack" not in cookie_names(page.context)


def test_equal_buttons_on_the_first_layer(page, live_server):
    open_demo(page, live_server)
    boxes = [banner(page).get_by_role("button", name=name, exact=True).bounding_box()
             for name in ("Accept all", "Reject all", "Settings")]
    assert len({(round(b["width"]), round(b["height"])) for b in boxes}) == 1
    colours = banner(page).locator("button").evaluate_all(
        "(buttons) => buttons.map((b) => getComputedStyle(b).backgroundColor + getComputedStyle(b).color)")
    assert len(set(colours)) == 1


def test_reject_all_runs_no_tracker_and_stores_one_record(page, live_server, app):
    requests = open_demo(page, live_server)
    banner(page).get_by_role("button", name="Reject all").click()
    expect(banner(page)).to_have_count(0)
    [record] = wait_for_records(app, 1)
    assert (record.action, record.analytics, record.marketing, record.gpc) == ("reject_all", False, False, False)
    assert record.page_url == f"{live_server}/demo"
    assert not tracker_requests(requests)
    assert page.evaluate("window.demoTrackers") is None
    assert not GA_COOKIES & cookie_names(page.context)
    commands = consent_commands(page)
    assert commands[1] == ["consent", "update", {
        "analytics_storage": "denied", "ad_storage": "denied", "ad_user_data": "denied", "ad_personalization": "denied",
    }]
    assert not [c for c in commands if "granted" in json.dumps({k: v for k, v in c[2].items() if k != "security_storage"})]
    _, stored = stored_cookie(page.context)
    assert stored["c"] == {"analytics": False, "marketing": False}
    assert stored["id"] == record.consent_id and stored["t"]


def test_accept_all_runs_trackers_and_grants(page, live_server, app):
    requests = open_demo(page, live_server)
    banner(page).get_by_role("button", name="Accept all").click()
    expect(page.locator('[data-tracker="analytics"]')).to_have_text("loaded")
    expect(page.locator('[data-tracker="marketing"]')).to_have_text("loaded")
    [record] = wait_for_records(app, 1)
    assert (record.action, record.analytics, record.marketing) == ("accept_all", True, True)
    assert len(tracker_requests(requests)) == 2
    assert GA_COOKIES <= cookie_names(page.context)
    assert consent_commands(page)[-1] == ["consent", "update", {
        "analytics_storage": "granted", "ad_storage": "granted", "ad_user_data": "granted", "ad_personalization": "granted",
    }]
    events = [e for e in page.evaluate("window.dataLayer") if isinstance(e, dict) and e.get("event") == "consent_update"]
    assert events == [{"event": "consent_update", "consent": {"necessary": True, "analytics": True, "marketing": True}}]
    cookie, stored = stored_cookie(page.context)
    assert cookie["sameSite"] == "Lax"
    assert cookie["expires"] > page.evaluate("Date.now() / 1000") + 364 * 86400
    assert stored["v"] == "2026-11-01" and stored["id"] == record.consent_id
    state = page.evaluate("fetch('/api/v1/consent-state?site=entrack').then((r) => r.json())")
    assert state["valid"] is True and state["consent_id"] == record.consent_id


def test_custom_choice_in_settings(page, live_server, app):
    requests = open_demo(page, live_server)
    banner(page).get_by_role("button", name="Settings").click()
    dialog = settings(page)
    expect(dialog).to_be_visible()
    necessary = dialog.get_by_role("switch", name="Necessary")
    expect(necessary).to_be_checked()
    expect(necessary).to_be_disabled()
    expect(dialog.get_by_role("switch", name="Analytics")).not_to_be_checked()
    expect(dialog.get_by_role("switch", name="Marketing")).not_to_be_checked()
    dialog.get_by_text("Cookies (3)").click()
    expect(dialog.get_by_text("_ga_*", exact=True)).to_be_visible()
    dialog.get_by_role("switch", name="Analytics").check()
    dialog.get_by_role("button", name="Save choices").click()
    expect(dialog).to_have_count(0)
    expect(page.locator('[data-tracker="analytics"]')).to_have_text("loaded")
    [record] = wait_for_records(app, 1)
    assert (record.action, record.analytics, record.marketing) == ("custom", True, False)
    assert [url.rsplit("/", 1)[1] for url in tracker_requests(requests)] == ["analytics.js"]
    assert consent_commands(page)[-1][2] == {
        "analytics_storage": "granted", "ad_storage": "denied", "ad_user_data": "denied", "ad_personalization": "denied",
    }


def test_change_of_mind_clears_the_category_cookies(page, live_server, app):
    open_demo(page, live_server)
    page.context.add_cookies([{"name": "_ga_OTHER", "value": "x", "url": live_server}])
    banner(page).get_by_role("button", name="Accept all").click()
    expect(page.locator('[data-tracker="analytics"]')).to_have_text("loaded")
    [first] = wait_for_records(app, 1)
    assert GA_COOKIES | {"_gcl_au", "_ga_OTHER"} <= cookie_names(page.context)
    page.get_by_role("button", name="Cookie settings", exact=True).click()
    dialog = settings(page)
    expect(dialog.get_by_role("switch", name="Analytics")).to_be_checked()
    expect(dialog.locator('[data-cs="consent-id"]')).to_have_text(first.consent_id)
    dialog.get_by_role("switch", name="Analytics").uncheck()
    dialog.get_by_role("button", name="Save choices").click()
    names = cookie_names(page.context)
    assert not (GA_COOKIES | {"_ga_OTHER"}) & names
    assert "_gcl_au" in names
    page.get_by_role("button", name="Cookie settings", exact=True).click()
    settings(page).get_by_role("button", name="Reject all").click()
    assert "_gcl_au" not in cookie_names(page.context)
    later = wait_for_records(app, 3)
    assert [(r.action, r.analytics, r.marketing) for r in later] == [
        ("accept_all", True, True), ("custom", False, True), ("withdraw", False, False),
    ]
    assert {r.consent_id for r in later} == {first.consent_id}


def test_returning_visitor_gets_the_update_before_tag_manager(page, live_server, app, host):
    page.goto(f"{live_server}/demo?lang=en")
    banner(page).get_by_role("button", name="Accept all").click()
    wait_for_records(app, 1)
    gtm = ("<script>window.seenByGtm = JSON.stringify(Array.from(dataLayer, "
           "(e) => 'length' in e ? Array.from(e) : e));</script>")
    url = host.add("/shop", host_page(live_server, head=gtm))
    cookie = next(c for c in page.context.cookies() if c["name"] == "consent_entrack")
    page.context.add_cookies([{**cookie, "domain": "127.0.0.1", "path": "/"}])
    page.goto(url)
    seen = json.loads(page.evaluate("window.seenByGtm"))
    assert [entry[:2] for entry in seen[:2]] == [["consent", "default"], ["consent", "update"]]
    assert seen[1][2]["analytics_storage"] == "granted" and seen[1][2]["ad_storage"] == "granted"
    assert seen[2] == {"event": "consent_update", "consent": {"necessary": True, "analytics": True, "marketing": True}}
    expect(page.get_by_role("button", name="Cookie settings", exact=True)).to_be_visible()
    expect(banner(page)).to_have_count(0)
    assert len(records(app)) == 1


def test_new_policy_version_asks_again(page, live_server, app):
    stale = {"t": None, "id": None, "c": {"analytics": True, "marketing": True}, "v": "2025-01-01",
             "ts": 1_700_000_000_000}
    page.context.add_cookies([{"name": "consent_entrack", "value": quote(json.dumps(stale)), "url": live_server}])
    requests = open_demo(page, live_server)
    expect(banner(page)).to_be_visible()
    assert consent_commands(page) == [["consent", "default", DENIED_DEFAULT]]
    assert not tracker_requests(requests)
    assert page.evaluate("consentService.accepted('analytics')") is False


def test_expired_consent_asks_again(page, live_server):
    old = {"t": None, "id": None, "c": {"analytics": True, "marketing": False}, "v": "2026-11-01",
           "ts": 1_000_000_000_000}
    page.context.add_cookies([{"name": "consent_entrack", "value": quote(json.dumps(old)), "url": live_server}])
    open_demo(page, live_server)
    expect(banner(page)).to_be_visible()
    assert len(consent_commands(page)) == 1


def test_settings_links_and_data_consent_open(page, live_server):
    open_demo(page, live_server)
    page.get_by_role("button", name="Change cookie settings").click()
    dialog = settings(page)
    expect(dialog.locator('[data-cs-link="privacy"]')).to_have_attribute("href", f"{live_server}/privacy/entrack?lang=en")
    expect(dialog.locator('[data-cs-link="my-consent"]')).to_have_attribute(
        "href", f"{live_server}/my-consent?site=entrack&back={quote(live_server + '/demo', safe='')}&lang=en")
    expect(dialog.locator('[data-cs-link="privacy"]')).to_have_text("Privacy notice and cookies")
    page.keyboard.press("Escape")
    expect(dialog).to_have_count(0)
    expect(banner(page)).to_be_visible()


def test_public_api(page, live_server, app):
    open_demo(page, live_server)
    page.evaluate("window.changes = []; consentService.on('change', (s) => changes.push(s))")
    assert page.evaluate("consentService.get().decided") is False
    page.evaluate("consentService.open()")
    settings(page).get_by_role("switch", name="Marketing").check()
    settings(page).get_by_role("button", name="Save choices").click()
    [record] = wait_for_records(app, 1)
    page.wait_for_function("() => consentService.get().token !== null")
    state = page.evaluate("consentService.get()")
    assert state["categories"] == {"necessary": True, "analytics": False, "marketing": True}
    assert state["consentId"] == record.consent_id
    assert page.evaluate("[consentService.accepted('marketing'), consentService.accepted('analytics')]") == [True, False]
    changes = page.evaluate("changes")
    assert len(changes) == 1 and changes[0]["categories"]["marketing"] is True
