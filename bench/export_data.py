"""A large consent ledger for the export and verify benchmarks: N records of site ``entrack`` with real
hashes (``proof.chain``), 1 % erased, some cells a spreadsheet would run (also after spaces or a ``;``),
the first tenth stored before policy snapshots (no ``policy_hash``) and the rest naming one of three
snapshots, bulk-inserted into a migrated SQLite file or PostgreSQL schema.

    python -m bench.export_data --rows 1000000 [--postgres URL]
"""
import argparse
import hashlib
import json
import os
import platform
import random
import tempfile
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path


from consent_service import config

RESULTS = Path(__file__).resolve().parent / "results"
from consent_service.proof import chain

SITE = "entrack"
DATA_FORMAT = "v2"  # in the SQLite file's name: a file of an older format is not reused
COLUMNS = ("site", "seq", "consent_id", "recorded_at", "action", "necessary", "analytics", "marketing",
           "policy_version", "policy_hash", "language", "gpc", "page_url", "ip_prefix", "user_agent", "pii_salt", "pii_digest",
           "prev_hash", "record_hash")
CHOICES = (("accept_all", True, True), ("reject_all", False, False), ("custom", True, False), ("custom", False, True))
AGENTS = ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36",
          "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148",
          "=HYPERLINK(\"http://evil.example\")", "curl/8.5.0, \"quoted\"", "Mozilla;=1+2", "  =1+1")
PAGES = ("https://www.entrack.fi/", "https://www.entrack.fi/palvelut", "https://entrack.fi/yhteystiedot")
START = datetime(2025, 1, 1, tzinfo=timezone.utc)
LANGUAGES = ("fi", "sv", "en")
SNAPSHOTS = {language: json.dumps({"format": "bench", "site": SITE, "language": language}, sort_keys=True,
                                  separators=(",", ":")) for language in LANGUAGES}
POLICY_HASHES = {language: hashlib.sha256(body.encode()).hexdigest() for language, body in SNAPSHOTS.items()}
SNAPSHOT_COLUMNS = ("hash", "site", "language", "policy_version", "body", "stored_at")


def snapshot_rows():
    """The policy_snapshots rows the records point at."""
    return [(POLICY_HASHES[language], SITE, language, "2026-11-01", body, START.isoformat())
            for language, body in SNAPSHOTS.items()]


def records(count, seed=1):
    """Dicts of the ledger's values, chained and hashed as ``ledger.service.append`` does."""
    rng = random.Random(seed)
    prev = chain.GENESIS_HASH
    for seq in range(1, count + 1):
        action, analytics, marketing = CHOICES[seq % len(CHOICES)]
        erased = seq % 100 == 0
        record = {
            "site": SITE, "seq": seq, "consent_id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            "recorded_at": START + timedelta(microseconds=seq * 20_000_017), "action": action, "necessary": True,
            "analytics": analytics, "marketing": marketing, "policy_version": "2026-11-01",
            "language": LANGUAGES[seq % 3], "gpc": seq % 7 == 0,
            "policy_hash": POLICY_HASHES[LANGUAGES[seq % 3]] if seq > count // 10 else None,
            "page_url": None if erased else PAGES[seq % len(PAGES)],
            "ip_prefix": None if erased else f"198.51.{seq % 256}.0/24",
            "user_agent": None if erased else AGENTS[seq % len(AGENTS)],
            "pii_salt": None if erased else f"{rng.getrandbits(128):032x}", "prev_hash": prev,
        }
        record["pii_digest"] = chain.pii_digest(
            record["pii_salt"] or f"{seq:032x}", record["ip_prefix"], record["user_agent"], record["page_url"])
        record["record_hash"] = prev = chain.record_hash(record)
        yield record


def _sqlite_row(record):
    row = dict(record)
    row["recorded_at"] = record["recorded_at"].strftime("%Y-%m-%d %H:%M:%S.%f")  # SQLAlchemy's SQLite format
    for name in ("necessary", "analytics", "marketing", "gpc"):
        row[name] = int(record[name])
    return tuple(row[name] for name in COLUMNS)


def _migrate(uri):
    from flask_migrate import upgrade

    from consent_service import create_app
    from consent_service.extensions import db

    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": uri})
    with app.app_context():
        upgrade()
        db.engine.dispose()


