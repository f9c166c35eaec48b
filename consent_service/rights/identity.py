"""Proof of identity for the visitor's rights: a signed consent token for the consent id."""
from dataclasses import dataclass

from ..sites import Site, configured_sites
from ..state import tokens

TOKEN_MAX = 1024


@dataclass(frozen=True)
class Owner:
    """The visitor who holds ``token``, a valid token for ``consent_id`` on ``site``."""

    site: Site
    consent_id: str
    token: str


class NotProven(Exception):
    """The token proves nobody: ``reason`` as in ``tokens.InvalidToken``."""

    def __init__(self, reason):
        super().__init__(reason)
        self.reason = reason


def prove(token, expected_site=None):
    """The owner that ``token`` proves, or raise NotProven.

    The signature must be good and the consent not past its lifetime (an expired token does not
    prove ownership: the visitor then uses the e-mail route). A token issued under an older policy
    version still proves ownership.
    """
    if not token or len(token) > TOKEN_MAX:
        raise NotProven("missing" if not token else "invalid_signature")
    known = configured_sites()
    try:
        site_key, consent_id = tokens.holder(token, known, expected_site)
    except tokens.InvalidToken as error:
        raise NotProven(error.reason) from None
    return Owner(known[site_key], consent_id, token)
