"""/my-consent: see, download, withdraw and erase with the token from the banner's cookie or pasted."""
import functools
import json
import re
import time
from unittest import mock
from urllib.parse import quote, unquote

import pytest
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import delete

from consent_service.extensions import db
from consent_service.state import tokens
from consent_service.ledger.models import ConsentRecord
from consent_service.ledger.verification import check_stored_chain

from tests.support import rights as rights_support
from tests.support.records import records
from tests.support.rights import app_config  # noqa: F401  (two sites)

PAGE = "/my-consent?site=entrack&lang=en"


decide = functools.partial(rights_support.decide, user_agent="Mozilla/5.0 Visitor", address="192.0.2.44")


@pytest.fixture
def visitor(client, consent_body):
    return decide(client, consent_body)


def banner_cookie(decision):
    """The banner's cookie value: encodeURIComponent of its JSON state."""
    state = {"t": decision["token"], "id": decision["consent_id"],
             "c": {"analytics": decision["categories"]["analytics"], "marketing": decision["categories"]["marketing"]},
             "v": decision["policy_version"], "ts": 1764075600000}
    return quote(json.dumps(state), safe="-_.!~*'()")


def csrf(client, url=PAGE):
    """The CSRF token of a fresh form, as a browser would find it in the page."""
    page = client.get(url).get_data(as_text=True)
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)


def post(client, path, token, **fields):
    """Post a form as the page would, then follow the redirect that a change answers with."""
    return client.post(f"{path}?site=entrack&lang=en", data={"csrf_token": csrf(client), "token": token, **fields},
                       follow_redirects=True)


def set_cookie_headers(response, name="consent_entrack"):
    """The cookie ``name`` set by ``response`` or by the redirect that led to it."""
    answers = [*response.history, response]
    return [value for answer in answers for value in answer.headers.getlist("Set-Cookie") if value.startswith(f"{name}=")]


def test_cookie_token_shows_id_and_history(client, visitor):
    client.set_cookie("consent_entrack", banner_cookie(visitor))
    answer = client.get(PAGE)
    assert answer.status_code == 200
    assert answer.headers["Cache-Control"] == "no-store"
    page = answer.get_data(as_text=True)
    assert f"<code data-consent-id>{visitor['consent_id']}</code>" in page
    assert 'data-action="custom"' in page
    assert "192.0.2.0/24" in page and "Mozilla/5.0 Visitor" in page and "https://www.entrack.fi/palvelut" in page
    assert 'data-category="analytics" data-allowed="true"' in page
    assert 'data-rights-action="withdraw"' in page and 'data-rights-action="erase"' in page
    assert "making a new choice" in page


@pytest.mark.parametrize(("language", "title", "no_token"), [
    ("fi", "Oma suostumukseni", "Selaimestasi ei löytynyt suostumustunnistetta"),
    ("sv", "Mitt samtycke", "Ingen samtyckestoken för webbplatsen"),
    ("en", "Your consent", "No consent token for the site"),
])
def test_without_token_says_so_and_gives_the_email_route(client, language, title, no_token):
    answer = client.get(f"/my-consent?site=entrack&lang={language}")
    assert answer.status_code == 200
    page = answer.get_data(as_text=True)
    assert f'<html lang="{language}">' in page
    assert f"<h1>{title}: Entrack Oy Ab</h1>" in page
    assert no_token in page
    assert 'href="mailto:myynti@entrack.fi"' in page
    assert 'name="token"' in page
    assert "data-consent-id" not in page


def test_single_site_is_the_default(client, app):
    del app.extensions["consent_sites"]["other"]
    assert client.get("/my-consent").status_code == 200


@pytest.mark.parametrize("query", ["?site=nosuchsite", ""])
def test_unknown_or_ambiguous_site_is_404(client, query):
    assert client.get(f"/my-consent{query}").status_code == 404


