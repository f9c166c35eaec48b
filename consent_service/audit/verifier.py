"""The auditor's offline verifier as one file, ``verify.pyz``: the modules of ``consent_service/proof``
in a zip that Python runs (a zipapp), made from the very sources the service runs (no second copy).

A plain ``python3 verify.pyz consents.csv`` (or ``PACK.zip``, a proof pack, which holds a copy) runs it
with nothing installed: the package imports only the standard library and itself (``cryptography`` only
to check signatures). Inside the zip the package is called ``proof``; the zip's ``__main__.py`` calls
``proof.cli.run``.

The zip is the same bytes for the same sources, wherever and whenever it is made: its entries are in
order, with a fixed time. So the SHA-256 that ``flask consent verifier`` prints is the one of the file
that /audit/verify.pyz serves, from every worker.
"""
import functools
import hashlib
import io
import zipapp
import zipfile
from pathlib import Path

FILE_NAME = "verify.pyz"
PACKAGE = Path(__file__).resolve().parent.parent / "proof"
MAIN = b'"""verify.pyz: check a consent-proof CSV file or a proof pack offline (python3 verify.pyz --help)."""\n' \
       b"import proof.cli\n\nproof.cli.run()\n"
ENTRY_TIME = (1980, 1, 1, 0, 0, 0)  # the earliest a zip can say


def _add(archive, name, data):
    entry = zipfile.ZipInfo(name, date_time=ENTRY_TIME)
    entry.compress_type = zipfile.ZIP_DEFLATED
    entry.external_attr = 0o644 << 16
    archive.writestr(entry, data)


@functools.cache
def zipapp_bytes():
    """The bytes of verify.pyz, made once per process: a ``#!/usr/bin/env python3`` line, then a zip
    of ``proof/*.py`` and ``__main__.py``."""
    content = io.BytesIO()
    with zipfile.ZipFile(content, "w") as archive:
        for module in sorted(PACKAGE.glob("*.py")):
            _add(archive, f"proof/{module.name}", module.read_bytes())
        _add(archive, "__main__.py", MAIN)
    content.seek(0)
    runnable = io.BytesIO()
    zipapp.create_archive(content, runnable, interpreter="/usr/bin/env python3")
    return runnable.getvalue()


@functools.cache
def zipapp_sha256():
    """The SHA-256 (hex) of ``zipapp_bytes()``: its ETag, and a name to compare copies by."""
    return hashlib.sha256(zipapp_bytes()).hexdigest()
