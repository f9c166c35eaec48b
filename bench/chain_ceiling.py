"""One chain per site on PostgreSQL: how many decisions per second one site takes, what bounds it, and
what more sites add; on a throwaway PostgreSQL cluster (fsync on). docs/scaling.md explains the figures.

    python -m bench.chain_ceiling [--seconds 10] [--shapes 4x4,2x32] [--sites 8] [--http-threads 4,16] [--quick]

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
  the service's CPU and the WAL per decision. Results: stdout and bench/results/chain_ceiling-*.json.
"""
import argparse
import base64
import json
import multiprocessing
import os
import platform
import re
import tempfile
import threading
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path

import psycopg

from consent_service.sites import DEFAULT_FILE

from bench.throughput import wrk
from tests.support.load import decision
from tests.support.servers import ROOT, Gunicorn, PostgresCluster, migrate, service_env
from tests.support.waiting import wait_until_steady

RESULTS = ROOT / "bench" / "results"
PARALLEL_COMMITTERS = 16
HTTP_CONNECTIONS = 64
EMPTY_LEDGER = "TRUNCATE consent_records, idempotency_keys, chain_heads RESTART IDENTITY CASCADE"


def sites_file(directory, count):
    """The shipped sites file with ``count`` sites: entrack and copies of it named site2, site3 ..."""
    text = DEFAULT_FILE.read_text()
    copies = [re.sub(r"^(\[+)entrack\b", rf"\g<1>site{n}", text, flags=re.M) for n in range(2, count + 1)]
    path = Path(directory) / f"sites-{count}.toml"
    path.write_text("\n".join([text, *copies]))
    return path, ["entrack", *(f"site{n}" for n in range(2, count + 1))]


def query(url, sql, params=()):
    """The rows of one statement, on a connection of its own (committed)."""
    with psycopg.connect(url) as connection:
        cursor = connection.execute(sql, params)
        return cursor.fetchall() if cursor.description else []


