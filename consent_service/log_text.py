"""Request data in log lines, escaped: a path with a line break (``%0A``), NUL or another control
character cannot forge or hide a log line.

Control characters (C0, DEL, C1, and the Unicode line and paragraph separators) become ``\\xhh`` or
``\\uhhhh``, and a backslash becomes two, so that what was escaped can be told from what was sent.
gunicorn's access log (``gunicorn_config.AccessLogger``) and the service's own log lines that name a
request's path use it.
"""
import logging

_ESCAPES = {
    **{code: f"\\x{code:02x}" for code in (*range(0x20), *range(0x7f, 0xa0))},
    0x2028: "\\u2028", 0x2029: "\\u2029", ord("\\"): "\\\\",
}


def escaped(text):
    """``text`` with control characters and backslashes escaped (see the module)."""
    return text.translate(_ESCAPES)


class EscapedMessages(logging.Filter):
    """For a logger whose lines may carry request data (Flask's ``Exception on <path>``): the
    message escaped; a traceback is added by the formatter, after this, as it is."""

    def filter(self, record):
        message = record.getMessage()
        safe = escaped(message)
        if safe != message:
            record.msg, record.args = safe, None
        return True
