"""The consent-proof CSV in spreadsheets: no cell runs as a formula whether the file is split at "," or at ";"
(Finnish and Swedish Excel and LibreOffice), with or without "trim spaces"; and a file that a spreadsheet
program saved again is named as such by the verifier, not reported as a forged row.

tests/audit/data/ holds an export (``exported.csv``) and that file opened and saved again by LibreOffice 7.4
with Finnish settings, made with::

    soffice --headless --infilter="CSV:44,34,76,1,,1035" \\
        --convert-to "csv:Text - txt - csv (StarCalc):44,34,76,1,,1035" exported.csv   # and 59 (";")
"""
import csv
import io
import shutil
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from consent_service.audit import export
from consent_service.proof import csvfile
from consent_service.proof.checking import ChainBreak
from consent_service.proof.cli import check_and_report

from tests.support.audit import add_records, bearer, make_auditor

DATA = Path(__file__).parent / "data"
RUN = ("=", "+", "-", "@")
SPACES = " \t\r\n"
SEMICOLON_CELLS = [
    "Mozilla;=1+2", "Mozilla;=1+2;", "a; =1+1", "a;\t-2", "x;\"=1+2", "x;'y", "a;;@SUM(A1)", ";=1", "a;",
    "Mozilla/5.0 (X11; Linux x86_64)", "Mozilla/5.0 (Linux; Android 14; SM-S918B)", "a; b; c",
]
SPACE_CELLS = [" =1+1", "   +2", "  -3", " @SUM(A1)", " 'x", "\t =1", "\n=1", " plain"]


def inert(cell):
    """True when a spreadsheet does not run the cell, with "trim spaces" on or off."""
    return not cell.lstrip(SPACES).startswith(RUN) and not cell.startswith(("\t", "\r"))


def split(data, delimiter):
    return list(csv.reader(io.StringIO(data.decode("utf-8"), newline=""), delimiter=delimiter))


@pytest.fixture
def token(app):
    return make_auditor(app, "sheets", ["entrack"])


def test_no_cell_runs_under_either_separator(client, app, token):
    values = SEMICOLON_CELLS + SPACE_CELLS
    add_records(app, *({"user_agent": value, "page_url": f"https://example.test/{value}"} for value in values))
    data = client.get("/audit/consents.csv?site=entrack", headers=bearer(token)).data
    by_comma = split(data, ",")
    header, rows = by_comma[0], by_comma[1:]
    at = header.index("user_agent")
    assert [csvfile.restore(row[at]) for row in rows] == values
    for row in by_comma:
        assert all(inert(cell) for cell in row), row
    # A ";" splits the line wherever it stands, quoted or not (see csvfile.SEPARATORS): a value's pieces
    # after each ";" (or line break) are cells (or rows) of their own, and each of them is inert.
    by_semicolon = split(data, ";")
    assert sum(map(len, by_semicolon)) >= len(by_comma) + sum(value.count(";") for value in values)
    for row in by_semicolon:
        assert all(inert(cell) for cell in row), row


def test_quoting_cannot_keep_a_semicolon_value_in_one_cell():
    """Why the export escapes the text after ";" instead of quoting: under ";", a cell's quotes are not at the
    start of a field, so a quoted cell is split all the same (LibreOffice 7.4 does the same: it ran
    ``"Mozilla;=1+2;x"`` as =1+2 when opened with ";" and formulas evaluated)."""
    line = '1,"Mozilla;=1+2;",x\r\n'
    assert next(csv.reader(io.StringIO(line), delimiter=";"))[:2] == ['1,"Mozilla', "=1+2"]
    written = io.StringIO()
    csv.writer(written).writerow(["1", csvfile.neutralise("Mozilla;=1+2;"), "x"])
    assert next(csv.reader(io.StringIO(written.getvalue()), delimiter=";")) == ["1,Mozilla", "'=1+2", "',x"]


@given(head=st.sampled_from(["", " ", "  ", "\t", ";", "; ", "a;", "a; ", ";;", "'", ";'", "\r\n", "a\n", "\r'"]),
       start=st.sampled_from(["=", "+", "-", "@", "'", '"', "\t", "\r", "\n", " ", "a", ";", ""]),
       tail=st.text(max_size=12))
@settings(max_examples=1500)
def test_neutralise_spaces_and_semicolons(head, start, tail):
    cell = head + start + tail
    written = csvfile.neutralise(cell)
    assert csvfile.restore(written) == cell
    assert inert(written)
    for piece in written.replace("\r", ";").replace("\n", ";").split(";")[1:]:
        assert not piece.lstrip(SPACES).startswith((*RUN, '"')) or piece.startswith("'")


FORMS = {**csvfile.EXPORTED_FORM, **csvfile.LEDGER_FORM}


def test_every_column_is_neutralised_or_of_a_fixed_form():
    assert set(csvfile.COLUMNS) == {*FORMS, *csvfile.NEUTRALISED_COLUMNS, "export_scope"}


