"""On SQLite the processes sharing a database file take their writer's turns on an advisory lock of a
file beside it (SQLite's own busy handler slept up to 100 ms between tries): while another process
holds it no record is written, past the busy timeout the writer answers 503, and once it is free the
writer goes on."""
import fcntl
import os

import pytest

from consent_service.errors import ApiError
from consent_service.extensions import db
from consent_service.ledger import writer

from tests.support.audit import add_records

pytestmark = pytest.mark.skipif(bool(os.environ.get("DATABASE_URL")), reason="SQLite's writers only")


@pytest.fixture
def other_process(app):
    """The writers' lock file, held as another process would hold it (its own open file)."""
    with app.app_context():
        path = f"{db.engine.url.database}-writers.lock"
    with open(path, "a+b") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        yield held


def test_a_writer_waits_for_another_process_and_gives_up_at_the_busy_timeout(app, other_process):
    with app.app_context():
        app.config["SQLALCHEMY_ENGINE_OPTIONS"]["connect_args"]["timeout"] = 0.05
        with pytest.raises(ApiError) as refused, writer.writer_turn():
            pass
    assert refused.value.status == 503
    fcntl.flock(other_process, fcntl.LOCK_UN)
    assert len(add_records(app, {})) == 1


def test_the_turn_is_free_again_after_a_write(app):
    add_records(app, {})
    with app.app_context(), open(f"{db.engine.url.database}-writers.lock", "a+b") as other:
        fcntl.flock(other, fcntl.LOCK_EX | fcntl.LOCK_NB)  # would raise BlockingIOError if still held
