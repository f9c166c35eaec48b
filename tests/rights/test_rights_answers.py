"""'Your consent' after a change: the answer survives a reload (POST-redirect-GET), and the page always
has a way back to the site."""
import html
import re
from urllib.parse import parse_qs, unquote, urlsplit

import pytest

from tests.support.records import records
from tests.support.rights import decide

BACK = "https%3A%2F%2Fwww.entrack.fi%2Fpalvelut"
PAGE = f"/my-consent?site=entrack&lang=en&back={BACK}"


@pytest.fixture
def visitor(client, consent_body):
    granted = {"analytics": True, "marketing": True}
    return decide(client, {**consent_body, "categories": granted}, user_agent="Mozilla/5.0 Visitor",
                  address="192.0.2.44")


def form_post(client, path, token, **fields):
    page = client.get(PAGE).get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    return client.post(f"{path}?site=entrack&lang=en&back={BACK}", data={"csrf_token": csrf, "token": token, **fields})


def way_back(page):
    """The page's one link back to the site: (its marker, its address)."""
    found = re.findall(r'<a href="([^"]+)" data-rights-link="(back|site)">Back to Entrack Oy Ab</a>', page)
    assert len(found) == 1, found
    href, marker = found[0]
    return marker, html.unescape(href)


@pytest.mark.parametrize(("path", "fields", "message", "fragment"), [
    ("/my-consent/withdraw", {}, "Your consent has been withdrawn", "consent-withdrawn"),
    ("/my-consent/erase", {"confirm": "y"}, "Your personal data have been erased", "consent-erased"),
])
def test_a_change_redirects_and_its_answer_survives_reloads(client, app, visitor, path, fields, message, fragment):
    answer = form_post(client, path, visitor["token"], **fields)
    assert answer.status_code == 303
    location = answer.headers["Location"]
    query = parse_qs(urlsplit(location).query)
    assert urlsplit(location).path == "/my-consent"
    assert (query["site"], query["lang"], query["back"]) == (["entrack"], ["en"], [unquote(BACK)])
    for _ in range(2):
        page = client.get(location)
        assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
        text = page.get_data(as_text=True)
        assert message in text
        assert way_back(text) == ("back", f"https://www.entrack.fi/palvelut#{fragment}={visitor['consent_id']}")
        assert visitor["consent_id"] in text, "the history it changed is shown"
    assert len(records(app, visitor["consent_id"])) == 2, "reloading changes nothing more"


def test_the_answer_is_shown_only_where_it_was_given(client, visitor):
    location = form_post(client, "/my-consent/withdraw", visitor["token"]).headers["Location"]
    assert "withdrawn" in client.get(location).get_data(as_text=True)
    later = client.get(PAGE).get_data(as_text=True)
    assert "Your consent has been withdrawn" not in later
    assert "Your consent has been withdrawn" not in client.get(location.replace("done=", "done=x")).get_data(as_text=True)


@pytest.mark.parametrize(("query", "expected"), [
    (f"&back={BACK}", "https://www.entrack.fi/palvelut"),
    ("", "https://www.entrack.fi/"),
    ("&back=https%3A%2F%2Fevil.example%2F", "https://www.entrack.fi/"),
])
def test_always_a_way_back_to_the_site(client, visitor, query, expected):
    page = client.get(f"/my-consent?site=entrack&lang=en{query}").get_data(as_text=True)
    assert 'data-rights-problem="missing"' in page, "no token here: the page that explains it"
    assert way_back(page) == ("site", expected)