def test_pasted_token_shows_history(client, visitor):
    answer = post(client, "/my-consent", visitor["token"])
    assert answer.status_code == 200
    assert f"<code data-consent-id>{visitor['consent_id']}</code>" in answer.get_data(as_text=True)


def test_token_of_an_older_policy_still_opens_the_page(client, app, visitor):
    sites = app.extensions["consent_sites"]
    sites["entrack"] = sites["entrack"].__class__(**{**sites["entrack"].__dict__, "policy_version": "2027-01-01"})
    client.set_cookie("consent_entrack", banner_cookie(visitor))
    assert visitor["consent_id"] in client.get(PAGE).get_data(as_text=True)


def _expired(app, visitor):
    with mock.patch("itsdangerous.timed.time.time", return_value=time.time() - 400 * 86400):
        with app.test_request_context():
            return tokens.issue(records(app, visitor["consent_id"])[0])


def _other_site(app, visitor):
    with app.test_request_context():
        record = records(app, visitor["consent_id"])[0]
        record.site = "other"
        return tokens.issue(record)


def _other_key(app, visitor):
    payload = {"s": "entrack", "i": visitor["consent_id"], "a": 1, "m": 0, "v": "2026-11-01"}
    return URLSafeTimedSerializer("k" * 64, salt=tokens.SALT).dumps(payload)


BAD_TOKENS = {
    "garbage": lambda app, visitor: "garbage",
    "tampered": lambda app, visitor: visitor["token"][:-3] + "AAA",
    "signed by another key": _other_key,
    "expired": _expired,
    "another site's token": _other_site,
    "too long": lambda app, visitor: "x" * 2000,
}


@pytest.mark.parametrize("case", BAD_TOKENS)
@pytest.mark.parametrize("path", ["/my-consent", "/my-consent/export", "/my-consent/withdraw", "/my-consent/erase"])
def test_bad_pasted_token_shows_nothing_and_changes_nothing(client, app, visitor, case, path):
    token = BAD_TOKENS[case](app, visitor)
    answer = post(client, path, token, confirm="y")
    assert answer.status_code == 403
    page = answer.get_data(as_text=True)
    assert "The consent token is not valid" in page
    assert visitor["consent_id"] not in page and "192.0.2.0/24" not in page
    assert not set_cookie_headers(answer)
    assert [(r.action, r.ip_prefix) for r in records(app, visitor["consent_id"])] == [("custom", "192.0.2.0/24")]


@pytest.mark.parametrize("case", ["garbage", "expired", "another site's token"])
def test_bad_cookie_token_is_explained(client, app, visitor, case):
    client.set_cookie("consent_entrack", banner_cookie({**visitor, "token": BAD_TOKENS[case](app, visitor)}))
    page = client.get(PAGE).get_data(as_text=True)
    assert "The consent token is not valid" in page
    assert visitor["consent_id"] not in page


@pytest.mark.parametrize("path", ["/my-consent", "/my-consent/export", "/my-consent/withdraw", "/my-consent/erase"])
@pytest.mark.parametrize("csrf_token", [None, "forged"])
def test_forms_need_their_csrf_token(client, app, visitor, path, csrf_token):
    csrf(client)  # the session exists; only the form's token is missing or wrong
    data = {"token": visitor["token"], "confirm": "y"}
    if csrf_token:
        data["csrf_token"] = csrf_token
    answer = client.post(f"{path}?site=entrack", data=data)
    assert answer.status_code == 400
    assert visitor["consent_id"] not in answer.get_data(as_text=True)
    assert len(records(app, visitor["consent_id"])) == 1


def test_session_cookie_is_httponly_and_samesite(client):
    cookie = client.get(PAGE).headers["Set-Cookie"]
    assert cookie.startswith("session=")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_download_is_the_json_history(client, visitor):
    answer = post(client, "/my-consent/export", visitor["token"])
    assert answer.status_code == 200
    assert answer.mimetype == "application/json"
    assert answer.headers["Content-Disposition"] == f'attachment; filename="consent-{visitor["consent_id"]}.json"'
    body = answer.get_json()
    assert body["consent_id"] == visitor["consent_id"]
    assert [(r["action"], r["ip_prefix"]) for r in body["records"]] == [("custom", "192.0.2.0/24")]


