"""The banner's routes: the one script a site embeds, the embeds module it loads on demand, the demo page."""
import threading
import time

from flask import Blueprint, abort, current_app, render_template, request

from ..extensions import db
from ..hosts import own_origin
from ..ledger import writer
from ..policies import current_snapshot
from ..sites import configured_sites, find_site
from .assets import build_embeds, build_script

bp = Blueprint("banner", __name__)
CACHE_CONTROL = "public, max-age=600, stale-while-revalidate=3600"
JS_TYPE = "text/javascript; charset=utf-8"
DEMO_LANGUAGES = (("fi", "Suomeksi"), ("sv", "På svenska"), ("en", "In English"))
STORE_RETRY_SECONDS = 30  # how long a process waits before trying again to store its snapshots
STORE_ATTEMPTS = 20


def _script(site_key):
    """The built script for one site (``?site=``) or for every site, built once per process."""
    cache = current_app.extensions.setdefault("consent_banner", {})
    if site_key not in cache or current_app.debug:
        chosen = configured_sites() if site_key is None else {site_key: find_site(site_key)}
        cache[site_key] = build_script(current_app.static_folder, chosen)
    return cache[site_key]


def _store_snapshots(site_key):
    """Have the policy snapshots whose hashes the script carries stored, once per process, without the
    request waiting for the database (``writer.store_snapshots`` says why they are stored): a thread
    stores them, trying again every STORE_RETRY_SECONDS while the database is away. Until then, a
    decision naming the current snapshot stores it with the record."""
    started = current_app.extensions.setdefault("consent_banner_snapshots", set())
    if site_key in started:
        return
    started.add(site_key)
    sites = configured_sites() if site_key is None else {site_key: find_site(site_key)}
    snapshots = [current_snapshot(key, language) for key, site in sites.items() for language in site.texts]
    threading.Thread(target=_store_until_done, args=(current_app._get_current_object(), snapshots),
                     name="store-policy-snapshots", daemon=True).start()


def _store_until_done(app, snapshots):
    with app.app_context():
        for _ in range(STORE_ATTEMPTS):
            try:
                writer.store_snapshots(snapshots)
                return
            except Exception:  # logged; tried again
                app.logger.warning("policy snapshots not stored; trying again in %s s", STORE_RETRY_SECONDS,
                                   exc_info=True)
            finally:
                db.session.remove()
            time.sleep(STORE_RETRY_SECONDS)


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
    _store_snapshots(site_key)
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
