"""Commands: ``flask --app wsgi auditor ...`` and ``consent purge`` / ``consent export`` / ``consent proof``."""
import csv
import getpass
import os
import stat
import sys
import uuid
from pathlib import Path

import click
from flask.cli import AppGroup
from marshmallow import ValidationError

from ..cli import consent_cli
from ..errors import ApiError
from ..proof.csvfile import COLUMNS
from ..sites import configured_sites
from . import export, pack, retention, service, signing, verifier
from .schemas import RECORD_ACTIONS, range_query, time_bounds

auditor_cli = AppGroup("auditor", help="Auditor accounts: read-only access to consent proof.")


def _site_option(name="site_keys", **kwargs):
    return click.option("--site", name, multiple=True, help="A site key (repeatable).", **kwargs)


def _check_sites(site_keys):
    known = configured_sites()
    unknown = [key for key in site_keys if key not in known]
    if unknown:
        raise click.BadParameter(f"unknown site {', '.join(unknown)}", param_hint="--site")
    return list(site_keys) or list(known)


@auditor_cli.command("create")
@click.argument("name")
@_site_option()
def create_command(name, site_keys):
    """Create auditor NAME (every site, or only --site ones); print the token once, on the last line."""
    try:
        auditor, token = service.create_auditor(name, site_keys)
    except service.AccountError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Auditor {auditor.name} created for {', '.join(auditor.site_keys or ['every site'])}.", err=True)
    click.echo("Give them this token now: only its hash is stored, it cannot be shown again.", err=True)
    click.echo(token)


@auditor_cli.command("list")
def list_command():
    """List accounts: name, sites, created, revoked, number of exports and the last one."""
    rows = service.list_auditors()
    if not rows:
        click.echo("No auditors. Create one with: ./manage.sh flask auditor create NAME [--site KEY]")
    for auditor, count, last in rows:
        state = f"revoked {auditor.revoked_at:%Y-%m-%d %H:%M}" if auditor.revoked_at else "active"
        click.echo(f"{auditor.name}\t{' '.join(auditor.site_keys or ['*'])}\tcreated {auditor.created_at:%Y-%m-%d %H:%M}"
                   f"\t{state}\t{count or 0} exports" + (f", last {last:%Y-%m-%d %H:%M}" if last else ""))


@auditor_cli.command("revoke")
@click.argument("name")
def revoke_command(name):
    """Revoke auditor NAME's token at once (the account and its log stay)."""
    try:
        service.revoke_auditor(name)
    except service.AccountError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Auditor {name} revoked.")


@auditor_cli.command("log")
@click.option("--name", help="Only this auditor (or cli:USER).")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 10000))
def log_command(name, limit):
    """The newest logged exports and look-ups: when, who, what, which filter."""
    for entry in service.export_log(name, limit):
        click.echo(f"{entry.at:%Y-%m-%d %H:%M:%S}\t{entry.who}\t{entry.kind}\t{entry.filter}")


@auditor_cli.command("signing-key")
@click.option("--generate", is_flag=True, help="Print a new private key for AUDIT_SIGNING_KEY.")
def signing_key_command(generate):
    """Print the public key to publish (or, with --generate, a new private key to configure)."""
    if generate:
        click.echo("Set AUDIT_SIGNING_KEY to this value and keep it secret:", err=True)
        click.echo(signing.new_key_text())
        return
    try:
        info = signing.public_key_info()
    except ApiError as error:
        raise click.ClickException(error.message) from None
    click.echo(f"Ed25519 public key {info['key_id']} (publish it where auditors can find it):")
    click.echo(info["public_key"])
    click.echo(info["pem"], nl=False)


@consent_cli.command("purge")
@click.option("--older-than", "days", type=click.IntRange(1), help="Days (default: each site's retention_days).")
@_site_option()
def purge_command(days, site_keys):
    """Delete records older than DAYS; what remains verifies from a signed checkpoint."""
    failed = False
    for key in _check_sites(site_keys):
        try:
            result = retention.purge(key, days)
        except (retention.PurgeRefused, ApiError) as error:
            failed = True
            click.echo(f"{key}: {getattr(error, 'message', error)}", err=True)
            continue
        if result.deleted:
            click.echo(f"{key}: purged {result.deleted} records; the chain now starts after seq "
                       f"{result.checkpoint_seq} {result.checkpoint_hash} (signed checkpoint)")
        else:
            click.echo(f"{key}: nothing to purge")
    sys.exit(1 if failed else 0)


