"""The check engine on rows of UTF-8 cells (as the database verification reads them) finds what it finds
in their texts, and gives it back as text."""
import pytest

from consent_service.proof import chain, checking

from tests.support.chains import chained

TEXTS = checking.Layout.of(chain.CHECKED_FIELDS, gaps_allowed=False)
UTF8 = checking.Layout.of(chain.CHECKED_FIELDS, gaps_allowed=False, cells=bytes)
ODD = [{"user_agent": 'x "y" \\z'}, {"pii_salt": ""}, {"policy_hash": ""}, {"page_url": "https://ä.example/\n"},
       {"policy_version": 'v"1'}, {}]


def rows_of(records):
    return [[record[name] for name in chain.CHECKED_FIELDS] for record in records]


def checked_both_ways(rows, wanted=frozenset()):
    """check_rows of the rows as texts and as UTF-8: the same, and in text."""
    as_texts = checking.check_rows(rows, TEXTS, wanted)
    as_utf8 = checking.check_rows([[cell.encode() for cell in row] for row in rows], UTF8, wanted)
    assert as_utf8 == as_texts
    return as_texts


def edit(rows, at, name, text):
    rows[at][chain.CHECKED_FIELDS.index(name)] = text
    return rows


@pytest.mark.parametrize(("change", "error"), [
    (lambda rows: rows, None),
    (lambda rows: edit(rows, 2, "user_agent", 'x \\"y\\" \\z'), (2, 3, chain.PII_EDITED)),
    (lambda rows: edit(rows, 4, "policy_version", 'v\\"1'), (4, 5, chain.RECORD_EDITED)),
    (lambda rows: rows[:3] + rows[4:], (3, 5, "expected seq 4: a record was inserted or deleted")),
    (lambda rows: [rows[1], rows[0], *rows[2:]], (1, 1, "out of chain order after seq 2: rows reordered or repeated")),
    (lambda rows: edit(rows, 3, "prev_hash", "0" * 64),
     (3, 4, "prev_hash does not match the previous record: a record was inserted or deleted")),
    (lambda rows: edit(rows, 0, "prev_hash", "1" * 64), (0, 1, "the first record's prev_hash is not the genesis hash")),
])
def test_utf8_cells_are_checked_as_their_texts(change, error):
    rows = change(rows_of(chained(*ODD)))
    checked = checked_both_ways(rows, frozenset({("entrack", 2), ("entrack", 6)}))
    ids = {int(row[chain.SEQ]): row[chain.CONSENT_ID] for row in rows}
    if error is None:
        (offset, run), = checked.runs
        assert (checked.count, checked.error, offset, run.site, run.rows, run.last_seq) == (6, None, 0, "entrack", 6, 6)
        assert run.last_hash == rows[-1][chain.RECORD_HASH] and run.first_prev == chain.GENESIS_HASH
        assert checked.found == {("entrack", 2): (1, rows[1][chain.RECORD_HASH]),
                                 ("entrack", 6): (5, rows[5][chain.RECORD_HASH])}
    else:
        offset, seq, reason = error
        assert checked.error == (offset, seq, ids[seq], reason)


def test_sites_interleaved_and_joined():
    """Two sites' rows mixed, checked in two batches of UTF-8 cells and joined: each site's chain."""
    rows = [row for pair in zip(rows_of(chained(*ODD, site="entrack")), rows_of(chained(*ODD, site="other")))
            for row in pair]
    first, second = checked_both_ways(rows[:5]), checked_both_ways(rows[5:])
    runs = checking.join([first, second], UTF8)
    assert {site: (run.rows, run.last_seq, run.last_hash) for site, run in runs.items()} == {
        "entrack": (6, 6, rows[-2][chain.RECORD_HASH]), "other": (6, 6, rows[-1][chain.RECORD_HASH])}


@pytest.mark.parametrize(("name", "cell", "reason"), [
    ("consent_id", b"\xff\xfe-id", chain.RECORD_EDITED),
    ("user_agent", b"agent \xc3", chain.PII_EDITED),
    ("seq", b"4\xff", "seq '4\\\\xff' is not a number"),
])
def test_bytes_that_are_not_utf8_are_named(name, cell, reason):
    """A stored cell that is no text's UTF-8 breaks its record, named in readable text."""
    rows = [[text.encode() for text in row] for row in rows_of(chained(*ODD))]
    rows[3][chain.CHECKED_FIELDS.index(name)] = cell
    checked = checking.check_rows(rows, UTF8)
    shown = "\\xff\\xfe-id" if name == "consent_id" else rows[3][chain.CONSENT_ID].decode()
    assert checked.error == ((3, 4, shown, reason) if name != "seq" else (3, None, None, reason))
    with pytest.raises(checking.ChainBreak, match="row 5"):
        checking.join([checked], UTF8)
