"""The consent-proof CSV file: its columns, the formula-neutralising rule, and checking a file.

The service writes the file (audit/export.py renders the same rule in SQL); the offline verifier
reads it back, a byte range per worker, and checks it with ``checking``.
"""
import collections
import csv
import io
import itertools
import re

from . import checking

COLUMNS = (
    "seq", "consent_id", "recorded_at", "site", "action", "necessary", "analytics", "marketing",
    "policy_version", "policy_hash", "language", "page_url", "ip_prefix", "user_agent", "gpc", "record_hash",
    "prev_hash", "pii_salt", "pii_digest", "export_scope",
)
# Files exported before policy snapshots and export scopes lack these columns: read as empty cells.
LATER_COLUMNS = ("policy_hash", "export_scope")
# A spreadsheet runs a cell starting with one of these as a formula (after the spaces that its "trim
# spaces" option removes), and a tab, CR or LF may be trimmed too. Such a cell gets one leading "'"; so does
# a cell that already starts with "'" (after spaces), so that removing exactly one "'" always restores it.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n", "'")
TRIMMED = " "
# Finnish and Swedish spreadsheets split a line at every ";" too, wherever it stands (a quoted cell's quotes
# do not count there), so that the text after a ";" in a cell starts a cell of its own; and the text after
# a line break in a cell may start a row. In a cell with a ";", CR or LF (a SEPARATOR) and one of RISKY
# anywhere, every separator gets a "'" after it (";'"), so that no piece after a separator starts with a
# formula, a quote or a trimmed character; a cell without both has no ";'" (RISKY holds "'").
SEPARATORS = (";", "\r", "\n")
RISKY = ("=", "+", "-", "@", "'", '"', "\t", "\r", "\n")
_SEPARATOR = re.compile(f"[{re.escape(''.join(SEPARATORS))}]")
_RISKY = re.compile(f"[{re.escape(''.join(RISKY))}]")
CHUNK_BYTES = 1 << 21  # bytes of the file per batch (about 4,500 rows)


def neutralise(cell):
    """The cell as written to the file: ``'`` in front of anything a spreadsheet would run, and a ``'`` after
    each separator of a cell whose pieces after one could be run (see SEPARATORS)."""
    written = cell
    if _SEPARATOR.search(cell) and _RISKY.search(cell):
        for separator in SEPARATORS:
            written = written.replace(separator, separator + "'")
    return "'" + written if cell.lstrip(TRIMMED).startswith(FORMULA_STARTS) else written


def restore(cell):
    """The cell as hashed: the inverse of ``neutralise``."""
    cell = cell[1:] if cell.startswith("'") else cell
    if "'" in cell:
        for separator in SEPARATORS:
            cell = cell.replace(separator + "'", separator)
    return cell


def restore_before_scopes(cell):
    """The inverse of the rule of files exported before ``export_scope`` existed: only a leading ``'``."""
    return cell[1:] if cell.startswith("'") else cell


def header_layout(header):
    """The Layout of a header row (None for an empty file); ChainBreak when a column is missing."""
    if header is None:
        raise checking.ChainBreak("the file is empty")
    header = [restore(name) for name in header]
    missing = [name for name in COLUMNS if name not in header and name not in LATER_COLUMNS]
    if missing:
        raise checking.ChainBreak(f"the header lacks the columns {', '.join(missing)}")
    return checking.Layout.of(header)


def check_text(text, layout, wanted):
    """``checking.check_rows`` of a piece of the file's text that holds whole rows and ends with a line
    break (parsed here, in the worker), with neutralised cells restored."""
    try:
        return checking.check_rows(rows_of(text, restore if layout.scoped else restore_before_scopes), layout, wanted)
    except csv.Error as error:
        return checking.Checked(0, [], {}, (0, None, None, f"not a CSV row: {error}"))


def _restore_line(line, after=",;"):
    """``restore`` of every cell of a line without quotes or line breaks, on the whole line: a ``'`` at the
    line's start or after a comma starts a cell, one after a ``;`` stands inside one, and ``neutralise``
    put both there. Found with ``str.find`` (a line holds few; two ``str.replace`` of it took longer)."""
    kept, start, at = [], 0, line.find("'")
    while at >= 0:
        if at == 0 or line[at - 1] in after:
            kept.append(line[start:at])
            start = at + 1
        at = line.find("'", at + 1)
    return "".join(kept) + line[start:] if kept else line


def _restore_line_before_scopes(line):
    return _restore_line(line, ",")


