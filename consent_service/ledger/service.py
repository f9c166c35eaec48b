"""The ledger's operations: the only way consent records are written (through ``writer``).

A visitor's decision, a change of mind (proven by the consent's token), a withdrawal, an erasure
and the purge of an old prefix of a chain all come here; the rights and audit areas call these.
"""
import hashlib
import ipaddress
import json
import re
import uuid
from datetime import timedelta
from functools import lru_cache
from urllib.parse import urlsplit, urlunsplit

from sqlalchemy.exc import IntegrityError

from .. import policies
from ..errors import ApiError
from ..extensions import db
from ..sites import configured_sites, find_site
from ..state import tokens
from . import writer
from .models import IdempotencyKey

USER_AGENT_MAX = 512
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
NOT_YOURS = "This consent_id can be changed only with its token: send the token given for it as `token`."


def get_site(key):
    """The site named ``key``, or a 422 naming it."""
    site = find_site(key)
    if site is None:
        raise ApiError(422, "The request body is not valid.", {"site": [f"Unknown site {key!r}."]})
    return site


def truncate_ip(address):
    """The network of ``address``: IPv4 to /24, IPv6 to /48. The full address is never kept."""
    try:
        ip = ipaddress.ip_address((address or "").split("%")[0])
    except ValueError:
        return None
    if ip.version == 6 and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    prefix = 24 if ip.version == 4 else 48
    return str(ipaddress.ip_network(f"{ip}/{prefix}", strict=False))


@lru_cache(maxsize=1024)
def clean_user_agent(value):
    """The user agent without control characters, at most 512 characters. Remembered for the few agents
    that post most decisions (what it keeps is stored with each record anyway; addresses and page
    addresses with their query strings are not remembered)."""
    return _CONTROL.sub("", value or "")[:USER_AGENT_MAX] or None


def clean_page_url(value):
    """The page address without query string and fragment, which may carry personal data."""
    parts = urlsplit(value)
    return _CONTROL.sub("", urlunsplit((parts.scheme, parts.netloc, parts.path or "/", "", "")))


def _request_digest(data):
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()


def _replay(key, digest):
    """The first response given to ``key``, or None; a 409 when the key came with another body (the body
    is well-formed: it conflicts with what the key already stands for)."""
    row = db.session.get(IdempotencyKey, key)
    if row is None:
        return None
    if row.request_digest != digest:
        raise ApiError(409, "This Idempotency-Key was already used with a different request body.")
    return json.loads(row.response)


def policy_snapshot(site, language, snapshot_hash=None):
    """``(hash, snapshot to store or None)`` of the texts the visitor was shown: the snapshot the banner
    names, which must be one of this site and language (current or stored earlier); without one, the
    texts the service serves now. A 409 for a well-formed hash that the service does not know: it conflicts
    with the site's texts, served and stored."""
    current = policies.current_snapshot(site.key, language)
    if snapshot_hash is None or snapshot_hash == current.hash:
        return current.hash, current
    if not policies.known_snapshot(snapshot_hash, site.key, language):
        raise ApiError(409, "The policy snapshot is not known.", {"policy_hash": [
            f"No policy snapshot {snapshot_hash} of site {site.key!r} in language {language!r} is known: "
            "send the hash that banner.js gave for the texts shown, or leave it out for the current texts."]})
    return snapshot_hash, None


def check_holder(site, consent_id, token):
    """Nothing, when ``token`` proves that its holder owns ``consent_id`` on ``site``; else a 403 that
    is the same whether the consent exists or not (an id alone grants nothing and reveals nothing)."""
    try:
        held = tokens.holder(token, configured_sites(), site.key)
    except tokens.InvalidToken:
        held = None
    if held != (site.key, consent_id):
        raise ApiError(403, NOT_YOURS, {"token": ["Missing, or not a token of this consent_id."]})


def record_decision(data, client, idempotency_key=None):
    """Store a visitor's decision exactly once and return ``(body, replayed)``.

    ``client`` holds ``ip``, ``user_agent`` and ``gpc`` from the request. A decision for an existing
    ``consent_id`` needs that consent's token in ``token``. With an idempotency key seen before,
    the first response is returned and nothing is stored.
    """
    site = get_site(data["site"])
    key = idempotency_key or data.get("idempotency_key")
    digest = key and _request_digest({k: v for k, v in data.items() if k != "idempotency_key"})
    if key and (first := _replay(key, digest)) is not None:
        return first, True
    consent_id = str(data.get("consent_id") or uuid.uuid4())
    if data.get("consent_id"):
        check_holder(site, consent_id, data.get("token"))
    policy_hash, snapshot = policy_snapshot(site, data["language"], data.get("policy_hash"))
    fields = {
        "consent_id": consent_id,
        "action": data["action"],
        "necessary": True,
        "analytics": data["categories"]["analytics"],
        "marketing": data["categories"]["marketing"],
        "policy_version": data["policy_version"],
        "policy_hash": policy_hash,
        "language": data["language"],
        "gpc": bool(client.get("gpc")),
        "page_url": clean_page_url(data["page_url"]),
        "ip_prefix": truncate_ip(client.get("ip")),
        "user_agent": clean_user_agent(client.get("user_agent")),
        "supersedes": bool(data.get("consent_id")),
    }
    item = writer.Pending(site.key, fields, lambda record: response_body(site, record), key, digest,
                          snapshot=snapshot)
    try:
        return writer.submit(item), False
    except IntegrityError:
        db.session.rollback()
        if key and (first := _replay(key, digest)) is not None:
            return first, True  # a concurrent request with the same key won
        raise


def erase(site, consent_id, language):
    """Append an erasure record (which also withdraws) and blank the personal fields and salt of
    every record of the consent, in one transaction; return the erasure record. It points at no policy
    snapshot: no banner was shown for it."""
    fields = {
        "consent_id": consent_id, "action": "erase", "necessary": True, "analytics": False,
        "marketing": False, "policy_version": site.policy_version, "policy_hash": None, "language": language,
        "gpc": False,
        "page_url": None, "ip_prefix": None, "user_agent": None, "supersedes": True,
    }
    item = writer.Pending(site.key, fields, lambda record: {}, erase=True)
    writer.submit(item)
    return item.record


def purge_prefix(site_key, last_seq, checkpoint):
    """Delete the site's records up to ``last_seq``, keeping the signed ``checkpoint``; the count."""
    return writer.delete_prefix(site_key, last_seq, checkpoint)


def response_body(site, record):
    """The API's view of a stored record, with a fresh token: ``consent_out``'s fields, made directly
    (its dump cost as much as signing the token; ``tests/ledger/test_response_body.py`` holds them equal)."""
    recorded_at = record.recorded_at
    return {
        "consent_id": str(record.consent_id),
        "categories": {"necessary": True, "analytics": bool(record.analytics), "marketing": bool(record.marketing)},
        "action": str(record.action),
        "policy_version": str(record.policy_version),
        "recorded_at": recorded_at.isoformat(),
        "expires_at": (recorded_at + timedelta(days=site.consent_days)).isoformat(),
        "token": tokens.issue(record),
    }
