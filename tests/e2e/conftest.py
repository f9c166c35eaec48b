"""Browser tests: pytest-playwright driving Debian's Chromium against a live server."""
import pytest

from consent_service.sites import DEFAULT_FILE

from tests.support.servers import serving

from .banner_pages import NAMED_HOST, SHIPPED_ORIGINS, HostPages

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """Debian's Chromium: Playwright cannot download its own browsers here."""
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


def pytest_collection_modifyitems(items):
    for item in items:
        if "/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def base_url():
    """No base URL: tests navigate to their live server's address (replaces pytest-base-url's)."""
    return None


@pytest.fixture
def host():
    """Plain pages on another origin (another port of 127.0.0.1) than the consent service."""
    pages = HostPages()
    with serving(pages) as origin:
        pages.origin = origin
        yield pages


@pytest.fixture
def sites_toml(host):
    """The shipped sites file with the host pages' origin allowed; tests may change more of it."""
    text = DEFAULT_FILE.read_text(encoding="utf-8")
    assert SHIPPED_ORIGINS in text
    return text.replace(SHIPPED_ORIGINS, f'origins = ["https://www.entrack.fi", "{host.origin}", "{NAMED_HOST}"]')
