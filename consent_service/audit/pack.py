"""The proof pack: one ZIP per case, which anyone holding the service's public key can check offline.

    consents.csv             the consent-proof CSV export of the pack's filter (``export.csv_chunks``)
    head.json                the site's signed chain head at the last exported record's seq
    policies/<hash>.json     the canonical body of every policy snapshot the rows point at
    verify.pyz               the offline verifier (``verifier``)
    README.txt               how to check the pack, in Finnish, Swedish and English
    manifest.json            site, filter, scope, counts, seqs, created_at, each file's SHA-256, the key id
    manifest.sig             the raw Ed25519 signature of manifest.json's exact bytes

The signed manifest is what makes a filtered pack (one visitor's records, a time range) whole: a row
deleted from it changes the count and the SHA-256 the manifest signs.

The ZIP is written as it is sent: zipfile writes to a sink that cannot seek (each member's sizes follow
its data in a data descriptor), and what it wrote is handed on after every chunk of the CSV, so that a
pack of a million records takes no more memory than a few thousand rows. The counts and policy hashes
the manifest needs are read from the CSV's own bytes as they pass, so that they describe exactly the
file in the pack.
"""
import codecs
import csv
import hashlib
import json
import zipfile
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from string import Template

from .. import policies
from ..errors import ApiError
from ..proof import chain
from ..proof.csvfile import restore
from ..proof.pack import CSV_FILE, FORMAT, HEAD, MANIFEST, README, SIGNATURE, VERIFIER, policy_file
from . import export, lookups, signing, verifier

# zlib level 3: the CSV to 31 % of its size for a tenth more CPU than level 1 (32 %); levels 4 to 9 reach
# 28-29 % for twice to 2.7 times level 3's CPU. Measured: docs/proof.md.
LEVEL = 3
README_TEMPLATE = Template(Path(__file__).with_name("proof_readme.txt").read_text(encoding="utf-8"))


class _Sink:
    """A write-only file that cannot seek or tell: it keeps what zipfile writes until ``take``."""

    def __init__(self):
        self.parts = []

    def write(self, data):
        self.parts.append(bytes(data))
        return len(data)

    def flush(self):
        pass

    def take(self):
        data = b"".join(self.parts)
        self.parts.clear()
        return data


@dataclass
class RowTally:
    """What the manifest says of consents.csv, read from its bytes as they pass: the number of rows,
    the first and last seq, the export_scope and every policy hash named."""

    rows: int = 0
    first_seq: int | None = None
    last_seq: int | None = None
    scope: str | None = None
    policy_hashes: set = field(default_factory=set)
    _columns: tuple | None = None
    _carry: str = ""
    _decoder: codecs.IncrementalDecoder = field(default_factory=lambda: codecs.getincrementaldecoder("utf-8")())

    def feed(self, chunk):
        """Read the whole rows of the CSV's next bytes; keep the rest for the next call. A line break
        ends a row after an even number of double quotes (inside a quoted cell the count is odd)."""
        text = self._carry + self._decoder.decode(chunk)
        cut = text.rfind("\n")
        while cut >= 0 and text.count('"', 0, cut) % 2:
            cut = text.rfind("\n", 0, cut)
        self._carry = text[cut + 1:]
        lines = text[:cut + 1].split("\n")[:-1]
        if lines and self._columns is None:
            header = [restore(name) for name in next(csv.reader([lines.pop(0) + "\n"]))]
            self._columns = tuple(header.index(name) for name in ("seq", "policy_hash", "export_scope"))
        if not lines:
            return
        seq_at, policy_at, scope_at = self._columns
        rows = None if self.first_seq is None else _leading_cells(lines, max(seq_at, policy_at) + 1)
        if rows is None:
            rows = list(csv.reader([line + "\n" for line in lines]))
        if self.first_seq is None:
            self.first_seq, self.scope = int(restore(rows[0][seq_at])), restore(rows[0][scope_at])
        self.last_seq = int(restore(rows[-1][seq_at]))
        self.rows += len(rows)
        self.policy_hashes.update(row[policy_at] for row in rows)

    def finish(self):
        """Read a last row that no line break ended (the export ends every row with one)."""
        if self._carry:
            self.feed(b"\n")

    def snapshots(self):
        """The policy hashes named, sorted (records without a snapshot name none)."""
        return sorted(filter(None, map(restore, self.policy_hashes)))


