"""Export speed: GET /audit/consents.csv over N records, against a bare DB-API -> csv.writer loop over the
same rows, measured in the same run, on SQLite and (with --postgres or DATABASE_URL) PostgreSQL.

Each case runs in a fresh process, so that its peak RSS is its own; RSS is sampled as rows stream, to
show that it stays flat. Target (issue 16): the service at least 0.8 of the baseline's rows/s, with flat RSS.
The cases alternate (baseline, service, baseline, service, ...) ``--rounds`` times; the median ratio counts.

    python -m bench.export_speed [--rows 1000000] [--rounds 3] [--postgres URL]
    python -m bench.export_speed --quick       # a smoke run: 20,000 records, one round
"""
import argparse
import csv
import json
import os
import resource
import statistics
import tempfile
import time
from pathlib import Path

from bench.export_data import SITE, build_all, report_header, save_report
from bench.fresh_process import json_from_fresh_process
from consent_service.proof.csvfile import COLUMNS

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
PAGE = os.sysconf("SC_PAGE_SIZE")
TARGET_RATIO = 0.8
QUICK_ROWS = 20_000
# The stored columns as they are, and the export_scope as a constant: the same cells, without rendering them.
QUERY = (f"SELECT {', '.join(name for name in COLUMNS if name != 'export_scope')}, 'whole chain from seq 1' "
         "FROM consent_records WHERE site = %s ORDER BY site, seq")


def rss_mb():
    with open("/proc/self/statm") as file:
        return int(file.read().split()[1]) * PAGE / 2 ** 20


class Meter:
    """Rows/s and RSS samples (about 10 over the run)."""

    def __init__(self, expected):
        self.every, self.rows, self.samples = max(expected // 10, 1), 0, []
        self.started, self.cpu = time.perf_counter(), time.process_time()
        self.next_sample = self.every

    def add(self, rows):
        self.rows += rows
        if self.rows >= self.next_sample:
            self.samples.append(round(rss_mb(), 1))
            self.next_sample += self.every

    def result(self, path):
        seconds = time.perf_counter() - self.started
        return {"rows": self.rows, "seconds": round(seconds, 2), "rows_per_s": round(self.rows / seconds),
                "cpu_seconds": round(time.process_time() - self.cpu, 2),
                "rss_mb_samples": self.samples, "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
                "bytes": os.path.getsize(path)}


def baseline(uri, expected, out):
    """The least an export could do: the DB-API cursor's rows straight into csv.writer."""
    if uri.startswith("sqlite"):
        import sqlite3
        connection = sqlite3.connect(uri.removeprefix("sqlite:///"))
        cursor = connection.execute(QUERY.replace("%s", "?"), (SITE,))
    else:
        import psycopg
        url, _, options = uri.replace("postgresql+psycopg://", "postgresql://").partition("?options=")
        connection = psycopg.connect(url, options=options.replace("%3D", "="))
        cursor = connection.cursor(name="bench")  # server-side, as the service's stream
        cursor.itersize = 2000
        cursor.execute(QUERY, (SITE,))
    meter = Meter(expected)
    with open(out, "w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(COLUMNS)
        for row in cursor:
            writer.writerow(row)
            meter.add(1)
    connection.close()
    return meter.result(out)


def service(uri, expected, out):
    """The service's view through Flask's test client, streamed to a file as a client would save it."""
    from consent_service import create_app
    from consent_service.audit import service as accounts

    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": uri})
    with app.app_context():
        token = accounts.create_auditor(f"bench{time.time_ns()}")[1]
    client = app.test_client()
    meter = Meter(expected)
    response = client.get(f"/audit/consents.csv?site={SITE}", headers={"Authorization": f"Bearer {token}"},
                          buffered=False)
    assert response.status_code == 200, response.get_data(as_text=True)
    with open(out, "wb") as file:
        for chunk in response.iter_encoded():
            file.write(chunk)
            meter.add(chunk.count(b"\n"))
    response.close()
    meter.rows -= 1  # the header
    return meter.result(out)


def run_case(case, uri, rows):
    """One case in a fresh process; its JSON result."""
    out = os.path.join(tempfile.gettempdir(), f"bench-export-{case}-{'pg' if 'postgresql' in uri else 'sqlite'}.csv")
    return json_from_fresh_process("bench.export_speed", "--case", case, "--uri", uri,
                                   "--rows", str(rows), "--out", out)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=3, help="baseline/service pairs per database")
    parser.add_argument("--quick", action="store_true", help=f"a smoke run: {QUICK_ROWS} records, one round")
    parser.add_argument("--postgres", default=os.environ.get("DATABASE_URL"))
    parser.add_argument("--case", choices=("baseline", "service"), help=argparse.SUPPRESS)
    parser.add_argument("--uri", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.case:
        print(json.dumps((baseline if args.case == "baseline" else service)(args.uri, args.rows, args.out)))
        return
    if args.quick:
        args.rows, args.rounds = QUICK_ROWS, 1
    databases = build_all(args.rows, args.postgres)
    report = report_header(args.rows)
    for name, uri in databases.items():
        pairs = [{case: run_case(case, uri, args.rows) for case in ("baseline", "service")} for _ in range(args.rounds)]
        ratios = sorted(pair["service"]["rows_per_s"] / pair["baseline"]["rows_per_s"] for pair in pairs)
        cpu_ratios = sorted(pair["baseline"]["cpu_seconds"] / max(pair["service"]["cpu_seconds"], 0.01) for pair in pairs)
        ratio, cpu_ratio = statistics.median(ratios), statistics.median(cpu_ratios)
        report["results"][name] = {"pairs": pairs, "service_vs_baseline": round(ratio, 2),
                                   "ratios": [round(value, 2) for value in ratios],
                                   "service_vs_baseline_by_cpu": round(cpu_ratio, 2), "target": TARGET_RATIO,
                                   "target_met": ratio >= TARGET_RATIO}
        for pair in pairs:
            for case, result in pair.items():
                print(f"{name:10} {case:8} {result['rows']:>9} rows {result['seconds']:>6} s (CPU {result['cpu_seconds']} s) "
                      f"{result['rows_per_s']:>8} rows/s peak RSS {result['peak_rss_mb']} MB, samples {result['rss_mb_samples']}")
        baseline_rate = statistics.median(pair["baseline"]["rows_per_s"] for pair in pairs)
        service_rate = statistics.median(pair["service"]["rows_per_s"] for pair in pairs)
        print(f"{name:10} TARGET export >= {TARGET_RATIO}x the bare loop: baseline {baseline_rate} rows/s, service "
              f"{service_rate} rows/s, ratio {ratio:.2f} (median of {[round(value, 2) for value in ratios]}; by CPU time "
              f"of the Python process {cpu_ratio:.2f}): {'met' if ratio >= TARGET_RATIO else 'NOT met'}")
    save_report(report, "export_speed")


if __name__ == "__main__":
    main()
