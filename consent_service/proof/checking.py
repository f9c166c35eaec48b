"""The check engine: rows of ``chain.CHECKED_FIELDS`` texts, from a file or the database, checked in
batches (in worker processes when there are many) and joined in chain order.

A batch is checked on its own: each row's hashes, and the links between its rows of a site. ``join``
then links each site's first row of a batch to the end of that site's chain so far, and turns the
first bad row into a ``ChainBreak`` numbered as the whole input counts.
"""
import collections
import itertools
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

from . import chain


MIXED_SCOPES = "its export_scope differs from the site's rows before it: rows of different exports were joined"


class ChainBreak(Exception):
    """The first row of a file or record of the database that does not verify (or a signed head that
    does not): ``row`` (of a file, 1 is the header), ``seq`` and ``consent_id`` where known, ``reason``."""

    def __init__(self, reason, row=None, seq=None, consent_id=None):
        self.reason, self.row, self.seq, self.consent_id = reason, row, seq, consent_id
        where = "" if row is None else f"row {row}: " if seq is None else f"row {row} (seq {seq}, consent_id {consent_id}): "
        super().__init__(where + reason)


@dataclass
class SiteRun:
    """What the rows (or a batch of them) hold of one site's chain."""

    site: str
    rows: int
    first_seq: int
    first_prev: str
    last_seq: int
    last_hash: str
    gaps: int = 0
    first_id: str = ""
    scope: str | None = None  # the rows' export_scope (None where the rows have none: the database)

    @classmethod
    def starting(cls, site, seq, prev_hash, consent_id="", scope=None):
        """An empty run that a record of ``seq`` with ``prev_hash`` follows."""
        return cls(site, 0, seq, prev_hash, seq - 1, prev_hash, first_id=consent_id, scope=scope)

    @property
    def from_genesis(self):
        return self.first_seq == 1

    def link_problem(self, seq, prev_hash, gaps_allowed):
        """What is wrong with a record of ``seq`` and ``prev_hash`` coming next, or None (a gap is counted)."""
        if seq <= self.last_seq:
            return f"out of chain order after seq {self.last_seq}: rows reordered or repeated"
        if seq != self.last_seq + 1:
            self.gaps += 1
            return None if gaps_allowed else f"expected seq {self.last_seq + 1}: a record was inserted or deleted"
        if prev_hash != self.last_hash:
            return "prev_hash does not match the previous record: a record was inserted or deleted"
        return None

    def describe(self):
        """One line saying what the run proves."""
        start = ("from the genesis" if self.from_genesis else
                 f"starting after seq {self.first_seq - 1} (prev_hash {self.first_prev})")
        if self.gaps:
            return (f"site {self.site}: {self.rows} rows, seq {self.first_seq}..{self.last_seq} with {self.gaps} "
                    "gaps (a filtered export): links checked between consecutive rows only")
        return (f"site {self.site}: {self.rows} rows, one unbroken chain {start}, "
                f"head seq {self.last_seq} {self.last_hash}")


@dataclass(frozen=True)
class Layout:
    """What a row's cells are: ``names``, in order, of type ``cells`` (``str``, or ``bytes``: the texts in
    UTF-8, as a database driver gives them without decoding each). A checked field missing from the rows
    (``policy_hash`` in a file exported before policy snapshots) is read as an empty cell: ``pad`` of them
    are added to each row (and named at the end of ``names``). Rows with an ``export_scope`` are ``scoped``."""

    width: int
    names: tuple
    gaps_allowed: bool = True  # a filtered export skips seqs; the stored chain may not
    pad: tuple = ()
    cells: type = str

    @classmethod
    def of(cls, names, gaps_allowed=True, cells=str):
        """The layout of rows whose cells are named ``names``, in that order."""
        names = tuple(names)
        absent = tuple(name for name in chain.CHECKED_FIELDS if name not in names)
        return cls(len(names), names + absent, gaps_allowed, (cells(),) * len(absent), cells)

    @property
    def scoped(self):
        return "export_scope" in self.names

    def at(self, *names):
        """The positions of ``names`` in a row."""
        return tuple(map(self.names.index, names))


@dataclass
class Checked:
    """What one batch of consecutive rows holds: checked by a worker, joined to the rest in order."""

    count: int
    runs: list  # (offset, SiteRun) of each site's rows in the batch, in the order of their first rows
    found: dict  # (site, seq) -> (offset, record_hash), of the wanted ones
    error: tuple | None = None  # (offset, seq, consent_id, reason) of the first bad row


def _first_of_site(checked, runs, offset, cells, seq, at, genesis):
    """Start the batch's run of the row's site; the reason its link is bad, or None."""
    site_at, prev_at, id_at, scope_at = at
    prev_hash = cells[prev_at]
    scope = None if scope_at is None else cells[scope_at]
    runs[cells[site_at]] = run = SiteRun.starting(cells[site_at], seq, prev_hash, cells[id_at], scope)
    checked.runs.append((offset, run))
    if seq == 1 and prev_hash != genesis:
        return run, "the first record's prev_hash is not the genesis hash"
    return run, None


