"""The demo page's "Cookies this page can read" tells the truth after a withdrawal, made in the banner or
on "Your consent"."""
from playwright.sync_api import expect

from tests.support.records import wait_for_records

from .banner_pages import banner, settings

TRACKER_COOKIES = ("_ga", "_gid", "_gcl_au")


def shown_cookies(page):
    return page.locator('[data-state="cookies"]').text_content()


def accept_everything(page, live_server, app):
    page.goto(f"{live_server}/demo?lang=en")
    banner(page).get_by_role("button", name="Accept all").click()
    expect(page.locator('[data-tracker="marketing"]')).to_have_text("loaded")
    for name in TRACKER_COOKIES:
        expect(page.locator('[data-state="cookies"]')).to_contain_text(f"{name}=")
    wait_for_records(app, 1, page=page)
    page.wait_for_function("() => consentService.get().token !== null")


def test_after_a_withdrawal_on_your_consent(page, live_server, app):
    accept_everything(page, live_server, app)
    page.get_by_role("button", name="Change cookie settings").click()
    settings(page).get_by_role("link", name="Your consent").click()
    page.locator('[data-rights-action="withdraw"]').click()
    expect(page.locator('[data-rights-message="withdrawn_done"]')).to_be_visible()
    page.locator('[data-rights-link="back"]').click()
    expect(page.locator('[data-state="analytics"]')).to_have_text("refused")
    shown = shown_cookies(page)
    assert not [name for name in TRACKER_COOKIES if f"{name}=" in shown], shown
    assert shown == (page.evaluate("document.cookie") or "none")


def test_after_a_withdrawal_in_the_banner(page, live_server, app):
    accept_everything(page, live_server, app)
    page.get_by_role("button", name="Change cookie settings").click()
    settings(page).get_by_role("button", name="Reject all").click()
    expect(page.locator('[data-state="marketing"]')).to_have_text("refused")
    shown = shown_cookies(page)
    assert not [name for name in TRACKER_COOKIES if f"{name}=" in shown], shown
