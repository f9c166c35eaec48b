"""The banner area: the embeddable ``/banner.js`` and the demo page. ``init_app`` registers them."""


def init_app(app):
    """Register this area with the app."""
    from . import views

    app.register_blueprint(views.bp)
