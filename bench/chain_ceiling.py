"""One chain per site on PostgreSQL: how many decisions per second one site takes, what bounds it, and
what more sites add; on a throwaway PostgreSQL cluster (fsync on). docs/scaling.md explains the figures.

    python -m bench.chain_ceiling [--seconds 10] [--runs 3] [--shapes 4x4,2x32] [--sites 8] [--http-threads 4,16]
    python -m bench.chain_ceiling --quick    # a smoke run

- ``commit``: one connection advancing one row and committing, in a loop (the floor under every batch);
  ``commit_parallel``: 16 connections, a row each (one WAL flush serves concurrent commits);
  ``round_trip_ms``: a ``SELECT 1``.
- ``writer_one_site_PxT``: the ledger's own write path (``ledger.service.record_decision``), no HTTP, in P
  processes x T threads, one site: decisions/s, decisions per batch (a transaction's rows share its
  xmin), and from the records' timestamps, taken while the head is held, the time per decision appended
  inside a batch and the gap from one batch's last append to the next one's first (commit, next turn).
- ``writer_many_sites``: the first shape spread over SITES sites (a chain each).
- ``http_many_sites``, ``http_one_site_threadsN``: wrk -c64 posting (a new Idempotency-Key each) to one
  gunicorn of 2 workers x 4 (or N) threads, over SITES sites or for one. Each row adds the database's and
  the service's CPU and the WAL per decision.
Every measurement runs once per round, the rounds interleaved; the report gives each one's medians and the
median ratios of the rounds' pairs (a shared machine moves the figures; a ratio from one round holds better).
Results: stdout and bench/results/chain_ceiling-*.json.
"""
import argparse
import base64
import json
import os
import platform
import re
import statistics
import tempfile
from datetime import datetime, timezone
from pathlib import Path

from consent_service.sites import DEFAULT_FILE

from bench.chain_measures import measure_commits, measure_http, measure_writer, query
from tests.support.servers import ROOT, PostgresCluster, migrate, service_env

RESULTS = ROOT / "bench" / "results"


def sites_file(directory, count):
    """The shipped sites file with ``count`` sites: entrack and copies of it named site2, site3 ..."""
    text = DEFAULT_FILE.read_text()
    copies = [re.sub(r"^(\[+)entrack\b", rf"\g<1>site{n}", text, flags=re.M) for n in range(2, count + 1)]
    path = Path(directory) / f"sites-{count}.toml"
    path.write_text("\n".join([text, *copies]))
    return path, ["entrack", *(f"site{n}" for n in range(2, count + 1))]


def machine():
    cpu = [line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
           if line.startswith("model name")]
    return {"cpus": os.cpu_count(), "cpu": cpu[0] if cpu else platform.processor(),
            "python": platform.python_version(), "load_average": [round(x, 2) for x in os.getloadavg()]}


def shapes(text):
    """``"4x4,2x32"`` -> ``[(4, 4), (2, 32)]``; ``"4,16"`` -> ``[(4,), (16,)]``."""
    return [tuple(int(n) for n in shape.split("x")) for shape in text.split(",")]


def summarise(rows):
    """Per field, the median over the rounds of every numeric figure of ``rows``."""
    fields = [key for key, value in rows[0].items() if isinstance(value, (int, float))]
    return {key: round(statistics.median(row[key] for row in rows), 3) for key in fields}


def ratios(results, pairs):
    """Per ``(name, better, baseline)``: the median over the rounds of better/baseline decisions per second."""
    return {name: round(statistics.median(b["per_second"] / max(a["per_second"], 0.1)
                                          for b, a in zip(results[better], results[baseline])), 2)
            for name, better, baseline in pairs}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--runs", type=int, default=3, help="rounds of every measurement, interleaved")
    parser.add_argument("--shapes", type=shapes, default=shapes("4x4,2x32"), help="writers: PROCESSESxTHREADS,...")
    parser.add_argument("--sites", type=int, default=8)
    parser.add_argument("--http-threads", type=shapes, default=shapes("4,16"), help="threads of one-site HTTP runs")
    parser.add_argument("--quick", action="store_true", help="a smoke run: one round, 2 s per measurement")
    args = parser.parse_args()
    seconds, rounds = (2, 1) if args.quick else (args.seconds, args.runs)
    # Chain heads are signed on request only; a key keeps the service from warning in every process.
    os.environ.setdefault("AUDIT_SIGNING_KEY", base64.b64encode(os.urandom(32)).decode())
    report = {"when": datetime.now(timezone.utc).isoformat(timespec="seconds"), "machine_before": machine(),
              "seconds": seconds, "rounds": rounds}
    with tempfile.TemporaryDirectory(prefix="chain-ceiling-") as tmp, PostgresCluster() as cluster:
        url = cluster.url
        migrate(service_env(url))
        report["postgresql"] = query(url, "SHOW server_version")[0][0]
        report.update(measure_commits(url, seconds))
        print(json.dumps({k: report[k] for k in ("commit", "commit_parallel", "round_trip_ms")}), flush=True)
        one, many = sites_file(tmp, 1), sites_file(tmp, args.sites)
        runs = [(f"writer_one_site_{a}x{b}", lambda s=(a, b): measure_writer(url, cluster, *one, s, seconds))
                for a, b in args.shapes]
        runs += [("writer_many_sites", lambda: measure_writer(url, cluster, *many, args.shapes[0], seconds)),
                 ("http_many_sites", lambda: measure_http(url, cluster, *many, seconds, tmp))]
        runs += [(f"http_one_site_threads{n}", lambda n=n: measure_http(url, cluster, *one, seconds, tmp, n))
                 for (n,) in args.http_threads]
        results = {name: [] for name, _ in runs}
        for number in range(rounds):
            for name, measure in runs:
                results[name].append(measure())
                print(f"round {number + 1}", name, json.dumps(results[name][-1]), flush=True)
    first, last = (f"writer_one_site_{a}x{b}" for a, b in (args.shapes[0], args.shapes[-1]))
    http = [f"http_one_site_threads{n}" for (n,) in args.http_threads]
    report["ratios"] = ratios(results, [
        (f"{last} / {first}", last, first), (f"{http[-1]} / {http[0]}", http[-1], http[0]),
        (f"writer {args.sites} sites / 1", "writer_many_sites", first),
        (f"http {args.sites} sites / 1", "http_many_sites", http[0])])
    report.update({name: {"median": summarise(rows), "runs": rows} for name, rows in results.items()})
    report["machine_after"] = machine()
    for name in results:
        print("median", name, json.dumps(report[name]["median"]))
    print("ratios", json.dumps(report["ratios"]))
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"chain_ceiling-{datetime.now(timezone.utc):%Y%m%dT%H%M%S}.json"
    path.write_text(json.dumps(report, indent=2))
    print(f"written {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
