"""The auditor's offline verifier as one file, ``verify.pyz``: the ``consent_service/proof`` package
zipped with the standard library's ``zipapp``, from the very sources the service runs (no second copy).

A plain ``python3 verify.pyz consents.csv`` runs it with nothing installed: the package imports only
the standard library and itself (``cryptography`` only to check a signed head). Inside the zip the
package is called ``proof``; the zip's ``__main__.py`` calls ``proof.cli.run``.
"""
import functools
import hashlib
import io
import zipapp
from pathlib import Path

FILE_NAME = "verify.pyz"
SOURCES = Path(__file__).resolve().parent.parent  # consent_service/, of which only proof/*.py goes in


def _in_zip(name):
    """True for ``proof/`` and its modules (no caches, nothing else of the service)."""
    return name.parts[0] == "proof" and (len(name.parts) == 1 or (len(name.parts) == 2 and name.suffix == ".py"))


@functools.cache
def zipapp_bytes():
    """The bytes of verify.pyz, built once per process: a zip with a ``#!/usr/bin/env python3`` line."""
    buffer = io.BytesIO()
    zipapp.create_archive(SOURCES, buffer, interpreter="/usr/bin/env python3", main="proof.cli:run",
                          filter=_in_zip, compressed=True)
    return buffer.getvalue()


@functools.cache
def zipapp_sha256():
    """The SHA-256 (hex) of ``zipapp_bytes()``: its ETag, and a name to compare copies by."""
    return hashlib.sha256(zipapp_bytes()).hexdigest()
