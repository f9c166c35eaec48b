"""Shared pieces of the visitor-rights tests: a second site, and a visitor's decisions."""
import pytest

from consent_service.sites import DEFAULT_FILE


@pytest.fixture
def app_config(tmp_path):
    """The shipped site and a second one, ``other``, configured alike."""
    shipped = DEFAULT_FILE.read_text(encoding="utf-8")
    path = tmp_path / "sites.toml"
    path.write_text(shipped + "\n" + shipped.replace("[entrack", "[other"), encoding="utf-8")
    return {"CONSENT_SITES_FILE": str(path)}


def decide(client, body, *, user_agent, address, **changes):
    """Post one decision from a visitor with this user agent and address; its 201 answer."""
    answer = client.post("/api/v1/consents", json={**body, **changes},
                         headers={"User-Agent": user_agent}, environ_base={"REMOTE_ADDR": address})
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()
