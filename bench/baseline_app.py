"""The baseline: bare Flask endpoints that do the least the service's endpoints could do.

- ``GET /baseline/consent-state`` returns the same JSON as a valid consent state, verifying nothing.
- ``POST /baseline/consents`` parses the JSON body, inserts one row as wide as a consent record
  (same columns and types) with Flask-SQLAlchemy and commits.

Served by the same gunicorn configuration as the service: ``'bench.baseline_app:create_baseline_app()'``.
Create its table once with ``python -m bench.baseline_app`` (DATABASE_URL set), as for migrations.
"""
import os
import uuid
from datetime import datetime, timezone

from flask import Flask, jsonify, request
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import BigInteger, Boolean, DateTime, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

import consent_service.extensions  # noqa: F401  the same SQLite pragmas (WAL) as the service
from consent_service import config

STATE = {
    "valid": True, "site": "entrack", "consent_id": "0d6f4b55-1f7e-4e8e-a5b0-5e0b8f1b7a11",
    "categories": {"necessary": True, "analytics": True, "marketing": False},
    "policy_version": "2026-11-01", "issued_at": "2026-11-25T12:00:00+00:00",
    "expires_at": "2027-11-25T12:00:00+00:00",
}


class Base(DeclarativeBase):
    pass


db = SQLAlchemy(model_class=Base)


class BaselineRecord(db.Model):
    """As wide as ``consent_records``: the same columns and types, no chain."""

    __tablename__ = "bench_baseline_records"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer(), "sqlite"), primary_key=True)
    site: Mapped[str] = mapped_column(String(40))
    seq: Mapped[int] = mapped_column(BigInteger)
    consent_id: Mapped[str] = mapped_column(String(36))
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    action: Mapped[str] = mapped_column(String(16))
    necessary: Mapped[bool] = mapped_column(Boolean)
    analytics: Mapped[bool] = mapped_column(Boolean)
    marketing: Mapped[bool] = mapped_column(Boolean)
    policy_version: Mapped[str] = mapped_column(String(64))
    language: Mapped[str] = mapped_column(String(8))
    gpc: Mapped[bool] = mapped_column(Boolean)
    page_url: Mapped[str | None] = mapped_column(Text)
    ip_prefix: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(Text)
    pii_salt: Mapped[str | None] = mapped_column(String(32))
    pii_digest: Mapped[str] = mapped_column(String(64))
    prev_hash: Mapped[str] = mapped_column(String(64))
    record_hash: Mapped[str] = mapped_column(String(64))


def create_baseline_app():
    """The baseline app on DATABASE_URL, with the service's engine options."""
    app = Flask(__name__)
    uri = config.database_uri(os.environ["DATABASE_URL"], "")
    app.config.update(SQLALCHEMY_DATABASE_URI=uri, SQLALCHEMY_ENGINE_OPTIONS=config.engine_options(uri))
    db.init_app(app)

    @app.get("/baseline/consent-state")
    def consent_state():
        """The same answer as a valid token's, without reading any token."""
        response = jsonify(STATE)
        response.headers["Cache-Control"] = "no-store"
        return response

    @app.post("/baseline/consents")
    def post_consent():
        """One row of the same width, committed."""
        data = request.get_json()
        h = "0" * 64
        record = BaselineRecord(
            site=data["site"], seq=0, consent_id=str(uuid.uuid4()), recorded_at=datetime.now(timezone.utc),
            action=data["action"], necessary=True, analytics=data["categories"]["analytics"],
            marketing=data["categories"]["marketing"], policy_version=data["policy_version"],
            language=data["language"], gpc=False, page_url=data["page_url"], ip_prefix="127.0.0.0/24",
            user_agent=request.headers.get("User-Agent"), pii_salt="0" * 32, pii_digest=h, prev_hash=h,
            record_hash=h,
        )
        db.session.add(record)
        db.session.commit()
        return jsonify({"id": record.id}), 201

    return app


def create_table():
    """Create (or empty) the baseline table; run once before the workers start."""
    app = create_baseline_app()
    with app.app_context():
        db.create_all()
        db.session.execute(db.delete(BaselineRecord))
        db.session.commit()
        db.engine.dispose()


if __name__ == "__main__":
    create_table()
