"""The auditor portal's look-up by consent id and its policy snapshot page: an auditor session, only the
sites the auditor may read, what the visitor was shown, links to the snapshots and the proof pack."""
import html
import re
import uuid
from pathlib import Path

import pytest
from sqlalchemy import select

from consent_service.audit.models import AuditExport
from consent_service.extensions import db
from consent_service.policies import find_snapshot, site_hashes

from tests.support.audit import add_records, make_auditor
from tests.support.portal import sign_in
from tests.support.rights import app_config, decide  # noqa: F401  (app_config: the second site, "other")

VISITOR = {"user_agent": "Mozilla/5.0 portal test", "address": "203.0.113.9"}


@pytest.fixture
def token(app):
    return make_auditor(app, "alice", ["entrack"])


@pytest.fixture
def auditor(client, token):
    return sign_in(client, token)


@pytest.fixture
def visitor(app, consent_body):
    """One visitor's two decisions on entrack (the second changes the first), and another's on ``other``."""
    browser = app.test_client()
    first = decide(browser, consent_body, **VISITOR)
    decide(browser, consent_body, **VISITOR, consent_id=first["consent_id"], token=first["token"],
           action="accept_all", categories={"analytics": True, "marketing": True})
    elsewhere = decide(browser, consent_body, **VISITOR, site="other")
    return {"consent_id": first["consent_id"], "other_id": elsewhere["consent_id"]}


def hrefs(page, css_class):
    return [html.unescape(href) for href in re.findall(rf'class="{css_class}" href="([^"]+)"', page)]


def test_lookup_shows_the_history_in_order_with_snapshots_and_proof_pack(app, auditor, visitor):
    consent_id = visitor["consent_id"]
    response = auditor.get(f"/audit/lookup?consent_id={consent_id.upper()}")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert re.findall(r'data-seq="(\d+)" data-action="(\w+)"', page) == [("1", "custom"), ("2", "accept_all")]
    with app.app_context():
        snapshot = site_hashes("entrack")["fi"]
    assert hrefs(page, "policy-link") == [f"/audit/policies/{snapshot}/view"] * 2
    assert hrefs(page, "proof-pack") == [f"/audit/proof.zip?site=entrack&consent_id={consent_id}"]
    assert f"{snapshot}</span>): records 1, 2" in page
    assert page.count("verifies</dd>") == 2 and "Mozilla/5.0 portal test" in page
    with app.app_context():
        logged = db.session.scalars(select(AuditExport).where(AuditExport.kind == "history")).all()
    assert [entry.who for entry in logged] == ["alice"] and consent_id in logged[0].filter


@pytest.mark.parametrize("asked, status, message", [
    ("not-an-id", 400, "&#39;not-an-id&#39; is not a consent id (a UUID)."),
    (str(uuid.UUID(int=7)), 404, f"No consent {uuid.UUID(int=7)} is recorded in a site you may see."),
])
def test_lookup_of_a_bad_or_unknown_id(auditor, asked, status, message):
    response = auditor.get(f"/audit/lookup?consent_id={asked}")
    assert response.status_code == status
    page = response.get_data(as_text=True)
    assert message in page and 'id="history"' not in page
    assert f'value="{asked}"' in page  # the form keeps what was asked


def test_lookup_shows_nothing_of_a_site_the_auditor_may_not_read(auditor, visitor):
    response = auditor.get(f"/audit/lookup?consent_id={visitor['other_id']}")
    assert response.status_code == 404 and "other" not in hrefs(response.get_data(as_text=True), "proof-pack")


def test_lookup_of_records_stored_before_snapshots(app, auditor):
    [consent_id] = add_records(app, {})
    page = auditor.get(f"/audit/lookup?consent_id={consent_id}").get_data(as_text=True)
    assert "version 2026-11-01 (stored before snapshots)" in page
    assert "None: these records were stored before the service kept policy snapshots." in page


@pytest.mark.parametrize("path", ["/audit/lookup", f"/audit/lookup?consent_id={uuid.UUID(int=1)}",
                                  f"/audit/policies/{'a' * 64}/view"])
