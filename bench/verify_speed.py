"""Verify speed: N records checked in the database (``flask consent verify``, ``check_stored_chain`` in one
process and in one per CPU) and in an exported file (``python -m consent_service.proof``, and ``verify.pyz`` run
by ``python3 -I`` in a folder of its own, as an auditor runs it).
Target (issue 16): at most 3 s each for 1,000,000 records (the file checks are the offline verifier's).
The CSV file is written again by the export on each run (its format follows the code).

    python -m bench.verify_speed [--rows 1000000] [--repeat 3] [--postgres URL] [--file-only]
    python -m bench.verify_speed --quick       # a smoke run: 20,000 records, each check once
"""
import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.export_data import SITE, build_all, report_header, save_report
from bench.fresh_process import json_from_fresh_process

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
TARGET_SECONDS = 3.0
TARGET_ROWS = 1_000_000
QUICK_ROWS = 20_000


def timed(function, *args):
    """``(result, wall seconds, CPU seconds of this process)``."""
    wall, cpu = time.perf_counter(), time.process_time()
    result = function(*args)
    return result, round(time.perf_counter() - wall, 2), round(time.process_time() - cpu, 2)


CHECKS = ("one process", "one per CPU")


def database(uri, repeat=1):
    """Seconds to verify every stored record of the site and its head with ``check_stored_chain`` (what
    ``flask consent verify`` and the audit page run), in this process alone and with a worker per CPU,
    alternately ``repeat`` times each; the run of median time of each counts."""
    from consent_service import create_app
    from consent_service.ledger.verification import check_stored_chain

    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": uri})
    runs = {name: [] for name in CHECKS}
    with app.app_context():
        for _ in range(repeat):
            for name, jobs in zip(CHECKS, (1, os.cpu_count())):
                report, wall, cpu = timed(check_stored_chain, SITE, jobs)
                assert report.ok, report.error
                runs[name].append({"records": report.count, "seconds": wall, "cpu_seconds_main": cpu, "jobs": jobs})
    results = {name: median_run(found) for name, found in runs.items()}
    results["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    return results


def median_run(runs):
    """The run of median seconds, with the seconds of all."""
    runs = sorted(runs, key=lambda result: result["seconds"])
    return dict(runs[len(runs) // 2], all_seconds=[result["seconds"] for result in runs])


def export_file(uri, path):
    """The site's full consent-proof CSV, written with the service's export."""
    from consent_service import create_app
    from consent_service.audit import export

    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": uri})
    with app.app_context(), open(path, "wb") as file:
        for chunk in export.csv_chunks(export.ExportFilter((SITE,))):
            file.write(chunk)


def file_check(path, command, cwd=ROOT):
    """Seconds for ``command FILE --complete`` in its own process; CPU of it and its workers."""
    started = time.perf_counter()
    with open(os.devnull, "w") as sink, tempfile.TemporaryFile("w+") as out:
        child = subprocess.Popen([*command, str(path), "--complete"], cwd=cwd, stdout=out, stderr=sink)
        _, status, usage = os.wait4(child.pid, 0)
        child.returncode = os.waitstatus_to_exitcode(status)
        seconds = time.perf_counter() - started
        out.seek(0)
        output = out.read()
    if child.returncode:
        raise RuntimeError(output)
    return {"seconds": round(seconds, 2), "cpu_seconds": round(usage.ru_utime + usage.ru_stime, 2),
            "jobs": os.cpu_count(), "peak_rss_mb": round(usage.ru_maxrss / 1024, 1),
            "output": output.splitlines()[0], "bytes": os.path.getsize(path)}


def file_checks(path, repeat=1):
    """The file checked as ``python -m consent_service.proof`` (which imports the service's package
    first) and as ``python3 -I verify.pyz`` (the zipapp the audit page serves) in a folder of its own,
    alternately ``repeat`` times each; the run of median time of each counts."""
    from consent_service.audit import verifier

    runs = {"file (python -m consent_service.proof)": [], "file (python3 -I verify.pyz)": []}
    with tempfile.TemporaryDirectory() as folder:
        (Path(folder) / verifier.FILE_NAME).write_bytes(verifier.zipapp_bytes())
        for _ in range(repeat):
            runs["file (python -m consent_service.proof)"].append(
                file_check(path, [sys.executable, "-m", "consent_service.proof"]))
            runs["file (python3 -I verify.pyz)"].append(
                file_check(path, [sys.executable, "-I", verifier.FILE_NAME], folder))
    return {name: median_run(found) for name, found in runs.items()}


def _in_fresh_process(uri, repeat):
    return json_from_fresh_process("bench.verify_speed", "--database-only", uri, "--repeat", str(repeat))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=TARGET_ROWS)
    parser.add_argument("--repeat", type=int, default=3, help="runs of each check (the median counts)")
    parser.add_argument("--quick", action="store_true", help=f"a smoke run: {QUICK_ROWS} records, each check once")
    parser.add_argument("--file-only", action="store_true", help="only the offline verifier's file checks")
    parser.add_argument("--postgres", default=os.environ.get("DATABASE_URL"))
    parser.add_argument("--database-only", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.database_only:
        print(json.dumps(database(args.database_only, args.repeat)))
        return
    if args.quick:
        args.rows, args.repeat = QUICK_ROWS, 1
    target = TARGET_SECONDS if args.rows >= TARGET_ROWS else None  # a smaller run only smoke-tests
    databases = build_all(args.rows, None if args.file_only else args.postgres)
    report = report_header(args.rows)
    for name, uri in ({} if args.file_only else databases).items():
        found = _in_fresh_process(uri, args.repeat)
        for check in CHECKS:
            report["results"][f"{name} {check}"] = result = found[check]
            print(f"{name:10} {check:12} {result['records']} records {result['seconds']} s "
                  f"(of {result['all_seconds']}; CPU of the main process {result['cpu_seconds_main']} s), "
                  f"peak RSS {found['peak_rss_mb']} MB")
    path = Path(tempfile.gettempdir()) / f"bench-verify-{args.rows}.csv"
    export_file(databases["sqlite"], path)
    for name, result in file_checks(path, args.repeat).items():
        report["results"][name] = result
        print(f"{name}: {result['bytes']} bytes {result['seconds']} s (of {result['all_seconds']}; CPU {result['cpu_seconds']} s "
              f"of the verifier and its workers; {result['jobs']} processes hash), peak RSS of the main "
              f"{result['peak_rss_mb']} MB: {result['output']}")
    report["load_average_after"] = os.getloadavg()
    report["target_seconds"] = target
    if target is not None:
        report["target_met"] = {name: entry["seconds"] <= target for name, entry in report["results"].items()}
    save_report(report, "verify_speed")
    for name, entry in report["results"].items():
        if target is None:
            print(f"TARGET verify {TARGET_ROWS} records in <= {TARGET_SECONDS:g} s: not judged on {args.rows} records "
                  f"({name} {entry['seconds']} s)")
        else:
            print(f"TARGET verify {args.rows} records in <= {target:g} s: {name} {entry['seconds']} s, "
                  f"{entry['seconds'] / target:.2f} of the target: {'met' if entry['seconds'] <= target else 'NOT met'}")


if __name__ == "__main__":
    main()
