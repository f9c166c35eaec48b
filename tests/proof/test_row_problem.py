"""The check of one record (``chain.row_problem``), on texts and on their UTF-8 as a database driver gives
them, against a plain statement of what it checks (``json.dumps`` and ``hashlib``): the same verdict for
any texts in any layout, and every forgery that hashing the texts merely joined would let pass is found."""
import json
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from consent_service.proof import chain

from tests.support.chains import canonical, digest, expected_problem, sealed

# Texts made of what JSON escapes or might be confused with it, and of what it does not.
PIECES = ['"', "\\", '\\"', '","', "\x00", "\n", "\x01", "\x1f", "\x7f", "ä", "€", "\U0001f600", "u0001", ",", "a", ""]
TEXTS = st.lists(st.sampled_from(PIECES), max_size=6).map("".join) | st.text(max_size=12)
FREE = ("policy_version", "ip_prefix", "user_agent", "page_url")  # the fields whose texts come from outside


def verdicts(record, order=chain.CHECKED_FIELDS):
    """``row_problem``'s verdicts on the record as a row of ``order``: of its texts, and of their UTF-8."""
    row = [record[name] for name in order]
    return (chain.row_problem(order)(row),
            chain.row_problem(order, bytes)([text.encode() for text in row]))


@given(texts=st.lists(TEXTS, max_size=8))
@settings(max_examples=3000)
def test_canonical_json_is_json_dumps(texts):
    assert chain.canonical_json(texts) == chain.canonical_json(tuple(texts)) == canonical(texts)
    assert chain.digest_texts(texts) == digest(texts)


@given(free=st.fixed_dictionaries({}, optional={name: TEXTS for name in FREE}), erased=st.booleans(),
       legacy=st.booleans(), seed=st.integers(0, 2**32))
@settings(max_examples=1500)
def test_any_texts_verify_as_stated(free, erased, legacy, seed):
    """A sealed record verifies, whatever its texts hold, in any order of its cells; so does it as UTF-8."""
    record = sealed(**free, **({"pii_salt": ""} if erased else {}), **({"policy_hash": ""} if legacy else {}))
    order = list(chain.CHECKED_FIELDS)
    random.Random(seed).shuffle(order)
    assert expected_problem(record) is None
    assert verdicts(record) == verdicts(record, tuple(order)) == (None, None)
    assert chain.problem([record[name] for name in chain.CHECKED_FIELDS]) is None


def _edits(record):
    """Every record that one edit of a text makes of ``record``: each character doubled, dropped, escaped
    as JSON would, or put before its neighbour, a quote or backslash put in, and every text moved across
    into the next field."""
    for name in chain.CHECKED_FIELDS:
        text = record[name]
        for at in range(len(text) + 1):
            for change in (text[:at] + '\\' + text[at:], text[:at] + '"' + text[at:], text[:at] + "\x00" + text[at:],
                           text[:at] + text[at + 1:], text[:at] + text[at:at + 1] * 2 + text[at + 1:],
                           text[:at] + json.dumps(text[at:at + 1], ensure_ascii=False)[1:-1] + text[at + 1:],
                           text[:at] + text[at + 1:at + 2] + text[at:at + 1] + text[at + 2:]):
                if change != text:
                    yield {**record, name: change}
    for first, second in zip(chain.CHECKED_FIELDS, chain.CHECKED_FIELDS[1:]):
        yield {**record, first: record[first] + '","' + record[second][:1], second: record[second][1:]}


@pytest.mark.parametrize("free", [
    {"user_agent": 'curl/8.5.0, "quoted"'},
    {"user_agent": '=HYPERLINK("http://evil.example")', "page_url": 'https://x.example/?q="a"'},
    {"policy_version": 'v"1"'},
    {"user_agent": "a\\b", "policy_version": "c:\\"},
    {"user_agent": "tab\there\nnew\x01line\x1f"},
    {"user_agent": 'quote " and \x00 nul'},
    {"user_agent": "Mozilla/5.0 (Linux; Android 14; ä) € \U0001f600"},
    {"user_agent": "", "page_url": "", "ip_prefix": ""},
    {"pii_salt": ""},
    {"pii_salt": "", "policy_hash": ""},
    {"policy_hash": "", "user_agent": 'x"y'},
], ids=["quotes", "formula", "version-quotes", "backslash", "controls", "quote-and-nul", "non-ascii", "empty",
        "erased", "erased-legacy", "legacy-quotes"])
