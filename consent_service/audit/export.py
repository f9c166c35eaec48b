"""The consent-proof CSV: the records of a filter, in chain order, streamed in constant memory.

Every cell is rendered as text by the database itself (the same text ``proof.chain.text`` gives and
hashes), neutralised there too, so that Python only hands rows to ``csv.writer``.
"""
import csv
import operator
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import String, and_, case, func, literal, or_, select, type_coerce

from ..extensions import db
from ..ledger.models import ConsentRecord
from ..ledger.verification import chain_start, column_text
from ..proof import chain, scope
from ..proof.csvfile import COLUMNS, FORMULA_STARTS, NEUTRALISED_COLUMNS, RISKY, SEPARATORS, TRIMMED
from . import service
from .schemas import time_bounds

BATCH = 2000
CSV_SPECIAL = (",", '"', "\r", "\n")  # a cell holding one of these is quoted (csv.QUOTE_MINIMAL)
_FIRST = operator.itemgetter(0)


@dataclass(frozen=True)
class ExportFilter:
    """Which records an export holds: sites, a time range and optionally one consent id or action."""

    sites: tuple
    start: datetime | None = None
    end: datetime | None = None
    end_inclusive: bool = False
    consent_id: str | None = None
    action: str | None = None

    def conditions(self):
        yield ConsentRecord.site.in_(self.sites)
        if self.start is not None:
            yield ConsentRecord.recorded_at >= self.start
        if self.end is not None:
            yield ConsentRecord.recorded_at <= self.end if self.end_inclusive else ConsentRecord.recorded_at < self.end
        if self.consent_id is not None:
            yield ConsentRecord.consent_id == self.consent_id
        if self.action is not None:
            yield ConsentRecord.action == self.action

    @classmethod
    def for_auditor(cls, auditor, query):
        """The filter of a loaded export query, limited to the sites the auditor may see."""
        start, end, end_inclusive = time_bounds(query)
        return cls(
            sites=service.readable_sites(auditor, query.get("site")), start=start, end=end,
            end_inclusive=end_inclusive, consent_id=str(query["consent_id"]) if "consent_id" in query else None,
            action=query.get("action"),
        )

    @property
    def whole(self):
        """True when the filter keeps every record of its sites (the export is their whole chains)."""
        return (self.start, self.end, self.consent_id, self.action) == (None, None, None, None)

    def description(self):
        """The filter in words, for a filtered export's export_scope."""
        parts = [f"site {', '.join(self.sites)}"]
        if self.start is not None:
            parts.append(f"from {chain.text(self.start)}")
        if self.end is not None:
            parts.append(f"to {chain.text(self.end)} {'inclusive' if self.end_inclusive else 'exclusive'}")
        if self.consent_id is not None:
            parts.append(f"consent_id {self.consent_id}")
        if self.action is not None:
            parts.append(f"action {self.action}")
        return ", ".join(parts)

    def scopes(self):
        """``{site: export_scope}``: each site's whole chain from its first kept record, or the filter."""
        if not self.whole:
            return dict.fromkeys(self.sites, scope.filtered(self.description()))
        return {site: scope.whole(chain_start(site)[0] + 1) for site in self.sites}

    def for_log(self):
        """The filter as the export log keeps it."""
        values = {"site": list(self.sites), "from": self.start, "to": self.end,
                  "to_inclusive": self.end_inclusive if self.end is not None else None,
                  "consent_id": self.consent_id, "action": self.action}
        return {key: chain.text(value) if isinstance(value, datetime) else value
                for key, value in values.items() if value is not None}


def _bracket(characters):
    """A bracket expression (GLOB, POSIX regex) of these characters: "-" first, itself and not a range."""
    return "[" + "-" * ("-" in characters) + "".join(sorted(set(characters) - {"-"})) + "]"


def _separator_risk(expression, dialect):
    """True where ``csvfile.neutralise`` escapes the cell's separators: it holds one of SEPARATORS and one
    of RISKY (regular expressions on PostgreSQL; on SQLite, ``LIKE '%c%'`` per character, which scans
    much faster than a GLOB's character class)."""
    if dialect == "postgresql":
        return and_(expression.op("~")(literal(_bracket(SEPARATORS))), expression.op("~")(literal(_bracket(RISKY))))
    return and_(or_(*(expression.like(f"%{character}%") for character in SEPARATORS)),
                or_(*(expression.like(f"%{character}%") for character in RISKY)))


def _starts_a_formula(expression, dialect):
    """True where ``csvfile.neutralise`` puts a ``'`` in front: the cell starts, after spaces, with one of
    FORMULA_STARTS (a regular expression on PostgreSQL; on SQLite, the first character's code)."""
    if dialect == "postgresql":
        return expression.op("~")(literal(f"^{TRIMMED}*{_bracket(FORMULA_STARTS)}"))
    codes = [ord(character) for character in FORMULA_STARTS]
    return or_(func.unicode(expression).in_(codes),
               and_(func.unicode(expression) == ord(TRIMMED), func.unicode(func.ltrim(expression, TRIMMED)).in_(codes)))


def _neutralised(expression, dialect):
    """``csvfile.neutralise`` in SQL: a ``'`` after each separator of a risky cell, and one ``'`` in front of
    a cell starting (after spaces) with a character in FORMULA_STARTS; NULL as ''."""
    escaped = expression
    for separator in SEPARATORS:
        escaped = func.replace(escaped, literal(separator), literal(separator + "'"))
    escaped = case((_separator_risk(expression, dialect), escaped), else_=expression)
    return case((_starts_a_formula(expression, dialect), literal("'") + escaped),
                else_=func.coalesce(escaped, literal("")))


