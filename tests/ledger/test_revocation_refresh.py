"""The refresher of superseded consents reads each record once: the records past the highest id it had
seen, and for LAG_SECONDS the ids below it that were not visible yet (on PostgreSQL a batch can commit
after one with higher ids)."""
import time

import pytest

from consent_service.ledger import revocations
from consent_service.state.revocations import revocations_of

from tests.support.records import records as stored


@pytest.fixture
def changed(app, client, consent_body):
    """A consent with two records: the second supersedes the first."""
    first = client.post("/api/v1/consents", json=consent_body).get_json()
    assert client.post("/api/v1/consents", json={**consent_body, "consent_id": first["consent_id"],
                                                  "token": first["token"], "action": "accept_all",
                                                  "categories": {"analytics": True, "marketing": True}}).status_code == 201
    return stored(app)


def fresh_table(app, bookmark):
    table = revocations_of(app)
    table.forget_before(time.time() + 1)  # forget what this process's writer told it
    table.cursor = bookmark
    return table


def test_a_record_that_was_a_hole_is_read_when_it_shows(app, changed):
    earlier, later = changed
    table = fresh_table(app, revocations._Bookmark(later.id, {later.id: time.time()}))
    revocations.refresh(app, table)
    assert table.reason("entrack", later.consent_id, earlier.seq) == "superseded"
    assert table.cursor == revocations._Bookmark(later.id, {})


def test_a_hole_older_than_the_lag_is_given_up(app, changed):
    earlier, later = changed
    table = fresh_table(app, revocations._Bookmark(later.id, {later.id: time.time() - revocations.LAG_SECONDS - 1}))
    revocations.refresh(app, table)
    assert table.reason("entrack", later.consent_id, earlier.seq) is None
    assert table.cursor.holes == {}


def test_new_records_are_read_once_and_missing_ids_become_holes(app, changed, monkeypatch):
    earlier, later = changed
    reads = []
    real = revocations._new_superseding

    def hiding_the_first(after_id, upto_id, holes=()):
        rows, read = real(after_id, upto_id, holes)
        reads.append((after_id, upto_id, dict(holes)))
        return rows, read - {earlier.id}  # as if the first were not committed yet

    monkeypatch.setattr(revocations, "_new_superseding", hiding_the_first)
    table = fresh_table(app, revocations._Bookmark(earlier.id - 1))
    revocations.refresh(app, table)
    assert table.reason("entrack", later.consent_id, earlier.seq) == "superseded"
    assert table.cursor.highest == later.id and set(table.cursor.holes) == {earlier.id}
    monkeypatch.setattr(revocations, "_new_superseding", real)
    revocations.refresh(app, table)  # the hole shows now
    assert table.cursor == revocations._Bookmark(later.id, {})
    calls = []
    monkeypatch.setattr(revocations, "_new_superseding", lambda *args: calls.append(args) or ([], set()))
    revocations.refresh(app, table)  # nothing new, no hole: no read
    assert calls == [] and reads == [(earlier.id - 1, later.id, {})]