def check_rows(rows, layout, wanted=frozenset()):
    """Check consecutive rows (any iterable): each row's hashes, and the links between its rows of a
    site (the link of each site's first row is ``join``'s to check). The first bad row ends it.

    The rows' cells are of ``layout.cells``; what it returns holds text.
    """
    if layout.cells is str:
        return _check_rows(rows, layout, wanted, chain.GENESIS_HASH)
    encoded = {(site.encode("utf-8", "surrogateescape"), seq) for site, seq in wanted}
    return _as_text(_check_rows(rows, layout, encoded, chain.GENESIS_HASH.encode()))


def _check_rows(rows, layout, wanted, genesis):
    """``check_rows`` on the rows' own cells.

    This loop runs once per record of a million-record verification: its names are local on purpose,
    and it reads the cells where they stand (``chain.row_problem`` picks what it hashes from them).
    """
    runs, checked, offset = {}, Checked(0, [], {}), -1
    width, gaps_allowed, pad = layout.width, layout.gaps_allowed, layout.pad
    problem = chain.row_problem(layout.names, layout.cells)
    seq_at, site_at, prev_at, hash_at, id_at = layout.at("seq", "site", "prev_hash", "record_hash", "consent_id")
    scope_at = layout.at("export_scope")[0] if layout.scoped else None
    first_at = (site_at, prev_at, id_at, scope_at)
    for offset, cells in enumerate(rows):
        if len(cells) != width:
            checked.error = (offset, None, None, f"{len(cells)} cells where the header has {width}")
            return checked
        if pad:
            cells = [*cells, *pad]
        try:
            seq = int(cells[seq_at])
        except ValueError:
            checked.error = (offset, None, None, f"seq {_shown(cells[seq_at])!r} is not a number")
            return checked
        run = runs.get(cells[site_at])
        if run is None:
            run, reason = _first_of_site(checked, runs, offset, cells, seq, first_at, genesis)
        elif seq == run.last_seq + 1 and cells[prev_at] == run.last_hash:
            reason = None
        else:
            reason = run.link_problem(seq, cells[prev_at], gaps_allowed)
        if scope_at is not None and cells[scope_at] != run.scope:
            reason = reason or MIXED_SCOPES
        reason = reason or problem(cells)
        if reason:
            checked.error = (offset, seq, cells[id_at], reason)
            return checked
        run.rows, run.last_seq, run.last_hash = run.rows + 1, seq, cells[hash_at]
        if wanted and (run.site, seq) in wanted:
            checked.found[run.site, seq] = (offset, run.last_hash)
    checked.count = offset + 1
    return checked


def _shown(cell):
    """A cell as text to show: bytes that are not UTF-8 as escapes."""
    return cell.decode("utf-8", "backslashreplace") if cell.__class__ is bytes else cell


def _as_text(checked):
    """``checked`` of rows of bytes, with text where it holds cells. The values that ``join`` compares are
    decoded one to one (a byte that is not UTF-8 stays apart from every text); the consent_ids only name
    a row."""

    def text(cell):
        return None if cell is None else cell.decode("utf-8", "surrogateescape")

    for _, run in checked.runs:
        run.site, run.first_prev, run.last_hash = text(run.site), text(run.first_prev), text(run.last_hash)
        run.scope, run.first_id = text(run.scope), _shown(run.first_id)
    checked.found = {(text(site), seq): (offset, text(record_hash))
                     for (site, seq), (offset, record_hash) in checked.found.items()}
    if checked.error is not None:
        offset, seq, consent_id, reason = checked.error
        checked.error = (offset, seq, None if consent_id is None else _shown(consent_id), reason)
    return checked


def join(checked_batches, layout, runs=None, wanted=None, first_row=2):
    """Join checked batches in order: ``{site: SiteRun}``, or ChainBreak at the first bad row.

    ``runs`` may hold where each site's chain must start; ``wanted`` gets the row and hash of its keys.
    """
    runs = {} if runs is None else runs
    number = first_row
    for checked in checked_batches:
        for offset, part in checked.runs:
            run = runs.get(part.site)
            if run is None:
                runs[part.site] = part
                continue
            reason = run.link_problem(part.first_seq, part.first_prev, layout.gaps_allowed)
            if part.scope != run.scope:
                reason = reason or MIXED_SCOPES
            if reason:
                raise ChainBreak(reason, number + offset, part.first_seq, part.first_id)
            run.rows, run.gaps, run.last_seq, run.last_hash = (
                run.rows + part.rows, run.gaps + part.gaps, part.last_seq, part.last_hash)
        for key, (offset, record_hash) in checked.found.items():
            wanted[key] = (number + offset, record_hash)
        if checked.error is not None:
            offset, *where, reason = checked.error
            raise ChainBreak(reason, number + offset, *where)
        number += checked.count
    return runs


def checked_in_order(tasks, check, jobs, *args):
    """``check(task, *args)`` of each task, in order; in ``jobs`` worker processes if more than one."""
    first, second = next(tasks, None), next(tasks, None)
    queue = itertools.chain(filter(None, (first, second)), tasks)
    if second is None or jobs <= 1:
        for task in queue:
            yield check(task, *args)
        return
    with ProcessPoolExecutor(jobs) as pool:
        pending = collections.deque()
        for task in queue:
            pending.append(pool.submit(check, task, *args))
            if len(pending) > 2 * jobs:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
