"""The consent-proof CSV file: its columns, the formula-neutralising rule and the offline verifier.

    python -m consent_service.verify consents.csv [--complete] [--head head.json --public-key KEY]

The hashes need only the standard library and ``consent_service/ledger/chain.py``: an auditor can also
copy this file and ``ledger/chain.py`` and run ``python verify.py consents.csv``. Checking a signed
chain head (``--head``) uses the ``cryptography`` package's Ed25519.
Exit status: 0 the file verifies, 1 a row (named) or the signed head does not, 2 unusable input.
"""
import argparse
import base64
import collections
import csv
import hashlib
import itertools
import json
import operator
import os
import sys
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

try:
    from .ledger import chain
except ImportError:  # run as a plain script, outside the package
    import importlib.util
    from pathlib import Path

    _here = Path(__file__).resolve().parent
    _path = next(p for p in (_here / "ledger" / "chain.py", _here / "chain.py") if p.exists())
    _spec = importlib.util.spec_from_file_location("chain", _path)
    chain = importlib.util.module_from_spec(_spec)
    _spec.loader.exec_module(chain)

COLUMNS = (
    "seq", "consent_id", "recorded_at", "site", "action", "necessary", "analytics", "marketing",
    "policy_version", "language", "page_url", "ip_prefix", "user_agent", "gpc", "record_hash", "prev_hash",
    "pii_salt", "pii_digest",
)
# A spreadsheet runs a cell starting with one of these as a formula. Such a cell gets one leading "'";
# so does a cell that already starts with "'", so that removing exactly one "'" always restores it.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "'")
BATCH = 5000  # rows per batch of hash checks (from the database)
CHUNK_BYTES = 1 << 21  # bytes of the file per batch (about 4,500 rows)


def neutralise(cell):
    """The cell as written to the file: ``'`` in front of anything a spreadsheet would run."""
    return "'" + cell if cell.startswith(FORMULA_STARTS) else cell


def restore(cell):
    """The cell as hashed: the inverse of ``neutralise``."""
    return cell[1:] if cell.startswith("'") else cell


class FileBreak(Exception):
    """The first row (or the signed head) that does not verify: ``row`` (1 is the header), ``seq`` and
    ``consent_id`` where known, and ``reason``."""

    def __init__(self, reason, row=None, seq=None, consent_id=None):
        self.reason, self.row, self.seq, self.consent_id = reason, row, seq, consent_id
        where = "" if row is None else f"row {row}: " if seq is None else f"row {row} (seq {seq}, consent_id {consent_id}): "
        super().__init__(where + reason)


@dataclass
class SiteRun:
    """What the file (or a batch of it) holds of one site's chain."""

    site: str
    rows: int
    first_seq: int
    first_prev: str
    last_seq: int
    last_hash: str
    gaps: int = 0
    first_id: str = ""

    @classmethod
    def starting(cls, site, seq, prev_hash, consent_id=""):
        """An empty run that a record of ``seq`` with ``prev_hash`` follows."""
        return cls(site, 0, seq, prev_hash, seq - 1, prev_hash, first_id=consent_id)

    @property
    def from_genesis(self):
        return self.first_seq == 1

    def link_problem(self, seq, prev_hash, gaps_allowed):
        """What is wrong with a record of ``seq`` and ``prev_hash`` coming next, or None (a gap is counted)."""
        if seq <= self.last_seq:
            return f"out of chain order after seq {self.last_seq}: rows reordered or repeated"
        if seq != self.last_seq + 1:
            self.gaps += 1
            return None if gaps_allowed else f"expected seq {self.last_seq + 1}: a record was inserted or deleted"
        if prev_hash != self.last_hash:
            return "prev_hash does not match the previous record: a record was inserted or deleted"
        return None

    def describe(self):
        start = ("from the genesis" if self.from_genesis else
                 f"starting after seq {self.first_seq - 1} (prev_hash {self.first_prev})")
        if self.gaps:
            return (f"site {self.site}: {self.rows} rows, seq {self.first_seq}..{self.last_seq} with {self.gaps} "
                    "gaps (a filtered export): links checked between consecutive rows only")
        return (f"site {self.site}: {self.rows} rows, one unbroken chain {start}, "
                f"head seq {self.last_seq} {self.last_hash}")


