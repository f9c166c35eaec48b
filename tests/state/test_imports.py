"""The consent-state check never touches the database: a rule held by its imports."""
import pytest

from tests.support.imports import modules, reach

STATE_MODULES = sorted(name for name in modules() if name.startswith("consent_service.state"))
DATABASE_CODE = ("sqlalchemy", "flask_sqlalchemy", "psycopg", "sqlite3", "consent_service.extensions",
                 "consent_service.ledger", "consent_service.database_errors")


@pytest.mark.parametrize("start", STATE_MODULES)
def test_state_modules_reach_no_database_code(start):
    reached = reach(start)
    bad = {name: path for name, path in reached.items() if name.startswith(DATABASE_CODE)}
    assert not bad, "\n".join(" -> ".join(path) for path in bad.values())


def test_the_rule_would_catch_a_database_import(tmp_path, monkeypatch):
    """The check itself fails for a state module that imports the ledger (so it cannot pass vacuously)."""
    from tests.support import imports

    fake = tmp_path / "check.py"
    fake.write_text("from ..ledger import service\n", encoding="utf-8")
    table = dict(modules())
    table["consent_service.state.check"] = fake
    monkeypatch.setattr(imports, "modules", lambda: table)
    imports.imports_of.cache_clear()
    try:
        assert "consent_service.ledger.service" in imports.reach("consent_service.state.check")
    finally:
        imports.imports_of.cache_clear()
