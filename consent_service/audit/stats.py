"""Statistics for the site owner: per day, the shares of each decision and of each category granted."""
import csv
import io
import math
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone

from sqlalchemy import Integer, case, func, select

from ..extensions import db
from ..ledger.models import ConsentRecord

CHOICES = ("accept_all", "reject_all", "custom")
CATEGORIES = ("analytics", "marketing")
# The chart stacks the decisions from the bottom in this order; its legend and the table follow it.
STACK = ("accept_all", "custom", "reject_all")
LABELS = {"accept_all": "Accept all", "custom": "Custom choice", "reject_all": "Reject all",
          "analytics": "Analytics granted", "marketing": "Marketing granted"}
COLOURS = {"accept_all": "#2e7d32", "custom": "#f9a825", "reject_all": "#c62828",
           "analytics": "#0d47a1", "marketing": "#6a1b9a"}
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


def _line(name, bars, days, plot_bottom, plot_h):
    """A category's line: a point (and a marker) per day at its share; a single day's line runs across
    its bar, so that it shows."""
    ys = [round(plot_bottom - plot_h * entry.share(name), 2) for entry in days]
    if len(days) == 1:
        points = [(bars[0]["x"], ys[0]), (bars[0]["x"] + bars[0]["width"], ys[0])]
    else:
        points = [(bar["centre"], y) for bar, y in zip(bars, ys)]
    return {"name": name, "label": LABELS[name], "colour": COLOURS[name],
            "points": " ".join(f"{x:.2f},{y:.2f}" for x, y in points),
            "markers": [{"x": bar["centre"], "y": y} for bar, y in zip(bars, ys)]}


@dataclass(frozen=True)
class Layout:
    """A chart's size: the plot's margins, and the legend on the right (one column) or below (two)."""

    width: int
    height: int
    left: int
    right: int
    top: int
    bottom: int
    legend_below: bool


WIDE = Layout(720, 300, 52, 170, 16, 40, legend_below=False)
NARROW = Layout(360, 380, 48, 12, 16, 124, legend_below=True)  # for a phone: drawn at about its own size
LABEL_WIDTH = 84  # room for one day label ("2026-11-01" at 13 px)
ROW = 22


def _legend(layout, plot_bottom):
    """The legend's entries from the top of the stack down, then the lines: ``{name, label, colour, kind, x, y}``."""
    boxes = [(name, "box") for name in reversed(STACK)]
    lines = [(name, "line") for name in CATEGORIES]
    if layout.legend_below:
        x, y = layout.left, plot_bottom + 36
        places = [(x, y + ROW * row) for row in range(len(boxes))] + [(x + 150, y + ROW * row) for row in range(len(lines))]
    else:
        x, y = layout.width - layout.right + 16, layout.top + 8
        places = [(x, y + ROW * row) for row in range(len(boxes))] + \
                 [(x, y + ROW * (len(boxes) + row) + 8) for row in range(len(lines))]
    return [{"name": name, "label": LABELS[name], "colour": COLOURS[name], "kind": kind, "x": px, "y": py}
            for (name, kind), (px, py) in zip(boxes + lines, places)]


def chart(days, layout=WIDE, chart_id="stats"):
    """Geometry of the SVG chart: a stacked bar of the decision shares per day (STACK, from the bottom),
    a line per category, a day label under every bar that has room for one, and the legend in the order
    of the stacking (its top first), then the lines."""
    plot_w, plot_h = layout.width - layout.left - layout.right, layout.height - layout.top - layout.bottom
    plot_bottom = layout.top + plot_h
    step = plot_w / max(len(days), 1)
    bars = []
    for index, entry in enumerate(days):
        x, y = layout.left + index * step, plot_bottom
        segments = []
        for name in STACK:
            h = entry.share(name) * plot_h
            y -= h
            segments.append({"name": name, "y": round(y, 2), "height": round(h, 2), "colour": COLOURS[name]})
        bars.append({"x": round(x + step * 0.1, 2), "width": round(step * 0.8, 2), "centre": round(x + step / 2, 2),
                     "segments": segments, "label": entry.day, "decisions": entry.decisions})
    ticks = [{"value": value, "y": round(plot_bottom - plot_h * value / 100, 2)} for value in (0, 25, 50, 75, 100)]
    return {"id": chart_id, "width": layout.width, "height": layout.height, "left": layout.left, "top": layout.top,
            "plot_w": plot_w, "plot_h": plot_h, "plot_bottom": plot_bottom, "bars": bars, "ticks": ticks,
            "lines": [_line(name, bars, days, plot_bottom, plot_h) for name in CATEGORIES],
            "legend": _legend(layout, plot_bottom),
            "labels": [bar for bar in bars[:: max(1, math.ceil(LABEL_WIDTH / step))]
                       if bar["centre"] + LABEL_WIDTH / 2 <= layout.width]}
