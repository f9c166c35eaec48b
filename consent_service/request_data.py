"""What a request carries, parsed in one place: its JSON body, its bearer token, its Idempotency-Key.

Views of every area call these; each either returns the value or raises ``ApiError`` with the
status and message the client can act on. Nothing here touches the database.
"""
import json

from flask import request

from .errors import ApiError

BEACON_TYPES = ("text/plain",)
IDEMPOTENCY_KEY_MAX = 128


def json_body():
    """The request body as JSON: 415 for another type, 400 when it does not parse.

    ``text/plain`` is accepted too, because ``navigator.sendBeacon`` cannot send JSON across origins
    without a preflight.
    """
    if not (request.is_json or request.mimetype in BEACON_TYPES):
        raise ApiError(415, "Send the body as JSON (Content-Type: application/json).")
    raw = request.get_data(cache=True)
    try:
        return json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ApiError(400, "The request body is not valid UTF-8.") from None
    except (ValueError, RecursionError):
        raise ApiError(400, "The request body is not valid JSON.") from None


def bearer_token(header):
    """The token of an ``Authorization: Bearer TOKEN`` header value, or None (another scheme, none)."""
    scheme, _, token = (header or "").partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


def idempotency_key():
    """The ``Idempotency-Key`` header, or None; 400 unless it is 1 to 128 visible ASCII characters."""
    key = request.headers.get("Idempotency-Key")
    if key is None:
        return None
    if not 1 <= len(key) <= IDEMPOTENCY_KEY_MAX or not (key.isascii() and key.isprintable()) or " " in key:
        raise ApiError(400, "Idempotency-Key must be 1 to 128 visible ASCII characters.")
    return key
