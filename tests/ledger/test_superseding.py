"""Each record says whether it supersedes an earlier one of its consent (a change of mind, a withdrawal,
an erasure); the revocation refresher reads only those, and migration 0007 sets the flag on the records
stored before it from the ledger itself."""
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade

from consent_service import create_app
from consent_service.extensions import db
from consent_service.ledger import revocations, service
from consent_service.ledger.verification import check_stored_chain
from consent_service.proof import chain
from consent_service.sites import find_site

from tests.support.apps import app_settings, close_app
from tests.support.databases import make_databases
from tests.support.records import records as stored


def change(client, first, body, **changes):
    answer = client.post("/api/v1/consents", json={**body, "consent_id": first["consent_id"],
                                                   "token": first["token"], **changes})
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()


def test_only_records_after_an_earlier_one_of_their_consent_supersede(app, client, consent_body):
    first = client.post("/api/v1/consents", json=consent_body).get_json()
    other = client.post("/api/v1/consents", json=consent_body).get_json()
    change(client, first, consent_body, action="accept_all", categories={"analytics": True, "marketing": True})
    change(client, first, consent_body, action="withdraw", categories={"analytics": False, "marketing": False})
    with app.app_context():
        service.erase(find_site("entrack"), other["consent_id"], "fi")
    flags = [(record.consent_id == first["consent_id"], record.action, record.supersedes) for record in stored(app)]
    assert flags == [(True, "custom", False), (False, "custom", False), (True, "accept_all", True),
                     (True, "withdraw", True), (False, "erase", True)]


def test_the_refresher_reads_every_new_id_but_only_the_superseding_rows(app, client, consent_body):
    first = client.post("/api/v1/consents", json=consent_body).get_json()
    client.post("/api/v1/consents", json=consent_body)
    change(client, first, consent_body, action="reject_all", categories={"analytics": False, "marketing": False})
    records = stored(app)
    with app.app_context():
        rows, read = revocations._new_superseding(0, max(record.id for record in records))
        db.session.remove()
    assert read == {record.id for record in records}
    assert [(row.consent_id, row.action) for row in rows] == [(first["consent_id"], "reject_all")]


@pytest.fixture
def database_at_0006(tmp_path):
    """A database migrated to 0006 (before the flag); the app on it."""
    databases = make_databases(str(tmp_path))
    app = create_app(app_settings(databases.template_uri()))
    with app.app_context():
        upgrade(revision="0006")
    yield app
    close_app(app)
    databases.drop()


def chained(consent_ids):
    """Records of the site ``entrack`` for ``consent_ids`` in order, chained from the genesis."""
    prev, start = chain.GENESIS_HASH, datetime(2026, 11, 1, tzinfo=timezone.utc)
    for seq, consent_id in enumerate(consent_ids, 1):
        record = {
            "site": "entrack", "seq": seq, "consent_id": consent_id, "recorded_at": start + timedelta(minutes=seq),
            "action": "custom", "necessary": True, "analytics": seq % 2 == 0, "marketing": False,
            "policy_version": "2026-11-01", "policy_hash": None, "language": "fi", "gpc": False,
            "page_url": "https://www.entrack.fi/", "ip_prefix": "192.0.2.0/24", "user_agent": "Mozilla/5.0",
            "pii_salt": f"{seq:032x}", "prev_hash": prev,
        }
        record["pii_digest"] = chain.pii_digest(record["pii_salt"], record["ip_prefix"], record["user_agent"],
                                                record["page_url"])
        record["record_hash"] = prev = chain.record_hash(record)
        yield record


def test_the_migration_flags_the_records_stored_before_it(database_at_0006):
    app = database_at_0006
    ids = ["00000000-0000-4000-8000-00000000000a", "00000000-0000-4000-8000-00000000000b"]
    rows = list(chained([ids[0], ids[1], ids[0], ids[0]]))
    with app.app_context():
        metadata = sa.MetaData()
        records = sa.Table("consent_records", metadata, autoload_with=db.engine)
        heads = sa.Table("chain_heads", metadata, autoload_with=db.engine)
        assert "supersedes" not in records.c
        with db.engine.begin() as connection:
            connection.execute(records.insert(), rows)
            connection.execute(heads.insert(), {"site": "entrack", "seq": 4, "head_hash": rows[-1]["record_hash"]})
        db.engine.dispose()
        upgrade()
        db.engine.dispose()
        assert check_stored_chain("entrack").ok
    assert [record.supersedes for record in stored(app)] == [False, False, True, True]
