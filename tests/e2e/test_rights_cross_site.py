"""'Your consent' from a customer's site on another host: the token goes there in the fragment, and
a withdrawal or erasure comes back through the "Back to <site>" link, only ever as a refusal."""
import re

import pytest
from playwright.sync_api import expect

from tests.support.records import wait_for_records

from .banner_pages import app_config  # noqa: F401  (the host pages' sites file)
from .banner_pages import NAMED_HOST, banner, consent_commands, cookie_names, host_page, settings

SHOP = f"{NAMED_HOST}/shop"
GA_COOKIES = {"_ga", "_ga_DEMO123", "_gid"}
TRACKER = "/static/demo/analytics.js"


@pytest.fixture
def shop(page, live_server):
    """The banner on www.entrack.test (its cookies are not the service's), with a gated analytics tag.

    Chromium keeps a "public" page from reaching 127.0.0.1 (Private Network Access): the requests the
    shop makes to the service are relayed; the visitor's own visits to the service go there directly.
    """
    gated = f'<script type="text/plain" data-consent-category="analytics" src="{live_server}{TRACKER}"></script>'
    page.route(f"{NAMED_HOST}/**", lambda route: route.fulfill(
        content_type="text/html", body=host_page(live_server, head=gated)))
    page.route(lambda url: url.startswith(live_server) and "/my-consent" not in url,
               lambda route: route.fulfill(response=route.fetch()))
    requested = []
    page.on("request", lambda request: requested.append(request.url))
    return requested


def accept_all(page, app):
    """Accept all on the shop: the analytics tag runs, sets its cookies, and the token comes back."""
    page.goto(SHOP)
    banner(page).get_by_role("button", name="Accept all").click()
    page.wait_for_function("() => window.demoTrackers && window.demoTrackers.analytics === 1")
    page.wait_for_function("() => consentService.get().token !== null")
    [record] = wait_for_records(app, 1)
    assert GA_COOKIES <= cookie_names(page.context)
    return record.consent_id


def open_your_consent(page, live_server):
    """Follow the banner's "Your consent" link; it carries the token in the fragment, never the query."""
    page.get_by_role("button", name="Cookie settings", exact=True).click()
    link = settings(page).locator('[data-cs-link="my-consent"]')
    href = link.get_attribute("href")
    token = page.evaluate("consentService.get().token")
    assert href == f"{live_server}/my-consent?site=entrack&back=http%3A%2F%2Fwww.entrack.test%2Fshop&lang=en#token={token}"
    link.click()


def test_withdrawal_on_your_consent_stops_the_tracker_on_the_site(page, live_server, app, shop):
    consent_id = accept_all(page, app)
    open_your_consent(page, live_server)
    expect(page.locator("[data-consent-id]")).to_have_text(consent_id)
    expect(page).to_have_url(re.compile(rf"^{re.escape(live_server)}/my-consent[?]site=entrack&[^#]*$"))
    expect(page.locator("[data-rights-history] tbody tr")).to_have_count(1)
    assert not any("token" in url for url in shop)
    page.get_by_role("button", name="Withdraw my consent").click()
    expect(page.get_by_role("status")).to_contain_text("Your consent has been withdrawn")
    del shop[:]
    page.get_by_role("link", name="Back to Entrack Oy Ab").click()

    expect(page).to_have_url(SHOP)
    expect(page.get_by_role("button", name="Cookie settings", exact=True)).to_be_visible()
    page.wait_for_load_state("networkidle")
    assert page.evaluate("window.demoTrackers") is None
    assert not any(url.endswith(TRACKER) for url in shop)
    assert not GA_COOKIES & cookie_names(page.context)
    assert banner(page).count() == 0
    state = page.evaluate("consentService.get()")
    assert state["consentId"] == consent_id and state["decided"] is True and state["token"] is None
    assert state["categories"] == {"necessary": True, "analytics": False, "marketing": False}
    assert consent_commands(page)[-1][2]["analytics_storage"] == "denied"
    [_, withdrawal] = wait_for_records(app, 2)
    assert (withdrawal.action, withdrawal.analytics, withdrawal.marketing) == ("withdraw", False, False)

    page.goto(f"{NAMED_HOST}/next")
    page.wait_for_load_state("networkidle")
    assert page.evaluate("window.demoTrackers") is None
    assert len(wait_for_records(app, 2)) == 2


def test_erasure_on_your_consent_makes_the_site_ask_again(page, live_server, app, shop):
    consent_id = accept_all(page, app)
    open_your_consent(page, live_server)
    expect(page.locator("[data-consent-id]")).to_have_text(consent_id)
    page.get_by_role("checkbox", name="I understand that erasure cannot be undone.").check()
    page.get_by_role("button", name="Erase my personal data").click()
    expect(page.get_by_role("status")).to_contain_text("Your personal data have been erased")
    page.get_by_role("link", name="Back to Entrack Oy Ab").click()

    expect(page).to_have_url(SHOP)
    expect(banner(page)).to_be_visible()
    assert page.evaluate("window.demoTrackers") is None
    assert not (GA_COOKIES | {"consent_entrack"}) & cookie_names(page.context)
    assert page.evaluate("consentService.get().decided") is False


@pytest.mark.parametrize("fragment", [
    "consent-withdrawn={id}&token={granted}",
    "consent-granted={id}",
    "consent-withdrawn={id}&analytics=true&marketing=true",
    "token={granted}",
    "consent-erased=someone-else",
])
def test_a_crafted_fragment_cannot_grant(page, live_server, app, client, consent_body, shop, fragment):
    page.goto(SHOP)
    banner(page).get_by_role("button", name="Reject all").click()
    page.wait_for_function("() => consentService.get().consentId !== null")
    consent_id = page.evaluate("consentService.get().consentId")
    held = page.evaluate("consentService.get().token")
    granted = client.post("/api/v1/consents", json={
        **consent_body, "consent_id": consent_id, "token": held, "action": "accept_all",
        "categories": {"analytics": True, "marketing": True}}).get_json()["token"]

    page.goto(f"{NAMED_HOST}/crafted#" + fragment.format(id=consent_id, granted=granted))
    expect(page.get_by_role("button", name="Cookie settings", exact=True)).to_be_visible()
    page.wait_for_load_state("networkidle")
    assert page.evaluate("window.demoTrackers") is None
    assert not any(url.endswith(TRACKER) for url in shop)
    state = page.evaluate("consentService.get()")
    assert state["consentId"] == consent_id and state["token"] != granted
    assert state["categories"] == {"necessary": True, "analytics": False, "marketing": False}
    assert all(command[2]["analytics_storage"] == "denied" for command in consent_commands(page))
