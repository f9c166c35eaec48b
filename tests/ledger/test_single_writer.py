"""Only the ledger's writer inserts, changes or deletes consent records, chain heads, idempotency
keys and purge checkpoints: found in the source, and watched at run time."""
import re
import traceback
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import event

from consent_service.extensions import db

from tests.support.audit import add_records
from tests.support.imports import ROOT

WRITER = ROOT / "ledger" / "writer.py"
MODELS = ROOT / "ledger" / "models.py"
TABLES = ("consent_records", "chain_heads", "idempotency_keys", "purge_checkpoints", "policy_snapshots")
MODEL_NAMES = r"(?:ConsentRecord|ChainHead|IdempotencyKey|PurgeCheckpoint)"
WRITES_IN_SOURCE = re.compile(
    rf"\b(?:insert|update|delete)\(\s*{MODEL_NAMES}\b"    # Core statements on the tables
    rf"|(?<!class ){MODEL_NAMES}\("                         # new rows through the ORM
    rf"|{MODEL_NAMES}\.__table__"                             # the tables themselves
    r"|\.(?:delete|merge)\(\s*record"                         # ORM deletes of loaded records
)


def test_no_other_module_writes_the_ledgers_tables():
    writers = {str(path.relative_to(ROOT)): WRITES_IN_SOURCE.findall(path.read_text(encoding="utf-8"))
               for path in ROOT.rglob("*.py") if path not in (WRITER, MODELS)}
    assert not {path: found for path, found in writers.items() if found}


def test_the_source_check_sees_a_write():
    assert WRITES_IN_SOURCE.search("db.session.execute(update(ConsentRecord).values(user_agent=None))")
    assert WRITES_IN_SOURCE.search("db.session.add(PurgeCheckpoint(site=key))")
    assert not WRITES_IN_SOURCE.search("select(ConsentRecord).where(ConsentRecord.site == key)")


@pytest.fixture
def writes(app):
    """Each INSERT, UPDATE or DELETE on the ledger's tables, with the source files on its stack."""
    seen = []

    def listener(conn, cursor, statement, parameters, context, executemany):
        words = statement.split(None, 3)
        verb = words[0].upper() if words else ""
        if verb in ("INSERT", "UPDATE", "DELETE") and any(table in statement for table in TABLES):
            seen.append((verb, {frame.filename for frame in traceback.extract_stack()}))

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", listener)
    yield seen
    event.remove(engine, "before_cursor_execute", listener)


def test_every_write_at_run_time_is_the_writers(app, client, runner, consent_body, writes):
    """A decision, a change of mind, an erasure and a purge: every statement comes from the writer."""
    add_records(app, {"at": datetime.now(timezone.utc) - timedelta(days=800)})
    first = client.post("/api/v1/consents", json=consent_body, headers={"Idempotency-Key": "k-1"}).get_json()
    client.post("/api/v1/consents", json={**consent_body, "consent_id": first["consent_id"], "token": first["token"],
                                          "action": "reject_all", "categories": {"analytics": False, "marketing": False}})
    assert client.delete(f"/api/v1/consents/{first['consent_id']}",
                         headers={"Authorization": f"Bearer {first['token']}"}).status_code == 200
    assert runner.invoke(args=["consent", "purge", "--older-than", "400"]).exit_code == 0
    verbs = {verb for verb, _ in writes}
    assert verbs == {"INSERT", "UPDATE", "DELETE"}
    assert all(str(WRITER) in files for _, files in writes)
