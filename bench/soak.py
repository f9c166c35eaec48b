"""The long load: 64 visitors posting decisions for 60 s under gunicorn, on SQLite and on
PostgreSQL (a throwaway cluster of its own): no 5xx, every acknowledged decision stored exactly
once, and ``flask consent verify`` passes. The test suite runs the same for 6 s
(tests/service/test_load_gunicorn.py).

    python -m bench.soak [--seconds 60] [--clients 64] [--engines sqlite,postgresql]
"""
import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

from tests.support import load
from tests.support.servers import ROOT, Gunicorn, PostgresCluster, flask, migrate, service_env


def soak(database_url, args, log_path):
    """One engine: serve, load, check; the summary with ``problems``."""
    env = service_env(database_url)
    migrate(env)
    with Gunicorn(env, workers=args.workers, threads=args.threads, log_path=log_path) as server:
        results = load.run(server.url, clients=args.clients, seconds=args.seconds)
        problems, stored = load.check_stored(results, database_url)
        five_xx = {s: n for s, n in results.statuses.items() if isinstance(s, int) and s >= 500}
        if five_xx:
            problems.append(f"5xx answers: {five_xx}")
        problems += [f"error answer: {status} {body!r}" for status, body in results.errors[:5]]
        try:
            verify = flask(["consent", "verify"], env).strip()
        except RuntimeError as error:
            verify = str(error)
            problems.append("the chain does not verify")
    return {**results.summary(args.seconds), "stored": stored, "verify": verify, "problems": problems}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--engines", default="sqlite,postgresql")
    parser.add_argument("--output", default=str(ROOT / "bench" / "results"))
    args = parser.parse_args(argv)
    report = {"when": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()), "settings": vars(args)}
    with tempfile.TemporaryDirectory(prefix="consent-soak-") as tmp:
        if "sqlite" in args.engines:
            report["sqlite"] = soak(f"sqlite:///{tmp}/soak.sqlite3", args, Path(tmp) / "sqlite.log")
            print("sqlite:", json.dumps(report["sqlite"]), flush=True)
        if "postgresql" in args.engines:
            with PostgresCluster() as cluster:
                report["postgresql"] = soak(cluster.url, args, Path(tmp) / "postgresql.log")
            print("postgresql:", json.dumps(report["postgresql"]), flush=True)
    Path(args.output).mkdir(parents=True, exist_ok=True)
    path = Path(args.output) / f"soak-{time.strftime('%Y%m%dT%H%M%S')}.json"
    path.write_text(json.dumps(report, indent=2))
    print(f"results: {path}")
    failed = [engine for engine in ("sqlite", "postgresql") if report.get(engine, {}).get("problems")]
    for engine in failed:
        print(f"PROBLEMS on {engine}: {report[engine]['problems']}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
