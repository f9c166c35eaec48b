"""The consent-state check: what a tag manager may load, from the signed token alone.

Every page view of a customer's site asks it, so it is served by a small app of its own
(``consent_service/state_app.py``) in front of the main one; the main app registers the same
blueprint, so that its URL map and the API document list these paths.
"""
import json
from urllib.parse import unquote

from flask import Blueprint, jsonify, request

from ..security import bearer_token
from . import service
from .api import json_body
from .schemas import consent_state_query, verify_in

bp = Blueprint("state_api", __name__, url_prefix="/api/v1")
STATE_QUERY_LIMITS = {"site": 40, "token": 1024}  # as in ConsentStateQuerySchema


def _cookie_token(site_key):
    """The token from the banner's cookie (URL-encoded JSON with the token under ``t``)."""
    names = [f"consent_{site_key}"] if site_key else [n for n in request.cookies if n.startswith("consent_")]
    for name in names:
        value = request.cookies.get(name)
        if not value:
            continue
        try:
            return json.loads(unquote(value)).get("t")
        except (ValueError, AttributeError):
            return value
    return None


STATE_HEADERS = (("Cache-Control", "no-store"), ("Vary", "Authorization, Cookie"))


def state_body(state):
    """The state as ``ConsentStateSchema`` documents it; built by hand because this answer sits in
    front of every tracker on every page view (marshmallow's dump cost a fifth of the request)."""
    body = {**state}
    for name in ("issued_at", "expires_at"):
        body[name] = state[name].isoformat() if state[name] is not None else None
    return body


def _state_response(state):
    response = jsonify(state_body(state))
    response.headers.extend(STATE_HEADERS)
    return response


def _state_query():
    """The query of a consent-state check: the usual ``site``/``token`` checked inline (this check
    runs on every page view), anything else through the schema and its error messages."""
    args = request.args.to_dict()
    if args.keys() <= STATE_QUERY_LIMITS.keys() and all(
            1 <= len(value) <= STATE_QUERY_LIMITS[name] for name, value in args.items()):
        return args
    return consent_state_query.load(args)


@bp.get("/consent-state")
def get_consent_state():
    """What a tag manager may load: the token's categories, or every optional one false."""
    query = _state_query()
    token = bearer_token(request.headers.get("Authorization")) or query.get("token") or _cookie_token(query.get("site"))
    return _state_response(service.consent_state(token, query.get("site")))


@bp.post("/consent-state/verify")
def verify_consent_state():
    """The same answer for a server-side tag manager that sends the token in a JSON body."""
    data = verify_in.load(json_body())
    return _state_response(service.consent_state(data["token"], data.get("site")))
