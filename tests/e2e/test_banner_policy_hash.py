"""The banner tells the service which policy snapshot it showed: each decision carries the hash of the
texts of its language, the record keeps it, a banner built before a text change still names the texts it
showed, and a hash the service does not know is refused like any other refusal."""
import json
import time
from urllib.parse import quote

import pytest
from playwright.sync_api import expect

from consent_service.banner.assets import build_script
from consent_service.extensions import db
from consent_service.policies import site_hashes
from consent_service.policies.models import PolicySnapshot
from consent_service.sites import DEFAULT_FILE, configured_sites

from tests.support.records import records, wait_for_records
from tests.support.servers import serving
from tests.support.waiting import browser_pause, wait_for

from .banner_pages import banner

CONSENTS = "**/api/v1/consents"
QUEUE = "() => JSON.parse(localStorage.getItem('consent_queue_entrack') || '[]')"
ACCEPT_ALL = {"fi": "Hyväksy kaikki", "sv": "Godkänn alla", "en": "Accept all"}
# An English text corrected under the same policy version: a new English snapshot, no new consent asked.
CORRECTION = ('title = "Cookies on the Entrack website"', 'title = "Cookies on the website of Entrack"')


def posted(page):
    """The decisions the page posts, as parsed bodies, and the service's answers to them (status, body)."""
    bodies, answers = [], []
    page.on("request", lambda r: bodies.append(json.loads(r.post_data)) if r.method == "POST" else None)
    page.on("response", lambda r: answers.append((r.status, r.json())) if r.request.method == "POST" else None)
    return bodies, answers


def stored_snapshot(app, snapshot_hash):
    """The stored snapshot's (site, language), or None."""
    with app.app_context():
        row = db.session.get(PolicySnapshot, snapshot_hash)
        return row and (row.site, row.language)


@pytest.fixture
def corrected_app(make_app, tmp_path):
    """Another instance on the same database, started after the English title was corrected."""
    path = tmp_path / "corrected.toml"
    text = DEFAULT_FILE.read_text(encoding="utf-8")
    assert CORRECTION[0] in text
    path.write_text(text.replace(*CORRECTION), encoding="utf-8")
    return make_app(CONSENT_SITES_FILE=str(path))


@pytest.mark.parametrize("lang", ["fi", "sv", "en"])
def test_a_decision_names_the_snapshot_of_its_language(page, live_server, app, lang):
    bodies, _ = posted(page)
    page.goto(f"{live_server}/demo?lang={lang}")
    banner(page).get_by_role("button", name=ACCEPT_ALL[lang]).click()
    [record] = wait_for_records(app, 1, page=page)
    shown = site_hashes("entrack", app)[lang]
    assert [body["policy_hash"] for body in bodies] == [shown]
    assert (record.language, record.policy_hash) == (lang, shown)
    assert stored_snapshot(app, shown) == ("entrack", lang)


def test_a_banner_built_before_a_text_change_records_the_texts_it_showed(page, live_server, app, corrected_app):
    old_banner = app.test_client().get("/banner.js").data
    old, new = site_hashes("entrack", app)["en"], site_hashes("entrack", corrected_app)["en"]
    assert old != new and site_hashes("entrack", app)["fi"] == site_hashes("entrack", corrected_app)["fi"]
    page.goto(f"{live_server}/demo?lang=en")  # a visitor decides under the old texts: their snapshot is stored
    banner(page).get_by_role("button", name="Reject all").click()
    wait_for_records(app, 1, page=page)
    assert stored_snapshot(app, old) == ("entrack", "en")
    page.context.clear_cookies()
    with serving(corrected_app) as corrected:
        # A page that still holds the banner built before the change (a cache), posting to the corrected service.
        page.route(f"{corrected}/banner.js", lambda route: route.fulfill(
            body=old_banner, content_type="text/javascript; charset=utf-8"))
        bodies, answers = posted(page)
        page.goto(f"{corrected}/demo?lang=en")
        expect(banner(page).get_by_role("heading")).to_have_text("Cookies on the Entrack website")
        banner(page).get_by_role("button", name="Accept all").click()
        first, second = wait_for_records(app, 2, page=page)
        page.unroute(f"{corrected}/banner.js")
        page.context.clear_cookies()
        page.goto(f"{corrected}/demo?lang=en")  # the corrected banner names the corrected texts
        expect(banner(page).get_by_role("heading")).to_have_text("Cookies on the website of Entrack")
        banner(page).get_by_role("button", name="Accept all").click()
        third = wait_for_records(app, 3, page=page)[2]
    assert [body["policy_hash"] for body in bodies] == [old, new]
    assert [status for status, _ in answers] == [201, 201]
    assert (first.policy_hash, second.policy_hash, third.policy_hash) == (old, old, new)
    assert second.action == "accept_all" and stored_snapshot(app, new) == ("entrack", "en")


def test_an_unknown_snapshot_is_refused_and_dropped_like_any_refusal(page, live_server, app, corrected_app):
    """A banner built from texts that no instance has served nor stored (serving a banner stores its
    snapshots, so this one is built without serving it): 409, the decision leaves the queue, nothing
    is stored, and the choice still applies on the page."""
    unknown = site_hashes("entrack", corrected_app)["en"]
    newer_banner = build_script(corrected_app.static_folder, configured_sites(corrected_app)).body
    page.route(f"{live_server}/banner.js", lambda route: route.fulfill(
        body=newer_banner, content_type="text/javascript; charset=utf-8"))
    bodies, answers = posted(page)
    page.goto(f"{live_server}/demo?lang=en")
    banner(page).get_by_role("button", name="Accept all").click()
    wait_for(lambda: answers, pause=browser_pause(page))
    [(status, answer)] = answers
    assert status == 409 and "policy_hash" in answer["messages"]
    assert [body["policy_hash"] for body in bodies] == [unknown]
    page.wait_for_function(f"() => ({QUEUE})().length === 0")
    expect(page.locator('[data-tracker="analytics"]')).to_have_text("loaded")
    assert page.evaluate("consentService.get().decided") is True
    page.evaluate("dispatchEvent(new Event('online'))")  # nothing left to send: no second try
    page.wait_for_load_state("networkidle")
    assert len(answers) == 1 and records(app) == [] and stored_snapshot(app, unknown) is None


def test_a_refused_change_is_resent_with_its_snapshot(page, live_server, app):
    """A change of a consent the service does not accept (403: a token it never issued) is sent once more
    as a new decision, as before snapshots: with the hash of the texts the visitor saw."""
    forged = "00000000-0000-4000-8000-000000000000"
    held = {"t": "forged", "id": forged, "c": {"analytics": True, "marketing": True}, "v": "2026-11-01",
            "ts": int(time.time() * 1000)}
    page.context.add_cookies([{"name": "consent_entrack", "value": quote(json.dumps(held)), "url": live_server}])
    bodies, answers = posted(page)
    page.goto(f"{live_server}/demo?lang=sv")
    page.get_by_role("button", name="Inställningar för kakor", exact=True).click()
    page.locator('[data-cs="settings"]').get_by_role("button", name="Avvisa alla").click()
    [record] = wait_for_records(app, 1, page=page)
    shown = site_hashes("entrack", app)["sv"]
    assert [(status, body.get("consent_id"), body["policy_hash"]) for (status, _), body in zip(answers, bodies)] == [
        (403, forged, shown), (201, None, shown)]
    assert (record.action, record.language, record.policy_hash) == ("reject_all", "sv", shown)
