"""Throughput and latency of the service against bare Flask baselines, side by side in one run.

Both apps run under the same gunicorn configuration (the same workers and threads); load comes
from wrk on 127.0.0.1, the two alternating run by run; each figure is the median of the runs.

- consent-state GET vs a bare endpoint returning the same JSON (target ratio >= 0.9)
- consent POST vs a bare endpoint inserting one row as wide and committing (target >= 1.0),
  on SQLite and on PostgreSQL (a throwaway cluster of its own), with no errors and every
  acknowledged record stored

    python -m bench.throughput [--runs 5] [--seconds 10] [--connections 32]

Needs wrk (Debian: ``apt-get install wrk``).
"""
import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import sqlalchemy as sa

from consent_service import config

from tests.support.servers import ROOT, Gunicorn, PostgresCluster, flask, migrate, service_env

WRK_DIR = Path(__file__).with_name("wrk")
SITE_ORIGIN = "https://www.entrack.fi"  # one of the site's origins in sites.toml
TARGETS = {"state": 0.9, "post": 1.0}


def wrk(url, script, seconds, connections, threads=1, token=None, origin=None):
    """One wrk run; its JSON summary with ``per_second`` added."""
    env = {**os.environ, "WRK_TOKEN": token or "", "WRK_ORIGIN": origin or ""}
    result = subprocess.run(
        ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s",
         "-s", str(WRK_DIR / script), url],
        capture_output=True, text=True, env=env, timeout=seconds + 60, check=True,
    )
    line = next(line for line in result.stdout.splitlines() if line.startswith("WRK_JSON "))
    summary = json.loads(line[len("WRK_JSON "):])
    summary["per_second"] = summary["requests"] / summary["seconds"]
    summary["errors"] = sum(summary[k] for k in ("non_2xx", "connect", "read", "write", "timeout"))
    return summary


def median_of(runs, key):
    return statistics.median(run[key] for run in runs)


def measured(server, url, script, args, token, origin=None):
    """One wrk run against ``server``, with the server's CPU time per answered request."""
    before = server.cpu_seconds()
    run = wrk(url, script, args.seconds, args.connections, token=token, origin=origin)
    run["cpu_us"] = (server.cpu_seconds() - before) / max(run["requests"], 1) * 1e6
    return run


def compare(name, service, service_url, baseline, baseline_url, script, args, token=None, origin=None):
    """Alternate service and baseline runs; medians, the median of the pairwise ratios, and the
    ratio of server CPU per request (robust when other work shares the machine)."""
    warmup = {side: wrk(url, script, 1, args.connections, token=token, origin=origin)
              for side, url in (("service", service_url), ("baseline", baseline_url))}
    runs = {"service": [], "baseline": []}
    for _ in range(args.runs):
        runs["service"].append(measured(service, service_url, script, args, token, origin))
        runs["baseline"].append(measured(baseline, baseline_url, script, args, token, origin))
    row = {"name": name, "runs": runs, "warmup": warmup}
    for side in runs:
        row[side] = {key: round(median_of(runs[side], key), 2) for key in ("per_second", "p50_ms", "p99_ms", "cpu_us")}
        row[side]["errors"] = sum(run["errors"] for run in runs[side])
        row[side]["answered"] = sum(run["requests"] - run["non_2xx"] for run in runs[side])
    pairs = [s["per_second"] / b["per_second"] for s, b in zip(runs["service"], runs["baseline"])]
    row["ratio"] = round(statistics.median(pairs), 3)
    row["ratio_of_medians"] = round(row["service"]["per_second"] / row["baseline"]["per_second"], 3)
    row["cpu_ratio"] = round(row["baseline"]["cpu_us"] / row["service"]["cpu_us"], 3)
    print(f"{name}: service {row['service']}  baseline {row['baseline']}  ratio {row['ratio']} "
          f"(pairs {[round(p, 2) for p in pairs]}) cpu ratio {row['cpu_ratio']}", flush=True)
    return row


