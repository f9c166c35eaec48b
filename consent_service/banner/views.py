"""The banner's routes: the one script a site embeds, the embeds module it loads on demand, the demo page."""
from flask import Blueprint, abort, current_app, render_template, request

from ..hosts import own_origin
from ..sites import configured_sites, find_site
from . import snapshots
from .assets import build_embeds, build_script

bp = Blueprint("banner", __name__)
CACHE_CONTROL = "public, max-age=600, stale-while-revalidate=3600"
JS_TYPE = "text/javascript; charset=utf-8"
DEMO_LANGUAGES = (("fi", "Suomeksi"), ("sv", "På svenska"), ("en", "In English"))


def _script(site_key):
    """The built script for one site (``?site=``) or for every site, built once per process."""
    cache = current_app.extensions.setdefault("consent_banner", {})
    if site_key not in cache or current_app.debug:
        chosen = configured_sites() if site_key is None else {site_key: find_site(site_key)}
        cache[site_key] = build_script(current_app.static_folder, chosen)
    return cache[site_key]


def _send(built):
    """``built`` as JavaScript: gzip when accepted, ETag, cached, loadable by any site's pages."""
    use_gzip = request.accept_encodings["gzip"] > 0
    response = current_app.response_class(built.gzipped if use_gzip else built.body, content_type=JS_TYPE)
    if use_gzip:
        response.headers["Content-Encoding"] = "gzip"
    response.set_etag(built.gzip_etag if use_gzip else built.etag)
    response.headers["Cache-Control"] = CACHE_CONTROL
    response.headers["Cross-Origin-Resource-Policy"] = "cross-origin"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.vary.add("Accept-Encoding")
    return response.make_conditional(request)


@bp.get("/banner.js")
def script():
    """All a first visit needs in one response: code, styles, texts and categories (gzip, ETag, cached)."""
    site_key = request.args.get("site")
    if site_key is not None and find_site(site_key) is None:
        abort(404)
    built = _script(site_key)
    snapshots.store_soon(site_key)  # in a thread: the banner never waits for the database
    return _send(built)


@bp.get("/banner-embeds.js")
def embeds():
    """The placeholders for embedded content, loaded by banner.js only on pages that hold some (cached alike)."""
    cache = current_app.extensions.setdefault("consent_banner", {})
    key = request.path  # cached beside the sites' scripts: no site key has a "/"
    if key not in cache or current_app.debug:
        cache[key] = build_embeds(current_app.static_folder)
    return _send(cache[key])


@bp.get("/demo")
def demo():
    """A marketing page that embeds the banner of ``?site=`` (default: the first configured site)
    and shows the consent state; 404 for a site that is not configured."""
    key = request.args.get("site")
    site = next(iter(configured_sites().values())) if key is None else find_site(key)
    if site is None:
        abort(404)
    lang = request.args.get("lang")
    if lang not in dict(DEMO_LANGUAGES):
        lang = None
    script_tag = f'<script src="{own_origin()}/banner.js" data-site="{site.key}"></script>'
    return render_template(
        "banner/demo.html", site=site, lang=lang, page_lang=lang or "en",
        languages=DEMO_LANGUAGES, script_tag=script_tag,
    )
