"""A group-commit batch is written with the same statements however many items it holds (one head
UPDATE that locks and advances it, one multi-row INSERT of the records, one UPDATE of the head's hash,
one INSERT of the keys), and keeps what one record at a time kept: chain order, one record per
Idempotency-Key, erasure within the batch, supersessions learned, one chain under concurrent batches."""
import threading

import pytest
from sqlalchemy import event
from sqlalchemy.exc import IntegrityError

from consent_service.extensions import db
from consent_service.ledger import service, writer
from consent_service.ledger.models import ConsentRecord
from consent_service.ledger.verification import check_stored_chain
from consent_service.sites import find_site
from consent_service.state.revocations import revocations_of

from tests.support.load import in_threads
from tests.support.records import records as stored

LEDGER_TABLES = ("consent_records", "chain_heads", "idempotency_keys", "policy_snapshots")


def fields(n, consent_id=None, **changes):
    return {"consent_id": consent_id or f"00000000-0000-4000-8000-{n:012d}", "action": "custom",
            "necessary": True, "analytics": n % 2 == 0, "marketing": False, "policy_version": "2026-11-01",
            "language": "fi", "gpc": False, "page_url": f"https://www.entrack.fi/{n}",
            "ip_prefix": "203.0.113.0/24", "user_agent": "Mozilla/5.0 test", **changes}


def items_for(app, count, start=0, keyed=True):
    site = find_site("entrack", app)
    return [writer.Pending("entrack", fields(n), lambda record: service.response_body(site, record),
                           key=f"key-{n}" if keyed else None, digest="d" * 64)
            for n in range(start, start + count)]


@pytest.fixture
def statements(app):
    """The writes sent to the ledger's tables: each statement's verb, table and number of values."""
    seen = []

    def listener(conn, cursor, statement, parameters, context, executemany):
        verb = statement.split(None, 1)[0].upper()
        table = next((name for name in LEDGER_TABLES if name in statement), None)
        if table and verb in ("INSERT", "UPDATE", "DELETE"):
            seen.append((verb, table, len(parameters)))

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", listener)
    yield seen
    event.remove(engine, "before_cursor_execute", listener)


@pytest.mark.parametrize("count", [1, 2, 8, 32])
def test_a_batch_takes_the_same_statements_however_large(app, statements, count):
    with app.app_context():
        writer._write_batch(items_for(app, 1, start=1000))  # the chain's head exists from here on
        statements.clear()
        items = items_for(app, count)
        writer._write_batch(items)
        assert check_stored_chain("entrack").ok
    assert [item.error for item in items] == [None] * count
    record_columns = len(ConsentRecord.__table__.columns) - 1  # all but the id
    assert statements == [("UPDATE", "chain_heads", 2), ("INSERT", "consent_records", record_columns * count),
                          ("UPDATE", "chain_heads", 2), ("INSERT", "idempotency_keys", 5 * count)]


def test_a_batch_keeps_chain_order_and_answers_each_item_with_its_own_record(app):
    items = items_for(app, 6)
    with app.app_context():
        writer._write_batch(items)
        assert check_stored_chain("entrack").ok
    records = stored(app)
    assert [r.seq for r in records] == [1, 2, 3, 4, 5, 6]
    assert [r.consent_id for r in records] == [item.fields["consent_id"] for item in items]
    assert [r.prev_hash for r in records[1:]] == [r.record_hash for r in records[:-1]]
    assert [item.record.id for item in items] == [r.id for r in records]
    assert [item.body["consent_id"] for item in items] == [r.consent_id for r in records]


def test_a_repeated_key_in_one_batch_stores_the_first_and_fails_the_second_alone(app):
    items = items_for(app, 4)
    items[2].key = items[0].key
    with app.app_context():
        writer._write_batch(items)
        assert check_stored_chain("entrack").ok
    assert [item.error is None for item in items] == [True, True, False, True]
    assert isinstance(items[2].error, IntegrityError) and items[2].body is None
    assert [r.consent_id for r in stored(app)] == [items[n].fields["consent_id"] for n in (0, 1, 3)]


def test_a_repeated_key_through_the_service_answers_the_first_response(app, consent_body):
    """What a retried request meets when its first try is in the same batch: the first answer, replayed."""
    with app.test_request_context():
        first, replayed = service.record_decision(consent_body, {}, "same")
        again, replayed_again = service.record_decision(consent_body, {}, "same")
    assert (replayed, replayed_again) == (False, True)
    assert again == first
    assert len(stored(app)) == 1


def test_an_erasure_in_the_batch_scrubs_a_decision_of_the_same_batch(app):
    site = find_site("entrack", app)
    consent_id = "00000000-0000-4000-8000-00000000abcd"
    decision = writer.Pending("entrack", fields(1, consent_id), lambda record: service.response_body(site, record))
    other = writer.Pending("entrack", fields(2), lambda record: {})
    erasure = writer.Pending("entrack", fields(3, consent_id, action="erase", page_url=None, ip_prefix=None,
                                                user_agent=None, supersedes=True), lambda record: {}, erase=True)
    with app.app_context():
        writer._write_batch([decision, other, erasure])
        assert check_stored_chain("entrack").ok
    by_id = {r.seq: r for r in stored(app)}
    assert (by_id[1].page_url, by_id[1].ip_prefix, by_id[1].user_agent, by_id[1].pii_salt) == (None,) * 4
    assert by_id[2].page_url == "https://www.entrack.fi/2" and by_id[2].pii_salt
    assert revocations_of(app).reason("entrack", consent_id, 1) == "erased"


def concurrent_batches(app, batches, size):
    """``batches`` threads, each writing its own batch of ``size`` at the same moment (each its own
    leader: the process's group commit is bypassed, so the batches meet at the chain's head)."""
    errors = []
    start = threading.Barrier(batches)

    def leader(index):
        items = items_for(app, size, start=index * size, keyed=index % 2 == 0)
        with app.app_context():
            start.wait()
            writer._write_batch(items)
            errors.extend(item.error for item in items if item.error is not None)
            db.session.remove()

    in_threads(leader, [(i,) for i in range(batches)], timeout=60)
    return errors


def test_concurrent_batches_keep_one_chain(app):
    assert concurrent_batches(app, batches=6, size=5) == []
    records = stored(app)
    assert [r.seq for r in records] == list(range(1, 31))
    assert len({r.consent_id for r in records}) == 30
    with app.app_context():
        report = check_stored_chain("entrack")
    assert report.ok and report.count == 30
