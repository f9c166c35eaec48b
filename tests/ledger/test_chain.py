"""Tamper evidence: `flask consent verify` finds any edit, insertion or deletion; writers never fork the chain."""
import multiprocessing
import threading

import pytest
from sqlalchemy import delete, func, insert, select, update

from consent_service import create_app
from consent_service.extensions import db
from consent_service.ledger import verification
from consent_service.ledger.models import ChainHead, ConsentRecord
from consent_service.proof import chain, checking

from tests.conftest import TEST_SECRET


def post_many(client, body, count):
    for index in range(count):
        body = {**body, "categories": {"analytics": index % 2 == 0, "marketing": index % 3 == 0}}
        response = client.post("/api/v1/consents", json=body)
        assert response.status_code == 201, response.get_json()


def run_sql(app, statement):
    with app.app_context():
        db.session.execute(statement)
        db.session.commit()


def verify(runner):
    return runner.invoke(args=["consent", "verify"])


def test_intact_chain_verifies(client, runner, consent_body):
    post_many(client, consent_body, 5)
    result = verify(runner)
    assert result.exit_code == 0, result.output
    assert "entrack: OK, 5 records, head seq 5" in result.output


def test_empty_ledger_verifies(runner):
    result = verify(runner)
    assert result.exit_code == 0
    assert "entrack: OK, 0 records" in result.output


@pytest.mark.parametrize(("column", "value"), [
    ("analytics", False),
    ("marketing", True),
    ("action", "accept_all"),
    ("consent_id", "00000000-0000-4000-8000-000000000000"),
    ("policy_version", "1999"),
    ("language", "en"),
    ("gpc", True),
    ("ip_prefix", "192.0.2.0/24"),
    ("user_agent", "forged"),
    ("page_url", "https://forged.example/"),
    ("record_hash", "f" * 64),
])
def test_edited_record_is_named(app, client, runner, consent_body, column, value):
    post_many(client, consent_body, 4)
    run_sql(app, update(ConsentRecord).where(ConsentRecord.seq == 3).values({column: value}))
    result = verify(runner)
    assert result.exit_code == 1
    assert "BROKEN at record seq 3" in result.output


def test_edited_time_is_detected(app, client, runner, consent_body):
    post_many(client, consent_body, 3)
    with app.app_context():
        record = db.session.scalar(select(ConsentRecord).where(ConsentRecord.seq == 2))
        moved = record.recorded_at.replace(microsecond=(record.recorded_at.microsecond + 1) % 1000000)
    run_sql(app, update(ConsentRecord).where(ConsentRecord.seq == 2).values(recorded_at=moved))
    result = verify(runner)
    assert result.exit_code == 1
    assert "seq 2" in result.output


def test_deleted_record_is_detected(app, client, runner, consent_body):
    post_many(client, consent_body, 4)
    run_sql(app, delete(ConsentRecord).where(ConsentRecord.seq == 2))
    result = verify(runner)
    assert result.exit_code == 1
    assert "record seq 3" in result.output
    assert "inserted or deleted" in result.output


def test_deleted_last_record_is_detected(app, client, runner, consent_body):
    post_many(client, consent_body, 3)
    run_sql(app, delete(ConsentRecord).where(ConsentRecord.seq == 3))
    result = verify(runner)
    assert result.exit_code == 1
    assert "the chain head says seq 3 but the records end at seq 2" in result.output


def test_rehashed_forgery_is_detected(app, client, runner, consent_body):
    """Editing a record and recomputing its own hash still breaks the link to the next record."""
    post_many(client, consent_body, 3)
    with app.app_context():
        record = db.session.scalar(select(ConsentRecord).where(ConsentRecord.seq == 2))
        record.marketing = not record.marketing
        record.record_hash = chain.record_hash(record.as_chain_dict())
        db.session.commit()
    result = verify(runner)
    assert result.exit_code == 1
    assert "record seq 3" in result.output


