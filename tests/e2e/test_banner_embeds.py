"""Embedded content held until its category is granted: nothing reaches the provider before, a placeholder of
the same size in its place, its two buttons, grants and withdrawals from anywhere (another tab included)."""
import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from tests.support.records import records, wait_for_records

from .banner_pages import app_config  # noqa: F401  (the host pages' sites file)
from .banner_pages import SETTLED_SHIFTS, WATCH_PAGE, banner, consent_commands, host_page, settings
from .third_party import third_party  # noqa: F401  (fixture)

VIDEO_TITLE = "Our product in two minutes"
MAP_ALT = "Map to our office"
# An image without a source is drawn as its alt text; a site reserves its box (and line) from the first paint so.
RESERVE_IMAGES = "<style>img[data-src] { display: block; }</style>"


def embeds_body(third_party):
    """A video (YouTube preset, served by the stand-in) and a map image (Google Maps preset), text around them."""
    return (
        f'<p>Before the video.</p><iframe data-consent-category="marketing" data-consent-provider="youtube" '
        f'data-src="{third_party.url("/embed/abc")}" width="560" height="315" title="{VIDEO_TITLE}"></iframe>'
        f'<p>Between.</p><img data-consent-category="marketing" data-consent-provider="maps" '
        f'data-src="{third_party.url("/image.gif")}" width="400" height="300" alt="{MAP_ALT}">'
        '<p id="after">After the map.</p>'
    )


def open_page(page, live_server, host, third_party, attrs="", head=RESERVE_IMAGES, path="/embeds"):
    """The host page with both embeds; every request the browser makes is recorded."""
    requests = []
    page.on("request", lambda request: requests.append(request.url))
    page.add_init_script(WATCH_PAGE)
    page.goto(host.add(path, host_page(live_server, head=head, body=embeds_body(third_party), attrs=attrs)))
    expect(page.locator("consent-placeholder")).to_have_count(2)
    return requests


def video(page):
    return page.get_by_role("group", name=VIDEO_TITLE)


def box(locator):
    found = locator.bounding_box()
    return round(found["width"], 1), round(found["height"], 1)


def provider_requests(requests, third_party):
    return [url for url in requests if url.startswith(third_party.origin)]


def test_nothing_reaches_the_provider_before_consent(page, live_server, host, third_party):
    requests = open_page(page, live_server, host, third_party)
    placeholder = video(page)
    expect(placeholder).to_contain_text("Content from YouTube. Loading it connects your browser to YouTube")
    link = placeholder.get_by_role("link", name="Privacy policy of YouTube")
    expect(link).to_have_attribute("href", "https://policies.google.com/privacy")
    expect(placeholder.get_by_role("button", name="Load this content")).to_be_visible()
    expect(placeholder.get_by_role("button", name="Allow all: Marketing")).to_be_visible()
    expect(page.get_by_role("group", name=MAP_ALT)).to_contain_text("Content from Google Maps")
    assert box(page.locator("consent-placeholder").first) == (564, 319), "the iframe's box, its borders included"
    assert box(page.locator("consent-placeholder").last) == (400, 300)
    expect(banner(page)).to_be_visible()
    page.wait_for_load_state("networkidle")
    assert provider_requests(requests, third_party) == [] and third_party.requests == []
    service = sorted(url.split("?")[0].rsplit("/", 1)[1] for url in requests if url.startswith(live_server))
    assert service == ["banner-embeds.js", "banner.js"]
    assert page.evaluate(SETTLED_SHIFTS) == 0


def test_load_this_one_loads_only_it_and_decides_nothing(page, live_server, host, third_party, app):
    requests = open_page(page, live_server, host, third_party)
    before = box(page.locator("consent-placeholder").first)
    video(page).get_by_role("button", name="Load this content").click()
    expect(page.frame_locator("iframe").locator("#video")).to_have_text("Video abc playing")
    assert page.evaluate("document.activeElement.tagName") == "IFRAME"
    assert box(page.locator("iframe")) == before
    assert [url.rsplit("/", 2)[-2:] for url in provider_requests(requests, third_party)] == [["embed", "abc"]]
    expect(page.get_by_role("group", name=MAP_ALT)).to_be_visible()
    expect(banner(page)).to_be_visible()
    assert records(app) == [] and page.evaluate("consentService.get().decided") is False
    assert page.evaluate(SETTLED_SHIFTS) == 0


