"""Nothing depends on the first customer: every page and the API work for a sites file with two
other sites (``alpha`` and ``beta``, configured like the shipped one)."""
import pytest

from consent_service.sites import DEFAULT_FILE


@pytest.fixture
def app_config(tmp_path):
    shipped = DEFAULT_FILE.read_text(encoding="utf-8")
    path = tmp_path / "sites.toml"
    path.write_text(shipped.replace("[entrack", "[alpha") + "\n" + shipped.replace("[entrack", "[beta"),
                    encoding="utf-8")
    return {"CONSENT_SITES_FILE": str(path)}


@pytest.mark.parametrize("path", [
    "/", "/demo", "/demo?site=beta", "/privacy/alpha", "/privacy/beta", "/my-consent?site=beta",
    "/banner.js", "/banner.js?site=alpha", "/api/v1/openapi.json", "/audit/", "/favicon.ico",
])
def test_pages_answer(client, path):
    assert client.get(path).status_code == 200


def test_demo_of_an_unknown_site_is_404(client):
    assert client.get("/demo?site=entrack").status_code == 404


def test_demo_embeds_the_chosen_sites_banner(client):
    assert 'data-site="beta"' in client.get("/demo?site=beta").get_data(as_text=True)


def test_api_document_names_each_sites_cookie(client):
    schemes = client.get("/api/v1/openapi.json").get_json()["components"]["securitySchemes"]
    cookies = {scheme["name"] for scheme in schemes.values() if scheme.get("in") == "cookie"}
    assert cookies == {"consent_alpha", "consent_beta"}


def test_decision_and_state_on_another_site(client, consent_body):
    decision = client.post("/api/v1/consents", json={**consent_body, "site": "beta"}).get_json()
    answer = client.get("/api/v1/consent-state", query_string={"site": "beta", "token": decision["token"]})
    assert answer.get_json()["valid"] is True
    assert client.post("/api/v1/consents", json=consent_body).status_code == 422  # entrack is not configured