def _scope_cell(export_filter, written=str):
    """The export_scope of each row (through ``written``): one text, or one per site."""
    scopes = {site: written(text) for site, text in export_filter.scopes().items()}
    if len(set(scopes.values())) == 1:
        return literal(next(iter(scopes.values())))
    return case(*((ConsentRecord.site == site, literal(text)) for site, text in scopes.items()))


def _cell(name, export_filter, dialect):
    """One column's cell: neutralised in NEUTRALISED_COLUMNS, the texts that a visitor's request chooses;
    every other column has a form (a number, a time, hex, a UUID, a site key…: ``csvfile.EXPORTED_FORM``
    and ``LEDGER_FORM``) that ``neutralise`` leaves as it is."""
    if name == "export_scope":
        return _scope_cell(export_filter)
    if name in NEUTRALISED_COLUMNS:
        return _neutralised(column_text(name, dialect), dialect)
    if getattr(ConsentRecord, name).nullable:
        return func.coalesce(column_text(name, dialect), literal(""))
    return column_text(name, dialect)


def statement(export_filter, dialect):
    """The SELECT of an export: one text cell per column of COLUMNS, in chain order."""
    cells = [_cell(name, export_filter, dialect).label(name) for name in COLUMNS]
    return (select(*cells).where(*export_filter.conditions())
            .order_by(ConsentRecord.site, ConsentRecord.seq))


def _csv_field(expression, dialect):
    """The cell as ``csv.writer`` writes it: in quotes, its quotes doubled, where it holds a comma, a quote,
    CR or LF (a regular expression on PostgreSQL, LIKE per character on SQLite)."""
    if dialect == "postgresql":
        special = expression.op("~")(literal(_bracket(CSV_SPECIAL)))
    else:
        special = or_(*(expression.like(f"%{character}%") for character in CSV_SPECIAL))
    return case((special, literal('"') + func.replace(expression, literal('"'), literal('""')) + literal('"')),
                else_=expression)


def _csv_text(text):
    """One text as ``csv.writer`` writes it."""
    lines = _Lines()
    csv.writer(lines).writerow([text])
    return "".join(lines).removesuffix("\r\n")


def line_statement(export_filter, dialect):
    """The SELECT of an export as CSV lines: each row one text, its cells written by the database as
    ``csv.writer`` writes ``statement``'s cells (only the neutralised columns and the scope can hold a
    comma, a quote or a line break), ending in CRLF; Python only joins them."""
    cells = []
    for name in COLUMNS:
        if name == "export_scope":
            cell = _scope_cell(export_filter, _csv_text)
        elif name in NEUTRALISED_COLUMNS:
            cell = _csv_field(_neutralised(column_text(name, dialect), dialect), dialect)
        else:
            cell = _cell(name, export_filter, dialect)
        cells.extend((type_coerce(cell, String), literal(",")))
    cells[-1] = literal("\r\n")
    line = cells[0]
    for cell in cells[1:]:
        line = line + cell
    return (select(line.label("line")).where(*export_filter.conditions())
            .order_by(ConsentRecord.site, ConsentRecord.seq))


def count(export_filter):
    """How many records the filter holds."""
    return db.session.scalar(select(func.count()).select_from(ConsentRecord).where(*export_filter.conditions()))


def _driver_statement(query, dialect):
    """``(sql, parameters)`` of a query for the driver's own cursor, each parameter as SQLAlchemy's type
    hands it to the driver (a time as SQLite's text)."""
    compiled = query.compile(dialect=dialect, compile_kwargs={"render_postcompile": True})
    values = compiled.construct_params()
    types = {name: bind.type for bind, name in compiled.bind_names.items()}

    def value(name):
        process = types[name].dialect_impl(dialect).bind_processor(dialect) if name in types else None
        return process(values[name]) if process else values[name]

    if dialect.positional:
        return compiled.string, tuple(value(name) for name in compiled.positiontup)
    return compiled.string, {name: value(name) for name in values}


def row_batches(export_filter, batch=None, of=statement):
    """Lists of at most ``batch`` rows (tuples of text) of ``of(export_filter, dialect)``, read with the
    driver's own cursor (SQLAlchemy's result rows cost more than the database's work): server-side on
    PostgreSQL, so that memory stays flat."""
    connection = db.session.connection()
    dialect = connection.dialect
    raw = connection.connection.dbapi_connection
    cursor = raw.cursor(name="consent_export") if dialect.name == "postgresql" else raw.cursor()
    try:
        cursor.execute(*_driver_statement(of(export_filter, dialect.name), dialect))
        while rows := cursor.fetchmany(batch or BATCH):
            yield rows
    finally:
        cursor.close()


class _Lines(list):
    """What ``csv.writer`` writes to: its lines, kept (a list's append is quicker than a StringIO's write)."""

    write = list.append

    def take(self):
        """The lines written so far, as UTF-8; then none."""
        data = "".join(self).encode("utf-8")
        self.clear()
        return data


def csv_chunks(export_filter):
    """The CSV file as UTF-8 chunks of about one batch each: a header, then the rows (as the database
    writes them: ``line_statement``)."""
    lines = _Lines()
    csv.writer(lines).writerow(COLUMNS)
    yield lines.take()
    for rows in row_batches(export_filter, of=line_statement):
        yield "".join(map(_FIRST, rows)).encode("utf-8")
