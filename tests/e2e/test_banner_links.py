"""The banner's links: the privacy notice and cookie declaration on the first layer, and every link in the
banner's language (a Swedish banner opens Swedish pages whatever the browser prefers)."""
import re

import pytest
from playwright.sync_api import expect

from .banner_pages import app_config  # noqa: F401  (the host pages' sites file)
from .banner_pages import banner, host_page, settings

PRIVACY = {"fi": ("Tietosuojaseloste ja evästeet", "Tietosuojaseloste"),
           "sv": ("Dataskyddsbeskrivning och kakor", "Dataskyddsbeskrivning"),
           "en": ("Privacy notice and cookies", "Privacy notice")}
MINE = {"fi": "Oma suostumukseni", "sv": "Mitt samtycke", "en": "Your consent"}


@pytest.mark.parametrize("lang", ["fi", "sv", "en"])
def test_first_layer_links_the_notice_in_the_banners_language(page, live_server, host, lang):
    page.set_extra_http_headers({"Accept-Language": "en-GB,en;q=0.9" if lang != "en" else "fi"})
    page.goto(host.add(f"/{lang}", host_page(live_server, attrs=f' data-lang="{lang}"')))
    text, heading = PRIVACY[lang]
    link = banner(page).get_by_role("link", name=text)
    expect(link).to_have_attribute("href", f"{live_server}/privacy/entrack?lang={lang}")
    link.click()
    expect(page).to_have_url(re.compile(rf"/privacy/entrack\?lang={lang}$"))
    assert page.evaluate("document.documentElement.lang") == lang
    expect(page.get_by_role("heading", level=1)).to_contain_text(heading)
    expect(page.locator("#cookie-declaration")).to_be_visible()


def test_every_settings_link_carries_the_language(page, live_server, host):
    page.set_extra_http_headers({"Accept-Language": "en"})
    page.goto(host.add("/sv", host_page(live_server, attrs=' data-lang="sv"')))
    banner(page).get_by_role("button", name="Inställningar").click()
    links = settings(page).locator("a")
    expect(links).to_have_count(2)
    for href in links.evaluate_all("(links) => links.map((a) => a.href)"):
        assert "lang=sv" in href.split("#")[0], href
    settings(page).get_by_role("link", name=MINE["sv"]).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Mitt samtycke")
    assert page.evaluate("document.documentElement.lang") == "sv"
    expect(page.get_by_role("link", name=re.compile("^Tillbaka till"))).to_have_attribute("href", f"{host.origin}/sv")