def test_allow_all_is_a_stored_decision_that_loads_the_category(page, live_server, host, third_party, app):
    open_page(page, live_server, host, third_party)
    video(page).get_by_role("button", name="Allow all: Marketing").click()
    expect(page.locator("consent-placeholder")).to_have_count(0)
    expect(page.frame_locator("iframe").locator("#video")).to_have_text("Video abc playing")
    page.wait_for_function("() => document.querySelector('img').complete && document.querySelector('img').naturalWidth === 1")
    expect(banner(page)).to_have_count(0)
    [record] = wait_for_records(app, 1)
    assert (record.action, record.analytics, record.marketing) == ("custom", False, True)
    assert consent_commands(page)[-1][2]["ad_storage"] == "granted"
    assert page.evaluate(SETTLED_SHIFTS) == 0


def test_grant_from_the_banner_and_withdrawal_put_placeholders_back(page, live_server, host, third_party, app):
    requests = open_page(page, live_server, host, third_party)
    banner(page).get_by_role("button", name="Accept all").click()
    expect(page.frame_locator("iframe").locator("#video")).to_have_text("Video abc playing")
    page.get_by_role("button", name="Cookie settings", exact=True).click()
    settings(page).get_by_role("button", name="Reject all").click()
    expect(page.locator("consent-placeholder")).to_have_count(2)
    assert page.locator("iframe, img").count() == 0
    loaded = len(provider_requests(requests, third_party))
    assert [r.action for r in wait_for_records(app, 2, page=page)] == ["accept_all", "withdraw"]
    assert len(provider_requests(requests, third_party)) == loaded  # nothing more while the withdrawal was stored
    assert page.evaluate(SETTLED_SHIFTS) == 0


def test_grant_and_withdrawal_in_another_tab(page, live_server, host, third_party, app):
    open_page(page, live_server, host, third_party)
    other = page.context.new_page()
    other.goto(host.add("/other", host_page(live_server)))
    banner(other).get_by_role("button", name="Accept all").click()
    expect(page.frame_locator("iframe").locator("#video")).to_have_text("Video abc playing")
    expect(banner(page)).to_have_count(0)
    assert page.evaluate("consentService.get().categories.marketing") is True
    wait_for_records(app, 1)
    other.get_by_role("button", name="Cookie settings", exact=True).click()
    settings(other).get_by_role("button", name="Reject all").click()
    expect(page.locator("consent-placeholder")).to_have_count(2)
    assert page.evaluate("consentService.get().categories") == {"necessary": True, "analytics": False, "marketing": False}
    assert [r.action for r in wait_for_records(app, 2)] == ["accept_all", "withdraw"]


def test_grant_through_the_js_api(page, live_server, host, third_party, app):
    open_page(page, live_server, host, third_party)
    page.evaluate("consentService.allow('marketing')")
    expect(page.locator("consent-placeholder")).to_have_count(0)
    [record] = wait_for_records(app, 1)
    assert (record.action, record.marketing) == ("custom", True)
    page.evaluate("consentService.allow('marketing'); consentService.allow('nosuch')")
    assert len(wait_for_records(app, 1)) == 1


def test_keyboard_only(page, live_server, host, third_party, app):
    open_page(page, live_server, host, third_party)
    for _ in range(20):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.shadowRoot?.activeElement?.textContent") == "Load this content":
            break
    else:
        pytest.fail("Tab never reached the placeholder's button")
    label = page.evaluate("document.activeElement.getAttribute('aria-label') || document.activeElement.shadowRoot"
                          ".querySelector('[role=group]').getAttribute('aria-labelledby')")
    assert label == "title"
    page.keyboard.press("Enter")
    expect(page.frame_locator("iframe").locator("#video")).to_have_text("Video abc playing")
    assert page.evaluate("document.activeElement.tagName") == "IFRAME"
    assert records(app) == []


def test_axe_finds_nothing_in_the_placeholders(page, live_server, host, third_party):
    open_page(page, live_server, host, third_party, attrs=' data-lang="sv"')
    results = Axe().run(page, context={"include": [["consent-placeholder"]]})
    assert results.violations_count == 0, results.generate_report()
    checked = {rule["id"] for rule in results.response["passes"]}
    assert {"button-name", "color-contrast", "link-name"} <= checked, "axe looked inside the shadow roots"


