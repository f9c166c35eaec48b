"""Signing out ends the auditor's session on the server: a copy of the session cookie, taken while
signed in, signs no one in afterwards. Sessions also end with the account and after
AUDIT_SESSION_HOURS."""
import re

import pytest
from sqlalchemy import select

from consent_service.audit.models import AuditorSession
from consent_service.extensions import db

from tests.support.audit import make_auditor

PAGES = ("/audit/consents.csv", "/audit/stats.csv", "/audit/chain-head?site=entrack")


@pytest.fixture
def token(app):
    return make_auditor(app, "alice", ["entrack"])


def csrf(client):
    page = client.get("/audit/").get_data(as_text=True)
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)


def signed_in(app, token):
    """A browser signed in as the token's auditor."""
    browser = app.test_client()
    response = browser.post("/audit/sign-in", data={"token": token, "csrf_token": csrf(browser)})
    assert response.status_code == 302
    return browser


def copy_of(app, browser):
    """Another browser holding a copy of ``browser``'s session cookie."""
    copy = app.test_client()
    copy.set_cookie("session", browser.get_cookie("session").value)
    return copy


def is_signed_in(browser):
    return "signed in as" in browser.get("/audit/").get_data(as_text=True)


@pytest.mark.parametrize("path", PAGES)
def test_a_copied_cookie_stops_working_at_sign_out(app, token, path):
    browser = signed_in(app, token)
    copy = copy_of(app, browser)
    assert copy.get(path).status_code == 200  # the copy is as good as the original until then
    browser.post("/audit/sign-out", data={"csrf_token": csrf(browser)})
    assert copy.get(path).status_code == 401
    assert browser.get(path).status_code == 401
    assert not is_signed_in(copy)


def test_signing_out_ends_only_that_browser_s_session(app, token):
    first, second = signed_in(app, token), signed_in(app, token)
    first.post("/audit/sign-out", data={"csrf_token": csrf(first)})
    assert not is_signed_in(first)
    assert is_signed_in(second)


def test_the_server_keeps_only_a_hash_of_the_session_secret(app, token):
    browser = signed_in(app, token)
    with app.app_context():
        rows = db.session.scalars(select(AuditorSession)).all()
    assert len(rows) == 1 and rows[0].ended_at is None
    cookie = browser.get_cookie("session").value
    assert rows[0].secret_hash not in cookie
    browser.post("/audit/sign-out", data={"csrf_token": csrf(browser)})
    with app.app_context():
        assert db.session.scalars(select(AuditorSession)).one().ended_at is not None


def test_a_revoked_account_s_sessions_end(app, runner, token):
    browser = signed_in(app, token)
    runner.invoke(args=["auditor", "revoke", "alice"])
    assert browser.get("/audit/consents.csv").status_code == 401


def test_sessions_end_after_their_lifetime(make_app):
    app = make_app(AUDIT_SESSION_HOURS=0)
    browser = signed_in(app, make_auditor(app, "bob"))
    assert not is_signed_in(browser)


def test_a_cookie_of_the_former_format_signs_no_one_in(app, token):
    """Before sessions were kept on the server, the cookie held the account id and a prefix of the
    token's hash: such a cookie (signed with the key) is now no session at all."""
    browser = signed_in(app, token)
    with app.test_request_context():
        from flask import session
        serializer = app.session_interface.get_signing_serializer(app)
        forged = serializer.dumps({**dict(session), "auditor": [1, "0" * 16]})
    browser.set_cookie("session", forged)
    assert browser.get("/audit/consents.csv").status_code == 401
