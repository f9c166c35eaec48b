"""Checking a proof pack offline: ``python3 verify.pyz PACK.zip --public-key KEY``.

A pack (``consent_service/audit/pack.py`` makes it) holds consents.csv, head.json, policies/<hash>.json,
verify.pyz, README.txt, manifest.json and manifest.sig. Checking it holds, in this order, and stops at the
first thing that fails, naming the row or file:

1. the pack lists exactly the files the manifest names (nothing added, nothing missing);
2. every row of consents.csv: its hash and its links (``csvfile.check_file``, on a temporary copy that
   its worker processes read in byte ranges), and what its export_scope says;
3. the rows are what the manifest says: site, scope, whole chain or not, count, first and last seq, and
   in a visitor's pack only that consent id;
4. every policy file's content hashes to its name, and every row's policy_hash has its file, a snapshot
   of the row's site and language;
5. every file's SHA-256 and size are the manifest's;
6. head.json says the chain of the site reaches the last row's seq with the last row's hash (and, for
   the whole chain, starts where the rows start);
7. with ``--public-key`` and the ``cryptography`` package: manifest.sig is the signature of manifest.json's
   exact bytes, and head.json's signature holds. Without either, every other check is done, the verifier
   says that the signatures were NOT checked and how to check them, and exits with 3, not 0.
"""
import base64
import csv
import hashlib
import json
import os
import re
import tempfile
import zipfile

from . import scope
from . import signed_head as heads
from .checking import ChainBreak
from .cli import checked_runs
from .csvfile import restore

FORMAT = "consent-proof-pack/1"
CSV_FILE, HEAD, VERIFIER, README = "consents.csv", "head.json", "verify.pyz", "README.txt"
MANIFEST, SIGNATURE = "manifest.json", "manifest.sig"
POLICY_FILE = re.compile(r"policies/([0-9a-f]{64})\.json")
MANIFEST_KEYS = {"site": str, "created_at": str, "filter": dict, "export_scope": str, "whole_chain": bool,
                 "rows": int, "first_seq": (int, type(None)), "last_seq": (int, type(None)), "head": dict,
                 "policies": list, "files": dict, "signing_key": dict}
NOT_CHECKED = 3


class UnusableKey(Exception):
    """The public key given is not an Ed25519 public key."""
HOW_TO_CHECK = (
    "Everything above holds, but nothing yet shows that the service made this pack. Check the signatures "
    "with the service's public key, published apart from the pack: install the cryptography package "
    "(python3 -m pip install cryptography, or apt install python3-cryptography) and run python3 verify.pyz "
    "PACK.zip --public-key KEY again; or with OpenSSL 3, the key saved as key.pem: unzip -o PACK.zip "
    "manifest.json manifest.sig && openssl pkeyutl -verify -pubin -inkey key.pem -rawin -in manifest.json "
    "-sigfile manifest.sig (README.txt in the pack shows head.json's check too)."
)


def policy_file(snapshot_hash):
    """The name of a policy snapshot's file in a pack."""
    return f"policies/{snapshot_hash}.json"


def _sha256(archive, name):
    """``(SHA-256 hex, size)`` of a member, read in blocks."""
    digest, size = hashlib.sha256(), 0
    with archive.open(name) as member:
        while block := member.read(1 << 20):
            digest.update(block)
            size += len(block)
    return digest.hexdigest(), size


def read_manifest(archive):
    """``(exact bytes, parsed)`` of manifest.json; ChainBreak when it is missing or not a pack's."""
    if MANIFEST not in archive.namelist():
        raise ChainBreak(f"the pack has no {MANIFEST}: it is not a proof pack, or the file was removed")
    data = archive.read(MANIFEST)
    try:
        manifest = json.loads(data)
    except ValueError as error:
        raise ChainBreak(f"{MANIFEST} is not JSON: {error}") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise ChainBreak(f"{MANIFEST} is not a manifest of format {FORMAT}")
    wrong = [key for key, kind in MANIFEST_KEYS.items() if not isinstance(manifest.get(key), kind)]
    if "files" not in wrong and not all(isinstance(entry, dict) for entry in manifest["files"].values()):
        wrong.append("files")
    if wrong:
        raise ChainBreak(f"{MANIFEST} lacks {', '.join(wrong)}, or they are not what a manifest holds there")
    if scope.is_filtered(manifest["export_scope"]) == bool(manifest["whole_chain"]):
        raise ChainBreak(f"{MANIFEST} contradicts itself: whole_chain {manifest['whole_chain']} with export_scope "
                         f"{manifest['export_scope']!r}")
    return data, manifest