@pytest.mark.parametrize(("lang", "texts"), [
    ("fi", ("Sisältöä palvelusta YouTube", "Lataa tämä sisältö", "Salli kaikki: Markkinointi",
            "Palvelun YouTube tietosuojakäytäntö")),
    ("sv", ("Innehåll från YouTube", "Ladda detta innehåll", "Tillåt alla: Marknadsföring",
            "Integritetspolicy för YouTube")),
])
def test_placeholders_speak_the_banners_language(page, live_server, host, third_party, lang, texts):
    open_page(page, live_server, host, third_party, attrs=f' data-lang="{lang}"')
    provider, load, allow, privacy = texts
    expect(video(page)).to_contain_text(provider)
    expect(video(page).get_by_role("button", name=load)).to_be_visible()
    expect(video(page).get_by_role("button", name=allow)).to_be_visible()
    expect(video(page).get_by_role("link", name=privacy)).to_be_visible()


def test_site_restyles_them_from_its_own_css(page, live_server, host, third_party):
    css = ("<style>consent-placeholder { background: rgb(10, 20, 30); color: rgb(250, 250, 250); } "
           "consent-placeholder::part(button) { border-radius: 0px; background: rgb(200, 0, 0); }</style>")
    open_page(page, live_server, host, third_party, head=RESERVE_IMAGES + css)
    host_style = page.locator("consent-placeholder").first.evaluate("(p) => getComputedStyle(p).backgroundColor")
    button = video(page).get_by_role("button", name="Load this content")
    styles = button.evaluate("(b) => [getComputedStyle(b).backgroundColor, getComputedStyle(b).borderRadius]")
    assert host_style == "rgb(10, 20, 30)" and styles == ["rgb(200, 0, 0)", "0px"]


PRESET_ADDRESSES = [
    ("https://www.youtube-nocookie.com/embed/x", "YouTube", "https://policies.google.com/privacy"),
    ("https://youtu.be/x", "YouTube", "https://policies.google.com/privacy"),
    ("https://player.vimeo.com/video/1", "Vimeo", "https://vimeo.com/privacy"),
    ("https://www.google.com/maps/embed?pb=1", "Google Maps", "https://policies.google.com/privacy"),
    ("https://maps.google.fi/maps?q=x", "Google Maps", "https://policies.google.com/privacy"),
    ("https://evil.example/?https://www.youtube.com/", "evil.example", None),
]


def test_presets_by_address_and_any_provider_by_attributes(page, live_server, host):
    outside = []
    page.route(lambda url: not url.startswith("http://127.0.0.1"), lambda route: (outside.append(route.request.url),
                                                                                   route.abort()))
    frames = "".join(f'<iframe data-consent-category="marketing" data-src="{src}"></iframe>'
                     for src, _, _ in PRESET_ADDRESSES)
    frames += ('<video data-consent-category="analytics" data-src="https://cdn.acme.example/v.mp4" width="320" '
               'height="180" data-consent-provider="Acme Video" data-consent-privacy="https://acme.example/privacy">'
               '</video><iframe data-consent-category="marketing" data-src="https://x.example/" '
               'data-consent-privacy="javascript:alert(1)"></iframe>')
    page.goto(host.add("/presets", host_page(live_server, body=frames)))
    placeholders = page.locator("consent-placeholder")
    expect(placeholders).to_have_count(len(PRESET_ADDRESSES) + 2)
    for index, (_, name, privacy) in enumerate(PRESET_ADDRESSES):
        expect(placeholders.nth(index)).to_contain_text(f"Content from {name}")
        links = placeholders.nth(index).get_by_role("link")
        if privacy:
            expect(links).to_have_attribute("href", privacy)
        else:
            expect(links).to_have_count(0)
    acme = page.get_by_role("group", name="Content from Acme Video")
    expect(acme.get_by_role("link", name="Privacy policy of Acme Video")).to_have_attribute(
        "href", "https://acme.example/privacy")
    expect(acme.get_by_role("button", name="Allow all: Analytics")).to_be_visible()
    expect(placeholders.last.get_by_role("link")).to_have_count(0)
    assert outside == []
