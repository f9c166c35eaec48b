"""The signed consent state: what a visitor carries and a tag manager checks without the database."""
import hashlib
from datetime import datetime, timedelta, timezone
from functools import cached_property, lru_cache

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, TimestampSigner, URLSafeTimedSerializer

SALT = "consent-state.v1"
# Why a token proves no current consent (the consent-state answer's ``reason``).
REASONS = ("missing", "invalid_signature", "expired", "unknown_site", "other_site", "outdated_policy",
           "superseded", "withdrawn", "erased")


class InvalidToken(Exception):
    """The token does not prove a current consent; ``reason`` says why."""

    def __init__(self, reason, payload=None):
        super().__init__(reason)
        self.reason = reason
        self.payload = payload


@lru_cache(maxsize=64)
def _derived_key(signer_class, secret_key, salt, key_derivation, digest_method):
    signer = signer_class(secret_key, salt=salt, key_derivation=key_derivation, digest_method=digest_method)
    return TimestampSigner.derive_key(signer)


class _Signer(TimestampSigner):
    """itsdangerous's signer with each derived key remembered: itsdangerous derives it (an HMAC)
    again for every token it checks, a tenth of the consent-state check's time."""

    def derive_key(self, secret_key=None):
        secret_key = self.secret_keys[-1] if secret_key is None else secret_key
        return _derived_key(TimestampSigner, secret_key, self.salt, self.key_derivation, self.digest_method)


class _Serializer(URLSafeTimedSerializer):
    """itsdangerous's serializer with its signers (one per key) built once: itsdangerous builds them
    again for every token it reads."""

    @cached_property
    def _unsigners(self):
        return tuple(super().iter_unsigners())

    def iter_unsigners(self, salt=None):
        return iter(self._unsigners) if salt is None else super().iter_unsigners(salt)


def _serializer(app=current_app):
    """Newest key signs; ``SECRET_KEY_FALLBACKS`` still verify (itsdangerous tries newest first).

    Built once per set of keys: building it costs as much as checking a token.
    """
    keys = (*app.config.get("SECRET_KEY_FALLBACKS", []), app.config["SECRET_KEY"])
    cache = app.extensions.setdefault("consent_token_serializers", {})
    serializer = cache.get(keys)
    if serializer is None:
        serializer = _Serializer(list(keys), salt=SALT, signer=_Signer,
                                 signer_kwargs={"digest_method": hashlib.sha256})
        cache[keys] = serializer
    return serializer


def issue(record):
    """A token for one stored record."""
    payload = {
        "s": record.site,
        "i": record.consent_id,
        "a": int(record.analytics),
        "m": int(record.marketing),
        "v": record.policy_version,
        "r": record.seq,
    }
    return _serializer().dumps(payload)


def read(token, sites, expected_site=None, app=current_app):
    """The verified state carried by ``token``; raise InvalidToken with a reason otherwise.

    Checks, in order: the signature, the longest lifetime of any site, the site (known, and the one
    expected), the site's own consent lifetime and its current policy version. ``seq`` is the record
    the token was issued for (None for tokens issued before it was signed in).
    """
    if not token:
        raise InvalidToken("missing")
    longest = max(site.consent_seconds for site in sites.values())
    try:
        payload, signed_at = _serializer(app).loads(token, max_age=longest, return_timestamp=True)
    except SignatureExpired:
        raise InvalidToken("expired") from None
    except BadSignature:
        raise InvalidToken("invalid_signature") from None
    if not isinstance(payload, dict) or not {"s", "i", "a", "m", "v"} <= payload.keys():
        raise InvalidToken("invalid_signature")
    site = sites.get(payload["s"])
    if site is None:
        raise InvalidToken("unknown_site", payload)
    if expected_site and payload["s"] != expected_site:
        raise InvalidToken("other_site", payload)
    expires_at = signed_at + timedelta(seconds=site.consent_seconds)
    if expires_at <= datetime.now(timezone.utc):
        raise InvalidToken("expired", payload)
    if payload["v"] != site.policy_version:
        raise InvalidToken("outdated_policy", payload)
    return {
        "seq": payload.get("r"),
        "site": site.key,
        "consent_id": payload["i"],
        "categories": {"necessary": True, "analytics": bool(payload["a"]), "marketing": bool(payload["m"])},
        "policy_version": payload["v"],
        "issued_at": signed_at,
        "expires_at": expires_at,
    }


# A token whose consent was given under an older notice still proves who holds the consent.
STILL_HOLDER = ("outdated_policy",)


def holder(token, sites, expected_site=None, app=current_app):
    """``(site, consent_id)`` of the consent that ``token`` proves its holder owns; InvalidToken if none.

    The signature must be good and the consent within its lifetime; a token issued under an older
    policy version still proves who holds the consent.
    """
    try:
        state = read(token, sites, expected_site, app)
    except InvalidToken as error:
        if error.reason not in STILL_HOLDER:
            raise
        return error.payload["s"], str(error.payload["i"])
    return state["site"], str(state["consent_id"])
