"""The ledger's logic: the only place that writes consent records."""
import contextlib
import hashlib
import ipaddress
import json
import re
import secrets
import threading
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from urllib.parse import urlsplit, urlunsplit

from flask import current_app
from sqlalchemy import bindparam, exists, insert, select, update
from sqlalchemy.exc import IntegrityError

from ..errors import RETRY_AFTER_SECONDS, ApiError
from ..extensions import db
from ..proof import chain
from . import tokens
from .group_commit import GroupCommit
from .models import ChainHead, ConsentRecord, IdempotencyKey
from .schemas import consent_out

USER_AGENT_MAX = 512
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def sites():
    """The configured sites, ``{key: Site}``."""
    return current_app.extensions["consent_sites"]


def get_site(key):
    """The site named ``key``, or a 422 naming it."""
    site = sites().get(key)
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


def clean_user_agent(value):
    """The user agent without control characters, at most 512 characters."""
    return _CONTROL.sub("", value or "")[:USER_AGENT_MAX] or None


def clean_page_url(value):
    """The page address without query string and fragment, which may carry personal data."""
    parts = urlsplit(value)
    return _CONTROL.sub("", urlunsplit((parts.scheme, parts.netloc, parts.path or "/", "", "")))


def _request_digest(data):
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()


def _replay(key, digest):
    """The first response given to ``key``, or None; a 422 when the key came with another body."""
    row = db.session.get(IdempotencyKey, key)
    if row is None:
        return None
    if row.request_digest != digest:
        raise ApiError(422, "This Idempotency-Key was already used with a different request body.")
    return json.loads(row.response)


# Built once (constructing them cost more than running them), as Core statements run on the
# session's connection: the ORM's execute machinery had doubled their cost.
_HEADS = ChainHead.__table__
_RECORDS = ConsentRecord.__table__
_ADVANCE_HEAD = (
    update(_HEADS).where(_HEADS.c.site == bindparam("head_site"))
    .values(seq=_HEADS.c.seq + 1).returning(_HEADS.c.seq, _HEADS.c.head_hash)
)
_SET_HEAD_HASH = update(_HEADS).where(_HEADS.c.site == bindparam("head_site")).values(head_hash=bindparam("new_hash"))
_INSERT_RECORD = insert(_RECORDS).returning(_RECORDS.c.id)


def _advance_head(site_key):
    """Lock the site's chain head and move it one step; return ``(seq, previous_hash)``.

    The UPDATE is the transaction's first write: it takes PostgreSQL's row lock or SQLite's write
    lock (waiting for the busy timeout), so that writers queue here and the chain never forks.
    """
    row = db.session.connection().execute(_ADVANCE_HEAD, {"head_site": site_key}).first()
    if row is None:
        try:
            with db.session.begin_nested():
                db.session.execute(insert(ChainHead).values(site=site_key, seq=0, head_hash=chain.GENESIS_HASH))
        except IntegrityError:
            pass  # another writer created it first
        row = db.session.connection().execute(_ADVANCE_HEAD, {"head_site": site_key}).first()
    return row.seq, row.head_hash


def _check_consent_id(site, consent_id):
    known = db.session.scalar(
        select(exists().where(ConsentRecord.site == site.key, ConsentRecord.consent_id == consent_id))
    )
    if not known:
        raise ApiError(422, "The request body is not valid.",
                       {"consent_id": [f"No consent {consent_id} is recorded for site {site.key!r}."]})


def append(site, fields, now=None):
    """Append one record to ``site``'s chain in the open transaction and return it (not committed).

    Writers to a site queue on its chain head from ``_advance_head`` to the commit, so everything
    that does not need the previous record (salt, personal-data digest) is done before, and the
    record is written with one plain INSERT rather than through the unit of work.
    """
    salt = secrets.token_hex(16)
    record = ConsentRecord(site=site.key, pii_salt=salt, **fields)
    record.pii_digest = chain.pii_digest(salt, record.ip_prefix, record.user_agent, record.page_url)
    record.seq, record.prev_hash = _advance_head(site.key)
    record.recorded_at = now or datetime.now(timezone.utc)
    values = record.as_chain_dict()
    record.record_hash = values["record_hash"] = chain.record_hash(values)
    del values["id"]
    connection = db.session.connection()
    record.id = connection.execute(_INSERT_RECORD, values).scalar_one()
    connection.execute(_SET_HEAD_HASH, {"head_site": site.key, "new_hash": record.record_hash})
    return record


