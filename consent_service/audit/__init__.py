"""The audit area. ``init_app`` registers its blueprints, commands and API documentation."""


def init_app(app):
    """Register this area with the app."""
    from . import models  # noqa: F401  (the tables, for Alembic)
