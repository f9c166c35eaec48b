"""Content added after the page loaded: a single-page app's routes, a tag manager's custom HTML, a lazy loader.
Held scripts run once when their category is granted; embeds added later get placeholders; state survives routes."""
from playwright.sync_api import expect

from tests.support.records import wait_for_records

from .banner_pages import app_config  # noqa: F401  (the host pages' sites file)
from .banner_pages import banner, host_page, settings
from .third_party import third_party  # noqa: F401  (fixture)

# A tiny single-page app: each route is rendered with innerHTML, as frameworks do; "Shop" brings a held
# analytics tag and a held video, "Home" brings nothing; "Replace body" swaps the whole <body> (Turbo-like).
SPA = """
<script>
window.routes = {
  home: '<h2>Home</h2><p>Welcome.</p>',
  shop: '<h2>Shop</h2><script type="text/plain" data-consent-category="analytics">' +
        'window.spaRuns = (window.spaRuns || 0) + 1;<\\/script>' +
        '<iframe data-consent-category="marketing" data-consent-provider="youtube" data-src="VIDEO" ' +
        'width="320" height="180" title="Shop video"></iframe>'
};
window.go = (name) => {
  history.pushState({}, '', '/' + name);
  document.getElementById('app').innerHTML = window.routes[name];
};
window.replaceBody = () => {
  const body = document.createElement('body');
  body.innerHTML = '<main id="app"><h2>New body</h2></main>';
  document.documentElement.replaceChild(body, document.body);
};
</script>
"""


def open_app(page, live_server, host, third_party):
    """The app on its home route; returns the service requests made so far (the list grows)."""
    requests = []
    page.on("request", lambda request: requests.append(request.url))
    head = SPA.replace("VIDEO", third_party.url("/embed/shop"))
    page.goto(host.add("/home", host_page(live_server, head=head, body='<div id="app"><h2>Home</h2></div>')))
    expect(banner(page)).to_be_visible()
    return requests


def service_files(requests, live_server):
    return sorted(url.split("?")[0].rsplit("/", 1)[1] for url in requests if url.startswith(live_server))


def test_route_with_a_held_tag_runs_it_once_when_granted(page, live_server, host, third_party, app):
    requests = open_app(page, live_server, host, third_party)
    page.wait_for_load_state("networkidle")
    assert service_files(requests, live_server) == ["banner.js"], "a page without embeds asks for nothing else"
    page.evaluate("go('shop')")
    expect(page.get_by_role("group", name="Shop video")).to_be_visible()
    assert service_files(requests, live_server) == ["banner-embeds.js", "banner.js"]
    assert page.evaluate("window.spaRuns") is None
    assert third_party.requests == []
    banner(page).get_by_role("button", name="Accept all").click()
    page.wait_for_function("() => window.spaRuns === 1")
    expect(page.frame_locator("iframe").locator("#video")).to_have_text("Video shop playing")
    page.evaluate("go('home')")
    page.evaluate("document.body.appendChild(document.createElement('p'))")
    expect(page.get_by_role("button", name="Cookie settings", exact=True)).to_be_visible()
    assert page.evaluate("[window.spaRuns, consentService.get().decided, location.pathname]") == [1, True, "/home"]
    page.evaluate("go('shop')")
    page.wait_for_function("() => window.spaRuns === 2")
    expect(page.frame_locator("iframe").locator("#video")).to_have_text("Video shop playing")
    page.wait_for_load_state("networkidle")
    assert page.evaluate("window.spaRuns") == 2, "each added tag runs exactly once"
    assert len(wait_for_records(app, 1, page=page)) == 1


def test_tag_manager_custom_html_after_a_grant_runs_at_once(page, live_server, host, third_party):
    open_app(page, live_server, host, third_party)
    inject = ("(category) => { const s = document.createElement('script'); s.type = 'text/plain';"
              " s.dataset.consentCategory = category; s.text = 'window.gtmRuns = (window.gtmRuns || 0) + 1;';"
              " document.head.appendChild(s); }")
    page.evaluate(inject, "marketing")
    banner(page).get_by_role("button", name="Settings").click()
    settings(page).get_by_role("switch", name="Analytics").check()
    settings(page).get_by_role("button", name="Save choices").click()
    page.evaluate(inject, "analytics")
    page.wait_for_function("() => window.gtmRuns === 1")
    assert page.locator('script[type="text/plain"][data-consent-category="marketing"]').count() == 1
    page.evaluate("consentService.allow('marketing')")
    page.wait_for_function("() => window.gtmRuns === 2")
    page.wait_for_load_state("networkidle")
    assert page.evaluate("window.gtmRuns") == 2
    assert page.locator('script[type="text/plain"]').count() == 0


def test_a_route_that_replaces_the_body_keeps_the_banner(page, live_server, host, third_party, app):
    open_app(page, live_server, host, third_party)
    banner(page).get_by_role("button", name="Reject all").click()
    page.evaluate("replaceBody()")
    expect(page.get_by_role("heading", name="New body")).to_be_visible()
    reopen = page.get_by_role("button", name="Cookie settings", exact=True)
    expect(reopen).to_be_visible()
    reopen.click()
    expect(settings(page).get_by_role("switch", name="Analytics")).not_to_be_checked()
    assert page.evaluate("consentService.get().decided") is True
    assert [r.action for r in wait_for_records(app, 1, page=page)] == ["reject_all"]


def test_lazy_loaded_embed_before_a_decision_gets_a_placeholder(page, live_server, host, third_party):
    open_app(page, live_server, host, third_party)
    page.evaluate("""(src) => {
        const frame = document.createElement('iframe');
        frame.dataset.consentCategory = 'marketing'; frame.dataset.src = src; frame.title = 'Lazy video';
        setTimeout(() => document.getElementById('app').appendChild(frame), 50);
    }""", third_party.url("/embed/lazy"))
    expect(page.get_by_role("group", name="Lazy video")).to_be_visible()
    page.wait_for_load_state("networkidle")
    assert third_party.requests == []