@dataclass(frozen=True)
class Layout:
    """Where a row's cells are: ``pick(row)`` gives ``chain.CHECKED_FIELDS`` in order."""

    width: int
    pick: operator.itemgetter
    gaps_allowed: bool = True  # a filtered export skips seqs; the stored chain may not

    @classmethod
    def of(cls, names, gaps_allowed=True):
        return cls(len(names), operator.itemgetter(*(names.index(name) for name in chain.CHECKED_FIELDS)),
                   gaps_allowed)


@dataclass
class Checked:
    """What one batch of consecutive rows holds: checked by a worker, joined to the rest in order."""

    count: int
    runs: list  # (offset, SiteRun) of each site's rows in the batch, in the order of their first rows
    found: dict  # (site, seq) -> (offset, record_hash), of the wanted ones
    error: tuple | None = None  # (offset, seq, consent_id, reason) of the first bad row


def _first_of_site(checked, runs, offset, texts, seq):
    """Start the batch's run of the row's site; the reason its link is bad, or None."""
    site, prev_hash = texts[chain.SITE], texts[chain.PREV_HASH]
    runs[site] = run = SiteRun.starting(site, seq, prev_hash, texts[chain.CONSENT_ID])
    checked.runs.append((offset, run))
    if seq == 1 and prev_hash != chain.GENESIS_HASH:
        return run, "the first record's prev_hash is not the genesis hash"
    return run, None


def check_rows(rows, layout, wanted=frozenset()):
    """Check consecutive rows (any iterable): each row's hashes, and the links between its rows of a
    site (the link of each site's first row is ``join``'s to check). The first bad row ends it.

    This loop runs once per record of a million-record verification: its names are local on purpose.
    """
    runs, checked, offset = {}, Checked(0, [], {}), -1
    width, pick, gaps_allowed, problem = layout.width, layout.pick, layout.gaps_allowed, chain.problem
    seq_at, site_at, prev_at, hash_at = chain.SEQ, chain.SITE, chain.PREV_HASH, chain.RECORD_HASH
    for offset, cells in enumerate(rows):
        if len(cells) != width:
            checked.error = (offset, None, None, f"{len(cells)} cells where the header has {width}")
            return checked
        texts = pick(cells)
        try:
            seq = int(texts[seq_at])
        except ValueError:
            checked.error = (offset, None, None, f"seq {texts[seq_at]!r} is not a number")
            return checked
        run = runs.get(texts[site_at])
        if run is None:
            run, reason = _first_of_site(checked, runs, offset, texts, seq)
        elif seq == run.last_seq + 1 and texts[prev_at] == run.last_hash:
            reason = None
        else:
            reason = run.link_problem(seq, texts[prev_at], gaps_allowed)
        reason = reason or problem(texts)
        if reason:
            checked.error = (offset, seq, texts[chain.CONSENT_ID], reason)
            return checked
        run.rows, run.last_seq, run.last_hash = run.rows + 1, seq, texts[hash_at]
        if wanted and (run.site, seq) in wanted:
            checked.found[run.site, seq] = (offset, run.last_hash)
    checked.count = offset + 1
    return checked


def _check_text(text, layout, wanted):
    """``check_rows`` of a piece of the file's text that holds whole rows and ends with a line break
    (parsed here, in the worker), with neutralised cells restored.

    The reader gets the lines with their breaks, as from a file opened with ``newline=""``, but split
    by ``str.split``: a sixth faster than iterating a StringIO. Where each row is one line, only the
    rows of lines holding a ``'`` can hold a neutralised cell.
    """
    lines = text.split("\n")
    lines = [line + "\n" for line in lines[:-1]] + ([lines[-1]] if lines[-1] else [])
    rows = list(csv.reader(lines))
    if "'" in text:
        quoted = (["'" in line for line in lines] if len(lines) == len(rows) else
                  itertools.repeat(True))
        rows = [[cell[1:] if cell[:1] == "'" else cell for cell in row] if any_quote else row
                for row, any_quote in zip(rows, quoted)]
    return check_rows(rows, layout, wanted)


