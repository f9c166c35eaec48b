"""Migration 0005 on a ledger that already holds records: they keep verifying, and new records with a
policy snapshot join the same chain."""
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade

from consent_service import create_app
from consent_service.extensions import db
from consent_service.ledger.verification import check_stored_chain
from consent_service.proof import chain

from tests.support.apps import app_settings, close_app
from tests.support.databases import make_databases


@pytest.fixture
def old_database(tmp_path):
    """A database migrated to 0004 (before policy snapshots); the app on it."""
    databases = make_databases(str(tmp_path))
    app = create_app(app_settings(databases.template_uri()))
    with app.app_context():
        upgrade(revision="0004")
    yield app
    close_app(app)
    databases.drop()


def legacy_records(count):
    """Records as the ledger stored them before 0005: hashed over LEGACY_HASHED_FIELDS."""
    prev, start = chain.GENESIS_HASH, datetime(2026, 11, 1, tzinfo=timezone.utc)
    for seq in range(1, count + 1):
        record = {
            "site": "entrack", "seq": seq, "consent_id": f"00000000-0000-4000-8000-00000000000{seq}",
            "recorded_at": start + timedelta(minutes=seq), "action": "accept_all", "necessary": True,
            "analytics": True, "marketing": True, "policy_version": "2026-10-01", "language": "fi", "gpc": False,
            "page_url": "https://www.entrack.fi/", "ip_prefix": "192.0.2.0/24", "user_agent": "Mozilla/5.0",
            "pii_salt": f"{seq:032x}", "prev_hash": prev,
        }
        record["pii_digest"] = chain.pii_digest(record["pii_salt"], record["ip_prefix"], record["user_agent"],
                                                record["page_url"])
        record["record_hash"] = prev = chain._digest([record[name] for name in chain.LEGACY_HASHED_FIELDS])
        yield record


def test_records_from_before_snapshots_verify_after_the_upgrade(old_database, consent_body):
    app = old_database
    rows = list(legacy_records(3))
    with app.app_context():
        metadata = sa.MetaData()
        records = sa.Table("consent_records", metadata, autoload_with=db.engine)
        heads = sa.Table("chain_heads", metadata, autoload_with=db.engine)
        assert "policy_hash" not in records.c
        with db.engine.begin() as connection:
            connection.execute(records.insert(), rows)
            connection.execute(heads.insert(), {"site": "entrack", "seq": 3, "head_hash": rows[-1]["record_hash"]})
        db.engine.dispose()
        upgrade()
        db.engine.dispose()
        assert check_stored_chain("entrack").ok
    assert app.test_client().post("/api/v1/consents", json=consent_body).status_code == 201
    with app.app_context():
        report = check_stored_chain("entrack")
        assert report.ok and report.count == 4
        hashes = db.session.execute(sa.text("SELECT policy_hash FROM consent_records ORDER BY seq")).scalars().all()
    assert hashes[:3] == [None, None, None] and len(hashes[3]) == 64
