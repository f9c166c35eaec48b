"""Statistics for the site owner: per day, the shares of each decision and of each category granted."""
import csv
import io
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone

from sqlalchemy import Integer, case, func, select

from ..extensions import db
from ..ledger.models import ConsentRecord

CHOICES = ("accept_all", "reject_all", "custom")
CATEGORIES = ("analytics", "marketing")
DEFAULT_DAYS = 30
CSV_COLUMNS = ("date", "decisions", *CHOICES, *(f"{name}_share" for name in CHOICES + CATEGORIES))


@dataclass
class Day:
    """The decisions of one UTC day (every accept_all, reject_all and custom record)."""

    day: str
    counts: dict = field(default_factory=lambda: dict.fromkeys(CHOICES, 0))
    granted: dict = field(default_factory=lambda: dict.fromkeys(CATEGORIES, 0))

    @property
    def decisions(self):
        return sum(self.counts.values())

    def share(self, name):
        """The share (0..1) of a decision or of a category granted."""
        value = self.counts[name] if name in self.counts else self.granted[name]
        return value / self.decisions if self.decisions else 0.0


def default_range(start, end):
    """The last DEFAULT_DAYS days when no start is given (from the first day there is, near year 1)."""
    if start is None:
        last = (end or datetime.now(timezone.utc)).date()
        first = last - timedelta(days=DEFAULT_DAYS - 1) if last > date.min + timedelta(days=DEFAULT_DAYS) else date.min
        start = datetime.combine(first, datetime.min.time(), timezone.utc)
    return start, end


def _day(dialect):
    if dialect == "postgresql":
        return func.date(func.timezone("UTC", ConsentRecord.recorded_at))
    return func.date(ConsentRecord.recorded_at)  # SQLite keeps UTC times as text


def daily(site_keys, start, end=None, end_inclusive=False):
    """One Day per UTC day with decisions in the range, oldest first."""
    day = _day(db.session.get_bind().dialect.name).label("day")
    statement = (
        select(day, ConsentRecord.action, func.count().label("n"),
               *(func.sum(case((getattr(ConsentRecord, name), 1), else_=0), type_=Integer).label(name)
                 for name in CATEGORIES))
        .where(ConsentRecord.site.in_(site_keys), ConsentRecord.action.in_(CHOICES), ConsentRecord.recorded_at >= start)
        .group_by(day, ConsentRecord.action).order_by(day)
    )
    if end is not None:
        statement = statement.where(ConsentRecord.recorded_at <= end if end_inclusive else ConsentRecord.recorded_at < end)
    days = {}
    for row in db.session.execute(statement):
        key = row.day.isoformat() if isinstance(row.day, date) else str(row.day)
        entry = days.setdefault(key, Day(key))
        entry.counts[row.action] += row.n
        for name in CATEGORIES:
            entry.granted[name] += getattr(row, name) or 0
    return list(days.values())


def as_csv(days):
    """The statistics as CSV text: counts, and shares with four decimals."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    for entry in days:
        shares = [f"{entry.share(name):.4f}" for name in CHOICES + CATEGORIES]
        writer.writerow([entry.day, entry.decisions, *(entry.counts[name] for name in CHOICES), *shares])
    return buffer.getvalue()


def chart(days, width=720, height=260, margin=40):
    """Geometry of the SVG chart: a stacked bar of the decision shares per day, a line per category."""
    plot_w, plot_h = width - 2 * margin, height - 2 * margin
    step = plot_w / max(len(days), 1)
    bars, lines = [], {name: [] for name in CATEGORIES}
    for index, entry in enumerate(days):
        x, y = margin + index * step, margin + plot_h
        segments = []
        for name in CHOICES:
            h = entry.share(name) * plot_h
            y -= h
            segments.append({"name": name, "y": round(y, 2), "height": round(h, 2)})
        bars.append({"x": round(x + step * 0.1, 2), "width": round(step * 0.8, 2), "segments": segments,
                     "label": entry.day, "decisions": entry.decisions})
        for name in CATEGORIES:
            lines[name].append(f"{x + step / 2:.2f},{margin + plot_h * (1 - entry.share(name)):.2f}")
    labels = bars[:: max(1, len(bars) // 6)]
    return {"width": width, "height": height, "margin": margin, "plot_w": plot_w, "plot_h": plot_h,
            "bars": bars, "lines": {name: " ".join(points) for name, points in lines.items()}, "labels": labels}