_LINE_RESTORE = {restore: _restore_line, restore_before_scopes: _restore_line_before_scopes}


def _quoted_cells(line, undo=None):
    """The cells of a line (without line breaks) whose quoted cells stand between commas, as
    ``csv.reader`` reads them, each through ``undo`` where it holds a ``'``; None for any other line (a
    quote inside an unquoted cell, text after a closing quote, a quoted cell not closed on the line). A
    Chrome or Safari user agent, with its "KHTML, like Gecko", is such a quoted cell.

    ``line.split('"')`` alternates text outside and inside quotes; inside, an empty part between two
    quotes is a doubled quote (``""``), one quote of the cell's text. Outside, the unquoted cells between
    two quoted ones are a line of their own to ``_LINE_RESTORE`` (restored whole, then split).
    """
    parts = line.split('"')
    last = len(parts) - 1
    undo_run = _LINE_RESTORE[undo] if undo is not None and "'" in line else None
    outside = parts[0]
    if outside and outside[-1] != ",":
        return None
    cells = _run_cells(outside[:-1], undo_run) if outside else []
    at = 1
    while at < last:  # parts[at] is a quoted cell's text; a quote follows it
        text = parts[at]
        while parts[at + 1] == "" and at + 2 <= last and at + 1 < last:
            text += '"' + parts[at + 2]
            at += 2
            if at == last:
                return None  # no closing quote on this line
        cells.append(undo(text) if undo_run and "'" in text else text)
        outside = parts[at + 1]
        if at + 1 == last:
            if outside:
                if outside[0] != ",":
                    return None
                cells += _run_cells(outside[1:], undo_run)
            return cells
        if outside[0] != "," or outside[-1] != ",":
            return None
        if len(outside) > 1:
            cells += _run_cells(outside[1:-1], undo_run)
        at += 2
    return None


def _run_cells(run, undo_run):
    """The cells of unquoted text between quoted cells (or a line's ends), restored by ``undo_run``."""
    return (undo_run(run) if undo_run and "'" in run else run).split(",")


def _restored(cells, undo):
    return [undo(cell) if "'" in cell else cell for cell in cells]


def rows_of(text, undo=None):
    """The rows of a piece of CSV text, one at a time (so that the memory of a row is used again for the
    next), each cell through ``undo`` (``restore`` or ``restore_before_scopes``, or None) where it holds a
    ``'``: what ``csv.reader`` reads, faster.

    The export ends its lines with CRLF, and a line without a double quote, CR or LF is its cells joined
    by commas, so that ``str.split`` gives them (restored on the whole line); so does a line whose quoted
    cells are plain (``_quoted_cells``). Any other line, with the lines that its quoted cell continues on,
    goes to one ``csv.reader`` (through ``feed``), as the text's own lines.
    """
    undo_line = _LINE_RESTORE.get(undo)
    lines = text.split("\r\n")
    ends_with_break = not lines[-1]
    if ends_with_break:
        lines.pop()
    feed = collections.deque()
    reader = csv.reader(iter(feed.popleft, None))
    at, count = 0, len(lines)
    while at < count:
        line = lines[at]
        at += 1
        if '"' not in line and "\n" not in line and "\r" not in line:
            if not line:
                yield []
            elif undo_line and "'" in line:
                yield undo_line(line).split(",")
            else:
                yield line.split(",")
            continue
        if "\n" not in line and "\r" not in line:
            cells = _quoted_cells(line, undo)
            if cells is not None:
                yield cells
                continue
        first, quotes = at - 1, line.count('"')
        while quotes % 2 and at < count:
            quotes += lines[at].count('"')
            at += 1
        piece = "\r\n".join(lines[first:at]) + ("\r\n" if at < count or ends_with_break else "")
        if "\n" in line or "\r" in line or at - first > 1:
            feed.extend(io.StringIO(piece, newline=""))  # its lines, as csv.reader reads a file's
        else:
            feed.append(piece)
        done = 0
        try:
            while feed:
                cells = next(reader)
                done += 1
                yield _restored(cells, undo) if undo and "'" in piece else cells
        except IndexError:
            # A quote that the count of quotes misread (in an unquoted cell), or a quoted cell left open
            # to the end: the rest of the text as csv.reader reads a file (after the rows already given).
            rest = "\r\n".join(lines[first:]) + ("\r\n" if ends_with_break else "")
            for cells in itertools.islice(csv.reader(io.StringIO(rest, newline="")), done, None):
                yield _restored(cells, undo) if undo else cells
            return


