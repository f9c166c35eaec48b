"""Each record says whether it supersedes an earlier one of its consent (a change of mind, a withdrawal,
an erasure); the revocation refresher reads only those, and migration 0007 sets the flag on the records
stored before it from the ledger itself."""
import pytest
from flask_migrate import upgrade

from consent_service.extensions import db
from consent_service.ledger import revocations, service
from consent_service.ledger.verification import check_stored_chain
from consent_service.sites import find_site

from tests.support.migrations import app_migrated_to, chained_records, store_raw
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
    with app_migrated_to(tmp_path, "0006") as app:
        yield app


def test_the_migration_flags_the_records_stored_before_it(database_at_0006):
    app = database_at_0006
    ids = ["00000000-0000-4000-8000-00000000000a", "00000000-0000-4000-8000-00000000000b"]
    records = store_raw(app, list(chained_records([ids[0], ids[1], ids[0], ids[0]])))
    assert "supersedes" not in records.c
    with app.app_context():
        upgrade()
        db.engine.dispose()
        assert check_stored_chain("entrack").ok
    assert [record.supersedes for record in stored(app)] == [False, False, True, True]
