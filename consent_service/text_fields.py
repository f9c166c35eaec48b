"""Text that every store and every log can hold: the one rule for strings that come in.

A JSON body can carry a lone surrogate (``"\\ud800"``), which no UTF-8 encoder accepts, and any input
can carry NUL, which PostgreSQL's text columns refuse, or a line break, which would forge a log
line. No honest client sends either in a consent's fields, so they are refused where the input is
read, with a 422 naming the field, instead of failing later in the database or the hash.

The API document says so too: ``SAFE_TEXT_PATTERN`` is the pattern of every ``Text`` field without a
pattern or a set of values of its own (``openapi.py``), and every such pattern excludes the same
controls (tests/service/test_openapi_honest.py). A pattern cannot name a lone surrogate the same way
in every regular-expression dialect, and no JSON Schema generator makes one, so that part is said in
docs/api.md only.
"""
import re

from marshmallow import fields

# Lone surrogates, C0 controls (NUL, line breaks, tab ...), DEL and the C1 controls.
_UNSAFE = re.compile(r"[\ud800-\udfff\x00-\x1f\x7f-\x9f]")
UNSAFE_TEXT = "Contains a control character or an unpaired surrogate."
SAFE_TEXT_PATTERN = r"^[^\x00-\x1f\x7f-\x9f]*$"


def unsafe(value):
    """True when ``value`` holds a character that is refused in text input."""
    return _UNSAFE.search(value) is not None


class Text(fields.String):
    """A string field that refuses control characters and unpaired surrogates (see the module)."""

    default_error_messages = {"unsafe": UNSAFE_TEXT}

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        if unsafe(text):
            raise self.make_error("unsafe")
        return text


class SiteKey(Text):
    """A site key where only a configured site is answered (others are refused by the service): the
    API document lists the configured keys as the field's values."""
