"""The auditor portal's scans: behind the audit sign-in, a scan started from the form runs in the
background with its progress on its page, then shows its report; one scan at a time; bad input refused."""
import re
from datetime import datetime, timedelta, timezone

import pytest

from consent_service.extensions import db
from consent_service.scanner.models import Scan

from tests.support.audit import bearer, make_auditor
from tests.support.waiting import wait_for

WAIT_SECONDS = 240


def csrf(client, path):
    page = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)


def signed_in(app, name, sites):
    client = app.test_client()
    token = make_auditor(app, name, sites)
    response = client.post("/audit/sign-in", data={"token": token, "csrf_token": csrf(client, "/audit/")})
    assert response.status_code == 302
    return client, token


@pytest.fixture(scope="module")
def spa_auditor(scan_app):
    return signed_in(scan_app, "sam", ["spa"])


def start(client, **fields):
    data = {"site": "spa", "urls": "", "max_pages": "3", **fields, "csrf_token": csrf(client, "/audit/scans/")}
    return client.post("/audit/scans/", data=data)


def wait_until_finished(app, scan_id):
    """The scan, once finished (bounded wait on the database)."""
    def read():
        with app.app_context():
            return db.session.get(Scan, scan_id)

    scan = wait_for(read, lambda found: found.finished, timeout=WAIT_SECONDS)
    assert scan.finished, f"scan {scan_id} did not finish within {WAIT_SECONDS} s"
    return scan


def test_pages_need_a_signed_in_auditor(scan_app):
    client = scan_app.test_client()
    assert client.get("/audit/scans/").headers["Location"] == "/audit/"
    assert client.get("/audit/scans/1").headers["Location"] == "/audit/"
    response = client.get("/audit/scans/1.json")
    assert response.status_code == 401 and response.get_json()["error"].startswith("Not signed in.")


def test_start_follow_and_read_a_scan(scan_app, spa_auditor, fixtures):
    client, token = spa_auditor
    response = start(client)
    assert response.status_code == 302
    scan_id = int(response.headers["Location"].rsplit("/", 1)[1])
    page = client.get(f"/audit/scans/{scan_id}").get_data(as_text=True)
    assert "passes done" in page and 'http-equiv="refresh"' in page
    # A second scan while this one runs is refused.
    refused = start(client)
    assert refused.status_code == 409 and f"Scan #{scan_id} of site spa is still running" in refused.get_data(as_text=True)
    scan = wait_until_finished(scan_app, scan_id)
    assert (scan.status, scan.requested_by) == ("violations", "sam")
    page = client.get(f"/audit/scans/{scan_id}").get_data(as_text=True)
    assert "http-equiv" not in page and re.search(r"\d+ violations? found\.", page)
    assert f"{fixtures.third.origin}/tracker.js" in page and "app.js" in page
    listing = client.get("/audit/scans/").get_data(as_text=True)
    assert f"#{scan_id}</a>" in listing and "violations" in listing
    document = client.get(f"/audit/scans/{scan_id}.json", headers=bearer(token)).get_json()
    assert (document["scan_id"], document["site"], document["exit_code"]) == (scan_id, "spa", 1)


@pytest.mark.parametrize(("fields", "message"), [
    ({"max_pages": "0"}, "Number must be between 1 and 1000."),
    ({"site": "leaky"}, "Not a valid choice."),
    ({"urls": "https://elsewhere.example/"}, "is not on the site&#39;s origins"),
    ({"urls": "javascript:alert(1)"}, "is not an http(s) address"),
    ({"urls": "\n".join(f"http://127.0.0.1/{number}" for number in range(21))}, "At most 20 start pages."),
])
def test_bad_input_is_refused_with_the_reason(scan_app, spa_auditor, fields, message):
    client, _ = spa_auditor
    response = start(client, **fields)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)


def test_start_without_csrf_token_is_refused(scan_app, spa_auditor):
    client, _ = spa_auditor
    response = client.post("/audit/scans/", data={"site": "spa", "max_pages": "3"})
    assert response.status_code == 400 and "CSRF token is missing" in response.get_data(as_text=True)


def test_auditors_see_only_scans_of_their_sites(scan_app, spa_auditor):
    with scan_app.app_context():
        scan_id = db.session.scalar(db.select(Scan.id).where(Scan.site == "spa").limit(1))
    assert scan_id is not None
    other, token = signed_in(scan_app, "lea", ["leaky"])
    assert other.get(f"/audit/scans/{scan_id}").status_code == 404
    assert other.get(f"/audit/scans/{scan_id}.json", headers=bearer(token)).status_code == 404
    assert f"#{scan_id}</a>" not in other.get("/audit/scans/").get_data(as_text=True)


def test_a_scan_cut_off_by_a_stop_of_the_service_does_not_block_the_next(scan_app, spa_auditor):
    client, _ = spa_auditor
    with scan_app.app_context():
        stale = Scan(site="spa", status="running", requested_by="sam", passes_done=1, passes_total=3,
                     created_at=datetime.now(timezone.utc) - timedelta(hours=2), options='{"max_seconds": 300}')
        db.session.add(stale)
        db.session.commit()
        stale_id = stale.id
    response = start(client)
    assert response.status_code == 302
    wait_until_finished(scan_app, int(response.headers["Location"].rsplit("/", 1)[1]))
    with scan_app.app_context():
        scan = db.session.get(Scan, stale_id)
        assert (scan.status, scan.exit_code) == ("failed", 2)
        assert "interrupted" in scan.result