def count_rows(database_url, table):
    engine = sa.create_engine(config.database_uri(database_url, ""), poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as connection:
            return connection.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar()
    finally:
        engine.dispose()


def token_for(url):
    """A valid token from the service, as a visitor's banner gets it."""
    from tests.support.load import decision
    request = urllib.request.Request(url + "/api/v1/consents", data=json.dumps(decision()).encode(),
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())["token"]


def start_pair(service_db, baseline_db, args, tmp, baseline_app="bench.baseline_app:create_baseline_app()"):
    """The service and the baseline, each migrated or created first, under the same configuration."""
    service = service_env(service_db)
    migrate(service)
    baseline = service_env(baseline_db)
    subprocess.run([sys.executable, "-m", "bench.baseline_app"], cwd=ROOT, env=baseline, check=True, timeout=60)
    servers = [
        Gunicorn(service, workers=args.workers, threads=args.threads, log_path=Path(tmp) / "service.log"),
        Gunicorn(baseline, app=baseline_app, workers=args.workers, threads=args.threads,
                 log_path=Path(tmp) / "baseline.log"),
    ]
    servers[0].start()
    servers[1].start(ready_path="/baseline/consent-state")
    return servers


def post_check(row, service_db, baseline_db, service_env_vars, before):
    """Every acknowledged POST stored (at most one unanswered per connection at a run's end); chain OK."""
    stored = count_rows(service_db, "consent_records") - before
    baseline_stored = count_rows(baseline_db, "bench_baseline_records")
    row["stored"] = {"service": stored, "baseline": baseline_stored}
    verify = flask(["consent", "verify"], service_env_vars)
    row["chain"] = verify.strip()
    problems = []
    warmup = row["warmup"]["service"]
    answered = row["service"]["answered"] + warmup["requests"] - warmup["non_2xx"]
    # A run's end cuts at most one request per connection after the server stored it.
    if not answered <= stored <= answered + 64 * (len(row["runs"]["service"]) + 1):
        problems.append(f"service answered {answered} POSTs but stored {stored}")
    if row["service"]["errors"]:
        problems.append(f"service had {row['service']['errors']} errors")
    row["problems"] = problems
    return problems


def scenario_state(service_db, baseline_db, args, tmp):
    """The consent-state check against a bare Flask app returning the same JSON: as a server-side tag
    manager asks it (a Bearer token), and as a tag manager in a visitor's browser on the customer's
    site does (the same, with that site's Origin, so the answer carries CORS headers)."""
    rows = []
    service, baseline = start_pair(service_db, baseline_db, args, tmp)
    try:
        token = token_for(service.url)
        for label, origin in (("server-side", None), ("from the site's pages (Origin)", SITE_ORIGIN)):
            rows.append(compare(f"consent-state GET {label} vs a bare Flask app", service,
                                service.url + "/api/v1/consent-state?site=entrack",
                                baseline, baseline.url + "/baseline/consent-state", "get.lua", args, token,
                                origin))
    finally:
        service.stop()
        baseline.stop()
    return rows


def scenario_post(engine, service_db, baseline_db, args, tmp):
    service, baseline = start_pair(service_db, baseline_db, args, tmp)
    try:
        before = count_rows(service_db, "consent_records")
        row = compare(f"consent POST ({engine})", service, service.url + "/api/v1/consents",
                      baseline, baseline.url + "/baseline/consents", "post.lua", args)
        post_check(row, service_db, baseline_db, service.env, before)
    finally:
        service.stop()
        baseline.stop()
    return [row]


def machine():
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    return {"cpu": cpu, "cores": os.cpu_count(), "python": platform.python_version(),
            "kernel": platform.release(), "load_average": os.getloadavg()}


def table(rows):
    lines = ["| measurement | service req/s | baseline req/s | ratio (target) | CPU/request service / baseline "
             "(ratio) | service p50 / p99 ms | baseline p50 / p99 ms | errors |", "|---|---|---|---|---|---|---|---|"]
    for row in rows:
        target = TARGETS["state" if "GET" in row["name"] else "post"]
        s, b = row["service"], row["baseline"]
        lines.append(f"| {row['name']} | {s['per_second']:.0f} | {b['per_second']:.0f} | {row['ratio']:.2f} "
                     f"(>= {target}) | {s['cpu_us']:.0f} / {b['cpu_us']:.0f} µs ({row['cpu_ratio']:.2f}) | "
                     f"{s['p50_ms']:.1f} / {s['p99_ms']:.1f} | {b['p50_ms']:.1f} / {b['p99_ms']:.1f} | {s['errors']} |")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--engines", default="sqlite,postgresql")
    parser.add_argument("--measure", default="state,post", help="state, post or both (default)")
    parser.add_argument("--output", default=str(ROOT / "bench" / "results"))
    args = parser.parse_args(argv)
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed: apt-get install wrk (Debian/Ubuntu)")
    rows = []
    with tempfile.TemporaryDirectory(prefix="consent-bench-") as tmp:
        sqlite_dbs = f"sqlite:///{tmp}/service.sqlite3", f"sqlite:///{tmp}/baseline.sqlite3"
        if "state" in args.measure:
            rows += scenario_state(*sqlite_dbs, args, tmp)
        if "sqlite" in args.engines and "post" in args.measure:
            rows += scenario_post("sqlite", *sqlite_dbs, args, tmp)
        if "postgresql" in args.engines and "post" in args.measure:
            with PostgresCluster() as cluster:
                for name in ("service", "baseline"):
                    engine = sa.create_engine(config.database_uri(cluster.url, ""), isolation_level="AUTOCOMMIT",
                                              poolclass=sa.pool.NullPool)
                    with engine.connect() as connection:
                        connection.execute(sa.text(f"CREATE DATABASE {name}"))
                    engine.dispose()
                base = cluster.url.rsplit("/", 1)[0]
                rows += scenario_post("postgresql", f"{base}/service", f"{base}/baseline", args, tmp)
    report = {"when": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()), "machine": machine(),
              "settings": vars(args), "rows": rows}
    Path(args.output).mkdir(parents=True, exist_ok=True)
    path = Path(args.output) / f"throughput-{time.strftime('%Y%m%dT%H%M%S')}.json"
    path.write_text(json.dumps(report, indent=2))
    print(table(rows))
    print(f"machine: {report['machine']}\nresults: {path}")
    problems = [p for row in rows for p in row.get("problems", [])]
    for problem in problems:
        print("PROBLEM:", problem)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
