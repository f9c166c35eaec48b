"""A clean site that uses the banner properly: reported clean (exit 0); its sitemap is read; the text
report goes to --out; a second scan says what is new since the first."""
import pytest

from consent_service.extensions import db
from consent_service.scanner.models import Scan, ScanItem

from .conftest import passes, run_scan, scan_of


@pytest.fixture(scope="module")
def clean(scan_app, fixtures):
    return scan_of(scan_app, fixtures, "clean")


def test_clean_site_is_clean(clean):
    code, document, origin, _ = clean
    assert (code, document["status"], document["violations"], document["undeclared"]) == (0, "clean", [], [])
    assert document["error"] is None and document["warnings"] == []
    assert document["service_origins"] and document["service_origins"][0].startswith("http://127.0.0.1:")


def test_pages_from_links_and_the_sitemap(clean):
    _, document, origin, _ = clean
    # /team is linked from nowhere: only the sitemap names it.
    assert {page["url"] for page in document["pages"]} == {f"{origin}/", f"{origin}/contact", f"{origin}/team"}
    assert all(page["status"] != "failed" for page in document["pages"])


def test_banner_tag_first_and_consent_mode_default_first(clean):
    _, document, _, _ = clean
    for page in document["pages"]:
        checks = page["checks"]
        assert checks["banner_tag_first_in_head"] is True and checks["consent_default_first"] is True


def test_gated_analytics_runs_only_after_accept(clean):
    _, document, origin, third = clean
    home = passes(document, f"{origin}/")
    names = {kind: {cookie["name"] for cookie in home[kind]["cookies"]} for kind in home}
    assert "_ga" not in names["none"] | names["reject"]
    assert {"_ga", "_ga_ABC123", "consent_clean"} <= names["accept"]
    [ga] = [cookie for cookie in home["accept"]["cookies"] if cookie["name"] == "_ga"]
    assert ga["set_by"][0]["element"] == f'<script src="{third}/clean-analytics.js" data-consent-category="analytics">'
    assert ga["expires"] is not None and ga["party"] == "first"
    assert [request for request in home["none"]["requests"] if request["party"] == "third"] == []


def test_stale_lists_declared_cookies_never_seen(clean):
    _, document, _, _ = clean
    assert [item["name"] for item in document["stale"]] == ["_gid", "_gcl_au"]


def test_text_report_to_a_file_and_new_since_last_scan(scan_app, clean, tmp_path):
    _, first, origin, third = clean
    out = tmp_path / "report.txt"
    result = scan_app.test_cli_runner().invoke(args=["scan", "--site", "clean", "--url", f"{origin}/contact",
                                                     "--max-pages", "1", "--out", str(out)])
    assert result.exit_code == 0
    text = out.read_text(encoding="utf-8")
    assert text.startswith("Cookie scan of site clean: CLEAN\n") and "Exit code 0." in text
    # The last scan saw only /contact (no analytics there); the next one sees the home page again.
    code, latest, _ = run_scan(scan_app, "clean", "--url", f"{origin}/", "--max-pages", "1")
    assert code == 0
    new = latest["new_since_last"]
    assert new["previous_scan"] == first["scan_id"] + 1
    assert {"_ga (127.0.0.1)", "_ga_ABC123 (127.0.0.1)"} <= set(new["cookies"])
    assert new["hosts"] == [third.split("://")[1]]
    with scan_app.app_context():
        scans = db.session.scalars(db.select(Scan).where(Scan.site == "clean").order_by(Scan.id)).all()
        assert [scan.status for scan in scans] == ["clean", "clean", "clean"]
        assert scans[-1].passes_done == scans[-1].passes_total == 3
        assert db.session.scalar(db.select(db.func.count()).select_from(ScanItem)
                                 .where(ScanItem.scan_id == scans[-1].id, ScanItem.kind == "host")) == 1
