"""The visitor's pages on a phone (390 px wide): no sideways scroll, no word broken in the middle, dates whole.
The banner and its placeholders alike, on a host page."""
import pytest
from playwright.sync_api import expect

from tests.support.records import wait_for_records

from .banner_pages import app_config  # noqa: F401  (the host pages' sites file)
from .banner_pages import banner, host_page, settings

PHONE = {"width": 390, "height": 844}
# Words (letters and digits) whose text spans two lines, and <time> elements that do, in `selector`.
BROKEN = """(selector) => {
    const broken = [];
    const lines = (range) => new Set([...range.getClientRects()].filter((r) => r.width > 0)
        .map((r) => Math.round(r.top))).size;
    for (const root of document.querySelectorAll(selector)) {
        const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
        for (let node = walker.nextNode(); node; node = walker.nextNode()) {
            for (const word of node.data.matchAll(/[\\p{L}\\p{N}]+/gu)) {
                const range = document.createRange();
                range.setStart(node, word.index);
                range.setEnd(node, word.index + word[0].length);
                if (lines(range) > 1) broken.push(word[0]);
            }
        }
        for (const time of root.querySelectorAll('time')) {
            const range = document.createRange();
            range.selectNodeContents(time);
            if (lines(range) > 1) broken.push(time.textContent);
        }
    }
    return broken;
}"""
LANGUAGES = ("fi", "sv", "en")


def fits_the_phone(page, selector="body"):
    """Nothing wider than the screen, and no word or date cut across two lines."""
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert page.evaluate(BROKEN, selector) == []


@pytest.fixture
def phone(browser):
    context = browser.new_context(viewport=PHONE, device_scale_factor=1, is_mobile=True, has_touch=True)
    yield context.new_page()
    context.close()


@pytest.mark.parametrize("lang", LANGUAGES)
def test_privacy_notice_and_cookie_declaration(phone, live_server, lang):
    phone.goto(f"{live_server}/privacy/entrack?lang={lang}")
    expect(phone.locator('tr[data-cookie="_ga_*"]')).to_be_visible()
    fits_the_phone(phone)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_your_consent_with_its_history(phone, live_server, app, lang):
    phone.goto(f"{live_server}/demo?lang={lang}")
    banner(phone).locator("button").first.click()
    wait_for_records(app, 1, page=phone)
    phone.locator("consent-banner button").first.click()
    settings(phone).get_by_role("switch").nth(1).uncheck()
    settings(phone).locator(".row button").last.click()
    wait_for_records(app, 2, page=phone)
    phone.wait_for_function("() => consentService.get().token !== null")
    phone.goto(f"{live_server}/my-consent?site=entrack&lang={lang}&back={live_server}/demo")
    expect(phone.locator("[data-rights-history] tbody tr")).to_have_count(2)
    fits_the_phone(phone)
    expect(phone.locator('[data-rights-link="site"]')).to_be_visible()


@pytest.mark.parametrize("lang", LANGUAGES)
def test_banner_settings_and_placeholders(phone, live_server, host, lang):
    frame = ('<iframe data-consent-category="marketing" data-consent-provider="youtube" width="560" height="315" '
             'data-src="https://www.youtube-nocookie.com/embed/x" title="Video"></iframe>')
    head = '<meta name="viewport" content="width=device-width, initial-scale=1"><style>iframe { max-width: 100%; }</style>'
    phone.goto(host.add(f"/phone-{lang}", host_page(live_server, head=head, body=frame, attrs=f' data-lang="{lang}"')))
    expect(banner(phone)).to_be_visible()
    expect(phone.locator("consent-placeholder")).to_be_visible()
    fits_the_phone(phone)
    banner(phone).locator("button").nth(2).click()
    expect(settings(phone)).to_be_visible()
    fits_the_phone(phone)
