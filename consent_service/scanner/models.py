"""Tables of the scanner: each scan with its result, and what it found, for "new since the last scan"."""
from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ..ledger.models import BigId


class Scan(db.Model):
    """One scan of one site: queued, running, then clean, violations or failed, with its result document."""

    __tablename__ = "scans"
    __table_args__ = (Index("ix_scans_site_created_at", "site", "created_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    site: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(16))
    # The auditor's name, or "cli:<user>" for `flask scan`.
    requested_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    passes_done: Mapped[int] = mapped_column(Integer, default=0)
    passes_total: Mapped[int] = mapped_column(Integer, default=0)
    exit_code: Mapped[int | None] = mapped_column(Integer)
    # The options as JSON (start URLs, bounds), and the result document (docs/scanner.md) once finished.
    options: Mapped[str] = mapped_column(Text)
    result: Mapped[str | None] = mapped_column(Text)

    @property
    def finished(self):
        return self.status in ("clean", "violations", "failed")


class ScanItem(db.Model):
    """A cookie (``name (domain)``) or third-party host that a scan saw."""

    __tablename__ = "scan_items"
    __table_args__ = (Index("uq_scan_items_scan_id_kind_key", "scan_id", "kind", "key", unique=True),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    scan_id: Mapped[int] = mapped_column(ForeignKey("scans.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    key: Mapped[str] = mapped_column(String(300))
