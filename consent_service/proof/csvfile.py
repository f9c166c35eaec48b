"""The consent-proof CSV file: its columns, the formula-neutralising rule, and checking a file.

The service writes the file (audit/export.py renders the same rule in SQL); the offline verifier
reads it back, a byte range per worker, and checks it with ``checking``.
"""
import csv
import itertools

from . import checking

COLUMNS = (
    "seq", "consent_id", "recorded_at", "site", "action", "necessary", "analytics", "marketing",
    "policy_version", "policy_hash", "language", "page_url", "ip_prefix", "user_agent", "gpc", "record_hash",
    "prev_hash", "pii_salt", "pii_digest", "export_scope",
)
# Files exported before policy snapshots and export scopes lack these columns: read as empty cells.
LATER_COLUMNS = ("policy_hash", "export_scope")
# A spreadsheet runs a cell starting with one of these as a formula. Such a cell gets one leading "'";
# so does a cell that already starts with "'", so that removing exactly one "'" always restores it.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "'")
CHUNK_BYTES = 1 << 21  # bytes of the file per batch (about 4,500 rows)


def neutralise(cell):
    """The cell as written to the file: ``'`` in front of anything a spreadsheet would run."""
    return "'" + cell if cell.startswith(FORMULA_STARTS) else cell


def restore(cell):
    """The cell as hashed: the inverse of ``neutralise``."""
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
    break (parsed here, in the worker), with neutralised cells restored.

    The reader gets the lines with their breaks, as from a file opened with ``newline=""``, but split
    by ``str.split``: a sixth faster than iterating a StringIO. Where each row is one line, only the
    rows of lines holding a ``'`` can hold a neutralised cell.
    """
    lines = text.split("\n")
    lines = [line + "\n" for line in lines[:-1]] + ([lines[-1]] if lines[-1] else [])
    rows = list(csv.reader(lines))
    if "'" in text:
        quoted = (["'" in line for line in lines] if len(lines) == len(rows) else
                  itertools.repeat(True))
        rows = [[cell[1:] if cell[:1] == "'" else cell for cell in row] if any_quote else row
                for row, any_quote in zip(rows, quoted)]
    return checking.check_rows(rows, layout, wanted)


def spans(file):
    """Byte ranges ``(start, end)`` of an opened binary CSV, from where it stands, each ending at a
    record boundary: a line break after an even number of double quotes (inside a quoted cell the
    count is odd). Workers read their range themselves, so that the file passes through one process."""
    start, carry = file.tell(), b""
    while block := file.read(CHUNK_BYTES):
        data = carry + block
        cut = data.rfind(b"\n")
        while cut >= 0 and data.count(b'"', 0, cut) % 2:
            cut = data.rfind(b"\n", 0, cut)
        if cut < 0:
            carry = data
            continue
        yield start, start + cut + 1
        start, carry = start + cut + 1, data[cut + 1:]
    if carry:
        yield start, start + len(carry)


def check_span(span, path, layout, wanted):
    """``check_text`` of one byte range of the file at ``path`` (read here, in the worker)."""
    with open(path, "rb") as file:
        file.seek(span[0])
        return check_text(file.read(span[1] - span[0]).decode("utf-8"), layout, wanted)


def check_file(path, wanted=None, jobs=1):
    """Check every row of the CSV file at ``path``; return ``{site: SiteRun}`` or raise ChainBreak.

    ``wanted`` maps ``(site, seq)`` to None; the row number and hash found for each are filled in.
    With ``jobs`` > 1 the rows are read, parsed and hashed in that many processes; the batches are
    joined here.
    """
    wanted = {} if wanted is None else wanted
    with open(path, "rb") as file:
        line = file.readline().decode("utf-8-sig")
        layout = header_layout(next(csv.reader([line]), None) if line else None)
        results = checking.checked_in_order(spans(file), check_span, jobs, path, layout, frozenset(wanted))
        return checking.join(results, layout, wanted=wanted)


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
