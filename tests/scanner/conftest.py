"""The scanner's test setup: the fixture sites and third party (module-wide), a consent service serving
the real banner to them, and a helper that runs ``flask scan`` and reads its JSON."""
import json

import pytest

from consent_service import create_app

from tests.support.apps import app_settings, close_app
from tests.support.fixture_sites import sites_toml, start_fixtures
from tests.support.scanner_sites import SITES, THIRD_PARTY
from tests.support.servers import serving

# Short enough for tests, long enough for a shared machine whose load runs high (pages have taken 9 s).
FAST = {
    "SCANNER_NAVIGATION_TIMEOUT": 15, "SCANNER_LOAD_TIMEOUT": 10, "SCANNER_DWELL": 0.8, "SCANNER_QUIET": 0.3,
    "SCANNER_SETTLE_CAP": 3, "SCANNER_BANNER_TIMEOUT": 10,
}


@pytest.fixture(scope="module")
def fixtures():
    """The fixture sites on 127.0.0.1 (a port each) and the third party on 127.0.0.2."""
    started = start_fixtures(SITES, THIRD_PARTY)
    yield started
    started.stop()


@pytest.fixture(scope="module")
def scan_app(databases, fixtures, tmp_path_factory):
    """The consent service for the fixture sites, served on 127.0.0.1 (module-wide: scans are slow)."""
    path = tmp_path_factory.mktemp("scanner") / "sites.toml"
    path.write_text(sites_toml({key: [server.origin] for key, server in fixtures.sites.items()}), encoding="utf-8")
    app = create_app(app_settings(databases.fresh(), CONSENT_SITES_FILE=str(path), **FAST))
    with serving(app) as url:
        fixtures.addresses.service = url
        yield app
    close_app(app)


def run_scan(app, site, *args):
    """``flask scan --site SITE --format json ARGS``: ``(exit code, result document, stderr)``."""
    result = app.test_cli_runner().invoke(args=["scan", "--site", site, "--format", "json", *args])
    document = json.loads(result.stdout) if result.stdout.strip() else None
    return result.exit_code, document, result.stderr


def scan_of(scan_app, fixtures, site):
    """One scan of the fixture site ``site``, for a module's tests to read: ``(exit code, result document,
    the site's origin, the third party's origin)``."""
    code, document, _ = run_scan(scan_app, site)
    return code, document, fixtures.sites[site].origin, fixtures.third.origin


def passes(document, url):
    """The passes of page ``url`` in a result document."""
    return next(page for page in document["pages"] if page["url"] == url)["passes"]


def found(document, kind, name, when):
    """The violations of ``kind`` (cookie, storage, request) named ``name`` in pass ``when``."""
    return [item for item in document["violations"] if (item["kind"], item["name"], item["pass"]) == (kind, name, when)]
