"""Every page of the auditor portal in Chromium, on a desktop (1280 px) and a phone (390 px): what a person
sees, nothing wider than the screen, tap targets of 44 px, and nothing that axe-core objects to."""
import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from consent_service.policies import site_hashes

from tests.support.audit import add_records, make_auditor, utc
from tests.support.rights import decide

SCREENS = {
    "desktop": {"viewport": {"width": 1280, "height": 800}},
    "phone": {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 1, "is_mobile": True, "has_touch": True},
}
# Controls smaller than a fingertip (44 x 44 CSS px is the usual floor): buttons, fields, the nav's links.
SMALL_TARGETS = """() => [...document.querySelectorAll('button, input:not([type=hidden]), select, .site-nav a, .actions a')]
    .filter((node) => node.offsetParent !== null)
    .map((node) => [node.textContent.trim() || node.name, node.getBoundingClientRect().height])
    .filter(([, height]) => height < 44)"""


@pytest.fixture(params=list(SCREENS))
def screen(request, browser):
    """A fresh browser context of one screen size: ``(page, width)``."""
    context = browser.new_context(**SCREENS[request.param])
    yield context.new_page(), SCREENS[request.param]["viewport"]["width"]
    context.close()


@pytest.fixture
def visitor(app, consent_body):
    """A visitor who decided twice (the second through their token)."""
    browser = app.test_client()
    first = decide(browser, consent_body, user_agent="Mozilla/5.0 e2e", address="203.0.113.7")
    decide(browser, consent_body, user_agent="Mozilla/5.0 e2e", address="203.0.113.7", consent_id=first["consent_id"],
           token=first["token"], action="accept_all", categories={"analytics": True, "marketing": True})
    return first["consent_id"]


def sign_in(page, live_server, token):
    page.goto(f"{live_server}/audit/")
    page.get_by_label("Auditor token").fill(token)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("header")).to_contain_text("signed in as alice")


def looks_right(page, width):
    """Fits the screen, fingertip-sized controls on a phone, and axe-core finds nothing."""
    page.wait_for_load_state("load")  # the stylesheets applied
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    if width < 500:
        assert page.evaluate(SMALL_TARGETS) == []
    results = Axe().run(page)
    assert results.violations_count == 0, results.generate_report()


def test_sign_in(screen, live_server, app):
    page, width = screen
    token = make_auditor(app, "alice", ["entrack"])
    page.goto(f"{live_server}/audit/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
    page.get_by_label("Auditor token").fill("not the token")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_have_text("This token is not valid: it is unknown or was revoked.")
    looks_right(page, width)
    assert page.evaluate("getComputedStyle(document.body).fontFamily") != "Times New Roman"
    sign_in(page, live_server, token)
    expect(page.get_by_role("navigation", name="Audit").get_by_role("link")).to_have_text(
        ["Export", "Look up a consent", "Statistics", "Cookie scans"])


def test_export_and_check_now(screen, live_server, app):
    page, width = screen
    add_records(app, {"at": utc(2026, 11, 1)}, {"at": utc(2026, 11, 2)})
    sign_in(page, live_server, make_auditor(app, "alice", ["entrack"]))
    page.get_by_label("From (UTC, inclusive)").fill("2026-11-02")
    page.get_by_role("button", name="Show").click()
    expect(page.locator("#record-count")).to_have_text("1 record match.")
    expect(page.locator("#chain-entrack")).to_contain_text("Not checked yet.")
    page.get_by_role("button", name="Check now: the chain of entrack").click()
    status = page.locator("#chain-entrack")
    expect(status).to_contain_text("Verifies: 2 stored records, head seq 2")
    expect(status).to_contain_text("by alice.")
    expect(page.get_by_label("From (UTC, inclusive)")).to_have_value("2026-11-02")
    looks_right(page, width)


def test_lookup(screen, live_server, app, visitor):
    page, width = screen
    sign_in(page, live_server, make_auditor(app, "alice", ["entrack"]))
    page.get_by_role("link", name="Look up a consent").click()
    page.get_by_label("Consent id").fill(visitor)
    page.get_by_role("button", name="Look up").click()
    records = page.locator("#history > li")
    expect(records).to_have_count(2)
    expect(records.locator("h3")).to_have_text(["Seq 1: Custom choice", "Seq 2: Accept all"])
    pack = page.get_by_role("link", name="Download the proof pack")
    expect(pack).to_have_attribute("href", f"/audit/proof.zip?site=entrack&consent_id={visitor}")
    looks_right(page, width)
    with app.app_context():
        snapshot = site_hashes("entrack")["fi"]
    records.first.get_by_role("link", name="snapshot").click()
    expect(page).to_have_url(f"{live_server}/audit/policies/{snapshot}/view")


def test_snapshot_view(screen, live_server, app):
    page, width = screen
    with app.app_context():
        snapshot = site_hashes("entrack")["en"]
    sign_in(page, live_server, make_auditor(app, "alice", ["entrack"]))
    page.goto(f"{live_server}/audit/policies/{snapshot}/view")
    banner = page.locator("#preview-banner section.banner")
    expect(banner.get_by_role("heading")).to_have_text("Cookies on the Entrack website")
    expect(banner.get_by_role("button")).to_have_text(["Accept all", "Reject all", "Settings"])
    assert banner.evaluate("node => getComputedStyle(node).position") == "static"  # in the page, not over it
    assert banner.evaluate("node => getComputedStyle(node).borderRadius") == "8px"  # the banner's own look
    dialog = page.locator("#preview-settings dialog")
    expect(dialog.get_by_role("switch")).to_have_count(3)
    expect(dialog.get_by_role("switch").first).to_be_checked()
    dialog.get_by_text("Cookies (3)").click()
    expect(dialog.locator("code", has_text="_ga_*")).to_be_visible()
    expect(page.locator('#notice ~ table tr[data-cookie="_gcl_au"]')).to_contain_text("90 days")
    expect(page.locator("#controller")).to_contain_text("1068143-6")
    looks_right(page, width)


def test_stats(screen, live_server, app):
    page, width = screen
    add_records(app, *({"at": utc(2026, 11, d, 9), "action": action}
                       for d in (1, 2, 3) for action in ("accept_all", "custom", "reject_all")))
    sign_in(page, live_server, make_auditor(app, "alice", ["entrack"]))
    page.get_by_role("link", name="Statistics").click()
    page.get_by_label("From (UTC, inclusive)").fill("2026-11-01")
    page.get_by_label("To (UTC, inclusive)").fill("2026-11-03")
    page.get_by_role("button", name="Show").click()
    chart = page.locator(".chart svg:visible")
    expect(chart).to_have_count(1)
    expect(chart.locator(".legend text")).to_have_text(
        ["Reject all", "Custom choice", "Accept all", "Analytics granted", "Marketing granted"])
    box = chart.bounding_box()
    assert box["width"] <= width and box["width"] >= min(width - 40, 700)
    rendered = chart.locator("text.day").first.evaluate("node => node.getBoundingClientRect().height")
    assert rendered >= 12  # axis text at least 12 px on the screen
    expect(page.locator("#stats-table tbody tr")).to_have_count(3)
    looks_right(page, width)
