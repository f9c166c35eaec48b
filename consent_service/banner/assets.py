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

from ..policies.snapshots import site_snapshots

# Explicit bundle order: one IIFE opened by the first file and closed by the last.
BANNER_JS = (
    "banner/00_open.js", "banner/state.js", "banner/storage.js", "banner/api.js",
    "banner/bridge.js", "banner/gate.js", "banner/watch.js", "banner/ui.js", "banner/main.js", "banner/99_close.js",
)
BANNER_CSS = ("banner/banner.css",)
# The embeds module, loaded on demand by banner.js on pages with embeds held by data-src.
EMBEDS_JS = (
    "banner/embeds/00_open.js", "banner/embeds/texts.js", "banner/embeds/placeholder.js",
    "banner/embeds/embeds.js", "banner/embeds/99_close.js",
)
EMBEDS_CSS = ("banner/embeds/embeds.css",)
BUNDLES = {"banner": (BANNER_JS, BANNER_CSS), "embeds": (EMBEDS_JS, EMBEDS_CSS)}
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
    for name, (js, css) in BUNDLES.items():
        env.register(f"{name}_js", Bundle(*js, filters=[MangleJS()], output=f"gen/{name}.js"))
        env.register(f"{name}_css", Bundle(*css, filters="rcssmin", output=f"gen/{name}.css"))
    return env


def _build(env, name):
    out = io.StringIO()
    env[name].build(force=True, output=out)
    return out.getvalue()


_built = {}


def minified_sources(static_folder, bundle="banner"):
    """The minified code and CSS of ``bundle`` (banner or embeds), rebuilt only when a source file changed."""
    js, css = BUNDLES[bundle]
    paths = [os.path.join(static_folder, name) for name in js + css]
    stamp = (static_folder, bundle, tuple(os.stat(path).st_mtime_ns for path in paths))
    if stamp not in _built:
        env = environment(static_folder)
        for old in [key for key in _built if key[:2] == stamp[:2]]:
            del _built[old]
        _built[stamp] = (_build(env, f"{bundle}_js"), _build(env, f"{bundle}_css"))
    return _built[stamp]


def script_json(value):
    """Compact JSON, safe inside a script (no "</" or line separators can end or break it)."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return text.replace("</", "<\\/").replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


def compact_site(site):
    """What the banner needs of ``site``: policy version, lifetime, languages, texts, categories, and the
    hash of each language's policy snapshot (``consent_service.policies``), which it posts with a decision
    so that the record names the texts this very script showed (computed from them, not looked up)."""
    return {
        "v": site.policy_version,
        "h": {language: snapshot.hash for language, snapshot in site_snapshots(site).items()},
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
    """Name and provider (and 1 for a name pattern): each cookie's purpose and lifetime are in the cookie
    declaration that the banner links to, so that a site with many cookies does not grow every page's script."""
    info = [cookie["name"], cookie["provider"]]
    return info + [1] if cookie.get("pattern") else info


def _script(body):
    """The plain and gzip bodies of ``body`` with their ETags."""
    gzipped = gzip.compress(body, compresslevel=9, mtime=0)
    digest = hashlib.sha256(body).hexdigest()[:32]
    return Script(body=body, gzipped=gzipped, etag=digest, gzip_etag=f"{digest}-gz")


def _with_css(code, css):
    if code.count(CSS_PLACEHOLDER) != 1:
        raise RuntimeError("bundle: the stylesheet placeholder is missing")
    return code.replace(CSS_PLACEHOLDER, script_json(css))


def build_script(static_folder, sites):
    """banner.js for ``sites`` (``{key: Site}``): the minified code with their config and the CSS inside."""
    code, css = minified_sources(static_folder)
    if code.count(SITES_PLACEHOLDER) != 1:
        raise RuntimeError("banner bundle: the configuration placeholder is missing")
    config = {key: compact_site(site) for key, site in sorted(sites.items())}
    return _script(_with_css(code, css).replace(SITES_PLACEHOLDER, script_json(config)).encode())


def build_embeds(static_folder):
    """banner-embeds.js: the embeds module's minified code with its CSS inside (the same for every site)."""
    return _script(_with_css(*minified_sources(static_folder, "embeds")).encode())