def build_sqlite(path, count):
    """A migrated SQLite file with ``count`` records (reused when it exists)."""
    import sqlite3

    if os.path.exists(path):
        return f"sqlite:///{path}"
    _migrate(f"sqlite:///{path}.part")
    connection = sqlite3.connect(f"{path}.part")
    marks = ", ".join("?" * len(COLUMNS))
    with connection:
        connection.executemany(f"INSERT INTO policy_snapshots ({', '.join(SNAPSHOT_COLUMNS)}) VALUES "
                               f"({', '.join('?' * len(SNAPSHOT_COLUMNS))})", snapshot_rows())
        connection.executemany(f"INSERT INTO consent_records ({', '.join(COLUMNS)}) VALUES ({marks})",
                               map(_sqlite_row, records(count)))
        last = connection.execute("SELECT seq, record_hash FROM consent_records ORDER BY seq DESC LIMIT 1").fetchone()
        connection.execute("INSERT INTO chain_heads (site, seq, head_hash) VALUES (?, ?, ?)", (SITE, *last))
    connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    connection.close()
    os.replace(f"{path}.part", path)
    return f"sqlite:///{path}"


def build_postgres(url, count, schema="bench_export"):
    """A migrated PostgreSQL schema with ``count`` records (reused when it holds that many)."""
    import psycopg

    base = config.database_uri(url, "")
    uri = f"{base}{'&' if '?' in base else '?'}options=-csearch_path%3D{schema}"
    plain = base.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(plain, autocommit=True) as connection:
        found = connection.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = %s AND table_name = 'policy_snapshots'",
            (schema,)).fetchone()[0]
        if found and connection.execute(
                f'SELECT (SELECT seq FROM "{schema}".chain_heads), (SELECT count(*) FROM "{schema}".policy_snapshots)'
                ).fetchone() == (count, len(SNAPSHOTS)):
            return uri
        connection.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        connection.execute(f'CREATE SCHEMA "{schema}"')
    _migrate(uri)
    with psycopg.connect(plain, options=f"-csearch_path={schema}") as connection:
        connection.cursor().executemany(f"INSERT INTO policy_snapshots ({', '.join(SNAPSHOT_COLUMNS)}) VALUES "
                                        f"({', '.join(['%s'] * len(SNAPSHOT_COLUMNS))})", snapshot_rows())
        with connection.cursor().copy(f"COPY consent_records ({', '.join(COLUMNS)}) FROM STDIN") as copy:
            last = None
            for record in records(count):
                copy.write_row(tuple(record[name] for name in COLUMNS))
                last = record
        connection.execute("INSERT INTO chain_heads (site, seq, head_hash) VALUES (%s, %s, %s)",
                           (SITE, last["seq"], last["record_hash"]))
        connection.execute("ANALYZE consent_records")
    return uri


def build_all(count, postgres_url=None):
    """``{"sqlite": uri}``, with ``"postgresql"`` too when a URL is given: each with ``count`` records."""
    databases = {"sqlite": build_sqlite(sqlite_path(count), count)}
    if postgres_url:
        databases["postgresql"] = build_postgres(postgres_url, count)
    return databases


def report_header(count):
    """What a benchmark's report starts with: the size, the machine and its load."""
    return {"rows": count, "python": platform.python_version(), "cpus": os.cpu_count(),
            "load_average_before": os.getloadavg(), "results": {}}


def save_report(report, name):
    """Write ``report`` (with the load average now) to bench/results/NAME-TIME.json and say so; its path."""
    report.setdefault("load_average_after", os.getloadavg())
    print(f"load average before {report['load_average_before']}, after {report['load_average_after']}")
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{name}-{time.strftime('%Y%m%dT%H%M%S')}.json"
    path.write_text(json.dumps(report, indent=2) + "\n")
    print(f"written {path}")
    return path


def sqlite_path(count):
    return os.path.join(tempfile.gettempdir(), f"consent-bench-{DATA_FORMAT}-{count}.sqlite3")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--postgres", default=os.environ.get("DATABASE_URL"))
    args = parser.parse_args()
    started = time.perf_counter()
    print(build_sqlite(sqlite_path(args.rows), args.rows), f"{time.perf_counter() - started:.1f} s")
    if args.postgres:
        started = time.perf_counter()
        print(build_postgres(args.postgres, args.rows), f"{time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
