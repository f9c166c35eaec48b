"""On SQLite the processes sharing a database file take their writer's turns on an advisory lock of a
file beside it (SQLite's own busy handler slept up to 100 ms between tries): while another process
holds it no record is written, past the busy timeout the writer answers 503, and once it is free the
writer goes on. PostgreSQL's writers need no such lock (its row lock wakes the next one)."""
import fcntl
import time

import pytest

from consent_service.errors import ApiError
from consent_service.extensions import db
from consent_service.ledger import writer

from tests.support.audit import add_records


def hold(path):
    """The writers' lock of the database at ``path``, held as another process would (an open file of its own)."""
    held = open(f"{path}-writers.lock", "a+b")
    try:
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        held.close()
        raise
    return held


def test_a_turn_waits_for_another_holder_and_gives_up_at_its_deadline(tmp_path):
    database = str(tmp_path / "ledger.sqlite3")
    with hold(database), pytest.raises(ApiError) as refused:
        with writer._file_turn(database, time.monotonic() + 0.05):
            pass
    assert refused.value.status == 503
    with writer._file_turn(database, time.monotonic() + 0.05):
        with pytest.raises(BlockingIOError):
            hold(database)  # held by the turn
    hold(database).close()  # free again


def test_an_in_memory_database_has_no_lock_file(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with writer._file_turn(":memory:", time.monotonic()):
        pass
    assert list(tmp_path.iterdir()) == []


def test_the_sessions_writer_takes_the_file_turn_on_sqlite_only(app, tmp_path):
    with app.app_context():
        engine = db.engine
        app.config["SQLALCHEMY_ENGINE_OPTIONS"].setdefault("connect_args", {})["timeout"] = 0.05
        path = engine.url.database if engine.dialect.name == "sqlite" else str(tmp_path / "unused")
        with hold(path) as held:
            if engine.dialect.name == "sqlite":
                with pytest.raises(ApiError), writer.writer_turn():
                    pass
            else:
                with writer.writer_turn():
                    pass
            fcntl.flock(held, fcntl.LOCK_UN)
    assert len(add_records(app, {})) == 1


def test_a_writer_shortens_sqlite_busy_wait_to_its_deadline_and_the_pool_restores_it(app, client, consent_body):
    """Inside a turn SQLite's own wait ends at the turn's deadline; every connection back in the pool
    has the configured busy timeout again."""
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        assert client.post("/api/v1/consents", json=consent_body).status_code == 201
        return  # PostgreSQL: no turn, nothing shortened
    configured = int(float(app.config["SQLALCHEMY_ENGINE_OPTIONS"]["connect_args"]["timeout"]) * 1000)
    with app.app_context():
        with writer.writer_turn():
            inside = db.session.execute(db.text("PRAGMA busy_timeout")).scalar()
        db.session.rollback()
        db.session.remove()
        assert 0 < inside <= configured
        assert client.post("/api/v1/consents", json=consent_body).status_code == 201
        with db.engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == configured
