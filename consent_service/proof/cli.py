"""The offline verifier's command line: check a consent-proof CSV file, optionally against a signed head,
or a proof pack (a ZIP from /audit/proof.zip or ``consent proof``; see ``pack``).

    python3 verify.pyz consents.csv [--complete | --filtered] [--head head.json --public-key KEY] [--jobs N]
    python3 verify.pyz PACK.zip --public-key KEY [--complete] [--jobs N]

A file is held to what its ``export_scope`` column says (see ``scope``): a whole-chain export with a
record missing fails without any flag.

``verify.pyz`` is this package zipped (download it from the audit page, or build it with
``./manage.sh flask consent verifier --out verify.pyz``); in a checkout, ``python -m consent_service.proof``
runs the same. Checking the file needs only the standard library; ``--head`` and a pack's signatures need
the ``cryptography`` package. Exit status: 0 the file or pack verifies, 1 a row (named), a file of the pack
or a signature does not, 2 unusable input (or ``cryptography`` missing for ``--head``), 3 a pack whose
every other check holds but whose signatures were not checked (no ``cryptography``, or no ``--public-key``).
"""
import argparse
import csv
import json
import os
import zipfile

from . import scope
from . import signed_head as heads
from .checking import ChainBreak
from .csvfile import check_file, first_missing


def check_and_report(path, complete=False, signed_head=None, public_key=None, out=print, jobs=None,
                     unscoped_filtered=False):
    """Check one CSV file (and the signed head, if given); print what was proved; return the exit status.

    Each site's rows must be what their export_scope says; ``complete`` also refuses a filtered export,
    ``unscoped_filtered`` takes a file without scopes (an older export) as a filtered one.
    """
    wanted = {}
    try:
        if signed_head is not None:
            heads.require_ed25519()
            wanted[heads.head_seq(signed_head)] = None
        runs = checked_runs(path, wanted, jobs, out, complete, unscoped_filtered)
        if signed_head is not None:
            out(heads.check_head(signed_head, public_key, runs, wanted))
    except ChainBreak as error:
        out(f"BROKEN: {error}")
        return 1
    except heads.CryptographyMissing as error:
        out(f"cannot check the signed head: {error}")
        return 2
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        out(f"cannot read {path}: {error}")
        return 2
    out("OK")
    return 0


def checked_runs(path, wanted, jobs, out, complete=False, unscoped_filtered=False, name=None):
    """Check every row of the CSV file at ``path`` (called ``name`` in what is printed) and hold each
    site's rows to their export_scope; print what was proved; return ``{site: SiteRun}`` or raise
    ChainBreak naming the first row at fault."""
    runs = check_file(path, wanted, jobs or os.cpu_count() or 1)
    out(f"{name or path}: {sum(run.rows for run in runs.values())} rows, every row's hash verifies")
    for run in runs.values():
        out(scope.describe(run))
    for run in runs.values():
        reason = scope.problem(run, not complete, unscoped_filtered)
        if reason:
            raise _incomplete(path, reason, runs)
    return runs


def _incomplete(path, reason, runs):
    """The ChainBreak of a file that is not what it says (or ``--complete`` asks): at the first row after a
    missing record where there is one."""
    starts = {site: scope.declared_start(run.scope) for site, run in runs.items()}
    missing = first_missing(path, {site: start for site, start in starts.items() if start is not None})
    if missing is None:
        return ChainBreak(reason)
    row, seq, consent_id, site, expected = missing
    return ChainBreak(f"{reason}: site {site}'s record seq {expected} is missing before this row", row, seq, consent_id)


def _arguments(prog):
    parser = argparse.ArgumentParser(
        prog=prog, description="Check a consent-proof CSV file, or a proof pack (ZIP), offline.",
        epilog="Exit status: 0 the file or pack verifies, 1 a row (named), a file of the pack or a signature does "
               "not, 2 unusable input (or --head without the cryptography package), 3 a pack whose other checks "
               "hold but whose signatures were not checked (no cryptography package, or no --public-key).")
    parser.add_argument("file", help="the consent-proof CSV file, or a proof pack (PACK.zip)")
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--complete", action="store_true",
                       help="refuse a filtered export too: require each site's whole chain (exit 1 otherwise)")
    group.add_argument("--filtered", action="store_true",
                       help="a file without an export_scope column (exported before it existed) is a filtered "
                            "export: accept gaps in seq (a file with the column says what it is itself)")
    parser.add_argument("--head", help="a JSON file saved from /audit/chain-head, compared with the file "
                                       "(a pack holds its own head.json)")
    parser.add_argument("--public-key", help="the service's published Ed25519 public key (base64, or a PEM file), "
                                             "given to you apart from the file")
    parser.add_argument("--jobs", type=int, default=os.cpu_count(), help="processes computing hashes (default: CPUs)")
    return parser


def _public_key(parser, text):
    """The key text given, or the contents of the file it names."""
    if text is None or not os.path.isfile(text):
        return text
    try:
        with open(text, encoding="ascii") as file:
            return file.read()
    except (OSError, ValueError) as error:
        parser.exit(2, f"cannot read the public key: {error}\n")


def main(argv=None, prog=None):
    """Parse the command line, check the file or pack; return the exit status."""
    parser = _arguments(prog)
    args = parser.parse_args(argv)
    if zipfile.is_zipfile(args.file):
        if args.head or args.filtered:
            parser.error("a proof pack holds its own head.json and says what it is: give it --public-key only")
        from .pack import check_pack  # here, not at the top: pack reuses this module's checked_runs

        return check_pack(args.file, _public_key(parser, args.public_key), jobs=args.jobs, complete=args.complete)
    signed_head = None
    if args.head:
        if not args.public_key:
            parser.error("--head needs --public-key: the published key, not the one inside the head")
        try:
            with open(args.head, encoding="utf-8") as file:
                signed_head = json.load(file)
        except (OSError, ValueError) as error:
            parser.exit(2, f"cannot read the signed head: {error}\n")
    return check_and_report(args.file, args.complete, signed_head, _public_key(parser, args.public_key),
                            jobs=args.jobs, unscoped_filtered=args.filtered)


def run():
    """The zipapp's entry point (``__main__.py`` ignores what it returns): exit with ``main``'s status."""
    raise SystemExit(main())
