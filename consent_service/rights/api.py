"""The visitor's rights as JSON: a consent's history and its erasure, for the holder of its token."""
from flask import Blueprint, current_app, jsonify, request

from ..errors import ApiError
from ..extensions import limiter
from ..request_data import bearer_token
from . import identity, service
from .schemas import history_out

bp = Blueprint("rights_api", __name__, url_prefix="/api/v1")
CHALLENGE = 'Bearer realm="consent", error="invalid_token"'


def _owner(consent_id):
    """The owner of ``consent_id`` proven by the Bearer token: 401 without a valid token, 403 for another's."""
    try:
        owner = identity.prove(bearer_token(request.headers.get("Authorization")))
    except identity.NotProven as error:
        raise ApiError(401, f"A valid consent token is required as a Bearer token ({error.reason}).",
                       headers={"WWW-Authenticate": CHALLENGE}) from None
    if owner.consent_id != consent_id:
        raise ApiError(403, "This token does not prove the consent being asked for.")
    return owner


def _history_response(history):
    if not history["records"]:
        raise ApiError(404, "No record of this consent is stored.")
    response = jsonify(history_out.dump(history))
    response.headers["Cache-Control"] = "no-store"
    response.vary.add("Authorization")
    return response


@bp.get("/consents/<consent_id>")
def get_history(consent_id):
    """Every record of the consent, for the holder of its token (access and portability)."""
    return _history_response(service.history(_owner(consent_id)))


@bp.delete("/consents/<consent_id>")
@limiter.limit(lambda: current_app.config["RATELIMIT_CONSENT"])
def erase(consent_id):
    """Erase the consent's personal fields and record the erasure; answer the history afterwards."""
    return _history_response(service.erase(_owner(consent_id)))
