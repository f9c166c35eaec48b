"""Never a 500 for the banner's cookie: whatever its value (a number or a boolean as the token, JSON
of another shape, broken encoding), the pages and checks that read it treat it as no consent."""
import json
from urllib.parse import quote

import pytest

from consent_service.state.cookie import token_in

ODD_VALUES = [
    json.dumps({"t": 123}), json.dumps({"t": True}), json.dumps({"t": False}), json.dumps({"t": None}),
    json.dumps({"t": 1.5e308}), json.dumps({"t": ["a"]}), json.dumps({"t": {"x": 1}}), json.dumps({"t": ""}),
    json.dumps({}), json.dumps([1, 2]), "123", "true", "null", "1e999", '"\\ud800"', "%E0%A4%A", "%00", "{",
    "a" * 3000,
]
PATHS = ["/api/v1/consent-state?site=entrack", "/api/v1/consent-state", "/my-consent?site=entrack",
         "/my-consent"]


@pytest.mark.parametrize("value", ODD_VALUES)
@pytest.mark.parametrize("path", PATHS)
def test_odd_cookie_is_no_consent(client, path, value):
    client.set_cookie("consent_entrack", quote(value, safe=""))
    response = client.get(path)
    assert response.status_code == 200
    if path.startswith("/api/"):
        body = response.get_json()
        assert body["valid"] is False
        assert body["categories"] == {"necessary": True, "analytics": False, "marketing": False}
    else:
        assert "data-rights-problem" in response.get_data(as_text=True)


@pytest.mark.parametrize("value", [{"t": 123}, {"t": True}, {"t": None}, {"t": ["x"]}])
def test_token_in_skips_what_is_not_text(value):
    assert token_in(quote(json.dumps(value))) is None


def test_a_real_token_in_the_cookie_still_counts(client, consent_body):
    token = client.post("/api/v1/consents", json=consent_body).get_json()["token"]
    client.set_cookie("consent_entrack", quote(json.dumps({"t": token}), safe=""))
    assert client.get("/api/v1/consent-state?site=entrack").get_json()["valid"] is True
