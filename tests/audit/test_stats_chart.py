"""The statistics chart and table: the legend in the order of the stacking, axis text that can be read,
the analytics and marketing lines drawn (a single day too), table headings in words."""
import re

import pytest

from consent_service.audit import stats

from tests.support.audit import add_records, bearer, make_auditor, utc
from tests.support.portal import sign_in

STACK_WORDS = ["Accept all", "Custom choice", "Reject all"]  # from the bottom
LINE_WORDS = ["Analytics granted", "Marketing granted"]


@pytest.fixture
def token(app):
    return make_auditor(app, "alice", ["entrack"])


def day(name, **counts):
    entry = stats.Day(name)
    entry.counts.update({key: value for key, value in counts.items() if key in stats.CHOICES})
    entry.granted.update({key: value for key, value in counts.items() if key in stats.CATEGORIES})
    return entry


def svg_of(client, token, query):
    return client.get(f"/audit/stats.svg?{query}", headers=bearer(token)).get_data(as_text=True)


@pytest.mark.parametrize("layout", [stats.WIDE, stats.NARROW])
def test_segments_stack_and_the_legend_reads_in_the_same_order(layout):
    geometry = stats.chart([day("2026-11-01", accept_all=2, custom=1, reject_all=1, analytics=3)], layout)
    [bar] = geometry["bars"]
    ys = [segment["y"] for segment in bar["segments"]]
    assert [segment["name"] for segment in bar["segments"]] == list(stats.STACK)
    assert ys == sorted(ys, reverse=True)  # each segment above the one before
    legend = geometry["legend"]
    assert [item["label"] for item in legend] == [*reversed(STACK_WORDS), *LINE_WORDS]
    boxes = [item["y"] for item in legend if item["kind"] == "box"]
    assert boxes == sorted(boxes)  # the top of the stack first, down to its bottom
    assert all(item["x"] + 150 <= layout.width for item in legend)


def test_the_svg_shows_the_legend_in_stacking_order_and_readable_text(app, client, token):
    add_records(app, *({"at": utc(2026, 11, 1, 9), "action": action} for action in stats.CHOICES))
    text = svg_of(client, token, "from=2026-11-01&to=2026-11-01")
    bar = re.search(r"<g>\s*<title>.*?</g>", text, re.S).group(0)
    assert re.findall(r'<rect class="(\w+)"', bar) == list(stats.STACK)
    legend = re.search(r'<g class="legend">(.*?)</g>', text, re.S).group(1)
    assert re.findall(r">([^<>]+)</text>", legend) == [*reversed(STACK_WORDS), *LINE_WORDS]
    sizes = [float(size) for size in re.findall(r'font-size="([\d.]+)"', text)]
    assert sizes and min(sizes) >= 12
    assert re.findall(r'<text class="day"[^>]*>([^<]+)</text>', text) == ["2026-11-01"]
    assert re.findall(r'<text x="[\d.]+" y="[\d.]+" text-anchor="end">(\d+)%</text>', text) == ["0", "25", "50", "75", "100"]


def polylines(text):
    return {name: points.split() for name, points in re.findall(r'<g class="(\w+)"[^>]*>\s*<polyline points="([^"]*)"', text)}


def test_a_single_day_draws_both_lines(app, client, token):
    add_records(app, {"at": utc(2026, 11, 1, 9), "action": "custom", "analytics": True, "marketing": False})
    text = svg_of(client, token, "from=2026-11-01&to=2026-11-01")
    lines = polylines(text)
    assert set(lines) == {"analytics", "marketing"}
    for name, points in lines.items():
        (x1, y1), (x2, y2) = (tuple(map(float, point.split(","))) for point in points)
        assert x2 - x1 > 100 and y1 == y2, name  # across the bar, level
    assert text.count("<circle ") == 2
    geometry = stats.chart([day("2026-11-01", custom=1, analytics=1)])
    top, bottom = geometry["top"], geometry["plot_bottom"]
    assert [line["markers"][0]["y"] for line in geometry["lines"]] == [top, bottom]  # 100% and 0%


def test_many_days_draw_a_point_per_day(app, client, token):
    add_records(app, *({"at": utc(2026, 11, d, 9), "action": "accept_all"} for d in range(1, 8)))
    lines = polylines(svg_of(client, token, "from=2026-11-01&to=2026-11-07"))
    assert {name: len(points) for name, points in lines.items()} == {"analytics": 7, "marketing": 7}


@pytest.mark.parametrize("count", [1, 7, 19, 30, 90])
@pytest.mark.parametrize("layout", [stats.WIDE, stats.NARROW])
def test_day_labels_have_room_and_stay_inside(count, layout):
    days = [day(f"2026-{1 + i // 28:02d}-{1 + i % 28:02d}", accept_all=1) for i in range(count)]
    labels = [bar["centre"] for bar in stats.chart(days, layout)["labels"]]
    assert labels and all(b - a >= stats.LABEL_WIDTH for a, b in zip(labels, labels[1:]))
    assert all(stats.LABEL_WIDTH / 2 <= x <= layout.width - stats.LABEL_WIDTH / 2 for x in labels)


def test_table_headings_are_words(app, client, token):
    add_records(app, {"at": utc(2026, 11, 1, 9), "action": "accept_all"})
    sign_in(client, token)
    page = client.get("/audit/stats?site=entrack&from=2026-11-01&to=2026-11-01").get_data(as_text=True)
    head = re.search(r"<thead>(.*?)</thead>", page, re.S).group(1)
    assert re.findall(r"<th[^>]*>([^<]+)</th>", head) == ["Day", "Decisions", *STACK_WORDS, *LINE_WORDS]
    assert re.findall(r'<td class="number" data-label="([^"]+)">', page) == ["Decisions", *STACK_WORDS, *LINE_WORDS]
    assert page.count("<svg ") == 2  # wide, and narrow for a phone
    assert 'id="stats-title"' in page and 'id="stats-narrow-title"' in page