def cpu_seconds(pid, with_children=True):
    """CPU time of a process (user + system), and of its children that it has waited for."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return sum(int(n) for n in fields[11:15 if with_children else 13]) / os.sysconf("SC_CLK_TCK")


def database_cpu(cluster):
    """CPU time used so far by the cluster: the postmaster, its live processes, and the exited ones."""
    postmaster = int((cluster.data / "postmaster.pid").read_text().split()[0])
    children = Path(f"/proc/{postmaster}/task/{postmaster}/children").read_text().split()
    total = cpu_seconds(postmaster)
    for pid in children:
        try:
            total += cpu_seconds(pid)
        except OSError:
            pass  # exited meanwhile: counted in the postmaster's children's time once reaped
    return total


def wal_position(url):
    return query(url, "SELECT pg_current_wal_lsn()")[0][0]


def costs(url, cluster, before, decisions, service_cpu=None):
    """Per stored decision: the database's CPU, the WAL written and (given) the service's CPU."""
    wal = query(url, "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), %s)", (before["wal"],))[0][0]
    row = {"db_cpu_ms_per_decision": round((database_cpu(cluster) - before["db_cpu"]) / max(decisions, 1) * 1000, 3),
           "wal_bytes_per_decision": round(float(wal) / max(decisions, 1))}
    if service_cpu is not None:
        row["service_cpu_ms_per_decision"] = round(service_cpu / max(decisions, 1) * 1000, 3)
    return row


def head_timing(url, site="entrack"):
    """From the records' timestamps (taken while the head is held): milliseconds per decision appended
    in a batch, and the median gap from a batch's last append to the next one's first (commit, next turn)."""
    rows = query(url, "SELECT min(recorded_at), max(recorded_at), count(*) FROM consent_records WHERE site = %s "
                      "GROUP BY xmin::text ORDER BY min(recorded_at)", (site,))
    inside = sum((last - first).total_seconds() for first, last, _ in rows)
    appended_after_first = sum(count - 1 for _, _, count in rows)
    gaps = sorted((rows[n + 1][0] - rows[n][1]).total_seconds() for n in range(len(rows) - 1))
    return {"append_ms_per_decision": round(inside / max(appended_after_first, 1) * 1000, 3),
            "gap_ms_between_batches": round(gaps[len(gaps) // 2] * 1000, 3) if gaps else None}


def commit_loop(url, row, seconds):
    """Commits of ``UPDATE one row`` on one connection in ``seconds``."""
    done, deadline = 0, time.monotonic() + seconds
    with psycopg.connect(url) as connection:
        while time.monotonic() < deadline:
            connection.execute("UPDATE bench_heads SET n = n + 1 WHERE id = %s", (row,))
            connection.commit()
            done += 1
    return done


def measure_commits(url, seconds):
    """What a commit costs here: one connection, then PARALLEL_COMMITTERS at once."""
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute("CREATE TABLE IF NOT EXISTS bench_heads (id int PRIMARY KEY, n bigint NOT NULL)")
        connection.execute("INSERT INTO bench_heads SELECT g, 0 FROM generate_series(0, %s) g ON CONFLICT DO NOTHING",
                           (PARALLEL_COMMITTERS,))
    single = commit_loop(url, 0, seconds)
    trips, deadline = 0, time.monotonic() + seconds
    with psycopg.connect(url, autocommit=True) as connection:
        while time.monotonic() < deadline:
            connection.execute("SELECT 1").fetchone()
            trips += 1
    counts = [0] * PARALLEL_COMMITTERS
    threads = [threading.Thread(target=lambda n=n: counts.__setitem__(n, commit_loop(url, n + 1, seconds)))
               for n in range(PARALLEL_COMMITTERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(seconds + 60)
    return {
        "commit": {"per_second": round(single / seconds, 1), "ms": round(seconds / single * 1000, 3)},
        "commit_parallel": {"connections": PARALLEL_COMMITTERS, "per_second": round(sum(counts) / seconds, 1)},
        "round_trip_ms": round(seconds / trips * 1000, 3),
    }


def writer_process(url, sites_path, sites, threads, seconds, barrier, answers):
    """In a process of its own: ``threads`` threads storing decisions through the ledger's service for
    ``seconds`` after ``barrier``; puts ``(stored, errors, CPU seconds)`` on ``answers``."""
    from consent_service import create_app
    from consent_service.extensions import db
    from consent_service.ledger import service

    app = create_app({"SQLALCHEMY_DATABASE_URI": url.replace("postgresql://", "postgresql+psycopg://", 1),
                      "SECRET_KEY": "b" * 64, "CONSENT_SITES_FILE": str(sites_path),
                      "SQLALCHEMY_ENGINE_OPTIONS": {"pool_size": threads + 2, "max_overflow": 0}})
    counts, errors = [0] * threads, []
    client = {"ip": "203.0.113.9", "user_agent": "Mozilla/5.0 bench", "gpc": False}

    def visitor(number):
        site = sites[number % len(sites)]
        with app.app_context():
            while time.monotonic() < deadline:
                try:
                    service.record_decision(decision(site), client, uuid.uuid4().hex)
                    counts[number] += 1
                except Exception as error:  # counted and reported: a benchmark measures, it does not stop
                    errors.append(type(error).__name__)

    with app.app_context():  # every thread's connection opened now, not in the measured time
        connections = [db.engine.connect() for _ in range(threads)]
        for connection in connections:
            connection.close()
    barrier.wait(120)
    deadline, started = time.monotonic() + seconds, time.process_time()
    workers = [threading.Thread(target=visitor, args=(n,)) for n in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(seconds + 60)
    answers.put((sum(counts), errors, time.process_time() - started))


def measure_writer(url, cluster, sites_path, sites, shape, seconds):
    """The ledger's write path in ``shape`` (processes, threads): decisions/s, batches, costs."""
    query(url, EMPTY_LEDGER)
    count, threads = shape
    context = multiprocessing.get_context("spawn")
    barrier, answers = context.Barrier(count + 1), context.Queue()
    processes = [context.Process(target=writer_process, daemon=True,
                                 args=(url, sites_path, sites, threads, seconds, barrier, answers))
                 for _ in range(count)]
    for process in processes:
        process.start()
    barrier.wait(120)
    before = {"wal": wal_position(url), "db_cpu": database_cpu(cluster)}
    parts = [answers.get(timeout=seconds + 120) for _ in processes]
    for process in processes:
        process.join(30)
    records, transactions = ledger_totals(url)
    errors = [name for _, names, _ in parts for name in names]
    row = {"sites": len(sites), "shape": f"{count}x{threads}",
           "per_second": round(sum(part[0] for part in parts) / seconds, 1), "errors": len(errors),
           "error_kinds": sorted(set(errors)), "stored": records,
           "decisions_per_batch": round(records / max(transactions, 1), 2)}
    row.update(costs(url, cluster, before, records, service_cpu=sum(part[2] for part in parts)))
    size = query(url, "SELECT pg_total_relation_size('consent_records') + pg_total_relation_size('idempotency_keys')")
    row["table_bytes_per_decision"] = round(size[0][0] / max(records, 1))
    if len(sites) == 1:
        row.update(head_timing(url))
    return row


