"""`flask consent verify` reads the stored texts as the database holds them (UTF-8, on PostgreSQL a
record's texts joined in one): texts with anything JSON escapes, or the join's separator, verify; an edit
that hashing the texts merely joined would miss is found; the session's connection is left as it was."""
import pytest
from sqlalchemy import select, text, update

from consent_service.extensions import db
from consent_service.ledger import verification
from consent_service.ledger.models import ConsentRecord

from tests.support.audit import add_records

ODD_AGENTS = ['say "hi"', "back\\slash", "tab\there, unit\x1fseparator", "Mozilla/5.0 (ä; €) \U0001f600", None,
              'quote " and \x01 start of heading', ""]


@pytest.fixture
def odd_records(app, monkeypatch):
    """Records whose user agents and policy versions hold quotes, backslashes, control characters (the
    separator of a joined read among them) and text beyond ASCII; read a few rows at a time."""
    for name in ("BATCH", "SERVER_BATCH", "PARALLEL_FROM"):
        monkeypatch.setattr(verification, name, 2)
    add_records(app, *({"user_agent": agent, "policy_version": f'v"{index}"'}
                       for index, agent in enumerate(ODD_AGENTS)))


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_odd_texts_verify(runner, odd_records, jobs):
    result = runner.invoke(args=["consent", "verify", "--jobs", jobs])
    assert result.exit_code == 0, result.output
    assert f"entrack: OK, {len(ODD_AGENTS)} records" in result.output


@pytest.mark.parametrize("jobs", ["1", "2"])
@pytest.mark.parametrize(("seq", "column", "stored"), [
    (1, "user_agent", 'say \\"hi\\"'),  # joined with '","' as it is, the JSON that the record's hash covers
    (3, "user_agent", "tab\\there, unit\x1fseparator"),
    (3, "user_agent", "tab\there, unit\x1f\x1fseparator"),
    (4, "policy_version", 'v\\"3\\"'),
    (5, "user_agent", "\x1f"),  # an erased record's personal text
])
def test_edits_of_odd_texts_are_found(app, runner, odd_records, jobs, seq, column, stored):
    with app.app_context():
        db.session.execute(update(ConsentRecord).where(ConsentRecord.seq == seq).values({column: stored}))
        db.session.commit()
    result = runner.invoke(args=["consent", "verify", "--jobs", jobs])
    assert result.exit_code == 1
    assert f"BROKEN at record seq {seq} (consent_id " in result.output


def test_the_sessions_connection_reads_text_again(app, odd_records):
    """The check reads bytes through the session's own connection (a text_factory on SQLite, a client
    encoding on PostgreSQL) and leaves it reading text."""
    with app.app_context():
        assert verification.check_stored_chain("entrack").ok
        assert db.session.scalar(text("SELECT 'ä'")) == "ä"
        assert db.session.scalar(select(ConsentRecord.user_agent).where(ConsentRecord.seq == 4)) == ODD_AGENTS[3]


@pytest.mark.parametrize(("agents", "reads_on_postgresql"), [
    (["plain", 'with "quotes"', "tab\there"], ["joined"]),
    (["plain", "unit\x1fseparator"], ["joined", "one column per text"]),
])
def test_a_text_holding_the_separator_is_read_again_alone(app, monkeypatch, agents, reads_on_postgresql):
    """PostgreSQL sends each record's texts joined, and the check of them counts unless a text holds the
    separator (the check finds too many texts): then the texts are read again, one column each. SQLite
    sends one column per text."""
    add_records(app, *({"user_agent": agent} for agent in agents))
    reads, check_read = [], verification._check_read

    def counted(cursor, statement, batch, split=False):
        reads.append("joined" if split else "one column per text")
        return check_read(cursor, statement, batch, split)

    monkeypatch.setattr(verification, "_check_read", counted)
    with app.app_context():
        assert verification.check_stored_chain("entrack").ok
        postgresql = db.session.get_bind().dialect.name == "postgresql"
    assert reads == (reads_on_postgresql if postgresql else ["one column per text"])
