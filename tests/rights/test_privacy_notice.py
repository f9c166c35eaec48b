"""/privacy/<site>: the privacy notice and cookie declaration, in Finnish, Swedish and English."""
import tomllib
from html.parser import HTMLParser

import pytest
from markupsafe import escape

from consent_service.banner.assets import compact_site
from consent_service.rights.translations import TEXTS
from consent_service.sites import DEFAULT_FILE, LANGUAGES, SiteConfigError, load_sites

HEADINGS = {
    "fi": ("Tietosuojaseloste", "Rekisterinpitäjä ja yhteystiedot", "Evästeseloste", "Oikeutesi", "Y-tunnus"),
    "sv": ("Dataskyddsbeskrivning", "Personuppgiftsansvarig och kontaktuppgifter", "Kakdeklaration",
           "Dina rättigheter", "FO-nummer"),
    "en": ("Privacy notice", "Controller and contact details", "Cookie declaration", "Your rights", "Business ID"),
}
CORRECTION = {"fi": "antamalla uuden valinnan", "sv": "genom att göra ett nytt val", "en": "by making a new choice"}


def sites_file(tmp_path, text):
    path = tmp_path / "sites.toml"
    path.write_text(text, encoding="utf-8")
    return str(path)


class Markup(HTMLParser):
    """What the page's markup holds: text, inline code, table rows of the declaration."""

    def __init__(self):
        super().__init__()
        self.inline = []
        self.rows = {}
        self._row = None
        self._cell = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "script" and "src" not in attrs or tag == "style":
            self.inline.append(tag)
        self.inline.extend(name for name in attrs if name == "style" or name.startswith("on"))
        if tag == "tr" and "data-cookie" in attrs:
            self._row = self.rows.setdefault(attrs["data-cookie"], [])
        if tag == "td" and self._row is not None:
            self._cell = []

    def handle_endtag(self, tag):
        if tag == "td" and self._cell is not None:
            self._row.append("".join(self._cell).strip())
            self._cell = None
        if tag == "tr":
            self._row = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def parse(page):
    markup = Markup()
    markup.feed(page)
    return markup


@pytest.mark.parametrize("language", LANGUAGES)
def test_notice_in_each_language(client, app, language):
    answer = client.get(f"/privacy/entrack?lang={language}")
    assert answer.status_code == 200
    assert answer.headers["Content-Language"] == language
    page = answer.get_data(as_text=True)
    assert f'<html lang="{language}">' in page
    for heading in HEADINGS[language]:
        assert heading in page
    for fact in ("Entrack Oy Ab", "Levytie 11", "67800 Kokkola", "1068143-6", "010 3266880",
                 'href="mailto:myynti@entrack.fi"'):
        assert fact in page
    notice = app.extensions["consent_sites"]["entrack"].extra["notice"]
    for purpose in notice["purposes"]:
        assert escape(purpose["title"][language]) in page
        assert escape(purpose["text"][language]) in page
    for item in (*notice["data_categories"], *notice["sources"]):
        assert escape(item[language]) in page
    for key in ("data_subjects", "processors", "transfers", "storage", "complaint"):
        assert escape(notice[key][language]) in page
    assert CORRECTION[language] in page
    assert " 1825 " in page
    others = [other for other in LANGUAGES if other != language]
    assert all(notice["transfers"][other] not in page for other in others)


@pytest.mark.parametrize(("query", "accept", "language"), [
    ("", None, "fi"),
    ("", "sv-FI,sv;q=0.9", "sv"),
    ("", "en-GB,en;q=0.8", "en"),
    ("", "de-DE,de;q=0.9", "fi"),
    ("?lang=en", "sv", "en"),
    ("?lang=de", "sv", "sv"),
    ("?lang=", None, "fi"),
])
def test_language_from_query_then_browser_then_site(client, query, accept, language):
    headers = {"Accept-Language": accept} if accept else {}
    answer = client.get(f"/privacy/entrack{query}", headers=headers)
    assert answer.headers["Content-Language"] == language
    assert "Accept-Language" in answer.headers["Vary"]


@pytest.mark.parametrize("language", LANGUAGES)
def test_cookie_declaration_is_the_site_configuration(client, app, language):
    page = client.get(f"/privacy/entrack?lang={language}").get_data(as_text=True)
    rows = parse(page).rows
    expected = {
        cookie["name"]: [cookie["name"], cookie["provider"], cookie["purpose"][language],
                         cookie["duration"][language], category["label"][language]]
        for category in app.extensions["consent_sites"]["entrack"].categories for cookie in category["cookies"]
    }
    assert rows == expected
    assert set(rows) == {"consent_entrack", "_ga", "_ga_*", "_gid", "_gcl_au"}
    assert TEXTS[language]["cookie_pattern"] in page


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("change", [None, ('en = "2 years"', 'en = "13 months"'), ('name = "_gid"', 'name = "_gx"')])
def test_declaration_agrees_with_what_the_banner_shows(client, app, tmp_path, language, change):
    """Row for row what banner.js carries for its settings dialog: name, provider, category (the purpose and
    lifetime of each cookie are only in the declaration, which the banner links to)."""
    text = DEFAULT_FILE.read_text(encoding="utf-8")
    if change:
        text = text.replace(*change)
    app.extensions["consent_sites"] = load_sites(sites_file(tmp_path, text))
    banner = compact_site(app.extensions["consent_sites"]["entrack"])
    shown = {info[0]: [info[0], info[1], category["l"][language]] for category in banner["c"] for info in category["o"]}
    rows = parse(client.get(f"/privacy/entrack?lang={language}").get_data(as_text=True)).rows
    assert {name: [row[0], row[1], row[4]] for name, row in rows.items()} == shown


