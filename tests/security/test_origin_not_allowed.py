"""A decision posted from a page on an origin the site does not list: a 403 that page can read, with a
reason the banner acts on (it stops retrying), and a warning that tells the operator which origin and site."""
import logging

import pytest

FOREIGN = "https://shop.entrack.example"


def test_refusal_is_readable_by_that_origin_only_and_says_why(client, consent_body):
    response = client.post("/api/v1/consents", json=consent_body, headers={"Origin": FOREIGN})
    assert response.status_code == 403
    body = response.get_json()
    assert body["reason"] == "origin_not_allowed"
    assert FOREIGN in body["error"] and "'entrack'" in body["error"]
    assert response.headers["Access-Control-Allow-Origin"] == FOREIGN
    assert "Origin" in response.headers["Vary"]
    assert "Access-Control-Allow-Credentials" not in response.headers


def test_the_operator_sees_origin_and_site_in_the_log(client, consent_body, caplog):
    with caplog.at_level(logging.WARNING, logger="consent_service.security"):
        client.post("/api/v1/consents", json=consent_body, headers={"Origin": FOREIGN})
    [warning] = [r for r in caplog.records if r.name == "consent_service.security"]
    assert warning.levelno == logging.WARNING
    assert FOREIGN in warning.getMessage() and "'entrack'" in warning.getMessage()


@pytest.mark.parametrize(("origin", "status"), [("https://www.entrack.fi", 201), (None, 201)])
def test_allowed_origins_and_servers_are_not_warned_about(client, consent_body, caplog, origin, status):
    headers = {"Origin": origin} if origin else {}
    with caplog.at_level(logging.WARNING, logger="consent_service.security"):
        response = client.post("/api/v1/consents", json=consent_body, headers=headers)
    assert response.status_code == status
    assert "reason" not in response.get_json()
    assert not [r for r in caplog.records if r.name == "consent_service.security"]


def test_other_errors_keep_their_shape(client, consent_body):
    response = client.post("/api/v1/consents", json={**consent_body, "site": "nosuch"},
                           headers={"Origin": FOREIGN})
    assert response.status_code in (404, 422)
    assert "reason" not in response.get_json()
    assert "Access-Control-Allow-Origin" not in response.headers
