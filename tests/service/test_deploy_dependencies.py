"""Pinned dependencies: every requirement is pinned to one version, and installed at that version."""
import re
from importlib import metadata
from pathlib import Path

import pytest

REQUIREMENTS = Path(__file__).resolve().parents[2] / "requirements.txt"
PIN = re.compile(r"^(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)(\[[a-z0-9,_-]+\])?==(?P<version>[0-9][0-9A-Za-z.+-]*)$")


def requirements():
    lines = [line.split("#", 1)[0].strip() for line in REQUIREMENTS.read_text().splitlines()]
    return [line for line in lines if line]


@pytest.mark.parametrize("line", requirements())
def test_requirement_is_pinned_and_installed(line):
    match = PIN.match(line)
    assert match, f"{line!r} is not pinned with =="
    name = match["name"]
    assert metadata.version(name) == match["version"], f"{name} installed at another version"


def test_no_requirement_twice():
    names = [PIN.match(line)["name"].lower().replace("_", "-") for line in requirements()]
    assert len(names) == len(set(names))