def test_every_single_edit_is_found(free):
    """Each edit of a sealed record is found (as the plain statement finds it), however its texts are
    written: ``"`` into ``\\"``, a character into its JSON escape, a quote moved across fields..."""
    record = sealed(**free)
    assert verdicts(record) == (None, None)
    edits = 0
    for edited in _edits(record):
        found = expected_problem(edited)
        if found is None:  # an edit that changes nothing the hashes cover: a personal text of an erased record
            assert not edited["pii_salt"] and edited["pii_digest"] == record["pii_digest"]
        assert verdicts(edited) == (found, found), edited
        edits += found is not None
    assert edits > 100


PERSONAL = ("pii_salt", *chain.PII_FIELDS)


@pytest.mark.parametrize(("hashed", "found", "stored", "forged"), [
    (PERSONAL, chain.PII_EDITED, {"user_agent": 'say "hi"'}, {"user_agent": 'say \\"hi\\"'}),
    (PERSONAL, chain.PII_EDITED, {"user_agent": "two\nlines"}, {"user_agent": "two\\nlines"}),
    (PERSONAL, chain.PII_EDITED, {"page_url": "bell\x07"}, {"page_url": "bell\\u0007"}),
    (chain.HASHED_FIELDS, chain.RECORD_EDITED, {"policy_version": 'a","b'}, {"policy_version": 'a\\",\\"b'}),
])
def test_texts_that_join_to_the_hashed_json_are_told_apart(hashed, found, stored, forged):
    """Forged texts that, joined with '","' as they are, give the very bytes of the JSON that the record's
    hash covers: they are not the texts hashed, and the check says so."""
    record = sealed(**stored)
    edited = {**record, **forged}
    assert ('["' + '","'.join(edited[name] for name in hashed) + '"]').encode() == canonical(
        [record[name] for name in hashed])
    assert expected_problem(edited) == found
    assert verdicts(edited) == (found, found)


@pytest.mark.parametrize("cell", [b"\xff", b"\xc3", b"\xc1\x81", b"\xed\xa0\x80", b"ok\x80"])
def test_bytes_that_are_not_utf8_are_an_edit(cell):
    """A cell that no text's UTF-8 makes (a database holding bytes where text was written) is an edit,
    not an error of the check."""
    record = sealed()
    for name in ("user_agent", "policy_version"):
        row = [record[field].encode() if field != name else cell for field in chain.CHECKED_FIELDS]
        assert chain.row_problem(chain.CHECKED_FIELDS, bytes)(row) == (
            chain.PII_EDITED if name == "user_agent" else chain.RECORD_EDITED)


def test_uppercase_hashes_are_an_edit():
    record = sealed()
    for name in ("record_hash", "pii_digest"):
        edited = {**record, name: record[name].upper()}
        assert verdicts(edited) == (expected_problem(edited),) * 2 != (None, None)


UTF8_PIECES = [b"\xff", b"\xc3\xa4", b"\xe2\x82", b"\xe2\x82\xac", b'"', b"\\", b"\x00", b"\n", b"a", b""]


@given(cells=st.lists(st.lists(st.sampled_from(UTF8_PIECES), max_size=4).map(b"".join) | st.binary(max_size=6),
                      min_size=1, max_size=5))
@settings(max_examples=2000)
def test_utf8_cells_hash_as_their_texts_or_not_at_all(cells):
    """What a check of UTF-8 cells hashes where they hold anything JSON escapes or a byte beyond ASCII: the
    canonical JSON of their texts, or nothing where a cell is no text's UTF-8."""
    try:
        expected = canonical([cell.decode() for cell in cells])
    except UnicodeDecodeError:
        expected = None
    assert chain._escaped_cells_json(cells, b"".join(cells)) == expected
