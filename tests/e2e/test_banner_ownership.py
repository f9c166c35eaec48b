"""A change to a stored consent carries its token (the proof of ownership the service asks for), also when
it waits offline in the queue behind another change: each is stored once, on the same consent."""
import json

from playwright.sync_api import expect

from tests.support.records import wait_for_records

from .banner_pages import banner, settings

CONSENTS = "**/api/v1/consents"
QUEUE = "() => JSON.parse(localStorage.getItem('consent_queue_entrack') || '[]')"


def test_changes_of_mind_queued_offline_keep_their_proof(page, live_server, app):
    sent = []
    page.on("request", lambda r: sent.append(json.loads(r.post_data)) if r.method == "POST" else None)
    page.goto(f"{live_server}/demo?lang=en")
    banner(page).get_by_role("button", name="Accept all").click()
    [first] = wait_for_records(app, 1, page=page)
    page.wait_for_function("() => consentService.get().token !== null")
    token = page.evaluate("consentService.get().token")
    page.route(CONSENTS, lambda route: route.abort())
    page.get_by_role("button", name="Cookie settings", exact=True).click()
    settings(page).get_by_role("switch", name="Analytics").uncheck()
    settings(page).get_by_role("button", name="Save choices").click()
    page.get_by_role("button", name="Cookie settings", exact=True).click()
    settings(page).get_by_role("button", name="Reject all").click()
    queued = page.evaluate(QUEUE)
    assert [(q["action"], q["consent_id"], q["token"]) for q in queued] == [
        ("custom", first.consent_id, token), ("withdraw", first.consent_id, None)]
    page.unroute(CONSENTS)
    page.evaluate("dispatchEvent(new Event('online'))")
    stored = wait_for_records(app, 3, page=page)
    assert [(r.action, r.consent_id) for r in stored] == [
        ("accept_all", first.consent_id), ("custom", first.consent_id), ("withdraw", first.consent_id)]
    changes = [body for body in sent if body.get("consent_id")]
    assert changes[-1]["token"] not in (None, token), "the withdrawal went with the token the change got"
    expect(page.locator('[data-state="consent-id"]')).to_have_text(first.consent_id)
    assert page.evaluate(QUEUE) == []
