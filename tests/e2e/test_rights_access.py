"""The notice and "Your consent" for every visitor: axe-core in each language, keyboard-only withdrawal."""
import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from consent_service.sites import LANGUAGES


def violations(page):
    """axe-core's violations on the page as it stands, as 'rule: targets' lines."""
    results = Axe().run(page)
    return [f"{v['id']}: {[node['target'] for node in v['nodes']]}" for v in results.response["violations"]]


@pytest.fixture
def decision(client, consent_body):
    return client.post("/api/v1/consents", json=consent_body, headers={"User-Agent": "Axe"}).get_json()


@pytest.mark.parametrize("language", LANGUAGES)
def test_privacy_notice_has_no_axe_violations(page, live_server, language):
    page.goto(f"{live_server}/privacy/entrack?lang={language}")
    assert violations(page) == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_your_consent_has_no_axe_violations(page, live_server, decision, language):
    page.goto(f"{live_server}/my-consent?site=entrack&lang={language}")
    assert violations(page) == []
    page.get_by_role("textbox").fill(decision["token"])
    page.get_by_role("textbox").press("Tab")
    page.keyboard.press("Enter")
    expect(page.locator("[data-consent-id]")).to_have_text(decision["consent_id"])
    assert violations(page) == []


def test_withdraw_by_keyboard_only(page, live_server, decision):
    page.goto(f"{live_server}/my-consent?site=entrack&lang=en")
    page.get_by_role("textbox", name="Consent token").fill(decision["token"])
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    withdraw = page.get_by_role("button", name="Withdraw my consent")
    for _ in range(10):
        page.keyboard.press("Tab")
        if withdraw.evaluate("(button) => button === document.activeElement"):
            break
    expect(withdraw).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_contain_text("Your consent has been withdrawn")
