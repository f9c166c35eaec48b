"""An auditor signs in on /audit/, chooses a site and dates, sees the count, checks the chain, downloads the
CSV, and the file verifies offline."""
from playwright.sync_api import expect

from consent_service.proof.cli import check_and_report
from tests.support.audit import add_records, make_auditor, utc


def test_auditor_downloads_a_file_that_verifies(live_server, app, page, tmp_path):
    add_records(app, {"at": utc(2026, 10, 30)}, {"at": utc(2026, 11, 1), "user_agent": "=cmd()"},
                {"at": utc(2026, 11, 2), "action": "accept_all"})
    token = make_auditor(app, "alice", ["entrack"])

    page.goto(f"{live_server}/audit/")
    page.get_by_label("Auditor token").fill("not the token")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_have_text("This token is not valid: it is unknown or was revoked.")

    page.get_by_label("Auditor token").fill(token)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("header")).to_contain_text("signed in as alice")
    cookie = next(c for c in page.context.cookies() if c["name"] == "session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax"

    page.get_by_label("Site").select_option("entrack")
    page.get_by_label("From (UTC, inclusive)").fill("2026-11-01")
    page.get_by_label("To (UTC, inclusive)").fill("2026-11-02")
    page.get_by_role("button", name="Show").click()
    expect(page.locator("#record-count")).to_have_text("2 records match.")
    expect(page.locator("#chain-entrack")).to_contain_text("Not checked yet.")
    page.get_by_role("button", name="Check now: the chain of entrack").click()
    expect(page.locator("#chain-entrack .chain-status")).to_contain_text("Verifies: 3 stored records")
    expect(page.locator("#record-count")).to_have_text("2 records match.")

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download CSV").click()
    download = download_info.value
    assert download.suggested_filename.startswith("consents-entrack-")
    path = tmp_path / download.suggested_filename
    download.save_as(path)
    lines = []
    assert check_and_report(str(path), out=lines.append) == 0, lines
    assert "2 rows, every row's hash verifies" in lines[0]
    assert "'=cmd()" in path.read_text(encoding="utf-8")