@given(data=st.data(), column=st.sampled_from(sorted(FORMS)))
@settings(max_examples=600)
def test_fixed_form_cells_need_no_neutralising(data, column):
    """The export renders the columns of a fixed form without the rule: it would leave them as they are."""
    cell = data.draw(st.from_regex(FORMS[column], fullmatch=True))
    assert csvfile.neutralise(cell) == cell


def test_database_applies_the_rule_to_spaces_and_semicolons(app):
    """The SQL rendering (SQLite's GLOB or PostgreSQL's regular expression) equals ``neutralise``."""
    values = SEMICOLON_CELLS + SPACE_CELLS + ["a;b-c", "a-b;c", "x;\nb", "'", ";'", "' ;'=1"]
    add_records(app, *({"user_agent": value, "policy_version": "v"} for value in values))
    with app.app_context():
        rows = [row for rows in export.row_batches(export.ExportFilter(("entrack",))) for row in rows]
    at = csvfile.COLUMNS.index("user_agent")
    assert [row[at] for row in rows] == [csvfile.neutralise(value) for value in values]


# --- a file saved again by a spreadsheet program ---

def run(path, *args):
    lines = []
    status = check_and_report(str(path), *args, out=lines.append)
    return status, "\n".join(lines)


SAVED_AGAIN = "this file was opened and saved again by a spreadsheet program"


def test_libreoffice_files_are_named_as_saved_again(tmp_path):
    status, output = run(DATA / "exported.csv")
    assert status == 0, output
    for name, sign in (("libreoffice_fi_comma.csv", "row 2: prev_hash is '0'"),
                       ("libreoffice_fi_semicolon.csv", "separated by ';'")):
        status, output = run(DATA / name)
        assert status == 1
        assert SAVED_AGAIN in output and sign in output and "check the file as downloaded" in output, output
        assert "edited" not in output and "deleted" not in output


def resave(path, out, change_cell=None, encoding="utf-8", line_end="\r\n"):
    """The file as a spreadsheet program writes it back: every cell through ``change_cell(column, cell)``,
    with its own quoting, line ends and encoding."""
    with open(path, newline="", encoding="utf-8") as file:
        rows = list(csv.reader(file))
    header = rows[0]
    with open(out, "w", newline="", encoding=encoding) as file:
        writer = csv.writer(file, quoting=csv.QUOTE_NONNUMERIC, lineterminator=line_end)
        writer.writerow(header)
        for row in rows[1:]:
            writer.writerow([change_cell(name, cell) if change_cell else cell for name, cell in zip(header, row)])
    return out


@pytest.mark.parametrize(("change", "sign"), [
    (lambda name, cell: cell.upper() if cell in ("true", "false") else cell, "necessary is 'TRUE'"),
    (lambda name, cell: "1.11.2026 12.00" if name == "recorded_at" else cell, "recorded_at is '1.11.2026 12.00'"),
    (lambda name, cell: "46327,5" if name == "recorded_at" else cell, "recorded_at is '46327,5'"),
    (lambda name, cell: "1.23457E+63" if name == "pii_digest" else cell, "pii_digest is '1.23457E+63'"),
    (lambda name, cell: "TOSI" if name == "necessary" else cell, "necessary is 'TOSI'"),
])
def test_rewritten_cells_are_named_as_saved_again(tmp_path, change, sign):
    out = resave(DATA / "exported.csv", tmp_path / "saved.csv", change, line_end="\n")
    status, output = run(out)
    assert status == 1 and SAVED_AGAIN in output and sign in output, output
    assert "BROKEN: row 2:" in output


def test_byte_order_mark_alone_is_harmless_but_named_when_the_file_fails(tmp_path):
    out = resave(DATA / "exported.csv", tmp_path / "bom.csv", encoding="utf-8-sig")
    status, output = run(out)
    assert status == 0, output  # the cells are as exported: quoting, line ends and a BOM change no hash
    out = resave(DATA / "exported.csv", tmp_path / "bom0.csv",
                 lambda name, cell: "0" if cell == "0" * 64 else cell, encoding="utf-8-sig")
    status, output = run(out)
    assert status == 1 and "byte-order mark" in output and "prev_hash is '0'" in output


def test_an_edit_is_still_an_edit(tmp_path):
    """A cell changed to another value of its exported form is no sign of a spreadsheet: the row is named."""
    out = resave(DATA / "exported.csv", tmp_path / "edited.csv",
                 lambda name, cell: "false" if name == "analytics" and cell == "true" else cell)
    status, output = run(out)
    assert status == 1 and SAVED_AGAIN not in output and "the record was edited" in output


def test_saved_again_is_a_chain_break(tmp_path):
    shutil.copy(DATA / "libreoffice_fi_comma.csv", tmp_path / "c.csv")
    with pytest.raises(csvfile.SavedBySpreadsheet) as caught:
        csvfile.check_file(tmp_path / "c.csv")
    assert isinstance(caught.value, ChainBreak) and caught.value.row == 2
