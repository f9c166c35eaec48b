"""The audit area: auditor accounts, consent-proof exports that verify offline, signed chain heads,
retention and statistics. ``init_app`` registers its blueprints, commands and API documentation."""


def init_app(app):
    """Register this area with the app."""
    from .. import openapi
    from . import api, cli, docs, models, signing, views  # noqa: F401  (models: the tables, for Alembic)

    signing.init_app(app)
    app.register_blueprint(api.bp)
    app.register_blueprint(views.bp)
    cli.init_app(app)
    openapi.add_paths(docs.PATHS, docs.SCHEMAS)