def test_pages_need_an_auditor_session(client, token, path):
    response = client.get(path, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 302 and response.headers["Location"] == "/audit/"


def test_snapshot_page_shows_what_the_visitor_saw(app, auditor):
    with app.app_context():
        snapshot = find_snapshot(site_hashes("entrack")["sv"])
    response = auditor.get(f"/audit/policies/{snapshot.hash}/view")
    assert response.status_code == 200
    assert "unsafe-inline" not in response.headers["Content-Security-Policy"]
    page = response.get_data(as_text=True)
    assert not re.search(r"<style|<script|\sstyle=|\son\w+=", page)
    texts = snapshot.content["texts"]
    for key in ("title", "body", "accept_all", "reject_all", "settings", "save", "close", "settings_title",
                "always_on", "gpc_honoured", "privacy_link", "my_consent_link"):
        assert html.escape(texts[key]) in page, key
    for category in snapshot.content["categories"]:
        assert html.escape(category["label"]) in page and html.escape(category["description"]) in page
        assert f'{texts["cookies"]} ({len(category["cookies"])})' in page
        for cookie in category["cookies"]:
            assert f'<tr data-cookie="{cookie["name"]}">' in page and html.escape(cookie["purpose"]) in page
    assert snapshot.content["controller"]["business_id"] in page
    assert page.count('<template shadowrootmode="open">') == 2
    assert page.count('<link rel="stylesheet" href="/static/banner/banner.css">') == 2
    assert re.search(r'<input class="switch" type="checkbox" role="switch" name="necessary" disabled checked>', page)
    assert 'lang="sv"' in page


def test_snapshot_page_of_an_older_text(app, make_app, auditor, consent_body, tmp_path):
    """Texts changed in the sites file: the stored snapshot of the older texts still shows as it was."""
    decide(app.test_client(), consent_body, **VISITOR)
    with app.app_context():
        older = site_hashes("entrack")["fi"]
        title = find_snapshot(older).content["texts"]["title"]
    path = tmp_path / "changed.toml"
    shipped = Path(app.config["CONSENT_SITES_FILE"]).read_text(encoding="utf-8")
    assert shipped.count(title) == 2  # entrack's first, then other's
    path.write_text(shipped.replace(title, "Evästeet muuttuivat", 1), encoding="utf-8")
    changed = make_app(CONSENT_SITES_FILE=str(path))
    with changed.app_context():
        assert site_hashes("entrack")["fi"] != older
    browser = sign_in(changed.test_client(), make_auditor(changed, "bob"))
    page = browser.get(f"/audit/policies/{older}/view").get_data(as_text=True)
    assert html.escape(title) in page and "Evästeet muuttuivat" not in page


@pytest.mark.parametrize("name", ["unknown", "malformed", "other site"])
def test_snapshot_page_is_404_for_an_unknown_or_unreadable_snapshot(app, auditor, name):
    with app.app_context():
        policy_hash = {"unknown": "0" * 64, "malformed": "ABC", "other site": site_hashes("other")["fi"]}[name]
    response = auditor.get(f"/audit/policies/{policy_hash}/view")
    assert response.status_code == 404 and response.mimetype == "text/html"
    assert f"No policy snapshot {policy_hash} of a site you may read." in response.get_data(as_text=True)


@pytest.mark.parametrize("path", [
    "/audit/?site=entrack&from=2026-02-30&to=2026-11-31",
    "/audit/stats?site=entrack&from=2026-02-30&to=2026-11-31",
])
def test_an_invalid_date_is_not_echoed_into_a_date_input(auditor, path):
    response = auditor.get(path)
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and "from: Not a date" in page
    assert re.findall(r'<input id="(from|to)" name="\w+" type="date" value="([^"]*)"', page) == [("from", ""), ("to", "")]


def test_a_valid_date_is_shown_again(auditor):
    page = auditor.get("/audit/stats?site=entrack&from=2026-11-01&to=2026-11-02").get_data(as_text=True)
    assert '<input id="from" name="from" type="date" value="2026-11-01">' in page


def test_every_time_element_has_a_valid_datetime(app, auditor, visitor, runner):
    runner.invoke(args=["consent", "verify", "--jobs", "1"])
    pages = [auditor.get(path).get_data(as_text=True)
             for path in ("/audit/", f"/audit/lookup?consent_id={visitor['consent_id']}")]
    found = re.findall(r'<time datetime="([^"]+)"', "".join(pages))
    assert len(found) == 3
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", value) for value in found), found


def test_snapshot_page_links_its_json(app, auditor):
    with app.app_context():
        snapshot = site_hashes("entrack")["fi"]
    page = auditor.get(f"/audit/policies/{snapshot}/view").get_data(as_text=True)
    link = re.search(r'<dt>As JSON</dt><dd><a href="([^"]+)">', page).group(1)
    assert link == f"/audit/policies/{snapshot}"
