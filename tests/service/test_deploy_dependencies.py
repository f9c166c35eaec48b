"""Dependencies: run-time and test-time apart, every one pinned to one version and installed at it.

requirements.txt is what the service needs (``./manage.sh run`` installs only it). requirements-dev.txt adds
what tests and benchmarks need (``./manage.sh test``) and includes the optional extras files (e.g.
requirements-scan.txt, the cookie scanner's browser), which an area may import only where the service can
start without them.
"""
import ast
import json
import re
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
RUNTIME = ROOT / "requirements.txt"
DEV = ROOT / "requirements-dev.txt"
SERVICE_CODE = (ROOT / "consent_service", ROOT / "wsgi.py", ROOT / "migrations")
PIN = re.compile(r"^(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)(\[[a-z0-9,_-]+\])?==(?P<version>[0-9][0-9A-Za-z.+-]*)$")
# Runtime requirements that no module imports by name, and why the service still needs each.
NOT_IMPORTED = {
    "psycopg": "SQLAlchemy's postgresql+psycopg dialect (DATABASE_URL)",
    "redis": "Flask-Limiter's storage for RATELIMIT_STORAGE_URI=redis://",
    "rcssmin": "webassets' rcssmin filter, named in banner/assets.py",
    "ply": "calmjs.parse's parser; pinned to the version its parse tables were built for",
    "gunicorn": "the WSGI server ./manage.sh run starts",
}
TEST_TOOLS = ["pytest", "pytest-playwright", "hypothesis", "schemathesis", "pip-audit", "py-spy", "pyinstrument"]


def normalise(name):
    """A distribution's name as PEP 503 compares them."""
    return re.sub(r"[-_.]+", "-", name).lower()


def lines(path):
    """The requirement lines of ``path`` (comments and blanks dropped)."""
    stripped = (line.split("#", 1)[0].strip() for line in path.read_text().splitlines())
    return [line for line in stripped if line]


def includes(path):
    """The files ``path`` names with ``-r``."""
    return [path.parent / line[3:].strip() for line in lines(path) if line.startswith("-r ")]


def files():
    """requirements-dev.txt and every file it includes, each once."""
    found, todo = [], [DEV]
    while todo:
        path = todo.pop(0)
        if path not in found:
            found.append(path)
            todo.extend(includes(path))
    return found


def pins(path):
    """The pinned requirement lines of ``path``, without its ``-r`` includes."""
    return [line for line in lines(path) if not line.startswith("-r ")]


def names(*paths):
    return {normalise(PIN.match(line)["name"]) for path in paths for line in pins(path)}


EXTRAS = [path for path in files() if path not in (RUNTIME, DEV)]


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


@pytest.mark.parametrize("line", [line for path in files() for line in pins(path)])
def test_requirement_is_pinned_and_installed(line):
    match = PIN.match(line)
    assert match, f"{line!r} is not pinned with =="
    name = match["name"]
    assert metadata.version(name) == match["version"], f"{name} installed at another version"


def test_each_package_is_pinned_in_one_place():
    listed = [normalise(PIN.match(line)["name"]) for path in files() for line in pins(path)]
    assert sorted(name for name in set(listed) if listed.count(name) > 1) == []


def test_dev_requirements_include_the_runtime_ones():
    assert RUNTIME in includes(DEV)
    assert includes(RUNTIME) == []
    assert [line for line in lines(RUNTIME) if line.startswith("-")] == []


def test_everything_the_service_imports_is_a_requirement():
    assert imported_distributions(*SERVICE_CODE) - names(RUNTIME, *EXTRAS) == set()


def test_every_runtime_requirement_is_used_by_the_service():
    assert names(RUNTIME) - imported_distributions(*SERVICE_CODE) - set(NOT_IMPORTED) == set()
    assert set(NOT_IMPORTED) <= names(RUNTIME)


@pytest.mark.parametrize("tool", TEST_TOOLS)
def test_test_and_benchmark_tools_stay_out_of_the_runtime(tool):
    assert tool not in names(RUNTIME, *EXTRAS)
    assert tool in names(DEV)


SERVE_WITHOUT = """
import importlib.abc, json, sys
blocked = set(json.loads(sys.argv[1]))
class Absent(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in blocked:
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
sys.meta_path.insert(0, Absent())
from consent_service import create_app
app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://"})
client = app.test_client()
print(json.dumps([client.get(path).status_code for path in ("/", "/banner.js", "/api/v1/openapi.json")]))
"""


def test_the_service_starts_and_serves_with_the_runtime_requirements_alone():
    """Every module that only the dev and extras files install is made absent; the app still starts."""
    owners = metadata.packages_distributions()
    others = names(*(path for path in files() if path != RUNTIME)) - names(RUNTIME)
    blocked = sorted(top for top, dists in owners.items() if {normalise(dist) for dist in dists} <= others)
    assert "playwright" in blocked and "pytest" in blocked
    result = subprocess.run([sys.executable, "-c", SERVE_WITHOUT, json.dumps(blocked)], cwd=ROOT,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    assert json.loads(result.stdout.strip().splitlines()[-1]) == [200, 200, 200]