def test_cookie_declaration_follows_a_changed_configuration(client, app, tmp_path):
    text = DEFAULT_FILE.read_text(encoding="utf-8").replace('name = "_gid"', 'name = "_new_cookie"')
    text = text.replace('en = "24 hours"', 'en = "36 hours"')
    sites = load_sites(sites_file(tmp_path, text))
    app.extensions["consent_sites"] = sites
    rows = parse(client.get("/privacy/entrack?lang=en").get_data(as_text=True)).rows
    assert "_gid" not in rows
    assert rows["_new_cookie"][3] == "36 hours"


def test_configured_text_is_escaped(client, app, tmp_path):
    text = DEFAULT_FILE.read_text(encoding="utf-8").replace(
        'en = "Distinguishes visitors."', 'en = "<script>alert(1)</script> & <b>bold</b>"')
    text = text.replace('en = "We keep the data mainly in electronic form.',
                        'en = "<img src=x onerror=alert(2)> We keep the data mainly in electronic form.')
    app.extensions["consent_sites"] = load_sites(sites_file(tmp_path, text))
    page = client.get("/privacy/entrack?lang=en").get_data(as_text=True)
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;" in page
    assert "&lt;img src=x onerror=alert(2)&gt;" in page
    assert parse(page).inline == []


@pytest.mark.parametrize("path", ["/privacy/entrack", "/my-consent?site=entrack"])
@pytest.mark.parametrize("language", LANGUAGES)
def test_pages_have_no_inline_script_or_style(client, path, language):
    answer = client.get(f"{path}&lang={language}" if "?" in path else f"{path}?lang={language}")
    page = answer.get_data(as_text=True)
    assert parse(page).inline == []
    assert '<link rel="stylesheet" href="/static/site.css">' in page
    assert "unsafe-inline" not in answer.headers.get("Content-Security-Policy", "")
    with client.get("/static/site.css") as stylesheet:
        assert stylesheet.status_code == 200


def test_notice_and_your_consent_link_each_other(client):
    notice = client.get("/privacy/entrack?lang=sv").get_data(as_text=True)
    assert 'href="/my-consent?site=entrack&amp;lang=sv" data-rights-link="my-consent"' in notice
    mine = client.get("/my-consent?site=entrack&lang=sv").get_data(as_text=True)
    assert 'href="/privacy/entrack?lang=sv" data-rights-link="privacy"' in mine


def test_unknown_site_is_404(client):
    assert client.get("/privacy/nosuchsite").status_code == 404


def test_site_without_notice_still_has_controller_cookies_and_rights(client, app, tmp_path):
    text = DEFAULT_FILE.read_text(encoding="utf-8")
    text = text[:text.index("# The privacy notice at /privacy/entrack")]
    app.extensions["consent_sites"] = load_sites(sites_file(tmp_path, text))
    assert "notice" not in app.extensions["consent_sites"]["entrack"].extra
    page = client.get("/privacy/entrack?lang=en").get_data(as_text=True)
    for expected in ("1068143-6", "Cookie declaration", "_gcl_au", "Your rights", "myynti@entrack.fi"):
        assert expected in page
    assert "Why we process personal data" not in page


@pytest.mark.parametrize(("old", "new", "message"), [
    ('en = "We keep the data mainly', 'xx = "We keep the data mainly', "entrack.notice.storage.xx: Unknown field."),
    ('[entrack.notice.complaint]', '[entrack.notice.complaints]', "entrack.notice.complaints: Unknown field."),
    ('[entrack.notice.transfers]\nfi = ', '[entrack.notice.transfers]\nsv_fi = ', "entrack.notice.transfers.fi"),
])
def test_invalid_notice_stops_the_service_naming_the_key(tmp_path, old, new, message):
    text = DEFAULT_FILE.read_text(encoding="utf-8")
    assert old in text
    with pytest.raises(SiteConfigError) as error:
        load_sites(sites_file(tmp_path, text.replace(old, new, 1)))
    assert message in str(error.value)


def test_every_language_has_every_text():
    keys = {language: set(TEXTS[language]) for language in LANGUAGES}
    assert set(TEXTS) == set(LANGUAGES)
    assert keys["fi"] == keys["sv"] == keys["en"]
    assert all(value.strip() for language in LANGUAGES for value in TEXTS[language].values())


def test_shipped_notice_has_every_language():
    notice = tomllib.loads(DEFAULT_FILE.read_text(encoding="utf-8"))["entrack"]["notice"]
    assert set(notice["storage"]) == set(LANGUAGES)
