"""Hypothesis: a consent token says exactly what was stored, and any change to it fails closed."""
import base64
import re
import string
from types import SimpleNamespace

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from consent_service.state import tokens
from consent_service.state.query import TOKEN_PATTERN

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
CONSENT_IDS = st.uuids().map(str)
POLICY = "2026-11-01"


@pytest.fixture
def app_sites(app):
    """The configured sites, inside an app context (token signing reads the app's keys)."""
    with app.app_context():
        yield app.extensions["consent_sites"]


def record(consent_id, analytics, marketing, policy=POLICY, site="entrack"):
    return SimpleNamespace(site=site, seq=1, consent_id=consent_id, analytics=analytics, marketing=marketing,
                           policy_version=policy)


@SETTINGS
@given(consent_id=CONSENT_IDS, analytics=st.booleans(), marketing=st.booleans())
def test_token_round_trip(app_sites, consent_id, analytics, marketing):
    state = tokens.read(tokens.issue(record(consent_id, analytics, marketing)), app_sites, "entrack")
    assert state["consent_id"] == consent_id
    assert state["categories"] == {"necessary": True, "analytics": analytics, "marketing": marketing}
    assert state["policy_version"] == POLICY
    assert state["expires_at"] > state["issued_at"]


@SETTINGS
@given(consent_id=CONSENT_IDS, analytics=st.booleans(), marketing=st.booleans(), data=st.data())
def test_any_changed_character_fails_closed(app_sites, consent_id, analytics, marketing, data):
    token = tokens.issue(record(consent_id, analytics, marketing))
    position = data.draw(st.integers(0, len(token) - 1))
    replacement = data.draw(st.sampled_from("ABCDEFabcdef0123456789-_."))
    assume(replacement != token[position])
    tampered = token[:position] + replacement + token[position + 1:]
    try:
        state = tokens.read(tampered, app_sites, "entrack")
    except tokens.InvalidToken as error:
        assert error.reason in ("invalid_signature", "expired")
        return
    # base64 padding bits: a different text that decodes to the same bytes is the same token.
    assert state == tokens.read(token, app_sites, "entrack")


@SETTINGS
@given(consent_id=CONSENT_IDS, analytics=st.booleans(), marketing=st.booleans())
def test_forged_payload_with_old_signature_fails(app_sites, consent_id, analytics, marketing):
    token = tokens.issue(record(consent_id, False, False))
    payload, rest = token.split(".", 1)
    forged = base64.urlsafe_b64encode(
        f'{{"s":"entrack","i":"{consent_id}","a":1,"m":1,"v":"{POLICY}"}}'.encode()).decode().rstrip("=")
    with pytest.raises(tokens.InvalidToken) as error:
        tokens.read(f"{forged}.{rest}", app_sites, "entrack")
    assert error.value.reason == "invalid_signature"


@SETTINGS
@given(garbage=st.text(max_size=300))
def test_arbitrary_text_is_never_a_valid_token(app_sites, garbage):
    with pytest.raises(tokens.InvalidToken):
        tokens.read(garbage, app_sites, "entrack")


@SETTINGS
@given(garbage=st.text(min_size=1, max_size=300) | st.text(string.ascii_letters + string.digits + "-_.", min_size=1,
                                                           max_size=300), in_header=st.booleans())
def test_consent_state_fails_closed_on_any_token(client, garbage, in_header):
    """Never valid: 200 with every optional category false, or, for a query token with a character no
    token has, a 422."""
    if in_header:
        garbage = garbage.encode("ascii", "ignore").decode().replace("\r", "").replace("\n", "") or "x"
        response = client.get("/api/v1/consent-state", headers={"Authorization": f"Bearer {garbage}"})
    else:
        response = client.get("/api/v1/consent-state", query_string={"token": garbage})
        if not re.fullmatch(TOKEN_PATTERN, garbage):
            assert response.status_code == 422 and list(response.get_json()["messages"]) == ["token"]
            return
    assert response.status_code == 200
    body = response.get_json()
    assert body["valid"] is False
    assert body["categories"] == {"necessary": True, "analytics": False, "marketing": False}


def test_token_from_another_key_is_refused(app, app_sites):
    token = tokens.issue(record("0d6f4b55-1f7e-4e8e-a5b0-5e0b8f1b7a11", True, True))
    app.config["SECRET_KEY"] = "k" * 64
    with pytest.raises(tokens.InvalidToken) as error:
        tokens.read(token, app_sites, "entrack")
    assert error.value.reason == "invalid_signature"
