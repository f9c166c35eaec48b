"""The consent-state check's views: what a tag manager may load, from the signed token alone.

They are served by the consent-state app (``state/app.py``) in front of the main app, which answers
the usual GET itself with the same rules (``query.read_query``) and the same body.
"""
from flask import Blueprint, jsonify, request

from ..request_data import bearer_token, json_body
from . import check, cookie
from .query import read_query
from .schemas import verify_in

bp = Blueprint("state_api", __name__, url_prefix="/api/v1")
STATE_HEADERS = (("Cache-Control", "no-store"), ("Vary", "Authorization, Cookie"))


def state_response(state):
    """The JSON answer for ``state``, never cached."""
    response = jsonify(check.state_body(state))
    response.headers.extend(STATE_HEADERS)
    return response


@bp.get("/consent-state")
def get_consent_state():
    """What a tag manager may load: the token's categories, or every optional one false."""
    query = read_query(request.environ.get("QUERY_STRING", ""))
    token = (bearer_token(request.headers.get("Authorization")) or query.get("token")
             or cookie.request_token(query.get("site")))
    return state_response(check.consent_state(token, query.get("site")))


@bp.post("/consent-state/verify")
def verify_consent_state():
    """The same answer for a server-side tag manager that sends the token in a JSON body."""
    data = verify_in.load(json_body())
    return state_response(check.consent_state(data["token"], data.get("site")))
