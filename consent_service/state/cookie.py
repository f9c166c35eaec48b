"""The banner's first-party cookie ``consent_<site>``: its one format, read and written here.

Its value is ``encodeURIComponent(JSON)`` with the token under ``t``, the consent id under ``id``,
the optional categories under ``c``, the policy version under ``v`` and the time (ms) under ``ts``
(``static/banner/storage.js`` writes the same).
"""
import json
import time
from urllib.parse import quote, unquote

from flask import request

PREFIX = "consent_"
# What encodeURIComponent leaves as it is, so that the banner reads the value back unchanged.
URI_COMPONENT_SAFE = "-_.!~*'()"


def cookie_name(site_key):
    """The name of the site's consent cookie."""
    return PREFIX + site_key


def token_in(value):
    """The token a cookie value carries: ``t`` of the banner's JSON, or a bare token; None when the
    value is empty or its ``t`` is not text (a number, a boolean: nothing to check)."""
    if not value:
        return None
    try:
        state = json.loads(unquote(value))
    except ValueError:
        return value
    if isinstance(state, dict):
        token = state.get("t")
        return token if isinstance(token, str) and token else None
    return value if isinstance(state, str) else None


def request_token(site_key=None):
    """The token of the request's consent cookie for ``site_key``, or of the first consent cookie."""
    names = [cookie_name(site_key)] if site_key else [name for name in request.cookies if name.startswith(PREFIX)]
    for name in names:
        token = token_in(request.cookies.get(name))
        if token:
            return token
    return None


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
        cookie_name(site.key), state_value(body), max_age=site.consent_seconds, path="/",
        secure=request.is_secure, httponly=False, samesite="Lax",
    )


def clear(response, site):
    """Remove the site's cookie: the banner asks again and loads nothing meanwhile."""
    response.delete_cookie(cookie_name(site.key), path="/", secure=request.is_secure, samesite="Lax")
