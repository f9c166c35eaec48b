"""Every target of issue 16, from the newest results of each benchmark: its baseline, what was measured,
the ratio, and whether it is met. ``bench/run_all.sh`` prints this at its end; alone:

    python -m bench.targets [--results bench/results]

A ratio is always "higher is better": the service against its same-run baseline for rates, and the
budget against the time taken for time limits. A target without results says so (its benchmark did not
run, or failed before writing them). Exit status 0 when every target with results is met.
"""
import argparse
import json
import statistics
import sys
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"
VERIFY_BUDGET_S = 3.0
EXPORT_TARGET = 0.8
FLAT_MEMORY_MB = 20  # how far the peak RSS samples of one export may spread and still count as flat


def newest(results, prefix):
    """``[(path, report)]`` of the benchmark's results, newest first."""
    paths = sorted(results.glob(f"{prefix}-*.json"), reverse=True)
    return [(path, json.loads(path.read_text())) for path in paths]


def load_text(values):
    return "/".join(f"{value:.1f}" for value in values[:1]) if values else "?"


def throughput_rows(results):
    """The newest measurement of each throughput row (``--measure state`` and ``post`` may be separate runs)."""
    rows = {}
    for path, report in newest(results, "throughput"):
        for row in report["rows"]:
            rows.setdefault(row["name"], (path, report, row))
    return rows


def row(target, baseline, measured, ratio, goal, source, load, note=""):
    met = ratio is not None and ratio >= goal
    return {"target": target, "baseline": baseline, "measured": measured,
            "ratio": None if ratio is None else round(ratio, 3), "goal": goal, "met": met,
            "source": source, "load": load, "note": note}


def throughput_targets(results):
    found = throughput_rows(results)
    wanted = [
        ("POST /api/v1/consents, SQLite, >= 1.0x a bare insert", "consent POST (sqlite)", 1.0),
        ("POST /api/v1/consents, PostgreSQL, >= 1.0x a bare insert", "consent POST (postgresql)", 1.0),
        ("consent-state GET (server-side) >= 0.9x a bare endpoint", "consent-state GET server-side vs a bare Flask app", 0.9),
        ("consent-state GET (with Origin) >= 0.9x a bare endpoint",
         "consent-state GET from the site's pages (Origin) vs a bare Flask app", 0.9),
    ]
    out = []
    for target, name, goal in wanted:
        if name not in found:
            out.append(row(target, "-", "no results", None, goal, "bench.throughput", "?"))
            continue
        path, report, measured = found[name]
        service, baseline = measured["service"], measured["baseline"]
        problems = measured.get("problems", []) + ([f"{service['errors']} errors"] if service["errors"] else [])
        result = row(target, f"{baseline['per_second']:.0f} req/s", f"{service['per_second']:.0f} req/s",
                     measured["ratio"], goal, path.name, load_text(report["machine"]["load_average"]),
                     "; ".join(problems) or f"CPU/request {service['cpu_us']:.0f} / {baseline['cpu_us']:.0f} µs, "
                                              f"{report['settings']['runs']} pairs")
        result["met"] = result["met"] and not problems
        out.append(result)
    return out


def verify_targets(results):
    reports = newest(results, "verify_speed")
    wanted = [("verify 1,000,000 records in the database (SQLite, a worker per CPU) <= 3 s", "sqlite one per CPU"),
              ("verify 1,000,000 records in the database (PostgreSQL, a worker per CPU) <= 3 s",
               "postgresql one per CPU"),
              ("verify 1,000,000 records in a file (verify.pyz) <= 3 s", "file (python3 -I verify.pyz)")]
    out = []
    for target, name in wanted:
        hit = next(((path, report) for path, report in reports if name in report["results"]), None)
        if hit is None:
            out.append(row(target, f"{VERIFY_BUDGET_S} s budget", "no results", None, 1.0, "bench.verify_speed", "?"))
            continue
        path, report = hit
        entry = report["results"][name]
        records = entry.get("records", report["rows"])
        seconds = entry["seconds"] * 1_000_000 / records if records else entry["seconds"]
        out.append(row(target, f"{VERIFY_BUDGET_S} s budget", f"{entry['seconds']} s for {records:,}",
                       VERIFY_BUDGET_S / seconds, 1.0, path.name, load_text(report.get("load_average_before")),
                       f"{entry.get('jobs', '?')} processes"))
    return out


def export_targets(results):
    reports = newest(results, "export_speed")
    out = []
    for name in ("sqlite", "postgresql"):
        target = f"export ({name}) >= {EXPORT_TARGET}x the bare loop, flat memory"
        hit = next(((path, report) for path, report in reports if name in report["results"]), None)
        if hit is None:
            out.append(row(target, "-", "no results", None, EXPORT_TARGET, "bench.export_speed", "?"))
            continue
        path, report = hit
        entry = report["results"][name]
        pairs = entry.get("pairs") or [{side: entry[side] for side in ("baseline", "service")}]
        rate = {side: statistics.median(pair[side]["rows_per_s"] for pair in pairs) for side in ("baseline", "service")}
        spread = max(max(s) - min(s) for s in (pair["service"].get("rss_mb_samples") or [0] for pair in pairs))
        peak = max(pair["service"]["peak_rss_mb"] for pair in pairs)
        result = row(target, f"{rate['baseline']:,.0f} rows/s", f"{rate['service']:,.0f} rows/s of {report['rows']:,}",
                     entry["service_vs_baseline"], EXPORT_TARGET, path.name, load_text(report.get("load_average_before")),
                     f"{len(pairs)} pairs, peak RSS {peak} MB, samples spread {spread:.1f} MB")
        result["met"] = result["met"] and spread <= FLAT_MEMORY_MB
        out.append(result)
    return out


def all_targets(results):
    return throughput_targets(results) + verify_targets(results) + export_targets(results)


def table(rows):
    lines = ["| target | baseline | measured | ratio (goal) | met | load | source | note |",
             "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        ratio = "-" if r["ratio"] is None else f"{r['ratio']:.3f}"
        met = "yes" if r["met"] else ("no results" if r["ratio"] is None else "NO")
        lines.append(f"| {r['target']} | {r['baseline']} | {r['measured']} | {ratio} (>= {r['goal']}) | {met} | "
                     f"{r['load']} | {r['source']} | {r['note']} |")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--results", default=str(RESULTS))
    args = parser.parse_args(argv)
    rows = all_targets(Path(args.results))
    print(table(rows))
    print("load: the 1-minute load average recorded with the results (2 cores, shared by other work)")
    return 0 if all(r["met"] for r in rows if r["ratio"] is not None) else 1


if __name__ == "__main__":
    sys.exit(main())
