"""``flask scan`` that cannot scan: bad options, Playwright not installed, no Chromium. Each exits 2 with a
message saying what to do, and never opens a page (the shipped site's origins are not on loopback)."""
import sys

import pytest

from consent_service.extensions import db
from consent_service.scanner.models import Scan


@pytest.mark.parametrize(("args", "message"), [
    (["--site", "nosuchsite"], "Unknown site 'nosuchsite'."),
    (["--site", "entrack", "--url", "https://elsewhere.example/"], "is not on the site's origins"),
    (["--site", "entrack", "--url", "ftp://www.entrack.fi/"], "is not an http(s) address"),
    (["--site", "entrack", "--url", "http://www.entrack.fi/"], "is not on the site's origins"),
    (["--site", "entrack", "--max-pages", "0"], "--max-pages is 1 to 1000"),
    (["--site", "entrack", "--jobs", "17"], "--jobs is 1 to 16"),
    (["--site", "entrack", "--max-seconds", "1"], "--max-seconds is 5 to 86400"),
])
def test_bad_options_exit_2_with_the_reason(runner, app, args, message):
    result = runner.invoke(args=["scan", *args])
    assert result.exit_code == 2
    assert message in result.stderr
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(Scan)) == 0


@pytest.mark.parametrize("args", [[], ["--format", "xml"]])
def test_usage_errors_exit_2(runner, args):
    assert runner.invoke(args=["scan", *args]).exit_code == 2


def test_without_playwright_it_says_how_to_install_it(runner, app, monkeypatch):
    for name in [name for name in sys.modules if name.startswith("consent_service.scanner.") and name.rsplit(".", 1)[1]
                 in ("crawl", "passes", "recorder", "sitemap")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "playwright.async_api", None)
    result = runner.invoke(args=["scan", "--site", "entrack", "--format", "json"])
    assert result.exit_code == 2
    assert "pip install -r requirements-scan.txt" in result.stderr
    with app.app_context():
        [scan] = db.session.scalars(db.select(Scan)).all()
        assert (scan.status, scan.exit_code) == ("failed", 2)


@pytest.fixture
def app_config():
    return {"SCANNER_CHROMIUM": "/nonexistent/chromium"}


def test_without_chromium_it_says_how_to_get_it(runner, tmp_path):
    out = tmp_path / "report.txt"
    result = runner.invoke(args=["scan", "--site", "entrack", "--out", str(out)])
    assert result.exit_code == 2
    assert "Chromium could not be started" in result.stderr and "apt-get install chromium" in result.stderr
    text = out.read_text(encoding="utf-8")
    assert text.startswith("Cookie scan of site entrack: COULD NOT SCAN\n") and "Exit code 2." in text
