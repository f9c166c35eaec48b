"""A chain head signed by the service (Ed25519), compared with a checked file.

Only this module needs a package outside the standard library: ``cryptography``, for Ed25519. It is
imported when a head is checked, so that checking a file alone needs nothing installed.
"""
import base64
import hashlib
import json

from .checking import ChainBreak

CRYPTOGRAPHY_MISSING = (
    "checking a signed head needs the cryptography package, which this Python lacks. Install it "
    "(python3 -m pip install cryptography, or your system's package, e.g. apt install python3-cryptography) "
    "and run again (note: python3 -I ignores packages installed with pip --user); or check the file without "
    "--head, and the head's signature with openssl, as the auditors' guide shows."
)


class CryptographyMissing(Exception):
    """The ``cryptography`` package cannot be imported; the message says how to get it."""

    def __init__(self):
        super().__init__(CRYPTOGRAPHY_MISSING)


def _ed25519():
    """The maintained Ed25519 implementation (the ``cryptography`` package), needed for signed heads only."""
    try:
        from cryptography.exceptions import InvalidSignature
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
        from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat, load_pem_public_key
    except ImportError:
        raise CryptographyMissing() from None
    return InvalidSignature, Ed25519PublicKey, load_pem_public_key, (Encoding.Raw, PublicFormat.Raw)


def require_ed25519():
    """Raise CryptographyMissing now, before a long file check, if a head could not be checked after it."""
    _ed25519()


def key_id(raw_public_key):
    """The short name of a public key: the first 16 hex digits of its SHA-256."""
    return hashlib.sha256(raw_public_key).hexdigest()[:16]


def decode_public_key(text):
    """A raw 32-byte Ed25519 public key from base64 or from a PEM (SubjectPublicKeyInfo) block."""
    _, public_key_class, load_pem_public_key, raw_format = _ed25519()
    text = text.strip()
    if text.startswith("-----BEGIN"):
        key = load_pem_public_key(text.encode("ascii"))
        if not isinstance(key, public_key_class):
            raise ValueError("not an Ed25519 public key")
        return key.public_bytes(*raw_format)  # public_bytes_raw() needs cryptography 40; Debian 12 has 38
    raw = base64.b64decode(text, validate=True)
    if len(raw) != 32:
        raise ValueError("an Ed25519 public key has 32 bytes")
    return raw


def ed25519_verify(public_key, message, signature):
    """True when ``signature`` is the Ed25519 signature of ``message`` by the raw ``public_key``."""
    invalid_signature, public_key_class, *_ = _ed25519()
    try:
        public_key_class.from_public_bytes(public_key).verify(signature, message)
    except (invalid_signature, ValueError):
        return False
    return True


def head_seq(signed_head):
    """``(site, seq)`` of the statement in a head saved from /audit/chain-head (its signature not yet
    checked): the row that ``check_head`` will compare; ChainBreak if the head is unusable."""
    try:
        claims = json.loads(signed_head.get("signed", signed_head)["payload"])
        return claims["site"], claims["seq"]
    except (AttributeError, KeyError, TypeError, ValueError) as error:
        raise ChainBreak(f"the signed head is not usable: {error}") from None


def check_head(signed_head, public_key, runs, found):
    """Check the service's signed chain head against the checked file (``runs`` and the ``found`` row
    and hash of the head's seq); return a line saying what was proved, or raise ChainBreak."""
    signed = signed_head.get("signed", signed_head)
    try:
        key = decode_public_key(public_key)
        good = ed25519_verify(key, signed["payload"].encode("utf-8"), base64.b64decode(signed["signature"]))
        statement = json.loads(signed["payload"])
    except (KeyError, TypeError, ValueError) as error:
        raise ChainBreak(f"the signed head is not usable: {error}") from None
    if not good:
        raise ChainBreak("the chain head's signature does not verify with this public key")
    site, seq = statement["site"], statement["seq"]
    run = runs.get(site)
    if run is None:
        raise ChainBreak(f"the file has no rows of site {site}, whose head is signed")
    if found.get((site, seq)) is None:
        raise ChainBreak(f"the file has no row of site {site} at the signed head's seq {seq} "
                         f"(the file covers seq {run.first_seq}..{run.last_seq})")
    number, record_hash = found[site, seq]
    if record_hash != statement["head_hash"]:
        raise ChainBreak(f"row {number} (seq {seq}): its hash differs from the signed head {statement['head_hash']}")
    if run.gaps or (run.first_seq - 1, run.first_prev) != (statement["start_seq"], statement["start_hash"]):
        raise ChainBreak(f"site {site}: the file is not the whole chain from seq {statement['start_seq'] + 1} "
                         "(a filtered export?), so it cannot be compared with the signed head")
    return (f"signed head: signature OK (key {key_id(key)}), the file's chain of site {site} runs from "
            f"seq {statement['start_seq'] + 1} to the signed head seq {seq} {statement['head_hash']}")
