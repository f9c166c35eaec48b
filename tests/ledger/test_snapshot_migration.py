"""Migration 0005 on a ledger that already holds records: they keep verifying, and new records with a
policy snapshot join the same chain."""
import pytest
import sqlalchemy as sa
from flask_migrate import upgrade

from consent_service.extensions import db
from consent_service.ledger.verification import check_stored_chain

from tests.support.migrations import app_migrated_to, chained_records, store_raw


@pytest.fixture
def old_database(tmp_path):
    """A database migrated to 0004 (before policy snapshots); the app on it."""
    with app_migrated_to(tmp_path, "0004") as app:
        yield app


def test_records_from_before_snapshots_verify_after_the_upgrade(old_database, consent_body):
    app = old_database
    rows = list(chained_records(f"00000000-0000-4000-8000-00000000000{seq}" for seq in range(1, 4)))
    records = store_raw(app, rows)
    assert "policy_hash" not in records.c
    with app.app_context():
        upgrade()
        db.engine.dispose()
        assert check_stored_chain("entrack").ok
    assert app.test_client().post("/api/v1/consents", json=consent_body).status_code == 201
    with app.app_context():
        report = check_stored_chain("entrack")
        assert report.ok and report.count == 4
        hashes = db.session.execute(sa.text("SELECT policy_hash FROM consent_records ORDER BY seq")).scalars().all()
    assert hashes[:3] == [None, None, None] and len(hashes[3]) == 64
