"""Never lose a decision, never break the page: the service down, a lost answer, banner.js missing."""
import json

from playwright.sync_api import expect
from sqlalchemy import select

from consent_service.extensions import db
from consent_service.ledger.models import IdempotencyKey
from consent_service.policies import site_hashes

from tests.support.records import records, wait_for_records
from tests.support.waiting import browser_pause, wait_for

from .banner_pages import app_config  # noqa: F401  (the host pages' sites file)
from .banner_pages import banner, cookie_names

CONSENTS = "**/api/v1/consents"
QUEUE = "() => JSON.parse(localStorage.getItem('consent_queue_entrack') || '[]')"


def failed_posts(page):
    """The decisions the page tried to post and could not (network errors), as they happen."""
    failed = []
    page.on("requestfailed", lambda request: failed.append(request) if request.method == "POST" else None)
    return failed


def test_service_down_then_up_stores_the_decision_once(page, live_server, app):
    page.route(CONSENTS, lambda route: route.abort())
    failed = failed_posts(page)
    page.goto(f"{live_server}/demo?lang=en")
    banner(page).get_by_role("button", name="Accept all").click()
    expect(page.locator('[data-tracker="analytics"]')).to_have_text("loaded")
    assert "_ga" in cookie_names(page.context)
    [queued] = page.evaluate(QUEUE)
    assert queued["action"] == "accept_all" and queued["idempotency_key"]
    assert len(wait_for(lambda: failed, lambda tries: len(tries) >= 2, pause=browser_pause(page))) >= 2  # and a retry
    assert records(app) == []
    page.unroute(CONSENTS)
    [record] = wait_for_records(app, 1)
    assert (record.action, record.analytics, record.marketing) == ("accept_all", True, True)
    page.wait_for_function("() => consentService.get().token !== null")
    assert page.evaluate(QUEUE) == []
    page.reload()
    page.wait_for_load_state("networkidle")
    assert len(records(app)) == 1


def test_offline_decision_applies_at_once_and_leaves_when_back_online(page, live_server, app):
    failed = failed_posts(page)
    page.goto(f"{live_server}/demo?lang=en")
    page.context.set_offline(True)
    banner(page).get_by_role("button", name="Reject all").click()
    expect(banner(page)).to_have_count(0)
    assert page.evaluate("() => consentService.get().decided") is True
    assert len(page.evaluate(QUEUE)) == 1
    assert wait_for(lambda: failed, pause=browser_pause(page))  # the first try met the network down
    page.context.set_offline(False)
    [record] = wait_for_records(app, 1, timeout=3)
    assert record.action == "reject_all"


def test_lost_answer_is_retried_with_the_same_key_and_stored_once(page, live_server, app):
    answered = []

    def lose_first_answer(route):
        response = route.fetch()
        answered.append((response.status, route.request.post_data))
        if len(answered) == 1:
            route.abort()
        else:
            route.fulfill(response=response)

    page.route(CONSENTS, lose_first_answer)
    page.goto(f"{live_server}/demo?lang=en")
    banner(page).get_by_role("button", name="Reject all").click()
    page.wait_for_function("() => consentService.get().token !== null", timeout=10000)
    assert [status for status, _ in answered] == [201, 201]
    keys = {json.loads(body)["idempotency_key"] for _, body in answered}
    assert len(keys) == 1
    [record] = wait_for_records(app, 1)
    assert record.action == "reject_all"
    assert page.evaluate("consentService.get().consentId") == record.consent_id


def test_queued_decision_is_sent_on_the_next_page_load(page, live_server, app):
    page.route(CONSENTS, lambda route: route.abort())
    page.goto(f"{live_server}/demo?lang=en")
    banner(page).get_by_role("button", name="Settings").click()
    page.locator('[data-cs="settings"]').get_by_role("switch", name="Marketing").check()
    page.locator('[data-cs="settings"]').get_by_role("button", name="Save choices").click()
    assert len(page.evaluate(QUEUE)) == 1
    page.unroute(CONSENTS)
    page.context.route(CONSENTS, lambda route: route.continue_())
    page.goto(f"{live_server}/demo?lang=en")
    expect(banner(page)).to_have_count(0)
    [record] = wait_for_records(app, 1)
    assert (record.action, record.analytics, record.marketing) == ("custom", False, True)
    assert record.policy_hash == site_hashes("entrack", app)["en"], "a queued decision names the texts shown"
    page.wait_for_function("() => consentService.get().consentId !== null")
    page.reload()
    page.wait_for_load_state("networkidle")
    assert len(records(app)) == 1


def test_queued_decision_leaves_with_a_beacon_on_pagehide(page, live_server, app):
    page.route(CONSENTS, lambda route: route.abort())
    page.goto(f"{live_server}/demo?lang=en")
    banner(page).get_by_role("button", name="Accept all").click()
    assert len(page.evaluate(QUEUE)) == 1
    [queued] = page.evaluate(QUEUE)
    page.unroute(CONSENTS)
    page.goto(f"{live_server}/static/demo/demo.css")  # pagehide: the page's timers die, its beacon leaves
    [record] = wait_for_records(app, 1)
    assert record.action == "accept_all"
    assert record.policy_hash == queued["policy_hash"] == site_hashes("entrack", app)["en"]
    with app.app_context():
        key = db.session.scalar(select(IdempotencyKey.key).where(IdempotencyKey.record_id == record.id))
    assert key == queued["idempotency_key"]


def test_trackers_stay_blocked_when_banner_js_cannot_load(page, live_server):
    requests = []
    page.on("request", lambda request: requests.append(request.url))
    page.route("**/banner.js", lambda route: route.abort())
    page.goto(f"{live_server}/demo?lang=en")
    expect(page.locator('[data-state="decided"]')).to_have_text("the banner did not load: trackers stay blocked")
    page.wait_for_load_state("networkidle")
    assert not [url for url in requests if url.endswith(("analytics.js", "ads.js"))]
    assert not {"_ga", "_gid", "_gcl_au"} & cookie_names(page.context)
