"""Security headers and rate limits for every response."""


def init_app(app):
    """Register the security hooks with the app."""
