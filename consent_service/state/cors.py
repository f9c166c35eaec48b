"""CORS for the consent-state check, built from the sites' origins.

The main app's API uses Flask-CORS; this path is answered before the main app (``state/app.py``)
and sits in front of every tracker, so its few headers are made here, from the same origins.
A browser on one of the sites' origins may read the answer and send the ``Authorization`` header;
any other origin gets no CORS header at all.
"""
ALLOW_HEADERS = "Authorization, Content-Type"
MAX_AGE = "86400"


class StateCors:
    """The CORS headers of the consent-state answers for ``origins``."""

    def __init__(self, origins):
        self.origins = frozenset(origins)

    @classmethod
    def of_sites(cls, sites):
        return cls(origin for site in sites.values() for origin in site.origins)

    def headers(self, origin, preflight_method=None, methods=()):
        """``[(name, value)]`` for a request from ``origin`` (None when it sent none); for a preflight,
        ``preflight_method`` is its Access-Control-Request-Method and ``methods`` the path's methods."""
        if origin not in self.origins:
            return []
        if preflight_method is None:
            return [("Access-Control-Allow-Origin", origin), ("Vary", "Origin")]
        if preflight_method not in methods:
            return [("Vary", "Origin")]
        return [
            ("Access-Control-Allow-Origin", origin),
            ("Access-Control-Allow-Methods", ", ".join(methods)),
            ("Access-Control-Allow-Headers", ALLOW_HEADERS),
            ("Access-Control-Max-Age", MAX_AGE),
            ("Vary", "Origin"),
        ]