def test_inserted_record_is_detected(app, client, runner, consent_body):
    post_many(client, consent_body, 2)
    with app.app_context():
        fields = db.session.scalar(select(ConsentRecord).where(ConsentRecord.seq == 1)).as_chain_dict()
    fields.pop("id")
    fields.update(seq=3)
    run_sql(app, insert(ConsentRecord).values(fields))
    result = verify(runner)
    assert result.exit_code == 1
    assert "record seq 3 lies beyond the chain head (seq 2)" in result.output


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_worker_processes_name_the_same_record(app, client, runner, consent_body, monkeypatch, jobs):
    """``--jobs 2`` checks ranges of seq in two processes; breaks in them are named as in one."""
    monkeypatch.setattr(verification, "BATCH", 2)
    monkeypatch.setattr(verification, "PARALLEL_FROM", 2)
    post_many(client, consent_body, 9)
    result = runner.invoke(args=["consent", "verify", "--jobs", jobs])
    assert result.exit_code == 0 and "entrack: OK, 9 records, head seq 9" in result.output
    run_sql(app, update(ConsentRecord).where(ConsentRecord.seq == 7).values(language="en"))
    run_sql(app, delete(ConsentRecord).where(ConsentRecord.seq == 4))
    result = runner.invoke(args=["consent", "verify", "--jobs", jobs])
    assert result.exit_code == 1
    assert "BROKEN at record seq 5 (consent_id " in result.output and "expected seq 4" in result.output


def test_verify_one_site_and_unknown_site(client, runner, consent_body):
    post_many(client, consent_body, 1)
    assert runner.invoke(args=["consent", "verify", "--site", "entrack"]).exit_code == 0
    result = runner.invoke(args=["consent", "verify", "--site", "nope"])
    assert result.exit_code == 2
    assert "unknown site nope" in result.output


def checked_in_python(records):
    """The site's run as the check engine finds it in the records' texts as Python renders them
    (``chain.text``), not as the database does: ``(last seq, last hash)``, or ChainBreak."""
    rows = [[chain.text(record.as_chain_dict()[name]) for name in chain.CHECKED_FIELDS] for record in records]
    layout = checking.Layout.of(chain.CHECKED_FIELDS, gaps_allowed=False)
    runs = {"entrack": checking.SiteRun.starting("entrack", 1, chain.GENESIS_HASH)}
    run = checking.join([checking.check_rows(rows, layout)], layout, runs)["entrack"]
    return run.last_seq, run.last_hash


def assert_linear_chain(app, expected):
    with app.app_context():
        records = db.session.scalars(select(ConsentRecord).order_by(ConsentRecord.seq)).all()
        head = db.session.get(ChainHead, "entrack")
        assert [r.seq for r in records] == list(range(1, expected + 1))
        assert len({r.prev_hash for r in records}) == expected  # no two records share a parent
        assert checked_in_python(records) == (head.seq, head.head_hash)


def test_concurrent_threads_never_fork_the_chain(app, runner, consent_body):
    threads, each = 8, 6
    errors = []

    def worker():
        try:
            post_many(app.test_client(), consent_body, each)
        except AssertionError as error:  # pragma: no cover - reported below
            errors.append(error)

    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join(timeout=120)
    assert errors == []
    assert_linear_chain(app, threads * each)
    assert verify(runner).exit_code == 0


def _process_worker(uri, body, count, queue):
    app = create_app({"TESTING": True, "SECRET_KEY": TEST_SECRET, "SQLALCHEMY_DATABASE_URI": uri})
    client = app.test_client()
    ids = []
    for index in range(count):
        response = client.post("/api/v1/consents", json={**body, "idempotency_key": f"{uri[-6:]}-{id(app)}-{index}"})
        ids.append(response.status_code)
    with app.app_context():
        db.engine.dispose()
    queue.put(ids)


def test_concurrent_processes_never_fork_the_chain(app, runner, database_uri, consent_body):
    processes, each = 4, 8
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    pool = [context.Process(target=_process_worker, args=(database_uri, consent_body, each, queue))
            for _ in range(processes)]
    for process in pool:
        process.start()
    statuses = [status for _ in pool for status in queue.get(timeout=120)]
    for process in pool:
        process.join(timeout=30)
    assert statuses == [201] * (processes * each)
    assert_linear_chain(app, processes * each)
    assert verify(runner).exit_code == 0
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ConsentRecord)) == processes * each