def record_decision(data, client, idempotency_key=None):
    """Store a visitor's decision exactly once and return the response body.

    ``client`` holds ``ip``, ``user_agent`` and ``gpc`` from the request. With an idempotency key
    seen before, the first response is returned and nothing is stored.
    """
    site = get_site(data["site"])
    key = idempotency_key or data.get("idempotency_key")
    digest = _request_digest({k: v for k, v in data.items() if k != "idempotency_key"})
    if key and (first := _replay(key, digest)) is not None:
        return first, True
    consent_id = str(data.get("consent_id") or uuid.uuid4())
    if data.get("consent_id"):
        _check_consent_id(site, consent_id)
    fields = {
        "consent_id": consent_id,
        "action": data["action"],
        "necessary": True,
        "analytics": data["categories"]["analytics"],
        "marketing": data["categories"]["marketing"],
        "policy_version": data["policy_version"],
        "language": data["language"],
        "gpc": bool(client.get("gpc")),
        "page_url": clean_page_url(data["page_url"]),
        "ip_prefix": truncate_ip(client.get("ip")),
        "user_agent": clean_user_agent(client.get("user_agent")),
    }
    try:
        body = _store(site, fields, key, digest)
    except IntegrityError:
        db.session.rollback()
        if key and (first := _replay(key, digest)) is not None:
            return first, True  # a concurrent request with the same key won
        raise
    return body, False


@dataclass
class _Pending:
    """One decision waiting for its batch's commit; the leader fills in ``body`` or ``error``."""

    site: object
    fields: dict
    key: str | None
    digest: str
    body: dict | None = None
    error: Exception | None = None


_GROUP = GroupCommit()
_UNAVAILABLE = "The consent store is briefly unavailable; retry shortly."


def _store(site, fields, key, digest):
    """Store one decision, committed with this process's concurrent decisions for the site; its body."""
    item = _Pending(site, fields, key, digest)
    # End the validation reads: no connection idles in a transaction while its batch is written,
    # and a connection the database dropped meanwhile is discarded by the pool, not rolled back here.
    db.session.close()
    try:
        _GROUP.submit((id(current_app._get_current_object()), site.key), item, _write_batch)
    except TimeoutError:
        raise ApiError(503, _UNAVAILABLE, headers={"Retry-After": str(RETRY_AFTER_SECONDS)}) from None
    if item.error is not None:
        raise item.error
    if item.body is None:  # the leader was interrupted
        raise ApiError(503, _UNAVAILABLE, headers={"Retry-After": str(RETRY_AFTER_SECONDS)})
    return item.body


def _write_batch(items):
    """The leader's work: every item in one transaction; after a conflict (a repeated
    Idempotency-Key), each item in its own, so that only the repeated one fails."""
    try:
        _commit(items)
        return
    except IntegrityError as error:
        if len(items) == 1:
            items[0].error = error
            return
    except Exception as error:  # re-raised in each item's own request
        for item in items:
            item.error = error
        return
    for item in items:
        try:
            _commit([item])
        except Exception as error:
            item.error = error


def _commit(items):
    """Append the items, remember their idempotency keys, commit once."""
    with _writer_turn():
        try:
            for item in items:
                record = append(item.site, item.fields)
                item.body = response_body(item.site, record)
                if item.key:
                    db.session.add(IdempotencyKey(
                        key=item.key, request_digest=item.digest, record_id=record.id,
                        response=json.dumps(item.body), created_at=record.recorded_at))
            db.session.commit()
        except BaseException:
            db.session.rollback()  # before the next writer's turn
            for item in items:
                item.body = None
            raise


_SQLITE_WRITERS = threading.Lock()


@contextlib.contextmanager
def _writer_turn():
    """On SQLite, this process's writers take turns on a lock of their own.

    SQLite lets one writer in at a time; the others wait in its busy handler, which sleeps up to
    100 ms between tries however soon the lock is free: under load that sleep, not the work, set
    the pace. PostgreSQL's row lock wakes the next writer at once, so there is nothing to do.
    """
    if db.session.get_bind().dialect.name != "sqlite":
        yield
        return
    options = current_app.config["SQLALCHEMY_ENGINE_OPTIONS"].get("connect_args", {})
    if not _SQLITE_WRITERS.acquire(timeout=float(options.get("timeout", 15))):
        raise ApiError(503, _UNAVAILABLE, headers={"Retry-After": str(RETRY_AFTER_SECONDS)})
    try:
        yield
    finally:
        _SQLITE_WRITERS.release()


def response_body(site, record):
    """The API's view of a stored record, with a fresh token."""
    return consent_out.dump({
        "consent_id": record.consent_id,
        "categories": {"necessary": True, "analytics": record.analytics, "marketing": record.marketing},
        "action": record.action,
        "policy_version": record.policy_version,
        "recorded_at": record.recorded_at,
        "expires_at": record.recorded_at + timedelta(days=site.consent_days),
        "token": tokens.issue(record),
    })


def consent_state(token, expected_site=None, app=current_app):
    """What a tag manager may load for ``token``: fails closed, never touches the database."""
    try:
        state = tokens.read(token, app.extensions["consent_sites"], expected_site, app)
    except tokens.InvalidToken as error:
        return {
            "valid": False, "reason": error.reason, "consent_id": None, "site": expected_site,
            "categories": {"necessary": True, "analytics": False, "marketing": False},
            "policy_version": None, "issued_at": None, "expires_at": None,
        }
    return {"valid": True, **state}
