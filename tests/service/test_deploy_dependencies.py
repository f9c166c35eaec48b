"""Dependencies: run-time and test-time apart, every one pinned to one version and installed at it.

requirements.txt is what the service needs (``./manage.sh run`` installs only it); requirements-dev.txt adds
what tests and benchmarks need (``./manage.sh test``).
"""
import ast
import re
import sys
from importlib import metadata
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
RUNTIME = ROOT / "requirements.txt"
DEV = ROOT / "requirements-dev.txt"
PIN = re.compile(r"^(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)(\[[a-z0-9,_-]+\])?==(?P<version>[0-9][0-9A-Za-z.+-]*)$")
# Runtime requirements that no module imports by name, and why the service still needs each.
NOT_IMPORTED = {
    "psycopg": "SQLAlchemy's postgresql+psycopg dialect (DATABASE_URL)",
    "redis": "Flask-Limiter's storage for RATELIMIT_STORAGE_URI=redis://",
    "rcssmin": "webassets' rcssmin filter, named in banner/assets.py",
    "ply": "calmjs.parse's parser; pinned to the version its parse tables were built for",
    "gunicorn": "the WSGI server ./manage.sh run starts",
}


def normalise(name):
    """A distribution's name as PEP 503 compares them."""
    return re.sub(r"[-_.]+", "-", name).lower()


def lines(path):
    """The requirement lines of ``path`` (comments and blanks dropped)."""
    stripped = (line.split("#", 1)[0].strip() for line in path.read_text().splitlines())
    return [line for line in stripped if line]


def pins(path):
    """The pinned requirement lines of ``path``, without its ``-r`` includes."""
    return [line for line in lines(path) if not line.startswith("-r ")]


def names(path):
    return {normalise(PIN.match(line)["name"]) for line in pins(path)}


def imported_distributions(*roots):
    """The distributions whose top-level modules the Python files under ``roots`` import."""
    owners = metadata.packages_distributions()
    found = set()
    for root in roots:
        for path in [root] if root.is_file() else root.rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.Import):
                    modules = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    modules = [node.module]
                else:
                    continue
                for module in modules:
                    top = module.split(".")[0]
                    if top not in sys.stdlib_module_names and top != "consent_service":
                        found.update(normalise(dist) for dist in owners.get(top, [top]))
    return found


@pytest.mark.parametrize("line", pins(RUNTIME) + pins(DEV))
def test_requirement_is_pinned_and_installed(line):
    match = PIN.match(line)
    assert match, f"{line!r} is not pinned with =="
    name = match["name"]
    assert metadata.version(name) == match["version"], f"{name} installed at another version"


def test_no_requirement_twice():
    listed = [normalise(PIN.match(line)["name"]) for line in pins(RUNTIME) + pins(DEV)]
    assert len(listed) == len(set(listed))


def test_dev_requirements_include_the_runtime_ones():
    assert [line for line in lines(DEV) if line.startswith("-r ")] == ["-r requirements.txt"]
    assert [line for line in lines(RUNTIME) if line.startswith("-")] == []


def test_everything_the_service_imports_is_a_runtime_requirement():
    service = imported_distributions(ROOT / "consent_service", ROOT / "wsgi.py", ROOT / "migrations")
    assert service - names(RUNTIME) == set()


def test_every_runtime_requirement_is_used_by_the_service():
    service = imported_distributions(ROOT / "consent_service", ROOT / "wsgi.py", ROOT / "migrations")
    assert names(RUNTIME) - service - set(NOT_IMPORTED) == set()
    assert set(NOT_IMPORTED) <= names(RUNTIME)


@pytest.mark.parametrize("tool", ["pytest", "playwright", "hypothesis", "schemathesis", "pip-audit", "py-spy"])
def test_test_and_benchmark_tools_stay_out_of_the_runtime(tool):
    assert tool not in names(RUNTIME)
    assert tool in names(DEV)
