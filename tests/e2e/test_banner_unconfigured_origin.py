"""A site whose page origin the operator forgot to configure: the banner learns it from the service's answer,
stops retrying, says so in the console; the operator reads the origin and the site in the service's log."""
import json
import logging
from urllib.parse import unquote

import pytest
from playwright.sync_api import expect

from tests.support.records import records

from .banner_pages import banner, host_page

QUEUE = "() => JSON.parse(localStorage.getItem('consent_queue_entrack') || '[]')"


@pytest.fixture
def app_config():
    """The shipped sites file: the host pages' origin (127.0.0.1, another port) is not among entrack's."""
    return {}


def test_refused_origin_stops_the_retries_and_is_told(page, live_server, host, app, caplog):
    posts, warnings = [], []
    page.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)
    page.on("console", lambda m: warnings.append(m.text) if m.type == "warning" else None)
    page.goto(host.add("/shop", host_page(live_server)))
    with caplog.at_level(logging.WARNING, logger="consent_service.security"):
        banner(page).get_by_role("button", name="Accept all").click()
        page.wait_for_function(f"() => ({QUEUE})().length === 0")
    assert warnings == [f"Consent service: Origin {host.origin} may not record consent for site 'entrack': "
                        "it is not among the site's origins."]
    [logged] = [r.getMessage() for r in caplog.records if r.name == "consent_service.security"]
    assert repr(host.origin) in logged and "'entrack'" in logged
    expect(banner(page)).to_have_count(0)
    cookie = next(c for c in page.context.cookies() if c["name"] == "consent_entrack")
    assert json.loads(unquote(cookie["value"]))["c"] == {"analytics": True, "marketing": True}, "applied all the same"
    page.reload()
    expect(page.get_by_role("button", name="Cookie settings", exact=True)).to_be_visible()
    page.wait_for_load_state("networkidle")
    assert len([url for url in posts if url.endswith("/api/v1/consents")]) == 1, "no retry, no beacon"
    assert records(app) == []
