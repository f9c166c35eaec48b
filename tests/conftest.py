import os

import pytest
from flask_migrate import upgrade

from consent_service import create_app
from consent_service.extensions import db

from tests.support.apps import TEST_SECRET, app_settings, close_app  # noqa: F401  (TEST_SECRET: older imports)
from tests.support.databases import make_databases
from tests.support.servers import Gunicorn, serving


@pytest.fixture(scope="session")
def databases(tmp_path_factory):
    """Migrated once per session: the schema exists only through migrations."""
    found = make_databases(str(tmp_path_factory.mktemp("db")))
    app = create_app(app_settings(found.template_uri()))
    with app.app_context():
        upgrade()
        db.engine.dispose()
    yield found
    found.drop()


@pytest.fixture
def database_uri(databases):
    """A fresh, migrated, empty database for this test."""
    return databases.fresh()


@pytest.fixture
def app_config():
    """Extra configuration for the ``app`` fixture; override in a test module."""
    return {}


@pytest.fixture
def app(database_uri, app_config):
    app = create_app(app_settings(database_uri, **app_config))
    yield app
    close_app(app)


@pytest.fixture
def make_app(database_uri, app_config):
    """More apps like ``app`` (another instance, a setting changed): ``make_app(**changes)`` on this test's
    database, ``make_app(uri=..., **changes)`` on another; each closed after the test."""
    made = []

    def make(uri=None, **changes):
        made.append(create_app(app_settings(uri or database_uri, **{**app_config, **changes})))
        return made[-1]

    yield make
    for app in made:
        close_app(app)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def consent_body():
    """A valid decision for the shipped site ``entrack``; tests change one field at a time."""
    return {
        "site": "entrack",
        "categories": {"analytics": True, "marketing": False},
        "action": "custom",
        "policy_version": "2026-11-01",
        "language": "fi",
        "page_url": "https://www.entrack.fi/palvelut",
    }


@pytest.fixture
def live_server(app):
    """The app served on 127.0.0.1 in a thread, for browser tests; yields its base URL."""
    with serving(app) as url:
        yield url


@pytest.fixture
def gunicorn(tmp_path):
    """Start gunicorn with the shipped configuration: ``gunicorn(env, **options)`` (see ``Gunicorn``)
    returns the server once it answers; every server started is stopped after the test."""
    started = []

    def start(env, **options):
        options.setdefault("log_path", tmp_path / f"gunicorn-{len(started)}.log")
        server = Gunicorn(env, **options)
        started.append(server)
        return server.start()

    yield start
    for server in started:
        server.stop()


def pytest_report_header(config):
    return f"database: {'PostgreSQL' if os.environ.get('DATABASE_URL') else 'SQLite'}"
