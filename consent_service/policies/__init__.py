"""Policy snapshots: which texts each consent record's visitor was shown.

The service computes the snapshots of its sites' current texts at start-up (``init_app``); the banner
carries their hashes and posts the one it showed with each decision; the ledger's writer stores a
snapshot the first time a record points at it (``consent_service.ledger.writer``), so that a text
changed in the sites file is a new snapshot from the next start, and older records keep theirs.

    snapshots.py  the canonical document of a site in one language and its hash (no database)
    models.py     the table of stored snapshots (written by the ledger's writer only)
"""
from flask import current_app
from sqlalchemy import select

from ..extensions import db
from .models import PolicySnapshot
from .snapshots import Snapshot, site_snapshots

EXTENSION = "consent_policies"
KNOWN = "consent_policies_known"  # stored snapshots looked up: hash -> (site, language); they never change
HASH_PATTERN = r"^[0-9a-f]{64}$"

__all__ = ["EXTENSION", "HASH_PATTERN", "PolicySnapshot", "Snapshot", "current_snapshot", "find_snapshot", "init_app",
           "known_snapshot", "site_hashes"]


def init_app(app):
    """Compute every configured site's snapshots: ``{site key: {language: Snapshot}}``."""
    from ..sites import configured_sites

    app.extensions[EXTENSION] = {key: site_snapshots(site) for key, site in configured_sites(app).items()}
    app.extensions[KNOWN] = {}


def _current(app=None):
    return (app or current_app).extensions[EXTENSION]


def current_snapshot(site_key, language, app=None):
    """The snapshot of the site's texts as the service serves them now, in ``language``."""
    return _current(app)[site_key][language]


def site_hashes(site_key, app=None):
    """``{language: hash}`` of the site's current snapshots (what banner.js carries)."""
    return {language: snapshot.hash for language, snapshot in _current(app)[site_key].items()}


def _stored(snapshot_hash):
    body = db.session.scalar(select(PolicySnapshot.body).where(PolicySnapshot.hash == snapshot_hash))
    return None if body is None else Snapshot.from_body(body)


def find_snapshot(snapshot_hash):
    """The snapshot named ``snapshot_hash``: a current one, or one stored for older records; else None."""
    for snapshots in _current().values():
        for snapshot in snapshots.values():
            if snapshot.hash == snapshot_hash:
                return snapshot
    return _stored(snapshot_hash)


def known_snapshot(snapshot_hash, site_key, language):
    """True when ``snapshot_hash`` names a snapshot of that site and language: a current one, or one
    stored earlier (a banner cached before the texts changed still shows the older texts)."""
    if current_snapshot(site_key, language).hash == snapshot_hash:
        return True
    known = current_app.extensions[KNOWN]
    if snapshot_hash not in known:
        snapshot = _stored(snapshot_hash)
        if snapshot is None:
            return False
        known[snapshot_hash] = (snapshot.site, snapshot.language)
    return known[snapshot_hash] == (site_key, language)
