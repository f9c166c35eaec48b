"""Shared pieces of the auditor portal's tests: a second site, and an auditor's browser signed in."""
import re

import pytest

from consent_service.sites import DEFAULT_FILE

CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


@pytest.fixture
def app_config(tmp_path):
    """The shipped site and a second one, ``other``, configured alike."""
    shipped = DEFAULT_FILE.read_text(encoding="utf-8")
    path = tmp_path / "sites.toml"
    path.write_text(shipped + "\n" + shipped.replace("[entrack", "[other"), encoding="utf-8")
    return {"CONSENT_SITES_FILE": str(path)}


def csrf(client, path="/audit/"):
    """A CSRF token from a page of the portal."""
    return CSRF.search(client.get(path).get_data(as_text=True)).group(1)


def sign_in(client, token):
    """Sign ``client`` in through the form."""
    response = client.post("/audit/sign-in", data={"token": token, "csrf_token": csrf(client)})
    assert response.status_code == 302
    return client
