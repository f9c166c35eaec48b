"""Scans: create, run (here or in a background thread), store with their history, list and read.
The scanner area commits only here."""
import json
import logging
import threading
import time
from datetime import datetime, timezone

from flask import current_app
from sqlalchemy import select

from ..errors import ApiError
from ..extensions import db
from .models import Scan, ScanItem
from .plan import make_plan

log = logging.getLogger(__name__)
RUNNING = ("queued", "running")
PROGRESS_EVERY_SECONDS = 0.5
INTERRUPTED_AFTER_SECONDS = 300
INSTALL_HELP = ("The scanner needs Playwright, which the service itself does not: install it with\n"
                "  .venv/bin/pip install -r requirements-scan.txt\n"
                "(Chromium: Debian's /usr/bin/chromium, `apt-get install chromium`).")


class ScannerUnavailable(RuntimeError):
    """Playwright or Chromium is missing; the message says how to install it."""


def _now():
    return datetime.now(timezone.utc)


def plan_for(site_key, urls=(), **bounds):
    """A plan for a configured site (PlanError for bad options; ApiError 400 for an unknown site)."""
    sites = current_app.extensions["consent_sites"]
    if site_key not in sites:
        raise ApiError(400, f"Unknown site {site_key!r}.")
    return make_plan(sites[site_key], urls, config=current_app.config, **bounds)


def create_scan(plan, requested_by):
    """Record a queued scan of ``plan``; commit."""
    scan = Scan(site=plan.site.key, status="queued", requested_by=requested_by, created_at=_now(),
                passes_done=0, passes_total=3 * len(plan.start_urls), options=json.dumps(plan.options()))
    db.session.add(scan)
    db.session.commit()
    return scan


def _crawler():
    """The crawl function and its browser error, or ScannerUnavailable when Playwright is not installed."""
    try:
        from .crawl import BrowserUnavailable, crawl
    except ImportError as error:
        raise ScannerUnavailable(f"{error}.\n{INSTALL_HELP}") from None
    return crawl, BrowserUnavailable


def _progress(scan_id, echo=None):
    """A progress callback that writes the pass counts, at most every half second (and tells ``echo``)."""
    last = [0.0]

    def update(done, total):
        if echo is not None:
            echo(done, total)
        if time.monotonic() - last[0] < PROGRESS_EVERY_SECONDS and done < total:
            return
        last[0] = time.monotonic()
        scan = db.session.get(Scan, scan_id)
        scan.passes_done, scan.passes_total = done, total
        db.session.commit()
    return update


def execute(scan_id, plan, echo=None):
    """Run the queued scan ``scan_id`` in this thread (within an app context) and store its result."""
    from . import result
    scan = db.session.get(Scan, scan_id)
    scan.status, scan.started_at = "running", _now()
    db.session.commit()
    started = _now()
    try:
        crawl, browser_error = _crawler()
        try:
            pages, skipped, started, finished = crawl(plan, _progress(scan_id, echo))
        except browser_error as error:
            raise ScannerUnavailable(str(error)) from None
        document = result.build(plan, pages, skipped, started, finished)
    except ScannerUnavailable as error:
        document = result.failed(plan, started, _now(), str(error))
    return store(scan_id, document)


def _items(document):
    """The cookies (``name (domain)``) and third-party hosts a result saw."""
    items = set()
    for page in document["pages"]:
        for records in page["passes"].values():
            items.update(("cookie", f"{cookie['name']} ({cookie['domain']})") for cookie in records.get("cookies", []))
            items.update(("host", request["host"]) for request in records.get("requests", [])
                         if request["party"] == "third")
    return items


def _previous(scan):
    """The site's last finished scan before ``scan`` that scanned something."""
    return db.session.scalar(
        select(Scan).where(Scan.site == scan.site, Scan.id < scan.id, Scan.status.in_(("clean", "violations")))
        .order_by(Scan.id.desc()).limit(1))


def new_since_last(scan, items):
    """What ``items`` holds that the site's previous scan did not: ``{"previous_scan", "cookies", "hosts"}``."""
    previous = _previous(scan)
    if previous is None:
        return None
    before = set(db.session.execute(select(ScanItem.kind, ScanItem.key).where(ScanItem.scan_id == previous.id)).all())
    new = sorted(items - before)
    return {"previous_scan": previous.id,
            "cookies": [key for kind, key in new if kind == "cookie"],
            "hosts": [key for kind, key in new if kind == "host"]}


def store(scan_id, document):
    """Keep a finished scan's document and what it saw; return the document with "new_since_last"."""
    scan = db.session.get(Scan, scan_id)
    items = _items(document) if document["status"] != "failed" else set()
    document["scan_id"] = scan.id
    document["new_since_last"] = new_since_last(scan, items) if items else None
    scan.status, scan.exit_code, scan.finished_at = document["status"], document["exit_code"], _now()
    scan.passes_total = max(scan.passes_total, 3 * len(document["pages"]))
    scan.passes_done = sum(len(page["passes"]) for page in document["pages"])
    scan.result = json.dumps(document)
    db.session.add_all(ScanItem(scan_id=scan.id, kind=kind, key=key[:300]) for kind, key in sorted(items))
    db.session.commit()
    return document


def run_in_thread(scan_id, plan, echo=None):
    """Run a scan in a new thread with its own app context (and event loop); return the thread."""
    app = current_app._get_current_object()

    def work():
        with app.app_context():
            try:
                execute(scan_id, plan, echo)
            except Exception:  # a bug must not leave the scan "running" forever; the log has the traceback
                log.exception("scan %s failed", scan_id)
                db.session.rollback()
                scan = db.session.get(Scan, scan_id)
                scan.status, scan.exit_code, scan.finished_at = "failed", 2, _now()
                scan.result = json.dumps({"status": "failed", "error": "internal error: see the service log"})
                db.session.commit()

    thread = threading.Thread(target=work, name=f"scan-{scan_id}", daemon=True)
    thread.start()
    return thread


def _aware(moment):
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _running():
    """The scan still running, if any; one past its time bound was cut off by a stop of the service."""
    for scan in db.session.scalars(select(Scan).where(Scan.status.in_(RUNNING))).all():
        bound = json.loads(scan.options).get("max_seconds", 0) + INTERRUPTED_AFTER_SECONDS
        if (_now() - _aware(scan.created_at)).total_seconds() <= bound:
            return scan
        scan.status, scan.exit_code, scan.finished_at = "failed", 2, _now()
        scan.result = json.dumps({"status": "failed", "error": "interrupted: the service stopped while it ran"})
        db.session.commit()
    return None


def start(plan, requested_by):
    """Queue a scan and start it in the background; 409 while another scan is running."""
    running = _running()
    if running is not None:
        raise ApiError(409, f"Scan #{running.id} of site {running.site} is still running; one scan runs at a time.")
    scan = create_scan(plan, requested_by)
    run_in_thread(scan.id, plan)
    return scan


def list_scans(site_keys, limit=100):
    """The newest scans of ``site_keys``."""
    return db.session.scalars(select(Scan).where(Scan.site.in_(site_keys)).order_by(Scan.id.desc()).limit(limit)).all()


def get_scan(scan_id, site_keys):
    """Scan ``scan_id`` if it is of one of ``site_keys``; 404 otherwise."""
    scan = db.session.get(Scan, scan_id)
    if scan is None or scan.site not in site_keys:
        raise ApiError(404, f"No scan #{scan_id} that you may see.")
    return scan


def document(scan):
    """A scan's stored result document, or None while it runs."""
    return json.loads(scan.result) if scan.result else None