def check_listing(archive, manifest):
    """The pack holds each file the manifest names once, and nothing else (but the manifest and its
    signature)."""
    names = archive.namelist()
    listed = {*manifest["files"], MANIFEST, SIGNATURE}
    for name in sorted({name for name in names if names.count(name) > 1}):
        raise ChainBreak(f"{name} is in the pack twice")
    for name in sorted(listed - set(names)):
        raise ChainBreak(f"{name} is missing from the pack: the manifest lists it")
    for name in sorted(set(names) - listed):
        raise ChainBreak(f"{name} is in the pack but not in the manifest: it was added after the pack was made")
    for name in (CSV_FILE, HEAD, VERIFIER):
        if name not in manifest["files"]:
            raise ChainBreak(f"the pack has no {name}")
    if {name for name in listed if POLICY_FILE.fullmatch(name)} != set(map(policy_file, manifest["policies"])):
        raise ChainBreak(f"the policy files listed in {MANIFEST} are not those of its policies")


def extract_csv(archive, folder):
    """Copy consents.csv out of the pack into ``folder``; ``(path, SHA-256 hex, size)``."""
    path, digest, size = os.path.join(folder, CSV_FILE), hashlib.sha256(), 0
    with archive.open(CSV_FILE) as member, open(path, "wb") as file:
        while block := member.read(1 << 20):
            digest.update(block)
            file.write(block)
            size += len(block)
    return path, digest.hexdigest(), size


def read_head(archive):
    """``(head.json parsed, its signed statement parsed)``; ChainBreak when unusable."""
    try:
        head = json.loads(archive.read(HEAD))
        statement = json.loads(head["signed"]["payload"])
    except (KeyError, TypeError, ValueError) as error:
        raise ChainBreak(f"{HEAD} is not a signed chain head: {error!r}") from None
    if not isinstance(statement, dict):
        raise ChainBreak(f"{HEAD} is not a signed chain head: its payload is not a statement")
    return head, statement


def check_counts(manifest, runs):
    """The checked rows are those the manifest describes; a line saying so."""
    site, rows = manifest["site"], sum(run.rows for run in runs.values())
    for other in sorted(set(runs) - {site}):
        raise ChainBreak(f"{CSV_FILE} holds rows of site {other}, in a pack of site {site}")
    if rows != manifest["rows"]:
        change = "deleted" if rows < manifest["rows"] else "added"
        raise ChainBreak(f"{CSV_FILE} holds {rows} row{'' if rows == 1 else 's'}, the manifest says "
                         f"{manifest['rows']}: rows were {change} after the pack was made")
    run = runs.get(site)
    if run is None:
        return f"{MANIFEST}: no rows, as it says"
    if (run.first_seq, run.last_seq) != (manifest["first_seq"], manifest["last_seq"]):
        raise ChainBreak(f"{CSV_FILE} runs from seq {run.first_seq} to {run.last_seq}, the manifest says "
                         f"{manifest['first_seq']} to {manifest['last_seq']}")
    if run.scope != manifest["export_scope"]:
        raise ChainBreak(f"{CSV_FILE}'s export_scope {run.scope!r} is not the manifest's {manifest['export_scope']!r}")
    if manifest["whole_chain"]:
        return (f"{MANIFEST}: {rows} rows of site {site}, seq {run.first_seq}..{run.last_seq}, the whole chain, "
                "as it says")
    return (f"{MANIFEST}: {rows} rows of site {site}, seq {run.first_seq}..{run.last_seq}, as it says: with its "
            "signature (below) this shows that no row of the filter is missing")


