"""A single-page app that injects a tracker after load; a site with a page that never finishes loading,
one whose server never answers, a link to another origin and more pages than allowed; a tab that crashes."""
import asyncio

import pytest

from consent_service.scanner import passes as scanner_passes

from .conftest import found, passes, run_scan


def test_single_page_app_tracker_injected_after_load_is_found(scan_app, fixtures):
    code, document, _ = run_scan(scan_app, "spa")
    origin, third = fixtures.sites["spa"].origin, fixtures.third.origin
    assert code == 1
    host = third.split("://")[1]
    for when in ("none", "reject"):
        by_url = {item["url"]: item for item in found(document, "request", host, when)}
        assert by_url[f"{third}/tracker.js"]["evidence"][0]["element"] == f'<script src="{origin}/app.js">'
        assert by_url[f"{third}/tracker.js"]["evidence"][0]["line"] == 6  # document.body.appendChild(tracker)
        assert by_url[f"{third}/collect?spa=1"]["evidence"][0]["script"] == f"{third}/tracker.js"


@pytest.fixture(scope="module")
def bounded(scan_app, fixtures):
    code, document, _ = run_scan(scan_app, "bounds", "--max-pages", "4")
    return code, document, fixtures.sites["bounds"].origin, fixtures.third


def test_page_that_never_finishes_loading_is_bounded_and_reported(bounded):
    code, document, origin, _ = bounded
    assert code == 0
    slow = next(page for page in document["pages"] if page["url"] == f"{origin}/slow")
    assert slow["status"] == "incomplete"
    assert "none: did not finish loading within 10 s" in slow["problems"]
    assert slow["passes"]["reject"]["decided"] is True


def test_page_whose_server_never_answers_is_reported_not_fatal(bounded):
    _, document, origin, _ = bounded
    hung = next(page for page in document["pages"] if page["url"] == f"{origin}/hang")
    assert hung["status"] == "failed" and "none: no response within 15 s" in hung["problems"]
    assert document["summary"]["pages_scanned"] == 3


def test_link_to_another_origin_is_listed_and_never_visited(bounded):
    _, document, _, third = bounded
    assert {"url": f"{third.origin}/elsewhere", "reason": "another origin: not visited"} in document["skipped"]
    assert "/elsewhere" not in third.seen


def test_page_limit(bounded):
    _, document, origin, _ = bounded
    assert [page["url"] for page in document["pages"]] == [f"{origin}/", f"{origin}/slow", f"{origin}/hang",
                                                           f"{origin}/p1"]
    limited = [item["url"] for item in document["skipped"] if item["reason"] == "page limit (4) reached"]
    assert limited == [f"{origin}/p{number}" for number in range(2, 6)]


def test_time_limit_stops_the_scan(scan_app, fixtures):
    origin = fixtures.sites["bounds"].origin
    code, document, _ = run_scan(scan_app, "bounds", "--url", f"{origin}/hang", "--url", f"{origin}/p1",
                                 "--max-pages", "8", "--max-seconds", "5", "--jobs", "1")
    statuses = [page["passes"][kind]["status"] for page in document["pages"] for kind in page["passes"]]
    assert statuses.count("skipped") == 5 and "time limit reached before this pass" in document["pages"][1]["problems"][0]
    assert document["pages"][0]["problems"][0] == "none: stopped: the scan's time limit was reached"
    assert document["duration_seconds"] < 40
    assert code == 2 and document["error"].startswith("no page could be scanned")


def test_a_crashed_tab_is_reported_and_the_scan_goes_on(scan_app, fixtures, monkeypatch):
    origin = fixtures.sites["bounds"].origin
    opened = scanner_passes._open

    async def crash_p2(page, url, plan, recorder, problems, **options):
        await opened(page, url, plan, recorder, problems, **options)
        if url.endswith("/p2"):
            session = await page.context.new_cdp_session(page)
            crashing = asyncio.ensure_future(session.send("Page.crash"))  # never answered: the renderer is gone
            await page.wait_for_event("crash", timeout=10000)
            crashing.cancel()

    monkeypatch.setattr(scanner_passes, "_open", crash_p2)
    code, document, _ = run_scan(scan_app, "bounds", "--url", f"{origin}/p1", "--url", f"{origin}/p2",
                                 "--max-pages", "2")
    assert code == 0
    crashed = passes(document, f"{origin}/p2")
    assert all("the page crashed the browser tab" in crashed[kind]["problems"] for kind in crashed)
    assert all(result["status"] != "failed" for result in passes(document, f"{origin}/p1").values())
