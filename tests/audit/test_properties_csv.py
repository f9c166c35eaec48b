"""Hypothesis: any text a visitor's browser can send survives the consent-proof CSV: neutralising is
undone exactly, the file parses back to the stored values, and the offline verifier accepts it."""
import csv
import hashlib
import io
import json
import os
import tempfile

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select

from consent_service.extensions import db
from consent_service.proof import chain, csvfile
from consent_service.ledger.models import ChainHead, ConsentRecord

from tests.support.audit import add_records, bearer, make_auditor, read_csv

SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
# What can reach a stored field: no NUL (the ledger strips control characters) and no surrogates.
TEXT = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=60)
FORMULA_LIKE = st.sampled_from(["=", "+", "-", "@", "\t", "\r", "'", "''", ",", '"', "\n", "\r\n", ""])
CELLS = st.builds(lambda head, tail: head + tail, FORMULA_LIKE, TEXT)


@given(cell=CELLS)
@settings(max_examples=500)
def test_neutralise_is_undone_exactly(cell):
    written = csvfile.neutralise(cell)
    assert csvfile.restore(written) == cell
    assert not written.startswith(("=", "+", "-", "@", "\t", "\r"))


@given(texts=st.lists(st.one_of(CELLS, st.text(max_size=8)), max_size=18))
@settings(max_examples=2000)
def test_fast_digest_is_the_canonical_json_digest(texts):
    """The verifier's shortcut (texts joined when nothing needs escaping) hashes what json.dumps gives."""
    expected = hashlib.sha256(json.dumps(texts, ensure_ascii=False, separators=(",", ":")).encode()).hexdigest()
    assert chain.digest_texts(tuple(texts)) == chain.digest_texts(texts) == expected


@pytest.fixture
def token(app):
    return make_auditor(app, "csv-props", ["entrack"])


def reset(app):
    with app.app_context():
        db.session.execute(delete(ConsentRecord))
        db.session.execute(delete(ChainHead))
        db.session.commit()


@SETTINGS
@given(agents=st.lists(CELLS, min_size=1, max_size=4), versions=st.lists(CELLS.filter(lambda v: 0 < len(v) <= 64),
                                                                           min_size=1, max_size=4))
def test_csv_round_trip_and_offline_verification(app, client, token, agents, versions):
    reset(app)
    specs = [{"user_agent": agent or None, "policy_version": versions[i % len(versions)]}
             for i, agent in enumerate(agents)]
    add_records(app, *specs)
    response = client.get("/audit/consents.csv?site=entrack", headers=bearer(token))
    assert response.status_code == 200
    rows = read_csv(response.data)
    with app.app_context():
        stored = db.session.scalars(select(ConsentRecord).order_by(ConsentRecord.seq)).all()
        assert [csvfile.restore(row["user_agent"]) for row in rows] == [r.user_agent or "" for r in stored]
        assert [csvfile.restore(row["policy_version"]) for row in rows] == [r.policy_version for r in stored]
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "consents.csv")
        with open(path, "wb") as file:
            file.write(response.data)
        runs = csvfile.check_file(path)
    assert runs["entrack"].rows == len(agents) and runs["entrack"].from_genesis


@given(rows=st.lists(st.lists(st.one_of(CELLS, st.sampled_from(["", "a,b", "x\r\ny", '"', "\r", "\n", ";'", "';'", "a;''", "'',"])),
                              min_size=1, max_size=6), max_size=8),
       terminator=st.sampled_from(["\r\n", "\n"]), last_break=st.booleans())
@settings(max_examples=1500)
def test_fast_row_reader_reads_what_csv_reads(rows, terminator, last_break):
    """``csvfile.rows_of`` (str.split where a line allows it) gives exactly csv.reader's rows, whatever the
    cells and line ends (CRLF as exported, LF as some programs save)."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator=terminator).writerows(rows)
    text = buffer.getvalue()
    if not last_break and text.endswith(terminator):
        text = text[:-len(terminator)]
    expected = list(csv.reader(io.StringIO(text, newline="")))
    assert list(csvfile.rows_of(text)) == expected
    for undo in (csvfile.restore, csvfile.restore_before_scopes):
        assert list(csvfile.rows_of(text, undo)) == [[undo(cell) for cell in row] for row in expected]


@given(text=st.text(st.sampled_from('a,"\'\r\n;'), max_size=40))
@settings(max_examples=3000)
def test_fast_row_reader_on_any_text(text):
    """Also on text that no CSV writer makes (a quote inside a cell, text after a closing quote, a quote
    left open): the same rows as csv.reader, or the same error."""
    try:
        expected = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error:
        with pytest.raises(csv.Error):
            list(csvfile.rows_of(text))
        return
    assert list(csvfile.rows_of(text)) == expected
