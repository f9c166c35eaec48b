"""A sites-file block for a cookie the site has not declared, ready to paste (after checking it)."""
import json
import re

from ..sites import LANGUAGES

# What the sites file accepts as a cookie name (sites/schemas.py CookieSchema).
COOKIE_NAME = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")


def _string(text):
    """A TOML basic string (JSON's escapes are TOML's)."""
    return json.dumps(str(text), ensure_ascii=False)


def _translated(text):
    return "{ " + ", ".join(f"{language} = {_string(text)}" for language in LANGUAGES) + " }"


def toml_block(site, name, guess, party, domain):
    """The ``[[KEY.categories.cookies]]`` block for cookie ``name``, with where to put it; None when the
    name cannot be declared in the sites file."""
    declared_name = guess["pattern"] if guess and guess["pattern"] else name
    if not COOKIE_NAME.match(declared_name.rstrip("*")):
        return None
    category = guess["category"] if guess else None
    if guess:
        provider = guess["provider"]
        purpose = guess["description"] or f"Set by {guess['provider']}."
        duration = guess["retention"] or "unknown"
    else:
        provider = site.name if party == "first" else f"{domain} (third party)"
        purpose = "TODO: what this cookie is for"
        duration = "TODO: how long it is kept"
    lines = []
    if category:
        lines.append(f'# Under the [[{site.key}.categories]] table with key = "{category}"'
                     f"{' (guessed from the Open Cookie Database: ' + guess['known_as'] + ')' if guess else ''}.")
    else:
        known = f" (the Open Cookie Database calls it {guess['known_as']})" if guess else ""
        lines.append(f"# Category unknown{known}: put it under the [[{site.key}.categories]] table whose key is "
                     "necessary, analytics or marketing.")
    lines.append("# Check the texts and translate fi and sv.")
    lines.append(f"[[{site.key}.categories.cookies]]")
    lines.append(f"name = {_string(declared_name)}")
    if declared_name.endswith("*"):
        lines.append("pattern = true")
    lines.append(f"provider = {_string(provider)}")
    lines.append(f"purpose = {_translated(purpose)}")
    lines.append(f"duration = {_translated(duration)}")
    return "\n".join(lines) + "\n"