def policy_documents(archive):
    """``{hash: document}`` of the pack's policy files, each checked to hash to its name."""
    documents = {}
    for name in archive.namelist():
        match = POLICY_FILE.fullmatch(name)
        if match is None:
            continue
        data = archive.read(name)
        actual = hashlib.sha256(data).hexdigest()
        if actual != match[1]:
            raise ChainBreak(f"{name}: its content's SHA-256 is {actual}, not the hash it is named by: it is "
                             "not the snapshot that rows with that policy_hash point at (swapped or edited)")
        try:
            documents[match[1]] = json.loads(data)
        except ValueError as error:
            raise ChainBreak(f"{name} is not JSON: {error}") from None
    return documents


def check_policies(path, documents, consent_id):
    """Every row's policy_hash has its snapshot in ``documents``, of the row's site and language; in a
    visitor's pack (``consent_id``) every row is that consent's. A line saying what was found."""
    used, without = set(), 0
    with open(path, newline="", encoding="utf-8-sig") as file:
        reader = csv.reader(file)
        header = [restore(name) for name in next(reader)]
        at = [header.index(name) for name in ("seq", "consent_id", "site", "language", "policy_hash")]
        for number, row in enumerate(reader, start=2):
            seq, row_id, site, language, policy_hash = (restore(row[index]) for index in at)
            where = (number, seq, row_id)
            if consent_id and row_id != consent_id:
                raise ChainBreak(f"a record of another consent, in the pack of consent {consent_id}", *where)
            if not policy_hash:
                without += 1
                continue
            document = documents.get(policy_hash)
            if document is None:
                raise ChainBreak(f"its policy snapshot {policy_file(policy_hash)} is not in the pack", *where)
            if not isinstance(document, dict) or (document.get("site"), document.get("language")) != (site, language):
                raise ChainBreak(f"its policy snapshot {policy_file(policy_hash)} is not of site {site} in language "
                                 f"{language}", *where)
            used.add(policy_hash)
    return (f"policies: every row's policy_hash has its snapshot in the pack, whose SHA-256 matches "
            f"({len(used)} snapshot{'' if len(used) == 1 else 's'}; rows naming none: {without}, stored before "
            "snapshots or erasures)")


def check_files(archive, manifest, csv_digest):
    """Every file's SHA-256 and size are the manifest's (consents.csv's as measured while extracted)."""
    for name, expected in sorted(manifest["files"].items()):
        actual = csv_digest if name == CSV_FILE else _sha256(archive, name)
        if (actual[0], actual[1]) != (expected.get("sha256"), expected.get("bytes")):
            raise ChainBreak(f"{name}: its SHA-256 {actual[0]} ({actual[1]} bytes) is not the manifest's "
                             f"{expected.get('sha256')} ({expected.get('bytes')} bytes): the file was changed "
                             "after the pack was made")
    return f"files: the SHA-256 of each of the {len(manifest['files'])} files is the manifest's"


def check_head_claims(statement, manifest, runs, found):
    """head.json's statement (its signature is ``check_signatures``'s) against the rows; a line."""
    site, seq, head_hash = statement.get("site"), statement.get("seq"), statement.get("head_hash")
    if site != manifest["site"]:
        raise ChainBreak(f"{HEAD} is the head of site {site}, in a pack of site {manifest['site']}")
    if manifest["head"] != {"seq": seq, "head_hash": head_hash}:
        raise ChainBreak(f"{HEAD} signs seq {seq} {head_hash}, the manifest names {manifest['head']}")
    run = runs.get(site)
    if run is None:
        if manifest["whole_chain"] and seq != statement.get("start_seq"):
            raise ChainBreak(f"{HEAD}: the chain of site {site} runs to seq {seq}, and the pack has none of it")
        return f"{HEAD}: the chain of site {site} stood at seq {seq} {head_hash}"
    if seq != run.last_seq:
        raise ChainBreak(f"{HEAD} is signed at seq {seq}, the last row is seq {run.last_seq}")
    number, record_hash = found[site, seq]
    if record_hash != head_hash:
        raise ChainBreak(f"its hash differs from the signed head {head_hash}", number, seq)
    if manifest["whole_chain"] and (run.first_seq - 1, run.first_prev) != (
            statement.get("start_seq"), statement.get("start_hash")):
        raise ChainBreak(f"site {site}: the rows start after seq {run.first_seq - 1} {run.first_prev}, the signed "
                         f"chain after seq {statement.get('start_seq')} {statement.get('start_hash')}")
    return f"{HEAD}: the chain of site {site} reaches seq {seq} with the last row's hash {head_hash}"


