"""Group commit: concurrent decisions share a transaction, yet each is stored exactly once, a
repeated Idempotency-Key in the same batch stores one record, and a failure reaches every writer."""
import threading

import pytest
from sqlalchemy import func, select

from consent_service.extensions import db
from consent_service.ledger import group_commit
from consent_service.ledger.models import ConsentRecord, IdempotencyKey
from consent_service.ledger.verification import check_stored_chain

from tests.support.load import in_threads
from tests.support.waiting import wait_for


@pytest.fixture
def app_config():
    return {"RATELIMIT_CONSENT": "100000 per minute"}


def post_together(app, bodies_and_keys):
    answers = [None] * len(bodies_and_keys)
    start = threading.Barrier(len(bodies_and_keys))

    def visitor(index, body, key):
        client = app.test_client()
        start.wait()
        headers = {"Idempotency-Key": key} if key else {}
        response = client.post("/api/v1/consents", json=body, headers=headers)
        answers[index] = (response.status_code, response.get_json())

    in_threads(visitor, [(i, b, k) for i, (b, k) in enumerate(bodies_and_keys)], timeout=60)
    return answers


def counts(app):
    with app.app_context():
        records = db.session.scalar(select(func.count()).select_from(ConsentRecord))
        keys = db.session.scalar(select(func.count()).select_from(IdempotencyKey))
        report = check_stored_chain("entrack")
        db.session.remove()
    return records, keys, report


def test_concurrent_decisions_each_stored_once(app, consent_body):
    answers = post_together(app, [(consent_body, f"key-{n}") for n in range(12)] + [(consent_body, None)] * 4)
    assert [status for status, _ in answers] == [201] * 16
    assert len({body["consent_id"] for _, body in answers}) == 16
    records, keys, report = counts(app)
    assert (records, keys) == (16, 12)
    assert report.ok and report.count == 16


def test_repeated_key_in_one_batch_stores_once(app, consent_body):
    answers = post_together(app, [(consent_body, "same-key")] * 8 + [(consent_body, f"other-{n}") for n in range(4)])
    assert [status for status, _ in answers] == [201] * 12
    assert len({body["consent_id"] for _, body in answers[:8]}) == 1
    records, keys, report = counts(app)
    assert (records, keys) == (5, 5)
    assert report.ok


def test_leader_failure_reaches_every_follower():
    batches = group_commit.GroupCommit()
    entered, release = threading.Event(), threading.Event()
    seen = []

    def slow_write(items):
        entered.set()
        release.wait(5)
        seen.append(len(items))
        for item in items:
            item["error"] = "database down"

    items = [{"n": n} for n in range(4)]
    first = threading.Thread(target=batches.submit, args=("slot", items[0], slow_write))
    first.start()
    entered.wait(5)
    others = [threading.Thread(target=batches.submit, args=("slot", item, slow_write)) for item in items[1:]]
    for thread in others:
        thread.start()
    wait_for(lambda: len(batches._open.get("slot", group_commit.Batch("slot")).items), lambda n: n >= 3, timeout=5)
    release.set()
    for thread in [first, *others]:
        thread.join(10)
    assert seen == [1, 3]  # the first alone, the three that waited meanwhile together
    assert all(item["error"] == "database down" for item in items)
