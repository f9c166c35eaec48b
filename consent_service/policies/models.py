"""The table of policy snapshots. Only the ledger's writer inserts into it (a snapshot is stored with the
first record that points at it); nothing changes or deletes a row."""
from datetime import datetime

from sqlalchemy import DateTime, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db


class PolicySnapshot(db.Model):
    """What a site's visitors could read before deciding, in one language (``consent_service.policies``):
    stored once, when the first record that points at it is, and never changed or deleted."""

    __tablename__ = "policy_snapshots"

    hash: Mapped[str] = mapped_column(String(64), primary_key=True)  # SHA-256 of ``body``
    site: Mapped[str] = mapped_column(String(40))
    language: Mapped[str] = mapped_column(String(8))
    policy_version: Mapped[str] = mapped_column(String(64))
    body: Mapped[str] = mapped_column(Text)  # the canonical JSON
    stored_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
