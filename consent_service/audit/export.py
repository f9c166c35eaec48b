"""The consent-proof CSV: the records of a filter, in chain order, streamed in constant memory.

Every cell is rendered as text by the database itself (the same text ``proof.chain.text`` gives and
hashes), neutralised there too, so that Python only hands rows to ``csv.writer``.
"""
import csv
import io
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, func, literal, select

from ..extensions import db
from ..ledger.models import ConsentRecord
from ..ledger.verification import chain_start, column_text
from ..proof import chain, scope
from ..proof.csvfile import AFTER_SEPARATOR, COLUMNS, EXPORTED_FORM, FORMULA_STARTS, SEPARATORS, TRIMMED
from . import service
from .schemas import time_bounds

BATCH = 2000


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


def _separator_risk(expression, dialect):
    """True where ``csvfile.neutralise`` escapes the cell's separators: one of SEPARATORS with one of
    AFTER_SEPARATOR anywhere after it (a GLOB on SQLite, a regular expression on PostgreSQL)."""
    separators = "".join(SEPARATORS)
    after = "-" + "".join(sorted(set(AFTER_SEPARATOR) - {"-"}))  # "-" first: itself, not a range
    if dialect == "postgresql":
        return expression.op("~")(literal(f"[{separators}].*[{after}]"))
    return expression.op("GLOB")(literal(f"*[{separators}]*[{after}]*"))


def _neutralised(expression, dialect):
    """``csvfile.neutralise`` in SQL: a ``'`` after each separator of a risky cell, and one ``'`` in front of
    a cell starting (after spaces) with a character in FORMULA_STARTS; NULL as ''."""
    escaped = expression
    for separator in SEPARATORS:
        escaped = func.replace(escaped, literal(separator), literal(separator + "'"))
    escaped = case((_separator_risk(expression, dialect), escaped), else_=expression)
    return case((func.substr(func.ltrim(expression, literal(TRIMMED)), 1, 1).in_(FORMULA_STARTS),
                 literal("'") + escaped),
                else_=func.coalesce(escaped, literal("")))


def _scope_cell(export_filter):
    """The export_scope of each row: one text, or one per site."""
    scopes = export_filter.scopes()
    if len(set(scopes.values())) == 1:
        return literal(next(iter(scopes.values())))
    return case(*((ConsentRecord.site == site, literal(text)) for site, text in scopes.items()))


def _cell(name, export_filter, dialect):
    """One column's cell: neutralised, except in the columns whose every exported text has a fixed form
    (``csvfile.EXPORTED_FORM``: numbers, times, true/false, hex) that ``neutralise`` leaves as it is."""
    if name == "export_scope":
        return _scope_cell(export_filter)
    if name in EXPORTED_FORM:
        return func.coalesce(column_text(name, dialect), literal(""))
    return _neutralised(column_text(name, dialect), dialect)


def statement(export_filter, dialect):
    """The SELECT of an export: one text cell per column of COLUMNS, in chain order."""
    cells = [_cell(name, export_filter, dialect).label(name) for name in COLUMNS]
    return (select(*cells).where(*export_filter.conditions())
            .order_by(ConsentRecord.site, ConsentRecord.seq))


def count(export_filter):
    """How many records the filter holds."""
    return db.session.scalar(select(func.count()).select_from(ConsentRecord).where(*export_filter.conditions()))


def row_batches(export_filter, batch=None):
    """Lists of at most ``batch`` rows (tuples of text), from a server-side cursor where there is one."""
    query = statement(export_filter, db.session.get_bind().dialect.name)
    result = db.session.execute(query.execution_options(stream_results=True, yield_per=batch or BATCH))
    for rows in result.partitions():
        yield rows


def csv_chunks(export_filter):
    """The CSV file as UTF-8 chunks of about one batch each: a header, then the rows."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(COLUMNS)
    for rows in row_batches(export_filter):
        writer.writerows(rows)
        yield buffer.getvalue().encode("utf-8")
        buffer.seek(0)
        buffer.truncate()
    yield buffer.getvalue().encode("utf-8")