def _leading_cells(lines, width):
    """The first ``width`` cells of each line, split at commas, when that is what the csv module would read:
    each line one whole row (an even number of double quotes) with no quote in those cells. None
    otherwise (the caller then reads the lines with the csv module). Half the csv module's time, and the
    rows' leading cells (seq, ids, time, booleans, version, hash) are never quoted."""
    cells = []
    for line in lines:
        parts = line.split(",", width)
        if len(parts) <= width:
            return None
        if '"' in line and (line.count('"') % 2 or '"' in line[:len(line) - len(parts[width])]):
            return None
        cells.append(parts)
    return cells


def _described(data):
    return {"sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}


def _json_bytes(value):
    return (json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8")


@dataclass
class ProofPack:
    """The pack of one site's records that ``selected`` (an ``export.ExportFilter`` of that site) keeps.
    ``chunks()`` makes it; ``tally`` counts its rows as they are written (a progress bar reads it)."""

    site: str
    selected: export.ExportFilter
    created_at: datetime = field(default_factory=lambda: datetime.now(timezone.utc))
    tally: RowTally = field(default_factory=RowTally)

    @classmethod
    def of(cls, site, start=None, end=None, end_inclusive=False, consent_id=None):
        """The pack of a site's filter; a 404 for a consent id the site has no record of, or when the
        service has no signing key (both before anything is sent)."""
        selected = export.ExportFilter((site,), start, end, end_inclusive, consent_id=consent_id)
        signing.public_key_raw()
        if consent_id is not None and not export.count(selected):
            raise ApiError(404, f"No consent {consent_id} is recorded in site {site!r}.")
        return cls(site, selected)

    @property
    def file_name(self):
        who = f"-{self.selected.consent_id}" if self.selected.consent_id else ""
        return f"proof-{self.site}{who}-{self.created_at:%Y%m%dT%H%M%SZ}.zip"

    def chunks(self):
        """The ZIP's bytes, in pieces of about one batch of rows each."""
        sink, files = _Sink(), {}
        with zipfile.ZipFile(sink, "w", zipfile.ZIP_DEFLATED, compresslevel=LEVEL) as archive:
            digest, size = hashlib.sha256(), 0
            with archive.open(self._info(CSV_FILE), "w", force_zip64=True) as member:
                for chunk in export.csv_chunks(self.selected):
                    member.write(chunk)
                    digest.update(chunk)
                    size += len(chunk)
                    self.tally.feed(chunk)
                    yield sink.take()
            self.tally.finish()
            files[CSV_FILE] = {"sha256": digest.hexdigest(), "bytes": size}
            head = lookups.chain_head(self.site, self.tally.last_seq)
            for name, data in self._members(head):
                archive.writestr(self._info(name), data)
                files[name] = _described(data)
                yield sink.take()
            manifest = _json_bytes(self.manifest(head, files))
            archive.writestr(self._info(MANIFEST), manifest)
            archive.writestr(self._info(SIGNATURE), signing.sign_bytes(manifest))
        yield sink.take()

    def _info(self, name):
        """A member dated as the pack (UTC), deflated like the rest (zipfile dates a streamed member 1980)."""
        info = zipfile.ZipInfo(name, self.created_at.timetuple()[:6])
        info.compress_type, info._compresslevel = zipfile.ZIP_DEFLATED, LEVEL  # as ZipFile.open does itself
        return info

    def _members(self, head):
        """``(name, bytes)`` of the members after consents.csv and before the manifest."""
        yield HEAD, _json_bytes(head)
        for snapshot_hash in self.tally.snapshots():
            yield policy_file(snapshot_hash), policies.find_snapshot(snapshot_hash).body.encode("utf-8")
        yield VERIFIER, verifier.zipapp_bytes()
        yield README, README_TEMPLATE.substitute(
            site=self.site, created_at=chain.format_time(self.created_at)).encode("utf-8")

    def manifest(self, head, files):
        """What the pack holds, as manifest.json says it (and manifest.sig signs)."""
        tally = self.tally
        scope = tally.scope or self.selected.scopes()[self.site]
        return {
            "format": FORMAT, "site": self.site, "created_at": chain.format_time(self.created_at),
            "filter": self.selected.for_log(), "export_scope": scope, "whole_chain": self.selected.whole,
            "rows": tally.rows, "first_seq": tally.first_seq, "last_seq": tally.last_seq,
            "head": {"seq": head["seq"], "head_hash": head["head_hash"]},
            "policies": tally.snapshots(), "files": files,
            "signing_key": {"algorithm": "Ed25519", "key_id": signing.public_key_info()["key_id"]},
        }