@consent_cli.command("export")
@click.option("--site", "site_key", required=True, help="The site key.")
@click.option("--out", "path", required=True, type=click.Path(dir_okay=False, writable=True), help="The CSV file.")
@click.option("--from", "start", help="From this date or time (UTC, inclusive).")
@click.option("--to", "end", help="To this date (its whole day) or time (inclusive).")
@click.option("--consent-id", help="Only this consent id.")
@click.option("--action", type=click.Choice(RECORD_ACTIONS), help="Only this action.")
def export_command(site_key, path, start, end, consent_id, action):
    """Write the consent-proof CSV of a site (as /audit/consents.csv does) with a progress bar."""
    _check_sites([site_key])
    selected = export.ExportFilter((site_key,), *_bounds(start, end), consent_id=consent_id, action=action)
    service.log_access(f"cli:{getpass.getuser()}", "csv", selected.for_log())
    total = export.count(selected)
    with open(path, "w", newline="", encoding="utf-8") as file, \
            click.progressbar(length=total, label=f"Exporting {site_key}", file=sys.stderr) as bar:
        writer = csv.writer(file)
        writer.writerow(COLUMNS)
        for rows in export.row_batches(selected):
            writer.writerows(rows)
            bar.update(len(rows))
    click.echo(f"{total} records written to {path}. Check it with: python3 {verifier.FILE_NAME} {path} "
               f"(consent verifier writes {verifier.FILE_NAME})")


@consent_cli.command("proof")
@click.option("--site", "site_key", required=True, help="The site key.")
@click.option("--out", "path", required=True, type=click.Path(dir_okay=False, writable=True), help="The ZIP file.")
@click.option("--consent-id", help="One visitor's pack: every record of this consent id.")
@click.option("--from", "start", help="From this date or time (UTC, inclusive).")
@click.option("--to", "end", help="To this date (its whole day) or time (inclusive).")
def proof_command(site_key, path, consent_id, start, end):
    """Write the proof pack of a site (as /audit/proof.zip does): the CSV, the signed head, the policy
    snapshots, a signed manifest, the verifier and a README, in one ZIP."""
    _check_sites([site_key])
    if consent_id is not None:
        if start or end:
            raise click.BadParameter("a visitor's pack holds every record of the consent id: leave out --from and "
                                     "--to", param_hint="--consent-id")
        try:
            consent_id = str(uuid.UUID(consent_id))
        except ValueError:
            raise click.BadParameter(f"{consent_id!r} is not a consent id (a UUID)",
                                     param_hint="--consent-id") from None
    try:
        made = pack.ProofPack.of(site_key, *_bounds(start, end), consent_id=consent_id)
    except ApiError as error:
        raise click.ClickException(error.message) from None
    service.log_access(f"cli:{getpass.getuser()}", "proof", made.selected.for_log())
    _write_pack(made, path)
    click.echo(f"{made.tally.rows} records packed in {path}. Check it with the published public key: "
               f"python3 {verifier.FILE_NAME} {path} --public-key KEY ({verifier.FILE_NAME} is in the pack)")


def _write_pack(made, path):
    """Write the pack to ``path`` through a temporary file beside it: a failed pack leaves no file."""
    part = f"{path}.part"
    try:
        with open(part, "wb") as file, click.progressbar(length=export.count(made.selected), file=sys.stderr,
                                                         label=f"Packing {made.site}") as bar:
            for chunk in made.chunks():
                file.write(chunk)
                bar.update(made.tally.rows - bar.pos)
        os.replace(part, path)
    finally:
        if os.path.exists(part):
            os.remove(part)


@consent_cli.command("verifier")
@click.option("--out", "path", default=verifier.FILE_NAME, show_default=True,
              type=click.Path(dir_okay=False, writable=True), help="The file to write.")
def verifier_command(path):
    """Write the offline verifier: one file that a plain python3 runs, as /audit/verify.pyz serves it."""
    target = Path(path)
    target.write_bytes(verifier.zipapp_bytes())
    target.chmod(target.stat().st_mode | stat.S_IXUSR)
    click.echo(f"{path} written (SHA-256 {verifier.zipapp_sha256()}). Check a consent-proof CSV with: "
               f"python3 {path} FILE.csv")


def _bounds(start, end):
    """(start, end, end_inclusive) from the --from and --to texts, as the API reads them."""
    try:
        query = range_query.load({key: value for key, value in (("from", start), ("to", end)) if value})
    except ValidationError as error:
        raise click.BadParameter(str(error.messages), param_hint="--from/--to") from None
    return time_bounds(query)


def init_app(app):
    """Add the auditor group; the consent group's commands are added at import."""
    app.cli.add_command(auditor_cli)
