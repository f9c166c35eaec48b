"""Ledgers from before a migration: an app on a database migrated only that far, and records chained as
the ledger stored them then (no policy snapshot: their hash covers ``chain.LEGACY_HASHED_FIELDS``)."""
import contextlib
from datetime import datetime, timedelta, timezone

import sqlalchemy as sa
from flask_migrate import upgrade

from consent_service import create_app
from consent_service.extensions import db
from consent_service.proof import chain

from tests.support.apps import app_settings, close_app
from tests.support.databases import make_databases


@contextlib.contextmanager
def app_migrated_to(folder, revision):
    """The app on a fresh database migrated up to ``revision`` only."""
    databases = make_databases(str(folder))
    app = create_app(app_settings(databases.template_uri()))
    with app.app_context():
        upgrade(revision=revision)
    try:
        yield app
    finally:
        close_app(app)
        databases.drop()


def chained_records(consent_ids):
    """Records of the site ``entrack`` for ``consent_ids`` in order, chained from the genesis."""
    prev, start = chain.GENESIS_HASH, datetime(2026, 11, 1, tzinfo=timezone.utc)
    for seq, consent_id in enumerate(consent_ids, 1):
        record = {
            "site": "entrack", "seq": seq, "consent_id": consent_id, "recorded_at": start + timedelta(minutes=seq),
            "action": "custom", "necessary": True, "analytics": seq % 2 == 0, "marketing": False,
            "policy_version": "2026-10-01", "language": "fi", "gpc": False, "page_url": "https://www.entrack.fi/",
            "ip_prefix": "192.0.2.0/24", "user_agent": "Mozilla/5.0", "pii_salt": f"{seq:032x}", "prev_hash": prev,
        }
        record["pii_digest"] = chain.pii_digest(record["pii_salt"], record["ip_prefix"], record["user_agent"],
                                                record["page_url"])
        record["record_hash"] = prev = chain._digest([record[name] for name in chain.LEGACY_HASHED_FIELDS])
        yield record


def store_raw(app, rows):
    """Insert ``rows`` and their chain head as they are, through the tables the database has now (no model);
    the reflected ``consent_records`` table."""
    with app.app_context():
        metadata = sa.MetaData()
        records = sa.Table("consent_records", metadata, autoload_with=db.engine)
        heads = sa.Table("chain_heads", metadata, autoload_with=db.engine)
        with db.engine.begin() as connection:
            connection.execute(records.insert(), rows)
            connection.execute(heads.insert(), {"site": "entrack", "seq": rows[-1]["seq"],
                                                "head_hash": rows[-1]["record_hash"]})
        db.engine.dispose()
    return records
