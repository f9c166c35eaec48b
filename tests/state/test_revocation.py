"""A withdrawal takes effect for every token: once a consent has a later record, its earlier tokens
answer ``valid: false`` with why, on this instance at once and on every other within 5 s."""
import json
import time
import urllib.request

import pytest

from tests.support.servers import service_env
from tests.support.waiting import wait_for

GRANT = {"analytics": True, "marketing": True}
REFUSE = {"analytics": False, "marketing": False}


def state(client, token):
    return client.get("/api/v1/consent-state", headers={"Authorization": f"Bearer {token}"}).get_json()


def change(client, consent_body, earlier, action, categories):
    answer = client.post("/api/v1/consents", json={**consent_body, "consent_id": earlier["consent_id"],
                                                    "token": earlier["token"], "action": action,
                                                    "categories": categories})
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()


@pytest.fixture
def first(client, consent_body):
    return client.post("/api/v1/consents", json=consent_body).get_json()


@pytest.mark.parametrize(("action", "categories", "reason"), [
    ("accept_all", GRANT, "superseded"),
    ("custom", {"analytics": False, "marketing": True}, "superseded"),
    ("withdraw", REFUSE, "withdrawn"),
    ("reject_all", REFUSE, "superseded"),
])
def test_earlier_token_refused_newest_valid(client, consent_body, first, action, categories, reason):
    assert state(client, first["token"])["valid"] is True
    newest = change(client, consent_body, first, action, categories)
    old = state(client, first["token"])
    assert old["valid"] is False and old["reason"] == reason
    assert old["categories"] == {"necessary": True, "analytics": False, "marketing": False}
    current = state(client, newest["token"])
    assert current["valid"] is True and current["categories"] == {"necessary": True, **categories}


def test_every_token_refused_after_erasure(client, consent_body, first):
    second = change(client, consent_body, first, "accept_all", GRANT)
    erased = client.delete(f"/api/v1/consents/{first['consent_id']}",
                           headers={"Authorization": f"Bearer {second['token']}"})
    assert erased.status_code == 200
    for token in (first["token"], second["token"]):
        assert (state(client, token)["valid"], state(client, token)["reason"]) == (False, "erased")


def test_the_verify_endpoint_and_the_query_agree(client, consent_body, first):
    change(client, consent_body, first, "withdraw", REFUSE)
    by_body = client.post("/api/v1/consent-state/verify", json={"token": first["token"]}).get_json()
    by_query = client.get("/api/v1/consent-state", query_string={"token": first["token"]}).get_json()
    assert by_body == by_query and by_body["reason"] == "withdrawn"


def test_other_consents_are_untouched(client, consent_body, first):
    other = client.post("/api/v1/consents", json=consent_body).get_json()
    change(client, consent_body, first, "withdraw", REFUSE)
    assert state(client, other["token"])["valid"] is True


def test_another_instance_learns_within_five_seconds(app, client, consent_body, first, make_app):
    """Two apps on one database, as two instances: the withdrawal on one reaches the other's check."""
    other_client = make_app(REVOCATION_POLL_SECONDS=0.2).test_client()
    assert state(other_client, first["token"])["valid"] is True  # starts its refresher
    change(client, consent_body, first, "withdraw", REFUSE)
    started = time.monotonic()
    answer = wait_for(lambda: state(other_client, first["token"]), lambda found: not found["valid"], timeout=5)
    assert answer["reason"] == "withdrawn" and time.monotonic() - started < 5


def test_a_restarted_instance_knows_older_supersessions(client, consent_body, first, make_app):
    change(client, consent_body, first, "accept_all", GRANT)
    fresh_client = make_app(REVOCATION_POLL_SECONDS=0.2).test_client()
    state(fresh_client, first["token"])
    answer = wait_for(lambda: state(fresh_client, first["token"]), lambda found: not found["valid"], timeout=5)
    assert answer["reason"] == "superseded"


def _http(url, method="GET", body=None, token=None):
    request = urllib.request.Request(url, method=method, data=json.dumps(body).encode() if body else None,
                                     headers={"Content-Type": "application/json",
                                              **({"Authorization": f"Bearer {token}"} if token else {})})
    with urllib.request.urlopen(request, timeout=10) as answer:
        return json.loads(answer.read())


@pytest.mark.slow
def test_two_gunicorn_instances_withdraw_on_one_refused_on_the_other(gunicorn, database_uri, consent_body):
    env = service_env(database_uri)
    one, two = gunicorn(env, workers=2, threads=2), gunicorn(env, workers=2, threads=2)
    first = _http(one.url + "/api/v1/consents", "POST", consent_body)
    for _ in range(4):  # every worker of the second instance has answered once, so each refreshes
        assert _http(two.url + "/api/v1/consent-state", token=first["token"])["valid"] is True
    newest = _http(one.url + "/api/v1/consents", "POST", {**consent_body, "consent_id": first["consent_id"],
                                                         "token": first["token"], "action": "withdraw",
                                                         "categories": REFUSE})
    started = time.monotonic()
    answers = wait_for(lambda: [_http(two.url + "/api/v1/consent-state", token=first["token"]) for _ in range(4)],
                       lambda found: all(a.get("reason") == "withdrawn" for a in found), timeout=5)
    assert [a.get("reason") for a in answers] == ["withdrawn"] * 4
    assert time.monotonic() - started < 5
    assert _http(two.url + "/api/v1/consent-state", token=newest["token"])["valid"] is True
