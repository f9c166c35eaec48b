"""The test configuration of the consent service, for the ``app`` and ``make_app`` fixtures and for tests
that must know the secret (to show it never leaks)."""
from consent_service.banner import snapshots
from consent_service.extensions import db
from consent_service.state.revocations import revocations_of

TEST_SECRET = "t" * 64


def app_settings(uri, **overrides):
    """``create_app``'s test configuration on the database ``uri``, with ``overrides``."""
    return {"TESTING": True, "SECRET_KEY": TEST_SECRET, "SQLALCHEMY_DATABASE_URI": uri, "REVOCATION_POLL_SECONDS": 0,
            **overrides}


def close_app(app):
    """Once its test is over: stop the app's background threads and give back its database connections."""
    revocations_of(app).stop()
    snapshots.stop(app)
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
