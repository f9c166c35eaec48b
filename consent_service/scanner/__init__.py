"""The cookie scanner: crawls a site's pages with its own banner in three passes (no decision, after
"Reject all", after "Accept all") and holds what they set and send against the sites file.

The service runs without Playwright; only the crawl needs it (requirements-scan.txt). ``init_app``
registers the auditor portal's scan pages and the ``scan`` command."""


def init_app(app):
    """Register this area with the app."""
    from . import cli, models, views  # noqa: F401  (models: the tables, for Alembic)

    app.config.setdefault("SCANNER_CHROMIUM", "/usr/bin/chromium")
    app.register_blueprint(views.bp)
    cli.init_app(app)
