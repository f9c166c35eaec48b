"""The banner on a plain host page of another origin: strict CSP, hostile CSS, no layout shift, text as text."""
import pytest
from playwright.sync_api import expect

from tests.support.records import wait_for_records

from .banner_pages import (
    NAMED_HOST, SETTLED_SHIFTS, WATCH_PAGE, banner, consent_commands, cookie_names, host_page, settings,
)

MARKUP_TITLE = '<img src=x onerror="window.pwned=1">Cookies & <b>you</b>'
NONCE = "r4nd0mN0nce"


@pytest.fixture
def app_config(sites_toml, tmp_path):
    """The shipped sites, the host origin allowed, and markup in a configured text."""
    original = 'title = "Cookies on the Entrack website"'
    assert original in sites_toml
    path = tmp_path / "sites.toml"
    path.write_text(sites_toml.replace(original, f"title = '{MARKUP_TITLE}'"), encoding="utf-8")
    return {"CONSENT_SITES_FILE": str(path)}


def strict_policy(service):
    """No inline script without the nonce, no eval, no inline style, connections only to the service."""
    return (f"default-src 'self'; script-src 'nonce-{NONCE}' {service}; style-src 'self'; "
            f"connect-src {service}; img-src 'self'; object-src 'none'; base-uri 'none'")


def test_works_under_a_strict_csp_on_another_origin(page, live_server, host, app):
    gated = (f'<script type="text/plain" data-consent-category="analytics" nonce="{NONCE}" data-extra="kept">'
             'window.inlineRan = (window.inlineRan || 0) + 1; window.extra = document.currentScript.dataset.extra;'
             '</script>'
             f'<script type="text/plain" data-consent-category="analytics" src="{live_server}/static/demo/analytics.js">'
             '</script>')
    url = host.add("/csp", host_page(live_server, head=gated), csp=strict_policy(live_server))
    page.add_init_script(WATCH_PAGE)
    page.goto(url)
    expect(banner(page)).to_be_visible()
    assert page.evaluate("window.inlineRan") is None
    banner(page).get_by_role("button", name="Accept all").click()
    page.wait_for_function("() => window.demoTrackers && window.demoTrackers.analytics === 1")
    assert page.evaluate("[window.inlineRan, window.extra]") == [1, "kept"]
    [record] = wait_for_records(app, 1)
    assert record.page_url == f"{host.origin}/csp"
    page.wait_for_function("() => consentService.get().token !== null")
    assert page.evaluate("window.__violations") == []
    assert "_ga" in cookie_names(page.context)


def test_texts_from_configuration_are_rendered_as_text(page, live_server, host):
    page.goto(host.add("/plain", host_page(live_server)))
    heading = banner(page).get_by_role("heading")
    expect(heading).to_have_text(MARKUP_TITLE)
    assert banner(page).locator("img, b").count() == 0
    assert page.evaluate("window.pwned") is None


HOSTILE_CSS = ("<style>consent-banner { display: none !important; } "
               "button { background: red !important; font-size: 40px !important; } "
               "* { color: lime !important; font-family: serif !important; } "
               ".btn, .banner { border: 9px dotted red; } p { margin: 40px; }</style>")


def test_host_css_cannot_break_it_and_it_cannot_break_the_host(page, live_server, host):
    body = '<p class="banner btn title" id="mine">Host paragraph</p><button class="btn" id="hostbutton">Host</button>'
    url = host.add("/hostile", host_page(live_server, head=HOSTILE_CSS, body=body))
    page.goto(url)
    expect(banner(page)).to_be_visible()
    accept = banner(page).get_by_role("button", name="Accept all")
    style = accept.evaluate("(b) => { const s = getComputedStyle(b); "
                            "return [s.backgroundColor, s.color, s.fontSize]; }")
    assert style == ["rgb(31, 58, 104)", "rgb(255, 255, 255)", "15px"]
    mine = page.evaluate("() => { const s = getComputedStyle(document.getElementById('mine')); "
                         "return [s.marginTop, s.borderTopStyle, s.position]; }")
    assert mine == ["40px", "dotted", "static"]
    assert page.evaluate("getComputedStyle(document.getElementById('hostbutton')).minHeight") in ("auto", "0px")


def test_no_layout_shift_of_the_host_page(page, live_server, host):
    url = host.add("/article", host_page(live_server, body="<p>" + "Words of the host page. " * 200 + "</p>"))
    page.add_init_script(WATCH_PAGE)
    page.goto(url)
    expect(banner(page)).to_be_visible()
    top = page.evaluate("document.querySelector('h1').getBoundingClientRect().top")
    banner(page).get_by_role("button", name="Reject all").click()
    expect(page.get_by_role("button", name="Cookie settings", exact=True)).to_be_visible()
    page.evaluate(SETTLED_SHIFTS)
    assert page.evaluate("document.querySelector('h1').getBoundingClientRect().top") == top
    assert page.evaluate("window.__shifts") == 0


def test_unknown_site_changes_nothing_but_consent_mode(page, live_server, host):
    html = host_page(live_server).replace('data-site="entrack"', 'data-site="nosuchsite"')
    page.goto(host.add("/unknown", html))
    page.wait_for_load_state("networkidle")
    assert page.locator("consent-banner").count() == 0
    assert [c[:2] for c in consent_commands(page)] == [["consent", "default"]]
    assert page.evaluate("window.consentService") is None


def test_withdrawal_deletes_cookies_on_the_host_and_parent_domain(page, live_server, app):
    page.route(f"{NAMED_HOST}/**", lambda route: route.fulfill(
        content_type="text/html", body=host_page(live_server)))
    # Chromium keeps a "public" page from reaching 127.0.0.1 (Private Network Access): relay instead.
    page.route(f"{live_server}/**", lambda route: route.fulfill(response=route.fetch()))
    page.goto(f"{NAMED_HOST}/shop")
    banner(page).get_by_role("button", name="Accept all").click()
    wait_for_records(app, 1)
    page.context.add_cookies([
        {"name": "_ga", "value": "GA1.2.1", "domain": ".entrack.test", "path": "/"},
        {"name": "_ga_ABC123", "value": "GS1.1", "domain": ".entrack.test", "path": "/"},
        {"name": "_gid", "value": "GA1.2.2", "domain": "www.entrack.test", "path": "/"},
        {"name": "_gcl_au", "value": "1.1.1", "domain": ".entrack.test", "path": "/"},
        {"name": "_gali", "value": "kept", "domain": ".entrack.test", "path": "/"},
    ])
    page.get_by_role("button", name="Cookie settings", exact=True).click()
    settings(page).get_by_role("switch", name="Analytics").uncheck()
    settings(page).get_by_role("button", name="Save choices").click()
    [_, record] = wait_for_records(app, 2)
    assert (record.action, record.analytics, record.marketing) == ("custom", False, True)
    left = {(c["name"], c["domain"]) for c in page.context.cookies() if c["name"].startswith("_g")}
    assert left == {("_gcl_au", ".entrack.test"), ("_gali", ".entrack.test")}
