"""The "Back to <site>" link of "Your consent": only to the site's origins or the service's own."""
import html
import re
from types import SimpleNamespace

import pytest

from consent_service.rights import back_link

SITE = SimpleNamespace(origins=("https://www.entrack.fi", "https://entrack.fi"))
OWN = "http://consent.example:8000/"
PAGE = "/my-consent?site=entrack&lang=en"


@pytest.mark.parametrize(("url", "expected"), [
    ("https://www.entrack.fi/palvelut", "https://www.entrack.fi/palvelut"),
    ("https://WWW.Entrack.FI/palvelut?q=secret#frag", "https://www.entrack.fi/palvelut"),
    ("https://entrack.fi", "https://entrack.fi/"),
    ("https://www.entrack.fi/a b/<x>", "https://www.entrack.fi/a%20b/%3Cx%3E"),
    ("https://www.entrack.fi//evil.example/", "https://www.entrack.fi//evil.example/"),
    ("http://consent.example:8000/demo", "http://consent.example:8000/demo"),
])
def test_allowed_origins_give_origin_and_path(url, expected):
    assert back_link.page(SITE, url, OWN) == expected


@pytest.mark.parametrize("url", [
    None, "", "/relative/path", "//www.entrack.fi/x", "http://www.entrack.fi/x", "https://www.entrack.fi:444/x",
    "https://www.entrack.fi.evil.example/x", "https://evil.example/?https://www.entrack.fi",
    "https://www.entrack.fi@evil.example/x", "https://user:pw@www.entrack.fi/x", "javascript:alert(1)",
    "data:text/html,<script>alert(1)</script>", "https://www.entrack.fi\\@evil.example/",
    "https://www.entrack.fi/x\r\nSet-Cookie: a=b", "https://www.entrack.fi:99999/x", "http://[::1/",
    "http://consent.example/demo", "https://www.entrack.fi/" + "a" * 2000,
])
def test_other_origins_give_no_link(url):
    assert back_link.page(SITE, url, OWN) is None


def test_fragments_carry_the_new_state():
    assert back_link.after_withdrawal("https://entrack.fi/", "c-1") == "https://entrack.fi/#consent-withdrawn=c-1"
    assert back_link.after_erasure("https://entrack.fi/", "c-1") == "https://entrack.fi/#consent-erased=c-1"


def _post(client, path, token, back, **fields):
    page = client.get(f"{PAGE}&back={back}").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    return client.post(f"{path}?site=entrack&lang=en&back={back}", data={"csrf_token": csrf, "token": token, **fields},
                       follow_redirects=True)


def _back_href(answer):
    found = re.search(r'<a href="([^"]+)" data-rights-link="back">Back to ', answer.get_data(as_text=True))
    return html.unescape(found.group(1)) if found else None


@pytest.fixture
def visitor(client, consent_body):
    granted = {"analytics": True, "marketing": True}
    answer = client.post("/api/v1/consents", json={**consent_body, "categories": granted})
    assert answer.status_code == 201
    return answer.get_json()


def test_withdrawal_links_back_to_the_page(client, visitor):
    answer = _post(client, "/my-consent/withdraw", visitor["token"], "https%3A%2F%2Fwww.entrack.fi%2Fpalvelut%3Fq%3D1")
    assert answer.status_code == 200
    assert _back_href(answer) == f"https://www.entrack.fi/palvelut#consent-withdrawn={visitor['consent_id']}"


def test_erasure_links_back(client, visitor):
    answer = _post(client, "/my-consent/erase", visitor["token"], "https%3A%2F%2Fentrack.fi%2F", confirm="y")
    assert _back_href(answer) == f"https://entrack.fi/#consent-erased={visitor['consent_id']}"


@pytest.mark.parametrize("back", ["https%3A%2F%2Fevil.example%2F", "javascript%3Aalert(1)", ""])
def test_no_link_back_to_anywhere_else(client, visitor, back):
    answer = _post(client, "/my-consent/withdraw", visitor["token"], back)
    assert answer.status_code == 200
    assert "Your consent has been withdrawn" in answer.get_data(as_text=True)
    assert _back_href(answer) is None
    assert "evil.example" not in answer.get_data(as_text=True)


def test_no_link_back_before_a_change(client, visitor):
    client.set_cookie("consent_entrack", "")
    answer = client.get(f"{PAGE}&back=https%3A%2F%2Fwww.entrack.fi%2F")
    assert _back_href(answer) is None
    assert 'src="/static/rights/my_consent.js"' in answer.get_data(as_text=True)
