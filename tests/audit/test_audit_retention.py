"""A break in the stored chain is found; `consent purge` deletes old records and what remains verifies."""
import base64
import json
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import delete, func, select, update

from consent_service.extensions import db
from consent_service.ledger import verification
from consent_service.ledger.models import ChainHead, ConsentRecord, IdempotencyKey, PurgeCheckpoint
from consent_service.ledger.verification import chain_start, check_stored_chain
from consent_service.proof import signed_head
from consent_service.proof.cli import check_and_report

from tests.support.audit import add_records, bearer, make_auditor

NOW = datetime.now(timezone.utc)


def days_ago(days):
    return NOW - timedelta(days=days)


@pytest.fixture
def token(app):
    return make_auditor(app)


def test_edited_record_in_the_database_is_found(client, app, runner, token):
    add_records(app, {}, {}, {})
    with app.app_context():
        db.session.execute(update(ConsentRecord).where(ConsentRecord.seq == 2).values(marketing=True))
        db.session.commit()
    result = runner.invoke(args=["consent", "verify"])
    assert result.exit_code == 1
    assert "BROKEN at record seq 2" in result.output and "edited" in result.output


def test_purge_keeps_a_verifiable_rest(client, app, runner, token, tmp_path):
    add_records(app, *({"at": days_ago(2000 - i)} for i in range(4)), *({"at": days_ago(10 - i)} for i in range(3)))
    with app.app_context():
        [old_id] = db.session.scalars(select(ConsentRecord.id).where(ConsentRecord.seq == 2)).all()
        db.session.add(IdempotencyKey(key="k", request_digest="d", record_id=old_id, response="{}", created_at=NOW))
        db.session.commit()
    result = runner.invoke(args=["consent", "purge", "--older-than", "1825"])
    assert result.exit_code == 0, result.output
    assert "entrack: purged 4 records; the chain now starts after seq 4" in result.output
    with app.app_context():
        assert db.session.scalars(select(ConsentRecord.seq).order_by(ConsentRecord.seq)).all() == [5, 6, 7]
        assert db.session.scalar(select(func.count()).select_from(IdempotencyKey)) == 0
        start = chain_start("entrack")
        assert start[0] == 4
        report = check_stored_chain("entrack")
        assert report.ok and (report.count, report.last_seq) == (3, 7)
    assert runner.invoke(args=["consent", "verify"]).exit_code == 0

    head = client.get("/audit/chain-head?site=entrack", headers=bearer(token)).get_json()
    assert (head["start_seq"], head["start_hash"]) == start
    key = client.get("/audit/signing-key").get_json()["public_key"]
    checkpoint = json.loads(head["checkpoint"]["payload"])
    assert (checkpoint["seq"], checkpoint["record_hash"], checkpoint["purged_count"]) == (4, start[1], 4)
    assert signed_head.ed25519_verify(signed_head.decode_public_key(key), head["checkpoint"]["payload"].encode(),
                                 base64.b64decode(head["checkpoint"]["signature"]))
    path = tmp_path / "rest.csv"
    path.write_bytes(client.get("/audit/consents.csv", headers=bearer(token)).data)
    lines = []
    assert check_and_report(str(path), False, head, key, out=lines.append) == 0, lines
    assert "starting after seq 4" in "\n".join(lines)
    assert "runs from seq 5 to the signed head seq 7" in "\n".join(lines)


def test_second_purge_moves_the_checkpoint(app, runner):
    add_records(app, {"at": days_ago(3000)}, {"at": days_ago(2500)}, {"at": days_ago(5)})
    assert runner.invoke(args=["consent", "purge", "--older-than", "2700"]).exit_code == 0
    assert runner.invoke(args=["consent", "purge", "--older-than", "2700"]).output == "entrack: nothing to purge\n"
    result = runner.invoke(args=["consent", "purge"])  # the site's retention_days, 1825
    assert "purged 1 records; the chain now starts after seq 2" in result.output
    with app.app_context():
        assert db.session.scalars(select(PurgeCheckpoint.seq).order_by(PurgeCheckpoint.seq)).all() == [1, 2]
        assert check_stored_chain("entrack").ok


