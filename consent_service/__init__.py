"""Consent service: a self-hosted cookie banner and tamper-evident consent ledger."""
import os
from pathlib import Path

from flask import Flask, render_template
from werkzeug.middleware.proxy_fix import ProxyFix

from . import body_limit, config, favicon, hosts
from .extensions import cors, db, limiter, migrate
from .sites import EXTENSION as SITES, configured_sites, load_sites

ROOT = Path(__file__).resolve().parent.parent


def create_app(test_config=None):
    """Build the app: defaults, then ``Config``, then the environment, then ``test_config``."""
    app = Flask(
        __name__,
        instance_relative_config=True,
        static_folder=str(ROOT / "static"),
        template_folder=str(ROOT / "templates"),
    )
    app.config.from_object(config.Config)
    app.config.from_prefixed_env()
    config.load_environment(app.config)
    if test_config:
        app.config.update(test_config)
    os.makedirs(app.instance_path, exist_ok=True)
    config.check_secret_key(app)
    hosts.configure(app.config)
    if not app.config["SQLALCHEMY_DATABASE_URI"]:
        app.config["SQLALCHEMY_DATABASE_URI"] = config.database_uri(app.config.get("DATABASE_URL"), app.instance_path)
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {
        **config.engine_options(app.config["SQLALCHEMY_DATABASE_URI"]),
        **app.config["SQLALCHEMY_ENGINE_OPTIONS"],
    }
    app.extensions[SITES] = load_sites(app.config.get("CONSENT_SITES_FILE"))

    db.init_app(app)
    limiter.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"))

    from . import audit, banner, cli, database_errors, database_outage, errors, openapi, policies, rate_limits
    from . import rights, scanner
    from . import security
    from .ledger import api as ledger_api
    from .ledger import revocations
    from .state import app as state_app

    cors.init_app(app, **security.cors_options(configured_sites(app)))
    policies.init_app(app)

    errors.register_request_errors(app)
    database_errors.init_app(app)
    database_outage.init_app(app)
    rate_limits.init_app(app)
    security.init_app(app)
    app.register_blueprint(ledger_api.bp)
    revocations.init_app(app)
    app.register_blueprint(openapi.bp)
    cli.register(app)
    banner.init_app(app)
    audit.init_app(app)
    rights.init_app(app)
    scanner.init_app(app)

    @app.get("/")
    def index():
        """The service's home page: what runs here and where to look next."""
        return render_template("index.html", sites=configured_sites(app).values())

    favicon.init_app(app)

    paths = state_app.mount(app)  # the consent-state check is answered by a small app of its own
    body_limit.init_app(app, paths.state)  # a chunked body over MAX_CONTENT_LENGTH is a 413 in both
    if app.config["PROXY_FIX_X_FOR"]:  # outermost, so that both apps see the proxy's view
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=app.config["PROXY_FIX_X_FOR"], x_proto=1, x_host=1)
    return app
