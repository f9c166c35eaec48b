"""The ledger's JSON API: thin views that parse, call the service and dump."""
from flask import Blueprint, current_app, jsonify, request

from ..database_outage import require_database
from ..errors import ApiError
from ..extensions import limiter
from ..hosts import own_origin
from ..request_data import idempotency_key, json_body
from ..security import OriginNotAllowed
from . import service
from .schemas import consent_in

bp = Blueprint("ledger_api", __name__, url_prefix="/api/v1")


def check_origin(site):
    """A browser's Origin must be one of the site's, or this service's own."""
    origin = request.headers.get("Origin")
    if origin is None or origin == own_origin() or origin in site.origins:
        return
    raise OriginNotAllowed(origin, site.key)


@bp.post("/consents")
@limiter.limit(lambda: current_app.config["RATELIMIT_CONSENT"])
def post_consent():
    """Record a visitor's decision once; answer it with a signed token (201)."""
    data = consent_in.load(json_body())
    site = service.get_site(data["site"])
    check_origin(site)
    header_key = idempotency_key()
    if header_key and data.get("idempotency_key") not in (None, header_key):
        raise ApiError(409, "The Idempotency-Key header and idempotency_key field differ.")
    require_database()  # while the database is away: 503 at once, no queueing for the writer
    client = {
        "ip": request.remote_addr,
        "user_agent": request.headers.get("User-Agent"),
        "gpc": request.headers.get("Sec-GPC", "").strip() == "1",
    }
    body, replayed = service.record_decision(data, client, header_key)
    response = jsonify(body)
    response.status_code = 201
    if replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return response