def test_purge_of_everything_still_verifies(app, runner):
    add_records(app, {"at": days_ago(4000)}, {"at": days_ago(3990)})
    assert "purged 2 records" in runner.invoke(args=["consent", "purge"]).output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ConsentRecord)) == 0
        assert db.session.get(ChainHead, "entrack").seq == 2
        assert check_stored_chain("entrack").ok
    add_records(app, {})
    with app.app_context():
        assert check_stored_chain("entrack").ok


def test_purge_stops_at_the_first_recent_record(app, runner):
    """Only a prefix is deleted: an old record after a recent one stays (clocks can step back)."""
    add_records(app, {"at": days_ago(3000)}, {"at": days_ago(1)}, {"at": days_ago(3000)})
    assert "purged 1 records" in runner.invoke(args=["consent", "purge"]).output
    with app.app_context():
        assert db.session.scalars(select(ConsentRecord.seq).order_by(ConsentRecord.seq)).all() == [2, 3]


@pytest.mark.parametrize(("args", "message"), [
    (["--older-than", "30"], "less than the site's consent_days (365)"),
    (["--site", "nowhere"], "unknown site nowhere"),
    (["--older-than", "0"], "0 is not in the range"),
])
def test_purge_refuses(app, runner, args, message):
    add_records(app, {"at": days_ago(4000)})
    result = runner.invoke(args=["consent", "purge", *args])
    assert result.exit_code != 0 and message in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ConsentRecord)) == 1


def test_purge_refuses_a_broken_chain(app, runner):
    add_records(app, {"at": days_ago(4000)}, {"at": days_ago(1)})
    with app.app_context():
        db.session.execute(update(ConsentRecord).where(ConsentRecord.seq == 1).values(analytics=False))
        db.session.commit()
    result = runner.invoke(args=["consent", "purge"])
    assert result.exit_code == 1 and "the chain does not verify, so nothing is purged" in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ConsentRecord)) == 2


@pytest.mark.parametrize(("deleted", "message"), [
    ([1], "record seq 2 (consent_id {ids[2]}): expected seq 1: a record was inserted or deleted"),
    ([3], "record seq 4 (consent_id {ids[4]}): expected seq 3: a record was inserted or deleted"),
    ([5], "the chain head says seq 5 but the records end at seq 4"),
    ([], None),
])
@pytest.mark.parametrize("jobs", [1, 2])
def test_check_of_the_database_finds_deleted_records(app, deleted, message, jobs, monkeypatch):
    monkeypatch.setattr(verification, "BATCH", 2)  # the break falls inside a batch or between two
    monkeypatch.setattr(verification, "PARALLEL_FROM", 2)
    add_records(app, *({} for _ in range(5)))
    with app.app_context():
        ids = dict(db.session.execute(select(ConsentRecord.seq, ConsentRecord.consent_id)).all())
        db.session.execute(delete(ConsentRecord).where(ConsentRecord.seq.in_(deleted)))
        db.session.commit()
        report = check_stored_chain("entrack", jobs)
    assert report.ok is (message is None)
    if message is not None:
        assert report.error.startswith(message.format(ids=ids))
    else:
        assert (report.count, report.last_seq) == (5, 5)


def test_audit_check_after_a_purge(app, runner):
    add_records(app, {"at": days_ago(4000)}, {"at": days_ago(3000)}, {})
    runner.invoke(args=["consent", "purge"])
    with app.app_context():
        report = check_stored_chain("entrack")
    assert report.ok and (report.count, report.last_seq) == (1, 3)


def test_audit_check_in_worker_processes(app, monkeypatch):
    monkeypatch.setattr(verification, "BATCH", 2)
    monkeypatch.setattr(verification, "PARALLEL_FROM", 2)
    add_records(app, *({} for _ in range(7)))
    with app.app_context():
        assert check_stored_chain("entrack", jobs=2).ok
        db.session.execute(update(ConsentRecord).where(ConsentRecord.seq == 6).values(user_agent="curl"))
        db.session.commit()
        report = check_stored_chain("entrack", jobs=2)
    assert report.error.startswith("record seq 6 (consent_id ")
    assert report.error.endswith("the IP prefix, user agent or page URL was edited")
