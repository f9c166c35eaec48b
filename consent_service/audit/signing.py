"""Ed25519 signatures of chain heads and purge checkpoints.

An HMAC (itsdangerous) could be checked only by whoever holds the secret, that is by us. An Ed25519
signature is checked with a public key that the operator publishes, so an auditor can keep a signed
head and later prove what the service said, without trusting the service or its operator.
"""
import base64
import json
import logging
import os
from datetime import datetime, timezone

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from flask import current_app

from ..errors import ApiError
from ..proof import chain
from ..proof.signed_head import key_id

log = logging.getLogger(__name__)
EXTENSION = "audit_signing_key"
KEY_HELP = (
    "AUDIT_SIGNING_KEY is not set: chain heads and purge checkpoints cannot be signed. Create a key with\n"
    "  ./manage.sh flask auditor signing-key --generate\n"
    "set AUDIT_SIGNING_KEY to it, keep it secret, and publish the public key it prints."
)


def new_key_text():
    """A new private key: the base64 of a random 32-byte Ed25519 seed."""
    raw = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption())
    return base64.b64encode(raw).decode("ascii")


def parse_key(text):
    """The private key from base64 of its 32-byte seed, or from an unencrypted PEM; ValueError otherwise."""
    text = text.strip()
    if text.startswith("-----BEGIN"):
        key = serialization.load_pem_private_key(text.encode("ascii"), password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise ValueError("the PEM key is not an Ed25519 key")
        return key
    raw = base64.b64decode(text + "=" * (-len(text) % 4), altchars=b"-_" if "-" in text or "_" in text else None)
    if len(raw) != 32:
        raise ValueError("the key is not 32 bytes of base64")
    return Ed25519PrivateKey.from_private_bytes(raw)


def init_app(app):
    """Load AUDIT_SIGNING_KEY; in debug or testing without one, a random key for this process."""
    text = app.config.get("AUDIT_SIGNING_KEY") or os.environ.get("AUDIT_SIGNING_KEY")
    key = None
    if text:
        try:
            key = parse_key(text)
        except ValueError as error:
            raise RuntimeError(f"AUDIT_SIGNING_KEY is not a usable Ed25519 key: {error}") from None
    elif app.debug or app.testing:
        key = Ed25519PrivateKey.generate()
    else:
        log.warning(KEY_HELP)
    app.extensions[EXTENSION] = key


def _private_key():
    """The key, or a 404: without one configured nothing signed exists, and waiting will not make one
    (not a 503, which would tell the client to come back)."""
    key = current_app.extensions.get(EXTENSION)
    if key is None:
        raise ApiError(404, "This service has no signing key (AUDIT_SIGNING_KEY); ask its operator.")
    return key


def public_key_raw():
    """The 32 raw bytes of the public key."""
    return _private_key().public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def public_key_info():
    """The public key in the forms an auditor may need."""
    public = _private_key().public_key()
    raw = public_key_raw()
    pem = public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    return {"algorithm": "Ed25519", "key_id": key_id(raw), "public_key": base64.b64encode(raw).decode("ascii"),
            "pem": pem.decode("ascii")}


def sign(statement):
    """Sign a statement (a dict): the canonical JSON signed, the base64 signature and the key's id."""
    statement = {**statement, "signed_at": chain.format_time(datetime.now(timezone.utc))}
    payload = json.dumps(statement, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    signature = _private_key().sign(payload.encode("utf-8"))
    return {"algorithm": "Ed25519", "key_id": key_id(public_key_raw()), "payload": payload,
            "signature": base64.b64encode(signature).decode("ascii")}


def sign_bytes(data):
    """The raw 64-byte Ed25519 signature of ``data`` (a proof pack's manifest.sig: any Ed25519 tool,
    OpenSSL's ``pkeyutl -rawin`` included, checks it against the exact bytes)."""
    return _private_key().sign(data)
