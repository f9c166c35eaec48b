"""Regenerate ``data/known_cookies.json`` from the Open Cookie Database (Apache-2.0).

The database's JSON comes from the npm registry, where the package below vendors it unchanged
(only its data file is read; no code of the package is used or shipped)::

    python -m consent_service.scanner.known_cookies_build            # npm pack into a temp folder
    python -m consent_service.scanner.known_cookies_build --from open-cookie-database.json

The compact file keeps, per cookie: name, wildcard flag, category, platform, retention and a shortened
description; see docs/scanner.md for the licence and attribution.
"""
import argparse
import json
import subprocess
import tarfile
import tempfile
from pathlib import Path

PACKAGE = "@slashgear/gdpr-cookie-scanner@3.8.2"
MEMBER = "package/src/data/open-cookie-database.json"
OUTPUT = Path(__file__).with_name("data") / "known_cookies.json"
MAX_DESCRIPTION = 200


def from_npm():
    """The database's JSON text from the npm package (needs ``npm`` on PATH)."""
    with tempfile.TemporaryDirectory() as folder:
        subprocess.run(["npm", "pack", PACKAGE, "--silent"], cwd=folder, check=True, capture_output=True)
        [archive] = Path(folder).glob("*.tgz")
        with tarfile.open(archive) as tar:
            return tar.extractfile(MEMBER).read().decode("utf-8")


def compact(database):
    """``{platform: [entry ...]}`` as sorted rows ``[name, wildcard, category, platform, retention, description]``;
    the first entry of a name wins."""
    rows = {}
    for platform, entries in database.items():
        for entry in entries:
            name = entry.get("cookie", "").strip()
            if not name or name in rows:
                continue
            description = " ".join(str(entry.get("description", "")).split())
            if len(description) > MAX_DESCRIPTION:
                description = description[: MAX_DESCRIPTION - 1] + "…"
            rows[name] = [name, 1 if str(entry.get("wildcardMatch")) == "1" else 0, entry.get("category", ""),
                          platform, str(entry.get("retentionPeriod", "")).strip(), description]
    return sorted(rows.values())


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--from", dest="source", type=Path, help="a local open-cookie-database.json")
    args = parser.parse_args(argv)
    text = args.source.read_text(encoding="utf-8") if args.source else from_npm()
    document = {
        "source": "Open Cookie Database, https://github.com/jkwakman/Open-Cookie-Database",
        "license": "Apache-2.0 (see open-cookie-database.LICENSE beside this file)",
        "obtained_from": f"npm package {PACKAGE}, file {MEMBER.removeprefix('package/')}",
        "changes": "fields reduced to name, wildcard, category, platform, retention, description (shortened)",
        "columns": ["name", "wildcard", "category", "platform", "retention", "description"],
        "cookies": compact(json.loads(text)),
    }
    OUTPUT.parent.mkdir(exist_ok=True)
    OUTPUT.write_text(json.dumps(document, ensure_ascii=False, separators=(",", ":")).replace('],[', '],\n[') + "\n",
                      encoding="utf-8")
    print(f"{OUTPUT}: {len(document['cookies'])} cookies")


if __name__ == "__main__":
    main()
