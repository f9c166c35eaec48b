"""Tables of the audit area: auditor accounts, the log of their exports, their web sessions and the
last check of each site's stored chain.

Purge checkpoints belong to the chain: ``ledger.models.PurgeCheckpoint``.
"""
from datetime import datetime

from sqlalchemy import Boolean, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ..ledger.models import BigId


class Auditor(db.Model):
    """Someone who may read consent proof: only the hash of their token is kept."""

    __tablename__ = "auditors"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # Space-separated site keys the auditor may read; NULL means every site.
    sites: Mapped[str | None] = mapped_column(String(400))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    @property
    def site_keys(self):
        """The sites this auditor may read, or None for every site."""
        return tuple(self.sites.split()) if self.sites else None

    def may_read(self, site_key):
        return self.site_keys is None or site_key in self.site_keys


class AuditExport(db.Model):
    """One export or look-up by an auditor: who, when, what and which filter."""

    __tablename__ = "audit_exports"
    __table_args__ = (Index("ix_audit_exports_auditor_id_at", "auditor_id", "at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    auditor_id: Mapped[int | None] = mapped_column(ForeignKey("auditors.id"))
    # The auditor's name, or "cli:<user>" for `flask consent export`.
    who: Mapped[str] = mapped_column(String(120))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    kind: Mapped[str] = mapped_column(String(16))
    # The filter as JSON, e.g. {"site": ["entrack"], "from": "2026-11-01T00:00:00.000000Z"}.
    filter: Mapped[str] = mapped_column(Text)


class AuditorSession(db.Model):
    """One signed-in browser of an auditor. The session cookie holds a random secret; only its hash is
    kept here, and signing out ends the row, so that a copied cookie is worth nothing afterwards."""

    __tablename__ = "auditor_sessions"
    __table_args__ = (Index("ix_auditor_sessions_auditor_id", "auditor_id"),)

    secret_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    auditor_id: Mapped[int] = mapped_column(ForeignKey("auditors.id"))
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class ChainCheck(db.Model):
    """The last check of one site's stored chain (``audit.chain_status`` writes it, from the portal's
    "Check now" or ``flask consent verify``), so that a page shows the chain's status without checking
    a million records on every view."""

    __tablename__ = "chain_checks"

    site: Mapped[str] = mapped_column(String(40), primary_key=True)
    checked_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # The auditor's name, or "cli:<user>" for `flask consent verify`.
    checked_by: Mapped[str] = mapped_column(String(120))
    ok: Mapped[bool] = mapped_column(Boolean)
    record_count: Mapped[int] = mapped_column(BigId)
    head_seq: Mapped[int] = mapped_column(BigId)
    head_hash: Mapped[str] = mapped_column(String(64))
    error: Mapped[str | None] = mapped_column(Text)
