"""What a tag manager may load for a token: from its signature alone, never from the database."""
from flask import current_app

from ..sites import configured_sites
from . import tokens
from .revocations import revocations_of

REFUSED = {"necessary": True, "analytics": False, "marketing": False}


def refused(reason, expected_site=None):
    """The answer that loads nothing: every optional category false, and why."""
    return {
        "valid": False, "reason": reason, "consent_id": None, "site": expected_site, "categories": dict(REFUSED),
        "policy_version": None, "issued_at": None, "expires_at": None,
    }


def consent_state(token, expected_site=None, app=current_app):
    """What a tag manager may load for ``token``: fails closed, never touches the database.

    A token whose consent was changed since (a later record stored, here or on another instance)
    answers why: ``superseded``, ``withdrawn`` or ``erased`` (``revocations.py``).
    """
    try:
        state = tokens.read(token, configured_sites(app), expected_site, app)
    except tokens.InvalidToken as error:
        return refused(error.reason, expected_site)
    revoked = revocations_of(app)
    revoked.ensure_running()
    reason = revoked.reason(state["site"], state["consent_id"], state.pop("seq"))
    if reason is not None:
        return refused(reason, expected_site)
    return {"valid": True, **state}


def state_body(state):
    """The state as ``ConsentStateSchema`` documents it; built by hand because this answer sits in
    front of every tracker on every page view (marshmallow's dump cost a fifth of the request)."""
    body = {**state}
    for name in ("issued_at", "expires_at"):
        body[name] = state[name].isoformat() if state[name] is not None else None
    return body
