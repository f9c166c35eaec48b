"""Proof-pack speed: GET /audit/proof.zip of a site's whole chain of N records, against GET
/audit/consents.csv of the same records (the CSV the pack holds) measured in the same run, on SQLite and
(with --postgres or DATABASE_URL) PostgreSQL.

Each case runs in a fresh process, so that its peak RSS is its own; RSS is sampled as the pack streams,
to show that it stays flat. Target: the pack in at most twice the export's time, with flat RSS.

    python -m bench.pack_speed [--rows 1000000] [--postgres URL] [--runs N] [--check]

``--check`` also runs the pack's own verify.pyz on it (python3 -I, with the public key), to show that
the pack measured is a good one.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import zipfile

from bench.export_data import SITE, build_all, report_header, save_report
from bench.export_speed import Meter, run_case
from bench.fresh_process import json_from_fresh_process

TARGET = 2.0  # the pack's time over the export's, at most


def pack(uri, expected, out):
    """The service's view through Flask's test client, streamed to a file as a client would save it.
    A chunk of the pack carries one batch of the CSV's rows: RSS is sampled by chunks."""
    from consent_service import create_app
    from consent_service.audit import export
    from consent_service.audit import service as accounts
    from consent_service.audit import signing

    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": uri})
    with app.app_context():
        token = accounts.create_auditor(f"bench{time.time_ns()}")[1]
        key = signing.public_key_info()["public_key"]
    meter = Meter(max(expected // export.BATCH, 1))
    response = app.test_client().get(f"/audit/proof.zip?site={SITE}", headers={"Authorization": f"Bearer {token}"},
                                     buffered=False)
    assert response.status_code == 200, response.get_data(as_text=True)
    with open(out, "wb") as file:
        for chunk in response.iter_encoded():
            file.write(chunk)
            meter.add(1)
    response.close()
    with zipfile.ZipFile(out) as archive:
        manifest = json.loads(archive.read("manifest.json"))
        csv_bytes = archive.getinfo("consents.csv").file_size
    meter.rows = manifest["rows"]
    return {**meter.result(out), "csv_bytes": csv_bytes, "public_key": key}


def check(out, key):
    """The pack's own verify.pyz on the pack, as an auditor runs it: (exit status, seconds, last line)."""
    folder = os.path.dirname(out)
    with zipfile.ZipFile(out) as archive:
        archive.extract("verify.pyz", folder)
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-I", os.path.join(folder, "verify.pyz"), out, "--public-key", key],
                          capture_output=True, text=True, timeout=1800)
    last = (done.stdout + done.stderr).strip().splitlines()[-1]
    return done.returncode, round(time.perf_counter() - started, 1), last


def measure(name, uri, rows, runs, verify):
    """The export, then the pack, each in a fresh process, ``runs`` times in turn; the report's entry for
    one database, comparing the best run of each (the least disturbed by other work on the machine)."""
    out = os.path.join(tempfile.gettempdir(), f"bench-pack-{name}.zip")
    exports, packs = [], []
    for _ in range(runs):
        exports.append(run_case("service", uri, rows))
        packs.append(json_from_fresh_process("bench.pack_speed", "--case", "pack", "--uri", uri, "--rows", str(rows),
                                             "--out", out, timeout=1800))
    keys = [run.pop("public_key") for run in packs]  # each run's app signs with a key of its own
    baseline, packed = (min(results, key=lambda result: result["seconds"]) for results in (exports, packs))
    ratio = packed["seconds"] / baseline["seconds"]
    entry = {"export": baseline, "pack": packed, "export_seconds_each_run": [run["seconds"] for run in exports],
             "pack_seconds_each_run": [run["seconds"] for run in packs], "pack_vs_export": round(ratio, 2),
             "pack_vs_export_by_cpu": round(packed["cpu_seconds"] / max(baseline["cpu_seconds"], 0.01), 2),
             "target": f"<= {TARGET}", "target_met": ratio <= TARGET}
    for case, result in (("export", baseline), ("pack", packed)):
        print(f"{name:10} {case:6} {result['rows']:>9} rows {result['seconds']:>6} s (CPU {result['cpu_seconds']} s) "
              f"{result['bytes'] / 2 ** 20:7.1f} MB, peak RSS {result['peak_rss_mb']} MB, "
              f"samples {result['rss_mb_samples']}")
    print(f"{name:10} target: pack <= {TARGET} x export; baseline (export, best of {runs}) {baseline['seconds']} s; "
          f"pack (best of {runs}) {packed['seconds']} s; ratio {ratio:.2f} by wall time, "
          f"{entry['pack_vs_export_by_cpu']:.2f} by CPU time")
    if verify:
        status, seconds, last = check(out, keys[-1])  # the file is the last run's
        entry["verify"] = {"exit_status": status, "seconds": seconds, "last_line": last}
        print(f"{name:10} verify.pyz {os.path.basename(out)} --public-key KEY: exit {status} in {seconds} s ({last})")
    return entry


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--postgres", default=os.environ.get("DATABASE_URL"))
    parser.add_argument("--runs", type=int, default=1, help="runs of each case, in turn; the best of each compared")
    parser.add_argument("--check", action="store_true", help="verify each pack with its own verify.pyz")
    parser.add_argument("--case", choices=("pack",), help=argparse.SUPPRESS)
    parser.add_argument("--uri", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.case:
        print(json.dumps(pack(args.uri, args.rows, args.out)))
        return
    report = report_header(args.rows)
    for name, uri in build_all(args.rows, args.postgres).items():
        report["results"][name] = measure(name, uri, args.rows, args.runs, args.check)
    save_report(report, "pack_speed")


if __name__ == "__main__":
    main()
