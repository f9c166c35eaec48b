"""Tables of the consent ledger."""
from datetime import datetime

from sqlalchemy import BigInteger, Boolean, DateTime, ForeignKey, Index, Integer, String, Text, false, text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ..policies.models import PolicySnapshot  # noqa: F401  (the table records' policy_hash refers to)

# SQLite only autoincrements an INTEGER PRIMARY KEY.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class ConsentRecord(db.Model):
    """One decision of one visitor. Never updated, except that erasure blanks the personal fields."""

    __tablename__ = "consent_records"
    __table_args__ = (
        Index("uq_consent_records_site_seq", "site", "seq", unique=True),
        Index("ix_consent_records_consent_id", "consent_id"),
        Index("ix_consent_records_site_recorded_at", "site", "recorded_at"),
        # Only the superseding records (a few of all): what each process's revocation refresher reads.
        Index("ix_consent_records_superseding", "id", postgresql_where=text("supersedes"),
              sqlite_where=text("supersedes = 1")),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    site: Mapped[str] = mapped_column(String(40))
    seq: Mapped[int] = mapped_column(BigInteger)
    consent_id: Mapped[str] = mapped_column(String(36))
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    action: Mapped[str] = mapped_column(String(16))
    necessary: Mapped[bool] = mapped_column(Boolean)
    analytics: Mapped[bool] = mapped_column(Boolean)
    marketing: Mapped[bool] = mapped_column(Boolean)
    policy_version: Mapped[str] = mapped_column(String(64))
    # The snapshot of what the visitor was shown; None on records stored before snapshots (and erasures).
    policy_hash: Mapped[str | None] = mapped_column(String(64), ForeignKey("policy_snapshots.hash"))
    language: Mapped[str] = mapped_column(String(8))
    gpc: Mapped[bool] = mapped_column(Boolean)
    page_url: Mapped[str | None] = mapped_column(Text)
    ip_prefix: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(Text)
    pii_salt: Mapped[str | None] = mapped_column(String(32))
    pii_digest: Mapped[str] = mapped_column(String(64))
    prev_hash: Mapped[str] = mapped_column(String(64))
    record_hash: Mapped[str] = mapped_column(String(64))
    # The record follows an earlier one of its consent (a change of mind, a withdrawal, an erasure), so
    # that the tokens issued before it stop counting. Not hashed: the chain proves what was decided; this
    # only saves each process's revocation refresher from reading every record (``ledger/revocations.py``).
    supersedes: Mapped[bool] = mapped_column(Boolean, server_default=false())

    def as_chain_dict(self):
        """The record as the mapping that ``chain`` hashes and verifies."""
        return {column.key: getattr(self, column.key) for column in self.__table__.columns}


class ChainHead(db.Model):
    """The last sequence number and hash of a site's chain; its row lock orders the writers."""

    __tablename__ = "chain_heads"

    site: Mapped[str] = mapped_column(String(40), primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, default=0)
    head_hash: Mapped[str] = mapped_column(String(64))


class IdempotencyKey(db.Model):
    """A client's Idempotency-Key and the first response given to it."""

    __tablename__ = "idempotency_keys"

    key: Mapped[str] = mapped_column(String(128), primary_key=True)
    request_digest: Mapped[str] = mapped_column(String(64))
    record_id: Mapped[int] = mapped_column(BigId, ForeignKey("consent_records.id", ondelete="CASCADE"))
    response: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class PurgeCheckpoint(db.Model):
    """The last record of a purged prefix of a site's chain: what remains verifies from here."""

    __tablename__ = "purge_checkpoints"
    __table_args__ = (Index("uq_purge_checkpoints_site_seq", "site", "seq", unique=True),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    site: Mapped[str] = mapped_column(String(40))
    seq: Mapped[int] = mapped_column(BigInteger)
    record_hash: Mapped[str] = mapped_column(String(64))
    last_recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    purged_count: Mapped[int] = mapped_column(BigInteger)
    purged_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # The signed statement (canonical JSON), its Ed25519 signature (base64) and the key's id.
    payload: Mapped[str] = mapped_column(Text)
    signature: Mapped[str] = mapped_column(String(100))
    key_id: Mapped[str] = mapped_column(String(16))