def spans(file):
    """Byte ranges ``(start, end)`` of an opened binary CSV, from where it stands, each ending at a
    record boundary: a line break after an even number of double quotes (inside a quoted cell the
    count is odd). Workers read their range themselves, so that the file passes through one process;
    here it is read into the same two buffers throughout (a new 2 MB object per read costs page faults)."""
    start, data, block = file.tell(), bytearray(), bytearray(CHUNK_BYTES)
    while size := file.readinto(block):
        data += memoryview(block)[:size]
        cut = data.rfind(b"\n")
        while cut >= 0 and data.count(b'"', 0, cut) % 2:
            cut = data.rfind(b"\n", 0, cut)
        if cut < 0:
            continue
        yield start, start + cut + 1
        start += cut + 1
        del data[:cut + 1]
    if data:
        yield start, start + len(data)


_READ = bytearray()  # a worker's buffer for its ranges, used again for each


def check_span(span, path, layout, wanted):
    """``check_text`` of one byte range of the file at ``path`` (read here, in the worker)."""
    size = span[1] - span[0]
    if len(_READ) < size:
        _READ.extend(bytes(size - len(_READ)))
    with open(path, "rb", buffering=0) as file:
        file.seek(span[0])
        read = file.readinto(memoryview(_READ)[:size])
    return check_text(str(memoryview(_READ)[:read], "utf-8"), layout, wanted)


def check_file(path, wanted=None, jobs=1):
    """Check every row of the CSV file at ``path``; return ``{site: SiteRun}`` or raise ChainBreak
    (``SavedBySpreadsheet`` when the file shows that a spreadsheet program saved it again).

    ``wanted`` maps ``(site, seq)`` to None; the row number and hash found for each are filled in.
    With ``jobs`` > 1 the rows are read, parsed and hashed in that many processes; the batches are
    joined here.
    """
    wanted = {} if wanted is None else wanted
    try:
        with open(path, "rb") as file:
            line = file.readline().decode("utf-8-sig")
            layout = header_layout(next(csv.reader([line]), None) if line else None)
            results = checking.checked_in_order(spans(file), check_span, jobs, path, layout, frozenset(wanted))
            return checking.join(results, layout, wanted=wanted)
    except (checking.ChainBreak, UnicodeDecodeError) as error:
        saved = saved_by_spreadsheet(path)
        if saved is not None:
            raise saved from error
        if isinstance(error, UnicodeDecodeError):
            raise checking.ChainBreak(f"the file is not UTF-8 text ({error.reason} at byte {error.start})") from error
        raise


class SavedBySpreadsheet(checking.ChainBreak):
    """A file that a spreadsheet program opened and saved again: its cells are no longer the exported text."""


# The cells of the columns with a fixed form, as the export writes them (neutralising leaves them as they
# are), and the forms a spreadsheet program that saves the file again turns them into: 0000... into 0,
# true into TRUE (or TOSI, SANT), times into a local format or a day number, long digit strings into
# 1.23E+45. A cell in neither form (an edit) is not taken as a sign of a spreadsheet.
_HEX64 = re.compile(r"[0-9a-f]{64}\Z")
_FLAG = re.compile(r"(true|false)\Z")
EXPORTED_FORM = {
    "seq": re.compile(r"[1-9][0-9]*\Z"),
    "recorded_at": re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}Z\Z"),
    **dict.fromkeys(("necessary", "analytics", "marketing", "gpc"), _FLAG),
    **dict.fromkeys(("record_hash", "prev_hash", "pii_digest"), _HEX64),
    "policy_hash": re.compile(r"([0-9a-f]{64})?\Z"),
    "pii_salt": re.compile(r"[0-9a-f]*\Z"),
}
# The columns whose texts the ledger itself restricts (a UUID, a configured site key, an action, a language,
# a network): neutralising leaves them as they are too. The export neutralises only NEUTRALISED_COLUMNS.
LEDGER_FORM = {
    "consent_id": re.compile(r"[0-9A-Fa-f]{8}(-[0-9A-Fa-f]{4}){3}-[0-9A-Fa-f]{12}\Z"),
    "site": re.compile(r"[a-z0-9][a-z0-9_-]{0,39}\Z"),
    "action": re.compile(r"[a-z_]{1,20}\Z"),
    "language": re.compile(r"[a-z]{2}\Z"),
    "ip_prefix": re.compile(r"([0-9A-Fa-f.:]+/[0-9]{1,3})?\Z"),
}
NEUTRALISED_COLUMNS = ("policy_version", "page_url", "user_agent")
_NUMBER = re.compile(r"-?[0-9]+([.,][0-9]+)?([eE][+-]?[0-9]+)?\Z")
_SAVED_FORM = {
    "recorded_at": re.compile(r"([0-9]{1,4}[./-][0-9]{1,2}[./-][0-9]{1,4}"
                              r"([ T][0-9]{1,2}[:.][0-9]{2}([:.][0-9]{2}([.,][0-9]+)?)?( ?[AaPp][Mm])?)?Z?"
                              r"|[0-9]+([.,][0-9]+)?)\Z"),
    **dict.fromkeys(("necessary", "analytics", "marketing", "gpc"),
                    re.compile(r"(?i)(true|false|tosi|epätosi|sant|falskt|wahr|falsch|vrai|faux|1|0)\Z")),
    **dict.fromkeys(("record_hash", "prev_hash", "pii_digest", "policy_hash", "pii_salt"), _NUMBER),
}
_WRITTEN = {"recorded_at": "a UTC time like 2026-11-01T12:00:00.000000Z", "pii_salt": "hex digits"}
SIGN_ROWS = 200  # rows read for signs of a spreadsheet program


