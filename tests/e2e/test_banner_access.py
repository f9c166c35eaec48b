"""The banner for every visitor: keyboard only, axe-core, three languages, Global Privacy Control."""
import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from tests.support.records import wait_for_records

from .banner_pages import app_config  # noqa: F401  (the host pages' sites file)
from .banner_pages import banner, host_page, settings

FOCUSED = """() => {
    const active = document.querySelector('consent-banner')?.shadowRoot?.activeElement;
    if (!active) return null;
    const style = getComputedStyle(active);
    return {text: (active.textContent || active.name || '').trim(), inDialog: !!active.closest('dialog'),
            outline: style.outlineStyle + ' ' + style.outlineWidth};
}"""
GPC_SCRIPT = "Object.defineProperty(Navigator.prototype, 'globalPrivacyControl', {get: () => true});"


def focused(page):
    return page.evaluate(FOCUSED)


def test_whole_flow_by_keyboard(page, live_server, app):
    page.goto(f"{live_server}/demo?lang=en")
    expect(banner(page)).to_be_visible()
    page.keyboard.press("Tab")
    assert focused(page) == {"text": "Accept all", "inDialog": False, "outline": "solid 3px"}
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    assert focused(page)["text"] == "Settings"
    page.keyboard.press("Enter")
    expect(settings(page)).to_be_visible()
    seen = []
    for _ in range(14):
        now = focused(page)
        assert now and now["inDialog"], f"focus left the dialog after {seen}"
        seen.append(now["text"])
        page.keyboard.press("Tab")
    assert {"Close", "analytics", "marketing", "Privacy notice and cookies", "Save choices"} <= set(seen)
    assert seen.count("Close") == 2
    while focused(page)["text"] != "Save choices":
        page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    assert focused(page)["text"] == "Close"
    page.keyboard.press("Shift+Tab")
    assert focused(page) == {"text": "Save choices", "inDialog": True, "outline": "solid 3px"}
    page.keyboard.press("Escape")
    expect(settings(page)).to_have_count(0)
    assert focused(page)["text"] == "Settings"
    page.keyboard.press("Enter")
    while focused(page)["text"] != "analytics":
        page.keyboard.press("Tab")
    page.keyboard.press("Space")
    expect(settings(page).get_by_role("switch", name="Analytics")).to_be_checked()
    while focused(page)["text"] != "Save choices":
        page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    expect(page.locator('[data-tracker="analytics"]')).to_have_text("loaded")
    [record] = wait_for_records(app, 1)
    assert (record.action, record.analytics, record.marketing) == ("custom", True, False)
    assert focused(page)["text"] == "Cookie settings"
    page.keyboard.press("Enter")
    expect(settings(page)).to_be_visible()


def assert_no_axe_violations(page):
    results = Axe().run(page)
    assert results.violations_count == 0, results.generate_report()


def test_axe_finds_nothing(page, live_server, app):
    page.goto(f"{live_server}/demo?lang=fi")
    expect(banner(page)).to_be_visible()
    assert_no_axe_violations(page)
    banner(page).get_by_role("button", name="Asetukset").click()
    expect(settings(page)).to_be_visible()
    settings(page).locator("summary").first.click()
    assert_no_axe_violations(page)
    settings(page).get_by_role("button", name="Hyväksy kaikki").click()
    wait_for_records(app, 1)
    page.get_by_role("button", name="Evästeasetukset", exact=True).click()
    assert_no_axe_violations(page)


BUTTONS = {
    "fi": ["Hyväksy kaikki", "Hylkää kaikki", "Asetukset"],
    "sv": ["Godkänn alla", "Avvisa alla", "Inställningar"],
    "en": ["Accept all", "Reject all", "Settings"],
}


@pytest.mark.parametrize(("attrs", "html_lang", "locale", "expected"), [
    (' data-lang="sv"', "en", "en-GB", "sv"),     # data-lang first
    ("", "sv-FI", "en-GB", "sv"),                 # then <html lang>
    ("", "", "en-GB", "en"),                      # then navigator.languages
    ("", "", "sv-SE", "sv"),
    ("", "de", "de-DE", "fi"),                    # then the site's default
])
def test_language_choice(browser, live_server, host, attrs, html_lang, locale, expected):
    context = browser.new_context(locale=locale)
    page = context.new_page()
    page.goto(host.add("/page", host_page(live_server, lang=html_lang, attrs=attrs)))
    texts = banner(page).get_by_role("button").all_inner_texts()
    context.close()
    assert texts == BUTTONS[expected]


def test_demo_in_finnish(page, live_server):
    page.goto(f"{live_server}/demo?lang=fi")
    expect(banner(page).get_by_role("heading")).to_have_text("Evästeet Entrackin sivustolla")
    assert banner(page).get_by_role("button").all_inner_texts() == BUTTONS["fi"]


def test_global_privacy_control(browser, live_server, app):
    context = browser.new_context(extra_http_headers={"Sec-GPC": "1"})
    context.add_init_script(GPC_SCRIPT)
    page = context.new_page()
    page.goto(f"{live_server}/demo?lang=en")
    honoured = "Your browser's Global Privacy Control signal was honoured: marketing is off."
    expect(banner(page).get_by_text(honoured)).to_be_visible()
    banner(page).get_by_role("button", name="Settings").click()
    expect(settings(page).get_by_text(honoured)).to_be_visible()
    expect(settings(page).get_by_role("switch", name="Marketing")).not_to_be_checked()
    settings(page).get_by_role("button", name="Accept all").click()
    expect(page.locator('[data-tracker="analytics"]')).to_have_text("loaded")
    [record] = wait_for_records(app, 1)
    assert (record.action, record.analytics, record.marketing, record.gpc) == ("custom", True, False, True)
    assert page.locator('[data-tracker="marketing"]').inner_text() == "not loaded"
    context.close()
