"""The consent-state check's query, ``site`` and ``token``: one set of rules for the quick path, the
views and the API document."""
import re
from urllib.parse import parse_qsl

from ..errors import ApiError

LIMITS = {"site": 40, "token": 1024}
# What a consent token is made of (itsdangerous's URL-safe base64 and dots). A query token with another
# character is no token, and at up to 12 bytes a character percent-encoded it could make the request line
# longer than any server in front takes (8190 bytes): it is refused, as a token too long is.
TOKEN_PATTERN = r"^[A-Za-z0-9_.-]*$"
_TOKEN = re.compile(TOKEN_PATTERN)


def read_query(query_string):
    """``site`` and ``token`` from a raw query string, each only when not empty.

    Other parameters (a cache-buster, ``utm_source``) are ignored, so that they never block a tag; a
    name given twice counts once, the first; an empty ``token=`` is no token (``missing``). A value
    longer than its limit, or a token with a character no token has, is a 422 naming it.
    ``query_string`` is the WSGI text (bytes as Latin-1).
    """
    if not query_string.isascii():
        query_string = query_string.encode("latin-1").decode("utf-8", "replace")
    found = {}
    for name, value in parse_qsl(query_string, keep_blank_values=True):
        if name in LIMITS and name not in found:
            found[name] = value
    problems = {name: [f"Longer than {LIMITS[name]} characters."]
                for name, value in found.items() if len(value) > LIMITS[name]}
    if "token" in found and "token" not in problems and not _TOKEN.fullmatch(found["token"]):
        problems["token"] = ["Not a consent token: letters, digits, '-', '_' and '.' only."]
    if problems:
        raise ApiError(422, "The query is not valid.", problems)
    return {name: value for name, value in found.items() if value}
