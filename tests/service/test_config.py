"""Start-up: secrets, database URLs, the sites file, migrations."""
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from consent_service import config, create_app
from consent_service.extensions import db
from consent_service.sites import DEFAULT_FILE, SiteConfigError, load_sites


@pytest.mark.parametrize("key", [None, "", "dev", "short-key"])
def test_refuses_to_start_without_real_secret(monkeypatch, key):
    monkeypatch.delenv("FLASK_SECRET_KEY", raising=False)
    if key is not None:
        monkeypatch.setenv("FLASK_SECRET_KEY", key)
    with pytest.raises(RuntimeError, match="export FLASK_SECRET_KEY="):
        create_app()


def test_testing_without_key_gets_random_one(monkeypatch):
    monkeypatch.delenv("FLASK_SECRET_KEY", raising=False)
    first = create_app({"TESTING": True}).config["SECRET_KEY"]
    second = create_app({"TESTING": True}).config["SECRET_KEY"]
    assert len(first) == 64 and first != second


def test_real_key_from_environment(monkeypatch):
    monkeypatch.setenv("FLASK_SECRET_KEY", "k" * 40)
    assert create_app().config["SECRET_KEY"] == "k" * 40


@pytest.mark.parametrize(("url", "expected"), [
    (None, "sqlite:////srv/instance/consent.sqlite3"),
    ("postgres://u@h/db", "postgresql+psycopg://u@h/db"),
    ("postgresql://u@h:5432/db", "postgresql+psycopg://u@h:5432/db"),
    ("postgresql+psycopg://u@h/db", "postgresql+psycopg://u@h/db"),
    ("sqlite:////tmp/x.db", "sqlite:////tmp/x.db"),
])
def test_database_uri(url, expected):
    assert config.database_uri(url, "/srv/instance") == expected


def test_embedded_sqlite_runs_in_wal_mode(app):
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            assert db.session.execute(db.text("PRAGMA journal_mode")).scalar() == "wal"
            # A writer waits for the lock, 2 s by default (then 503: database_outage.py).
            assert db.session.execute(db.text("PRAGMA busy_timeout")).scalar() == 2000
        else:
            assert db.engine.dialect.driver == "psycopg"


def test_shipped_sites_file_is_valid():
    entrack = load_sites()["entrack"]
    assert entrack.controller["business_id"] == "1068143-6"
    assert [c["key"] for c in entrack.categories] == ["necessary", "analytics", "marketing"]
    analytics = {cookie["name"] for cookie in entrack.category("analytics")["cookies"]}
    assert {"_ga", "_ga_*", "_gid"} <= analytics
    assert entrack.texts["fi"]["reject_all"] == "Hylkää kaikki"
    assert entrack.texts["sv"]["accept_all"] == "Godkänn alla"


def _broken(tmp_path, old, new):
    text = DEFAULT_FILE.read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "sites.toml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


@pytest.mark.parametrize(("old", "new", "named"), [
    ('consent_days = 365', 'consent_days = "a year"', "entrack.consent_days"),
    ('default_language = "fi"', 'default_language = "de"', "entrack.default_language"),
    ('accept_all = "Accept all"', 'accept_al = "Accept all"', "entrack.texts.en"),
    ('email = "myynti@entrack.fi"', 'email = "not-an-address"', "entrack.controller.email"),
    ('key = "marketing"', 'key = "tracking"', "entrack.categories"),
    ('name = "_gid"', 'name = "_g id"', "entrack.categories"),
    ('origins = ["https://www.entrack.fi", "https://entrack.fi"]', 'origins = ["www.entrack.fi"]', "entrack.origins"),
    ('[entrack]', '["Entrack!"]', "Entrack!"),
    ('policy_version = "2026-11-01"', 'policy_version = "2026-11-01"\ncolour = "red"', "entrack.colour"),
])
def test_invalid_sites_file_names_the_key(tmp_path, old, new, named):
    with pytest.raises(SiteConfigError) as error:
        load_sites(_broken(tmp_path, old, new))
    assert named in str(error.value)


def test_sites_file_errors_stop_the_app(tmp_path):
    with pytest.raises(SiteConfigError, match="not valid TOML"):
        create_app({"TESTING": True, "CONSENT_SITES_FILE": str(_broken(tmp_path, "[entrack]", "[entrack"))})
    with pytest.raises(SiteConfigError, match="cannot read"):
        create_app({"TESTING": True, "CONSENT_SITES_FILE": str(tmp_path / "missing.toml")})


def test_migrations_match_the_models(app):
    """The schema exists only through migrations, and they describe every model."""
    with app.app_context(), db.engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), db.metadata)
    assert differences == []