def join(checked_batches, layout, runs=None, wanted=None, first_row=2):
    """Join checked batches in order: ``{site: SiteRun}``, or FileBreak at the first bad row.

    ``runs`` may hold where each site's chain must start; ``wanted`` gets the row and hash of its keys.
    """
    runs = {} if runs is None else runs
    number = first_row
    for checked in checked_batches:
        for offset, part in checked.runs:
            run = runs.get(part.site)
            if run is None:
                runs[part.site] = part
                continue
            reason = run.link_problem(part.first_seq, part.first_prev, layout.gaps_allowed)
            if reason:
                raise FileBreak(reason, number + offset, part.first_seq, part.first_id)
            run.rows, run.gaps, run.last_seq, run.last_hash = (
                run.rows + part.rows, run.gaps + part.gaps, part.last_seq, part.last_hash)
        for key, (offset, record_hash) in checked.found.items():
            wanted[key] = (number + offset, record_hash)
        if checked.error is not None:
            offset, *where, reason = checked.error
            raise FileBreak(reason, number + offset, *where)
        number += checked.count
    return runs


def _spans(file):
    """Byte ranges ``(start, end)`` of an opened binary CSV, from where it stands, each ending at a
    record boundary: a line break after an even number of double quotes (inside a quoted cell the
    count is odd). Workers read their range themselves, so that the file passes through one process."""
    start, carry = file.tell(), b""
    while block := file.read(CHUNK_BYTES):
        data = carry + block
        cut = data.rfind(b"\n")
        while cut >= 0 and data.count(b'"', 0, cut) % 2:
            cut = data.rfind(b"\n", 0, cut)
        if cut < 0:
            carry = data
            continue
        yield start, start + cut + 1
        start, carry = start + cut + 1, data[cut + 1:]
    if carry:
        yield start, start + len(carry)


def _check_span(span, path, layout, wanted):
    """``_check_text`` of one byte range of the file at ``path`` (read here, in the worker)."""
    with open(path, "rb") as file:
        file.seek(span[0])
        return _check_text(file.read(span[1] - span[0]).decode("utf-8"), layout, wanted)


def checked_in_order(tasks, check, jobs, *args):
    """``check(task, *args)`` of each task, in order; in ``jobs`` worker processes if more than one."""
    first, second = next(tasks, None), next(tasks, None)
    queue = itertools.chain(filter(None, (first, second)), tasks)
    if second is None or jobs <= 1:
        for task in queue:
            yield check(task, *args)
        return
    with ProcessPoolExecutor(jobs) as pool:
        pending = collections.deque()
        for task in queue:
            pending.append(pool.submit(check, task, *args))
            if len(pending) > 2 * jobs:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()


def _layout(header):
    """The Layout of a header row."""
    if header is None:
        raise FileBreak("the file is empty")
    header = [restore(name) for name in header]
    missing = [name for name in COLUMNS if name not in header]
    if missing:
        raise FileBreak(f"the header lacks the columns {', '.join(missing)}")
    return Layout.of(header)


def verify_path(path, wanted=None, jobs=1):
    """Check every row of the CSV file at ``path``; return ``{site: SiteRun}`` or raise FileBreak.

    ``wanted`` maps ``(site, seq)`` to None; the row number and hash found for each are filled in.
    With ``jobs`` > 1 the rows are read, parsed and hashed in that many processes; the batches are
    joined here.
    """
    wanted = {} if wanted is None else wanted
    with open(path, "rb") as file:
        line = file.readline().decode("utf-8-sig")
        layout = _layout(next(csv.reader([line]), None) if line else None)
        results = checked_in_order(_spans(file), _check_span, jobs, path, layout, frozenset(wanted))
        return join(results, layout, wanted=wanted)


def check_head(signed_head, public_key, runs, found):
    """Check the service's signed chain head against the file; return a line saying what was proved."""
    signed = signed_head.get("signed", signed_head)
    try:
        key = decode_public_key(public_key)
        good = ed25519_verify(key, signed["payload"].encode("utf-8"), base64.b64decode(signed["signature"]))
        statement = json.loads(signed["payload"])
    except (KeyError, TypeError, ValueError) as error:
        raise FileBreak(f"the signed head is not usable: {error}") from None
    if not good:
        raise FileBreak("the chain head's signature does not verify with this public key")
    site, seq = statement["site"], statement["seq"]
    run = runs.get(site)
    if run is None:
        raise FileBreak(f"the file has no rows of site {site}, whose head is signed")
    if found.get((site, seq)) is None:
        raise FileBreak(f"the file has no row of site {site} at the signed head's seq {seq} "
                        f"(the file covers seq {run.first_seq}..{run.last_seq})")
    number, record_hash = found[site, seq]
    if record_hash != statement["head_hash"]:
        raise FileBreak(f"row {number} (seq {seq}): its hash differs from the signed head {statement['head_hash']}")
    if run.gaps or (run.first_seq - 1, run.first_prev) != (statement["start_seq"], statement["start_hash"]):
        raise FileBreak(f"site {site}: the file is not the whole chain from seq {statement['start_seq'] + 1} "
                        "(a filtered export?), so it cannot be compared with the signed head")
    return (f"signed head: signature OK (key {key_id(key)}), the file's chain of site {site} runs from "
            f"seq {statement['start_seq'] + 1} to the signed head seq {seq} {statement['head_hash']}")


