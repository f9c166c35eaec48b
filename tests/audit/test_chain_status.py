"""The chain's status as last checked: kept per site in chain_checks, shown with its time, checked again only
by "Check now" (CSRF, a site the auditor may read) or `flask consent verify`; only the audit area writes it."""
import re

import pytest
from sqlalchemy import func, select, update

from consent_service.audit import chain_status
from consent_service.audit.models import ChainCheck
from consent_service.extensions import db
from consent_service.ledger.models import ConsentRecord

from tests.support.audit import add_records, make_auditor
from tests.support.imports import ROOT
from tests.support.portal import csrf, sign_in
from tests.support.rights import app_config  # noqa: F401  (the second site, "other")

WRITES = re.compile(r"\b(?:insert|update|delete)\(\s*ChainCheck\b|(?<!class )ChainCheck\(|ChainCheck\.__table__")


@pytest.fixture
def auditor(client, app):
    return sign_in(client, make_auditor(app, "alice", ["entrack"]))


def check_now(browser, site="entrack", **form):
    return browser.post("/audit/chain-checks", data={"site": site, "csrf_token": csrf(browser), **form})


def status_of(browser, site="entrack"):
    """The text of the site's chain-status panel on the export page."""
    page = browser.get("/audit/").get_data(as_text=True)
    panel = re.search(rf'<div class="panel" id="chain-{site}">(.*?)</form>', page, re.S).group(1)
    return " ".join(re.sub(r"<[^>]+>", " ", panel).split())


def checks(app):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(ChainCheck))


def test_the_status_is_the_last_check_not_a_check_per_view(app, auditor):
    add_records(app, {}, {})
    assert "Not checked yet." in status_of(auditor)
    response = check_now(auditor, **{"from": "2026-11-01", "to": "2026-11-30"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/audit/?site=entrack&from=2026-11-01&to=2026-11-30#chain-entrack"
    status = status_of(auditor)
    assert re.search(r"Verifies: 2 stored records, head seq 2, hash [0-9a-f]{64} \. "
                     r"Checked \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC by alice\.", status), status
    add_records(app, {})
    assert "Verifies: 2 stored records" in status_of(auditor)  # as last checked
    check_now(auditor)
    assert "Verifies: 3 stored records, head seq 3" in status_of(auditor)
    assert checks(app) == 1  # one row per site, replaced


def test_a_broken_chain_is_kept_as_such(app, auditor):
    add_records(app, {}, {})
    with app.app_context():
        db.session.execute(update(ConsentRecord).where(ConsentRecord.seq == 2).values(marketing=True))
        db.session.commit()
    check_now(auditor)
    assert "Does NOT verify: record seq 2 (consent_id" in status_of(auditor)
    with app.app_context():
        check = chain_status.last_check("entrack")
        assert (check.ok, check.record_count, check.checked_by) == (False, 0, "alice")
        assert "the record was edited" in check.error


@pytest.mark.parametrize("form, status", [
    ({"site": "entrack"}, 400),                                  # no CSRF token
    ({"site": "", "csrf_token": None}, 400),                     # no site
    ({"site": "other", "csrf_token": None}, 403),                # a site alice may not read
    ({"site": "nowhere", "csrf_token": None}, 403),
])
def test_check_now_refuses(app, auditor, form, status):
    if "csrf_token" in form:
        form["csrf_token"] = csrf(auditor)
    assert auditor.post("/audit/chain-checks", data=form).status_code == status
    assert checks(app) == 0


def test_check_now_needs_a_session(app, client):
    response = client.post("/audit/chain-checks", data={"site": "entrack", "csrf_token": csrf(client)})
    assert response.status_code == 302 and checks(app) == 0


def test_the_verify_command_records_its_result(app, runner, auditor):
    add_records(app, {}, {}, {})
    add_records(app, {}, site="other")
    result = runner.invoke(args=["consent", "verify", "--jobs", "1"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        found = {key: chain_status.last_check(key) for key in ("entrack", "other")}
    assert {key: (check.ok, check.record_count, check.head_seq) for key, check in found.items()} == {
        "entrack": (True, 3, 3), "other": (True, 1, 1)}
    assert found["entrack"].checked_by.startswith("cli:")
    assert found["entrack"].checked_at.tzinfo is not None
    assert f"by {found['entrack'].checked_by}." in status_of(auditor)
    with app.app_context():
        db.session.execute(update(ConsentRecord).where(ConsentRecord.site == "other").values(action="reject_all"))
        db.session.commit()
    assert runner.invoke(args=["consent", "verify", "--site", "other", "--jobs", "1"]).exit_code == 1
    with app.app_context():
        assert chain_status.last_check("other").ok is False
        assert chain_status.last_check("entrack").ok is True


def test_only_the_audit_area_writes_the_chain_checks():
    writers = {str(path.relative_to(ROOT)) for path in ROOT.rglob("*.py") if WRITES.search(path.read_text(encoding="utf-8"))}
    assert writers == {"audit/chain_status.py"}
    assert WRITES.search("db.session.add(ChainCheck(site=key))")
    assert not WRITES.search("db.session.get(ChainCheck, site_key)")
