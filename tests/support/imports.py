"""The service's own import graph, read from the source (nothing is imported): which module of
``consent_service`` imports which, so that tests can hold the architecture's rules."""
import ast
from functools import cache
from pathlib import Path

PACKAGE = "consent_service"
ROOT = Path(__file__).resolve().parents[2] / PACKAGE


def module_name(path):
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@cache
def modules():
    """``{module name: path}`` of every module of the package."""
    return {module_name(path): path for path in ROOT.rglob("*.py")}


def _resolve(current, node):
    """The absolute names a ``from ... import`` or ``import`` node brings in."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    package = current if modules()[current].name == "__init__.py" else current.rpartition(".")[0]
    for _ in range(node.level - 1):
        package = package.rpartition(".")[0]
    base = ".".join(filter(None, [package if node.level else "", node.module or ""]))
    return [f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules() else base for alias in node.names]


@cache
def imports_of(name):
    """The modules that module ``name`` imports (any package), at any depth of its code."""
    tree = ast.parse(modules()[name].read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            found.update(_resolve(name, node))
    return frozenset(found)


def reach(start):
    """Every module that ``start`` reaches through imports, with the path to each: ``{name: [start, ..., name]}``."""
    paths, todo = {start: [start]}, [start]
    while todo:
        current = todo.pop()
        for imported in imports_of(current):
            if imported in paths:
                continue
            paths[imported] = paths[current] + [imported]
            if imported in modules():
                todo.append(imported)
    return paths
