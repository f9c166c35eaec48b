"""Policy snapshots as auditors read them: one snapshot by its hash, in a site the auditor may see."""
import re

from sqlalchemy import select

from .. import policies
from ..errors import ApiError
from ..extensions import db
from ..ledger.models import PolicySnapshot
from ..proof import chain


def policy_snapshot(snapshot_hash, site_keys):
    """The snapshot named ``snapshot_hash`` with whether it is the one served now and whether it is
    stored (for the records that point at it). A 400 for a text that is no SHA-256; a 404 for a hash no
    snapshot has and for a snapshot of a site outside ``site_keys``, alike, so that an auditor learns
    nothing of the sites they may not see."""
    if not re.fullmatch(policies.HASH_PATTERN, snapshot_hash):
        raise ApiError(400, f"{snapshot_hash!r} is not a policy hash (64 lower-case hex digits).")
    snapshot = policies.find_snapshot(snapshot_hash)
    if snapshot is None or snapshot.site not in site_keys:
        raise ApiError(404, f"No policy snapshot {snapshot_hash} is known in a site you may see.")
    stored_at = db.session.scalar(select(PolicySnapshot.stored_at).where(PolicySnapshot.hash == snapshot_hash))
    return {
        "hash": snapshot.hash, "site": snapshot.site, "language": snapshot.language,
        "policy_version": snapshot.policy_version,
        "current": policies.site_hashes(snapshot.site).get(snapshot.language) == snapshot.hash,
        "stored": stored_at is not None, "stored_at": None if stored_at is None else chain.text(stored_at),
        "snapshot": snapshot.content,
    }
