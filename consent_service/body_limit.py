"""A request body without a Content-Length (``Transfer-Encoding: chunked``) over ``MAX_CONTENT_LENGTH``
answers 413, as one that declares its length does.

Werkzeug enforces the limit on a chunked body only as a cap on what it reads: it stops at 16 KB
without a word, and a view then parsed the first 16 KB as if they were the whole body. This
request class reads such a body itself, one byte past the limit at most: a body that had more is
a 413 through the app's one error path (JSON for the API) before any view sees a byte of it.
"""
import io

from flask import Request as FlaskRequest
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.utils import cached_property
from werkzeug.wsgi import get_input_stream


def chunked(environ):
    """True for a request whose body comes in chunks, without a length."""
    return "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower() and not environ.get("CONTENT_LENGTH")


def read_at_most(stream, size):
    """Up to ``size`` bytes of ``stream``, fewer only at its end (a read may return less than asked)."""
    parts, left = [], size
    while left > 0:
        part = stream.read(left)
        if not part:
            break
        parts.append(part)
        left -= len(part)
    return b"".join(parts)


class Request(FlaskRequest):
    """Flask's request, whose chunked body over ``MAX_CONTENT_LENGTH`` is a 413 (see the module)."""

    @cached_property
    def stream(self):
        limit = self.max_content_length
        if limit is None or not chunked(self.environ):
            return get_input_stream(self.environ, max_content_length=limit)
        body = read_at_most(self.environ["wsgi.input"], limit + 1)
        if len(body) > limit:
            raise RequestEntityTooLarge()
        return io.BytesIO(body)


def init_app(*apps):
    """Every one of ``apps`` (the main app and the consent-state app) reads its requests with ``Request``."""
    for app in apps:
        app.request_class = Request
