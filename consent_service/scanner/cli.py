"""``flask --app wsgi scan --site KEY``: the cookie scanner for terminals and pipelines."""
import getpass
import json
import sys

import click
from flask.cli import with_appcontext

from ..errors import ApiError
from ..extensions import db
from . import service
from .models import Scan
from .plan import DEFAULT_JOBS, DEFAULT_MAX_PAGES, DEFAULT_MAX_SECONDS, PlanError
from .report import render

COULD_NOT_SCAN = 2


@click.command("scan")
@click.option("--site", "site_key", required=True, help="The site's key in the sites file.")
@click.option("--url", "urls", multiple=True, help="A start page on the site's origins (repeatable; "
              "default: each origin's home page).")
@click.option("--max-pages", type=int, default=DEFAULT_MAX_PAGES, show_default=True, help="Pages to visit at most.")
@click.option("--max-seconds", type=float, default=DEFAULT_MAX_SECONDS, show_default=True,
              help="Time bound of the whole scan.")
@click.option("--jobs", type=int, default=DEFAULT_JOBS, show_default=True, help="Browser contexts in parallel.")
@click.option("--format", "output_format", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--out", type=click.Path(dir_okay=False, writable=True), help="Write the report here, not to stdout.")
@with_appcontext
def scan_command(site_key, urls, max_pages, max_seconds, jobs, output_format, out):
    """Visit the site's pages three times each (no decision, after "Reject all", after "Accept all") and
    hold the cookies, storage and third-party requests against the sites file.

    Exit status: 0 clean, 1 violations found, 2 could not scan.
    """
    try:
        plan = service.plan_for(site_key, urls, max_pages=max_pages, max_seconds=max_seconds, jobs=jobs)
    except (PlanError, ApiError) as error:
        click.echo(f"Error: {getattr(error, 'message', error)}", err=True)
        sys.exit(COULD_NOT_SCAN)
    scan = service.create_scan(plan, f"cli:{getpass.getuser()}")
    echo = _show_progress if sys.stderr.isatty() else None
    service.run_in_thread(scan.id, plan, echo).join()
    if echo:
        click.echo(err=True)
    db.session.expire_all()
    document = service.document(db.session.get(Scan, scan.id))
    if document.get("error"):
        click.echo(f"Could not scan: {document['error']}", err=True)
    text = json.dumps(document, indent=2) + "\n" if output_format == "json" else render(document)
    if out:
        with open(out, "w", encoding="utf-8") as handle:
            handle.write(text)
        click.echo(f"Scan #{scan.id}: {document['status']}, report in {out}", err=True)
    else:
        click.echo(text, nl=False)
    sys.exit(document.get("exit_code", COULD_NOT_SCAN))


def _show_progress(done, total):
    click.echo(f"\r{done} of {total} passes done", err=True, nl=False)


def init_app(app):
    app.cli.add_command(scan_command)
