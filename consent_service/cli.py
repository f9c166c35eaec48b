"""Command-line interface: ``flask --app wsgi consent ...``."""
import getpass
import os
import sys

import click
from flask.cli import AppGroup

from .audit import chain_status
from .ledger.verification import check_stored_chains
from .sites import configured_sites

consent_cli = AppGroup("consent", help="Consent ledger commands.")


@consent_cli.command("verify")
@click.option("--site", "site_keys", multiple=True, help="Only this site (repeatable).")
@click.option("--jobs", type=click.IntRange(min=1), default=os.cpu_count() or 1, show_default="CPUs",
              help="Processes computing hashes.")
def verify_command(site_keys, jobs):
    """Check every stored record's hash and each site's chain; exit 1 at the first bad record. Each site's
    result is kept as its last check, which the auditors' portal shows."""
    known = configured_sites()
    unknown = [key for key in site_keys if key not in known]
    if unknown:
        raise click.BadParameter(f"unknown site {', '.join(unknown)}", param_hint="--site")
    failed = False
    who = f"cli:{getpass.getuser()}"
    for report in check_stored_chains(site_keys or list(known), jobs):
        chain_status.record(report, who)
        if report.ok:
            click.echo(f"{report.site}: OK, {report.count} records, head seq {report.last_seq} {report.head_hash}")
        else:
            failed = True
            click.echo(f"{report.site}: BROKEN at {report.error}", err=True)
    sys.exit(1 if failed else 0)


def register(app):
    """Add the command groups to the app's CLI."""
    app.cli.add_command(consent_cli)
