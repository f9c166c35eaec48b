"""The banner's first-party cookie ``consent_<site>``: read its token, write or clear its state.

Its value is ``encodeURIComponent(JSON)`` with the token under ``t``, the consent id under ``id``,
the optional categories under ``c``, the policy version under ``v`` and the time (ms) under ``ts``.
"""
import json
import time
from urllib.parse import quote, unquote

from flask import request

# What encodeURIComponent leaves as it is, so that the banner reads the value back unchanged.
URI_COMPONENT_SAFE = "-_.!~*'()"


def read_token(site):
    """The token in the site's cookie, or None when there is none or it is not the banner's JSON."""
    value = request.cookies.get(site.cookie_name)
    if not value:
        return None
    try:
        state = json.loads(unquote(value))
    except ValueError:
        return None
    token = state.get("t") if isinstance(state, dict) else None
    return token if isinstance(token, str) else None


def state_value(body):
    """The cookie value for the ledger's answer ``body`` (as POST /api/v1/consents returns it)."""
    state = {
        "t": body["token"],
        "id": body["consent_id"],
        "c": {"analytics": body["categories"]["analytics"], "marketing": body["categories"]["marketing"]},
        "v": body["policy_version"],
        "ts": int(time.time() * 1000),
    }
    return quote(json.dumps(state, separators=(",", ":")), safe=URI_COMPONENT_SAFE)


def store(response, site, body):
    """Set the site's cookie to the state in ``body``, for as long as a consent lasts."""
    response.set_cookie(
        site.cookie_name, state_value(body), max_age=site.consent_seconds, path="/",
        secure=request.is_secure, httponly=False, samesite="Lax",
    )


def clear(response, site):
    """Remove the site's cookie: the banner asks again and loads nothing meanwhile."""
    response.delete_cookie(site.cookie_name, path="/", secure=request.is_secure, samesite="Lax")
