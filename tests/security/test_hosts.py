"""The Host header is not trusted: a request naming another host is refused (400), and the service's
own address in links, redirects, the Origin check and stored withdrawals comes from PUBLIC_URL."""
import pytest

from consent_service import create_app

from tests.support.apps import TEST_SECRET
from tests.support.records import records

PUBLIC = "https://consent.example.org"
EVIL = "evil.example"


@pytest.fixture
def app_config():
    return {"PUBLIC_URL": PUBLIC, "RATELIMIT_CONSENT": "100000 per minute"}


def as_host(client, method, path, host, **kwargs):
    return client.open(path, method=method, base_url=f"http://{host}", **kwargs)


@pytest.mark.parametrize(("method", "path"), [
    ("GET", "/"), ("GET", "/privacy/entrack"), ("GET", "/my-consent?site=entrack"), ("GET", "/audit"),
    ("GET", "/audit/"), ("GET", "/banner.js"), ("GET", "/demo"), ("POST", "/api/v1/consents"),
    ("GET", "/api/v1/consent-state/verify"), ("POST", "/my-consent/withdraw?site=entrack"),
])
@pytest.mark.parametrize("host", [EVIL, f"{EVIL}:443", "consent.example.org.evil.example", "127.0.0.2"])
def test_request_naming_another_host_is_refused(client, method, path, host):
    response = as_host(client, method, path, host, headers={"Origin": f"http://{host}"})
    assert response.status_code == 400
    assert host.split(":")[0] not in response.get_data(as_text=True)
    assert "Location" not in response.headers


def test_forged_host_and_origin_store_nothing(app, client, consent_body):
    response = as_host(client, "POST", "/api/v1/consents", EVIL, json=consent_body,
                       headers={"Origin": f"http://{EVIL}"})
    assert response.status_code == 400
    assert response.get_json()["error"] == "This service answers only to its own address (PUBLIC_URL, TRUSTED_HOSTS)."
    assert records(app) == []


@pytest.mark.parametrize("host", ["consent.example.org", "127.0.0.1", "localhost:5000"])
def test_own_and_loopback_names_are_served(client, host):
    assert as_host(client, "GET", "/privacy/entrack", host).status_code == 200


def test_only_the_public_origin_counts_as_the_service_s_own(client, consent_body):
    own = client.post("/api/v1/consents", json=consent_body, headers={"Origin": PUBLIC})
    assert own.status_code == 201
    loopback = as_host(client, "POST", "/api/v1/consents", "localhost", json=consent_body,
                       headers={"Origin": "http://localhost"})
    assert loopback.status_code == 403  # a trusted name, but not the service's origin


def test_redirects_name_only_a_trusted_host_and_links_the_public_address(client):
    slash = as_host(client, "GET", "/audit", "127.0.0.1")
    assert slash.status_code == 308 and slash.headers["Location"] == "http://127.0.0.1/audit/"
    demo = as_host(client, "GET", "/demo", "127.0.0.1").get_data(as_text=True)
    assert f"{PUBLIC}/banner.js" in demo  # the snippet to copy
    assert "127.0.0.1" not in demo


def test_back_link_to_the_service_itself_uses_the_public_origin(client):
    page = as_host(client, "GET", f"/my-consent?site=entrack&back={PUBLIC}/demo", "127.0.0.1").get_data(as_text=True)
    assert f'href="{PUBLIC}/demo"' in page
    other = as_host(client, "GET", "/my-consent?site=entrack&back=http://127.0.0.1/demo", "127.0.0.1")
    assert 'href="http://127.0.0.1/demo"' not in other.get_data(as_text=True)


def test_stored_withdrawal_page_is_the_public_address(app, client, consent_body):
    body = client.post("/api/v1/consents", json=consent_body).get_json()
    client.set_cookie("consent_entrack", body["token"], domain="127.0.0.1")
    page = as_host(client, "GET", "/my-consent?site=entrack", "127.0.0.1").get_data(as_text=True)
    csrf = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    response = as_host(client, "POST", "/my-consent/withdraw?site=entrack", "127.0.0.1",
                       data={"csrf_token": csrf, "token": body["token"]})
    assert response.status_code == 303
    assert "127.0.0.1" not in response.headers["Location"]
    withdrawal = records(app)[-1]
    assert withdrawal.action == "withdraw"
    assert withdrawal.page_url == f"{PUBLIC}/my-consent"


@pytest.mark.parametrize("url", ["consent.example.org", "ftp://consent.example.org", "https://x.example/path",
                                 "https://user@x.example", "https://x.example:99999", "https://x.example/?a=1"])
def test_public_url_must_be_an_origin(database_uri, url):
    with pytest.raises(RuntimeError, match="PUBLIC_URL must be the service's origin"):
        create_app({"TESTING": True, "SECRET_KEY": TEST_SECRET, "SQLALCHEMY_DATABASE_URI": database_uri,
                    "PUBLIC_URL": url})


class TestLocalRun:
    """Without PUBLIC_URL (``./manage.sh run``): 127.0.0.1 and localhost, and nothing else."""

    @pytest.fixture
    def app_config(self):
        return {}

    @pytest.mark.parametrize("host", ["127.0.0.1:5000", "localhost:5000", "localhost"])
    def test_local_names_work(self, client, host, consent_body):
        origin = f"http://{host}"
        response = as_host(client, "POST", "/api/v1/consents", host, json=consent_body, headers={"Origin": origin})
        assert response.status_code == 201
        assert f"{origin}/banner.js" in as_host(client, "GET", "/demo", host).get_data(as_text=True)

    def test_other_hosts_are_refused(self, client, consent_body):
        response = as_host(client, "POST", "/api/v1/consents", EVIL, json=consent_body,
                           headers={"Origin": f"http://{EVIL}"})
        assert response.status_code == 400