def check_signatures(archive, manifest_bytes, manifest, head, public_key):
    """``(line, checked)``: both signatures hold with ``public_key``; or why they were not checked.
    ChainBreak when one does not hold; UnusableKey for a key that is not an Ed25519 public key."""
    if public_key is None:
        return f"SIGNATURES NOT CHECKED: no --public-key was given. {HOW_TO_CHECK}", False
    try:
        key = heads.decode_public_key(public_key)
    except heads.CryptographyMissing:
        return f"SIGNATURES NOT CHECKED: this Python lacks the cryptography package. {HOW_TO_CHECK}", False
    except ValueError as error:
        raise UnusableKey(f"the public key given is not usable: {error}") from None
    given, named = heads.key_id(key), manifest["signing_key"].get("key_id")
    if not heads.ed25519_verify(key, manifest_bytes, archive.read(SIGNATURE)):
        other = "" if given == named else f"; the manifest names key {named}"
        raise ChainBreak(f"{SIGNATURE} does not verify {MANIFEST} with the public key given (key {given}{other}): "
                         "the manifest was changed after it was signed, or the key is not the service's")
    signed = head.get("signed") or {}
    try:
        good = heads.ed25519_verify(key, signed["payload"].encode("utf-8"), base64.b64decode(signed["signature"]))
    except (KeyError, TypeError, ValueError):
        good = False
    if not good:
        raise ChainBreak(f"{HEAD}'s signature does not verify with the public key given (key {given})")
    return f"signatures: {SIGNATURE} and {HEAD} verify with the public key given (key {given})", True


def check_contents(archive, folder, out, jobs, complete):
    """Steps 1 to 6; ``(manifest bytes, manifest, head)`` for the signatures' check."""
    manifest_bytes, manifest = read_manifest(archive)
    kind = "the whole chain" if manifest["whole_chain"] else manifest["export_scope"]
    out(f"proof pack of site {manifest['site']}, made {manifest['created_at']}: {kind}")
    check_listing(archive, manifest)
    path, digest, size = extract_csv(archive, folder)
    head, statement = read_head(archive)
    found = {(statement.get("site"), statement.get("seq")): None}
    runs = checked_runs(path, found, jobs, out, complete, name=CSV_FILE)
    out(check_counts(manifest, runs))
    out(check_policies(path, policy_documents(archive), manifest["filter"].get("consent_id")))
    out(check_files(archive, manifest, (digest, size)))
    out(check_head_claims(statement, manifest, runs, found))
    return manifest_bytes, manifest, head


def check_pack(path, public_key=None, out=print, jobs=None, complete=False):
    """Check the proof pack at ``path``; print what was proved; return the exit status: 0 all holds,
    1 something named does not, 2 unusable input, 3 all holds but the signatures were not checked."""
    try:
        with zipfile.ZipFile(path) as archive, tempfile.TemporaryDirectory(prefix="proof-pack-") as folder:
            out(f"{path}:")
            line, checked = check_signatures(archive, *check_contents(archive, folder, out, jobs, complete),
                                             public_key)
    except ChainBreak as error:
        out(f"BROKEN: {error}")
        return 1
    except (OSError, zipfile.BadZipFile, UnicodeDecodeError, csv.Error) as error:
        out(f"cannot read {path}: {error}")
        return 2
    except UnusableKey as error:
        out(str(error))
        return 2
    out(line)
    if not checked:
        return NOT_CHECKED
    out("OK")
    return 0