def ledger_totals(url):
    """``(records, transactions)`` over every site."""
    return tuple(query(url, "SELECT count(*), count(DISTINCT xmin::text) FROM consent_records")[0])


def post(server, sites, seconds):
    """wrk -c64 for ``seconds``: decisions for ``sites``, each with a new Idempotency-Key."""
    os.environ.update(WRK_SITES=",".join(sites), WRK_KEY_PREFIX=uuid.uuid4().hex)
    try:
        return wrk(server.url + "/api/v1/consents", "post_sites.lua", seconds, HTTP_CONNECTIONS)
    finally:
        del os.environ["WRK_SITES"], os.environ["WRK_KEY_PREFIX"]


def measure_http(url, cluster, sites_path, sites, seconds, tmp, threads=4):
    """wrk -c64 posting to a gunicorn of 2 workers x ``threads`` for ``sites``: rate, batches, costs."""
    query(url, EMPTY_LEDGER)
    env = service_env(url, CONSENT_SITES_FILE=sites_path, GUNICORN_ACCESS_LOG="")
    log = Path(tmp) / f"gunicorn-{len(sites)}-{threads}.log"
    with Gunicorn(env, workers=2, threads=threads, log_path=log) as server:
        post(server, sites, 1)  # connections opened
        stored_before, batches_before = wait_until_steady(lambda: ledger_totals(url), steady=0.5, timeout=30)
        before = {"wal": wal_position(url), "db_cpu": database_cpu(cluster)}
        service_before = server.cpu_seconds()
        run = post(server, sites, seconds)
        service_cpu = server.cpu_seconds() - service_before
        stored, transactions = wait_until_steady(lambda: ledger_totals(url), steady=0.5, timeout=30)
        stored, transactions = stored - stored_before, transactions - batches_before
        row = {"sites": len(sites), "threads": threads, "per_second": round(run["per_second"], 1),
               "p50_ms": run["p50_ms"], "p99_ms": run["p99_ms"], "errors": run["errors"], "stored": stored,
               "decisions_per_batch": round(stored / max(transactions, 1), 2)}
        row.update(costs(url, cluster, before, stored, service_cpu))
    return row


def machine():
    cpu = [line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
           if line.startswith("model name")]
    return {"cpus": os.cpu_count(), "cpu": cpu[0] if cpu else platform.processor(),
            "python": platform.python_version(), "load_average": [round(x, 2) for x in os.getloadavg()]}


def shapes(text):
    """``"4x4,2x32"`` -> ``[(4, 4), (2, 32)]``; ``"4,16"`` -> ``[(4,), (16,)]``."""
    return [tuple(int(n) for n in shape.split("x")) for shape in text.split(",")]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--shapes", type=shapes, default=shapes("4x4,2x32"), help="writers: PROCESSESxTHREADS,...")
    parser.add_argument("--sites", type=int, default=8)
    parser.add_argument("--http-threads", type=shapes, default=shapes("4,16"), help="threads of one-site HTTP runs")
    parser.add_argument("--quick", action="store_true", help="a smoke run: 2 s per measurement")
    args = parser.parse_args()
    seconds = 2 if args.quick else args.seconds
    # Chain heads are signed on request only; a key keeps the service from warning in every process.
    os.environ.setdefault("AUDIT_SIGNING_KEY", base64.b64encode(os.urandom(32)).decode())
    report = {"when": datetime.now(timezone.utc).isoformat(timespec="seconds"), "machine_before": machine(),
              "seconds": seconds}
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
        for name, measure in runs:
            report[name] = measure()
            print(name, json.dumps(report[name]), flush=True)
    report["machine_after"] = machine()
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"chain_ceiling-{datetime.now(timezone.utc):%Y%m%dT%H%M%S}.json"
    path.write_text(json.dumps(report, indent=2))
    print(f"written {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
