"""The service's icon at /favicon.ico: browsers ask for it on every page (a 404 is a console error).

Held in memory (213 bytes) and cached for a year; a changed icon gets a new ETag for revalidation.
"""
import hashlib
from pathlib import Path

from flask import current_app, request

ICON = (Path(__file__).resolve().parent.parent / "static" / "favicon.ico").read_bytes()
ETAG = hashlib.sha256(ICON).hexdigest()[:32]
MAX_AGE = 365 * 24 * 3600


def favicon():
    """The icon, public and cached for a year; 304 when the browser already holds it."""
    response = current_app.response_class(ICON, mimetype="image/vnd.microsoft.icon")
    response.cache_control.public = True
    response.cache_control.max_age = MAX_AGE
    response.set_etag(ETAG)
    return response.make_conditional(request)


def init_app(app):
    """Serve the icon at /favicon.ico."""
    app.add_url_rule("/favicon.ico", "favicon", favicon)
