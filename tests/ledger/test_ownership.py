"""A consent id alone grants nothing: changing a consent needs the token given for it."""
import uuid

import pytest

from tests.support.records import records


@pytest.fixture
def victim(client, consent_body):
    return client.post("/api/v1/consents", json=consent_body, headers={"User-Agent": "Victim"}).get_json()


@pytest.fixture
def attacker(client, consent_body):
    return client.post("/api/v1/consents", json=consent_body, headers={"User-Agent": "Attacker"}).get_json()


def change(victim, consent_body, **extra):
    return {**consent_body, "consent_id": victim["consent_id"], "action": "withdraw",
            "categories": {"analytics": False, "marketing": False}, **extra}


@pytest.mark.parametrize("proof", [
    {},
    {"token": None},
    {"token": ""},
    {"token": "garbage"},
    "attacker's token",
])
def test_change_without_the_consents_token_stores_nothing(app, client, consent_body, victim, attacker, proof):
    if proof == "attacker's token":
        proof = {"token": attacker["token"]}
    before = len(records(app))
    answer = client.post("/api/v1/consents", json={k: v for k, v in change(victim, consent_body, **proof).items()
                                                   if v is not None})
    assert answer.status_code in (403, 422)
    body = answer.get_json()
    assert "token" not in body and "consent_id" not in body
    assert len(records(app)) == before


def test_unknown_id_and_someone_elses_id_answer_alike(client, consent_body, victim, attacker):
    unknown = {**consent_body, "consent_id": str(uuid.uuid4()), "token": attacker["token"]}
    others = {**consent_body, "consent_id": victim["consent_id"], "token": attacker["token"]}
    first, second = client.post("/api/v1/consents", json=unknown), client.post("/api/v1/consents", json=others)
    assert first.status_code == second.status_code == 403
    assert first.get_json() == second.get_json()


def test_a_token_of_another_site_proves_nothing(app, client, consent_body, victim):
    from consent_service.state import tokens

    with app.test_request_context():
        forged = tokens.issue(type("R", (), {"site": "other", "seq": 1, "consent_id": victim["consent_id"], "analytics": True,
                                             "marketing": True, "policy_version": "x"})())
    answer = client.post("/api/v1/consents", json=change(victim, consent_body, token=forged))
    assert answer.status_code == 403


def test_the_holder_changes_their_mind(app, client, consent_body, victim):
    answer = client.post("/api/v1/consents", json=change(victim, consent_body, token=victim["token"]))
    assert answer.status_code == 201
    assert answer.get_json()["consent_id"] == victim["consent_id"]
    assert [record.action for record in records(app, victim["consent_id"])] == ["custom", "withdraw"]


def test_the_id_alone_reads_and_erases_nothing(client, consent_body, victim, attacker):
    """The old hole: a fresh token for someone else's id, then their history and erasure."""
    stolen = client.post("/api/v1/consents", json={**consent_body, "consent_id": victim["consent_id"]})
    assert stolen.status_code == 403
    url = f"/api/v1/consents/{victim['consent_id']}"
    for method in ("get", "delete"):
        answer = getattr(client, method)(url, headers={"Authorization": f"Bearer {attacker['token']}"})
        assert answer.status_code == 403
