"""The banner's JS and CSS, bundled and minified by webassets, with the sites' configuration filled in."""
import gzip
import hashlib
import io
import json
import os
from dataclasses import dataclass

from calmjs.parse import es5
from calmjs.parse.unparsers.es5 import minify_print
from webassets import Bundle, Environment
from webassets.filter import Filter

# Explicit bundle order: one IIFE opened by the first file and closed by the last.
BANNER_JS = (
    "banner/00_open.js", "banner/state.js", "banner/storage.js", "banner/api.js",
    "banner/bridge.js", "banner/gate.js", "banner/ui.js", "banner/main.js", "banner/99_close.js",
)
BANNER_CSS = ("banner/banner.css",)
SITES_PLACEHOLDER = '"__CONSENT_SITES__"'
CSS_PLACEHOLDER = '"__CONSENT_CSS__"'


@dataclass(frozen=True)
class Script:
    """One built banner.js: the plain and gzip bodies and the ETag of each."""

    body: bytes
    gzipped: bytes
    etag: str
    gzip_etag: str


class MangleJS(Filter):
    """Minify ES5 and shorten local names (calmjs.parse); globals and property names are kept.

    rjsmin only strips blanks and comments; renaming the IIFE's locals saves a sixth of the gzip bytes.
    """

    name = "calmjs_mangle"

    def output(self, _in, out, **kwargs):
        out.write(minify_print(es5(_in.read()), obfuscate=True, obfuscate_globals=False))


def environment(static_folder):
    """A webassets environment over ``static/`` that builds in memory (no cache, no manifest)."""
    env = Environment(directory=static_folder, url="/static", cache=False, manifest=False, auto_build=False)
    env.register("banner_js", Bundle(*BANNER_JS, filters=[MangleJS()], output="gen/banner.js"))
    env.register("banner_css", Bundle(*BANNER_CSS, filters="rcssmin", output="gen/banner.css"))
    return env


def _build(env, name):
    out = io.StringIO()
    env[name].build(force=True, output=out)
    return out.getvalue()


_built = {}


def minified_sources(static_folder):
    """The minified code and CSS, rebuilt only when a source file changed."""
    paths = [os.path.join(static_folder, name) for name in BANNER_JS + BANNER_CSS]
    stamp = (static_folder, tuple(os.stat(path).st_mtime_ns for path in paths))
    if stamp not in _built:
        env = environment(static_folder)
        _built.clear()
        _built[stamp] = (_build(env, "banner_js"), _build(env, "banner_css"))
    return _built[stamp]


def script_json(value):
    """Compact JSON, safe inside a script (no "</" or line separators can end or break it)."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return text.replace("</", "<\\/").replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


def compact_site(site):
    """What the banner needs of ``site``: policy version, lifetime, languages, texts and categories."""
    return {
        "v": site.policy_version,
        "d": site.consent_days,
        "l": site.default_language,
        "t": site.texts,
        "c": [
            {
                "k": category["key"],
                "l": category["label"],
                "s": category["description"],
                "o": [_compact_cookie(cookie) for cookie in category["cookies"]],
            }
            for category in site.categories
        ],
    }


def _compact_cookie(cookie):
    info = [cookie["name"], cookie["provider"], cookie["purpose"], cookie["duration"]]
    return info + [1] if cookie.get("pattern") else info


def build_script(static_folder, sites):
    """banner.js for ``sites`` (``{key: Site}``): the minified code with their config and the CSS inside."""
    code, css = minified_sources(static_folder)
    if code.count(SITES_PLACEHOLDER) != 1 or code.count(CSS_PLACEHOLDER) != 1:
        raise RuntimeError("banner bundle: the configuration placeholders are missing")
    config = {key: compact_site(site) for key, site in sorted(sites.items())}
    body = code.replace(SITES_PLACEHOLDER, script_json(config)).replace(CSS_PLACEHOLDER, script_json(css)).encode()
    gzipped = gzip.compress(body, compresslevel=9, mtime=0)
    digest = hashlib.sha256(body).hexdigest()[:32]
    return Script(body=body, gzipped=gzipped, etag=digest, gzip_etag=f"{digest}-gz")
