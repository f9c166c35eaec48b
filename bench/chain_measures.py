"""The measurements of bench/chain_ceiling.py, each on the throwaway cluster at ``url``: what a commit and a
round trip cost, the ledger's writer in processes of its own (no HTTP), and wrk posting to one gunicorn;
with the database's CPU, the WAL and the service's CPU per stored decision."""
import multiprocessing
import os
import threading
import time
import uuid
from pathlib import Path

import psycopg

from bench.throughput import wrk
from tests.support.load import decision
from tests.support.servers import Gunicorn, service_env
from tests.support.waiting import wait_until_steady

PARALLEL_COMMITTERS = 16
HTTP_CONNECTIONS = 64
EMPTY_LEDGER = "TRUNCATE consent_records, idempotency_keys, chain_heads RESTART IDENTITY CASCADE"


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
    # A connection for every thread (and the revocation poll): beyond the pool, SQLAlchemy opens and
    # closes an overflow connection per checkout, which cost more than the decisions here.
    env = service_env(url, CONSENT_SITES_FILE=sites_path, GUNICORN_ACCESS_LOG="", DB_POOL_SIZE=threads + 1)
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
