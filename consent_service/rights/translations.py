"""The rights pages' wording in every language, and the choice of language for a request."""
import tomllib
from pathlib import Path

from flask import request

from ..sites import LANGUAGES

TEXTS = tomllib.loads(Path(__file__).with_name("texts.toml").read_text(encoding="utf-8"))


def page_language(site):
    """``?lang=`` when it names a language we have, else the browser's preference, else the site's."""
    asked = request.args.get("lang")
    if asked in LANGUAGES:
        return asked
    return request.accept_languages.best_match(LANGUAGES) or site.default_language


def texts(language):
    """Every text of the rights pages in ``language``."""
    return TEXTS[language]