def saved_by_spreadsheet(path):
    """A ``SavedBySpreadsheet`` naming what shows that a spreadsheet program saved the file at ``path``
    again, or None: the header split by ";" or a tab, a byte-order mark, or a cell of the first rows that a
    spreadsheet program rewrote (``_SAVED_FORM``)."""
    signs, row_number = [], None
    with open(path, "rb") as file:
        head = file.read(1 << 16)
    if head.startswith(b"\xef\xbb\xbf"):
        signs.append("it starts with a byte-order mark, which the export does not write")
    text = head.decode("utf-8", "replace").lstrip("\ufeff")
    first_line = text.split("\n", 1)[0]
    for separator in (";", "\t"):
        names = [restore(name.strip('"')) for name in first_line.rstrip("\r").split(separator)]
        if "seq" in names and "record_hash" in names:
            signs.append(f"its cells are separated by {separator!r} where the export writes ','")
    if not signs or "separated" not in signs[-1]:
        found = _cells_not_exported(text)
        if found:
            row_number, name, cell, form = found
            signs.append(f"row {row_number}: {name} is {cell!r}, where the export writes {form}")
    if not signs:
        return None
    return SavedBySpreadsheet(
        "this file was opened and saved again by a spreadsheet program (" + "; ".join(signs) + "), which "
        "rewrites cells (0000... as 0, true as TRUE, times in a local format, long numbers as 1.23E+45): its "
        "rows are no longer the text that was exported and hashed, so it cannot be checked. Nothing can be "
        "concluded from it about the records: check the file as downloaded (or the proof pack), and open only "
        "a copy in a spreadsheet", row_number)


def _cells_not_exported(text):
    """``(row, column, cell, form)`` of the first cell of the text's first rows that is not in its exported
    form and is in a form a spreadsheet program writes, or None."""
    reader = csv.reader(io.StringIO(text[:text.rfind("\n") + 1], newline=""))
    header = [restore(name) for name in next(reader, [])]
    checks = [(at, name, EXPORTED_FORM[name], _SAVED_FORM[name]) for at, name in enumerate(header)
              if name in _SAVED_FORM]
    for number, row in enumerate(itertools.islice(reader, SIGN_ROWS), start=2):
        if len(row) != len(header):
            continue  # cut by the read in a quoted line break, or not a row at all
        for at, name, exported, saved in checks:
            if not exported.match(row[at]) and saved.match(row[at]):
                return (number, name, row[at],
                        _WRITTEN.get(name, "true or false" if exported is _FLAG else "64 hex digits"))
    return None


def first_missing(path, starts=None):
    """``(row, seq, consent_id, site, expected seq)`` of the first row whose site's chain does not run
    on from its start (``starts[site]``, else seq 1): a record is missing before it; or None. A second,
    plain pass over a file already checked, to name the row when a file is not what it says."""
    last = {site: start - 1 for site, start in (starts or {}).items()}
    with open(path, newline="", encoding="utf-8-sig") as file:
        reader = csv.reader(file)
        header = [restore(name) for name in next(reader)]
        seq_at, site_at, id_at = (header.index(name) for name in ("seq", "site", "consent_id"))
        for number, row in enumerate(reader, start=2):
            seq, site = int(restore(row[seq_at])), restore(row[site_at])
            if seq != last.get(site, 0) + 1:
                return number, seq, restore(row[id_at]), site, last.get(site, 0) + 1
            last[site] = seq
    return None
