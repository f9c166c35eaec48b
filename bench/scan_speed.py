"""How long the cookie scanner takes: 20 pages x 3 passes (no decision, Reject all, Accept all).

The consent service runs under gunicorn on 127.0.0.1 (SQLite in a temp folder); a 20-page site on another
127.0.0.1 port embeds its banner, holds an analytics script back until consent and has a menu of every
page, as a site's navigation does; a third party on 127.0.0.2 serves that script and a pixel. The scan is the real command,
``flask --app wsgi scan --site bench --max-pages 20 --format json``, in its own process, with the default
timings (docs/scanner.md). Target: at most 60 s.

The baseline in the same run is what any crawler pays for the same 60 visits: a fresh browser context per
visit, the page opened until its load event, as many in parallel as the scan's --jobs, no dwell, no click.

    python -m bench.scan_speed [--jobs 6] [--pages 20]
"""
import argparse
import asyncio
import json
import logging
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from playwright.async_api import async_playwright

from consent_service.scanner.plan import CHROMIUM_ARGS, DEFAULT_JOBS
from tests.support.fixture_sites import html, sites_toml, start_fixtures
from tests.support.scanner_sites import THIRD_PARTY, page
from tests.support.servers import BIN, ROOT, Gunicorn, migrate, service_env

TARGET_SECONDS = 60
CHROMIUM = "/usr/bin/chromium"
GATED = ('<script type="text/plain" data-consent-category="analytics" src="{third}/clean-analytics.js"></script>'
         '<script type="text/plain" data-consent-category="marketing">new Image().src = "{third}/pixel.gif";</script>')


def site_routes(count):
    """``count`` pages, each with the site's menu of every page: the crawl finds them all by links."""
    paths = ["/"] + [f"/page-{number}" for number in range(1, count)]
    menu = "<nav><ul>" + "".join(f'<li><a href="{path}">Page {number}</a></li>' for number, path in enumerate(paths))
    routes = {}
    for number, path in enumerate(paths):
        body = f"{menu}</ul></nav><p>Page {number} of the bench site.</p>"
        routes[path] = html(page("bench", f"Bench page {number}", GATED, body))
    return routes


async def baseline(urls, jobs):
    """Seconds for one plain visit per URL (fresh context, until load), ``jobs`` at a time."""
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=list(CHROMIUM_ARGS))
        limit = asyncio.Semaphore(jobs)

        async def visit(url):
            async with limit:
                context = await browser.new_context()
                tab = await context.new_page()
                await tab.goto(url, wait_until="load")
                await context.close()

        start = time.monotonic()
        await asyncio.gather(*(visit(url) for url in urls))
        elapsed = time.monotonic() - start
        await browser.close()
    return elapsed


def scan(env, jobs, pages):
    """Run the command; return its wall-clock seconds and result document."""
    start = time.monotonic()
    done = subprocess.run([str(BIN / "flask"), "--app", "wsgi", "scan", "--site", "bench", "--max-pages", str(pages),
                           "--jobs", str(jobs), "--format", "json"], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=600)
    elapsed = time.monotonic() - start
    if not done.stdout.strip():
        raise RuntimeError(f"scan printed nothing (exit {done.returncode}):\n{done.stderr}")
    return elapsed, json.loads(done.stdout)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=DEFAULT_JOBS)
    parser.add_argument("--pages", type=int, default=20)
    args = parser.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # the fixture sites' access log
    fixtures = start_fixtures({"bench": site_routes(args.pages)}, THIRD_PARTY)
    origin = fixtures.sites["bench"].origin
    with tempfile.TemporaryDirectory(prefix="scan-bench-") as folder:
        sites = Path(folder) / "sites.toml"
        sites.write_text(sites_toml({"bench": [origin]}), encoding="utf-8")
        env = service_env(f"sqlite:///{folder}/bench.sqlite3", CONSENT_SITES_FILE=sites)
        migrate(env)
        try:
            with Gunicorn(env) as service:
                fixtures.addresses.service = service.url
                scan_seconds, document = scan(env, args.jobs, args.pages)
                urls = [page["url"] for page in document["pages"]] * 3
                baseline_seconds = asyncio.run(baseline(urls, args.jobs))
        finally:
            fixtures.stop()
    passes = [result for page in document["pages"] for result in page["passes"].values()]
    result = {
        "machine": {"cpus": os.cpu_count(), "load_average": os.getloadavg(), "python": sys.version.split()[0],
                    "platform": platform.platform()},
        "pages": len(document["pages"]), "passes": len(passes), "jobs": args.jobs,
        "status": document["status"], "problems": sum(len(page["problems"]) for page in document["pages"]),
        "scan_seconds": round(scan_seconds, 1), "scan_reported_seconds": document["duration_seconds"],
        "mean_pass_seconds": round(sum(result.get("seconds", 0) for result in passes) / max(len(passes), 1), 2),
        "baseline_seconds": round(baseline_seconds, 1),
        "ratio_to_baseline": round(scan_seconds / baseline_seconds, 1),
        "target_seconds": TARGET_SECONDS, "within_target": scan_seconds <= TARGET_SECONDS,
    }
    out = ROOT / "bench" / "results" / "scan_speed.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))
    print(f"{result['pages']} pages x 3 passes scanned in {result['scan_seconds']} s "
          f"(target {TARGET_SECONDS} s; plain visits {result['baseline_seconds']} s)")


if __name__ == "__main__":
    main()