def test_withdraw_records_and_blocks_at_once(client, app, visitor):
    answer = post(client, "/my-consent/withdraw", visitor["token"])
    assert answer.status_code == 200
    assert "Your consent has been withdrawn" in answer.get_data(as_text=True)
    mine = records(app, visitor["consent_id"])
    assert [(r.action, r.analytics, r.marketing) for r in mine] == [("custom", True, False), ("withdraw", False, False)]
    [cookie] = set_cookie_headers(answer)
    assert "Path=/" in cookie and "SameSite=Lax" in cookie and "HttpOnly" not in cookie
    state = json.loads(unquote(cookie.split(";")[0].split("=", 1)[1]))
    assert state["id"] == visitor["consent_id"]
    assert state["c"] == {"analytics": False, "marketing": False}
    assert state["v"] == "2026-11-01" and isinstance(state["ts"], int)
    checked = client.get("/api/v1/consent-state", query_string={"token": state["t"], "site": "entrack"}).get_json()
    assert checked["valid"] is True
    assert checked["categories"] == {"necessary": True, "analytics": False, "marketing": False}
    with app.app_context():
        assert check_stored_chain("entrack").ok


def test_withdrawing_twice_stores_one_withdrawal(client, app, visitor):
    first = post(client, "/my-consent/withdraw", visitor["token"])
    state = json.loads(unquote(set_cookie_headers(first)[0].split(";")[0].split("=", 1)[1]))
    post(client, "/my-consent/withdraw", state["t"])
    assert [r.action for r in records(app, visitor["consent_id"])] == ["custom", "withdraw"]


def test_erase_scrubs_records_and_clears_the_cookie(client, app, visitor):
    client.set_cookie("consent_entrack", banner_cookie(visitor))
    answer = post(client, "/my-consent/erase", visitor["token"], confirm="y")
    assert answer.status_code == 200
    page = answer.get_data(as_text=True)
    assert "Your personal data have been erased" in page
    assert "192.0.2.0/24" not in page and "Mozilla/5.0 Visitor" not in page
    assert 'data-action="erase"' in page
    mine = records(app, visitor["consent_id"])
    assert [r.action for r in mine] == ["custom", "erase"]
    assert all(r.ip_prefix is r.user_agent is r.page_url is r.pii_salt is None for r in mine)
    [cookie] = set_cookie_headers(answer)
    assert "Max-Age=0" in cookie or "Expires=Thu, 01 Jan 1970" in cookie
    assert client.get_cookie("consent_entrack") is None
    with app.app_context():
        assert check_stored_chain("entrack").ok


def test_erase_needs_the_confirmation(client, app, visitor):
    answer = post(client, "/my-consent/erase", visitor["token"])
    assert answer.status_code == 422
    assert "Tick the box to confirm the erasure." in answer.get_data(as_text=True)
    assert records(app, visitor["consent_id"])[0].ip_prefix == "192.0.2.0/24"


def test_history_gone_after_retention_is_explained(client, app, visitor):
    with app.app_context():
        db.session.execute(delete(ConsentRecord))
        db.session.commit()
    answer = post(client, "/my-consent/withdraw", visitor["token"])
    assert answer.status_code == 200
    assert "No records are stored for this ID" in answer.get_data(as_text=True)
    assert not set_cookie_headers(answer)


@pytest.mark.parametrize("app_config", [{"RATELIMIT_CONSENT": "1 per minute"}])
@pytest.mark.parametrize("path", ["/my-consent/withdraw", "/my-consent/erase"])
def test_changes_are_rate_limited_per_address(client, visitor, path):
    statuses = [post(client, path, visitor["token"], confirm="y").status_code for _ in range(2)]
    assert statuses == [200, 429]