def key_id(raw_public_key):
    """The short name of a public key: the first 16 hex digits of its SHA-256."""
    return hashlib.sha256(raw_public_key).hexdigest()[:16]


def _ed25519():
    """The maintained Ed25519 implementation (the ``cryptography`` package), needed for signed heads only."""
    try:
        from cryptography.exceptions import InvalidSignature
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
        from cryptography.hazmat.primitives.serialization import load_pem_public_key
    except ImportError:
        raise FileBreak("checking a signed head needs the cryptography package (pip install cryptography); "
                        "or check its signature with openssl, as the README shows") from None
    return InvalidSignature, Ed25519PublicKey, load_pem_public_key


def decode_public_key(text):
    """A raw 32-byte Ed25519 public key from base64 or from a PEM (SubjectPublicKeyInfo) block."""
    _, public_key_class, load_pem_public_key = _ed25519()
    text = text.strip()
    if text.startswith("-----BEGIN"):
        key = load_pem_public_key(text.encode("ascii"))
        if not isinstance(key, public_key_class):
            raise ValueError("not an Ed25519 public key")
        return key.public_bytes_raw()
    raw = base64.b64decode(text, validate=True)
    if len(raw) != 32:
        raise ValueError("an Ed25519 public key has 32 bytes")
    return raw


def ed25519_verify(public_key, message, signature):
    """True when ``signature`` is the Ed25519 signature of ``message`` by the raw ``public_key``."""
    invalid_signature, public_key_class, _ = _ed25519()
    try:
        public_key_class.from_public_bytes(public_key).verify(signature, message)
    except (invalid_signature, ValueError):
        return False
    return True


def verify_file(path, complete=False, signed_head=None, public_key=None, out=print, jobs=None):
    """Verify one CSV file; print what was proved; return the exit status."""
    wanted = {}
    if signed_head is not None:
        statement = json.loads(signed_head.get("signed", signed_head)["payload"])
        wanted[statement["site"], statement["seq"]] = None
    try:
        runs = verify_path(path, wanted, jobs or os.cpu_count() or 1)
        out(f"{path}: {sum(run.rows for run in runs.values())} rows, every row's hash verifies")
        for run in runs.values():
            out(run.describe())
        if complete and any(run.gaps or not run.from_genesis for run in runs.values()) and signed_head is None:
            raise FileBreak("--complete: the file is not every site's whole chain from the genesis")
        if signed_head is not None:
            out(check_head(signed_head, public_key, runs, wanted))
    except FileBreak as error:
        out(f"BROKEN: {error}")
        return 1
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        out(f"cannot read {path}: {error}")
        return 2
    out("OK")
    return 0


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m consent_service.verify", description=__doc__.split("\n")[0])
    parser.add_argument("file", help="the consent-proof CSV file")
    parser.add_argument("--complete", action="store_true",
                        help="also require each site's whole chain from the genesis (exit 1 otherwise)")
    parser.add_argument("--head", help="a JSON file saved from /audit/chain-head, compared with the file")
    parser.add_argument("--public-key", help="the service's published Ed25519 public key (base64, or a PEM file)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count(), help="processes computing hashes (default: CPUs)")
    args = parser.parse_args(argv)
    signed_head = public_key = None
    if args.head:
        if not args.public_key:
            parser.error("--head needs --public-key: the published key, not the one inside the head")
        try:
            with open(args.head, encoding="utf-8") as file:
                signed_head = json.load(file)
            public_key = args.public_key
            if os.path.isfile(public_key):
                with open(public_key, encoding="ascii") as file:
                    public_key = file.read()
        except (OSError, ValueError) as error:
            parser.exit(2, f"cannot read the signed head or key: {error}\n")
    return verify_file(args.file, args.complete, signed_head, public_key, jobs=args.jobs)


if __name__ == "__main__":
    sys.exit(main())
