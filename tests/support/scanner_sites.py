"""The scanner's fixture sites: what each page does, and the third party's scripts, frame and pixel.

- leaky: an ungated analytics snippet (the third party's script sets ``_ga`` and ``_fbp`` on load), an
  iframe from the third party, a 1x1 image beacon, a first-party script writing localStorage, and an
  undeclared first-party cookie set by an inline script;
- clean: the banner first in <head>, analytics held back as ``type="text/plain"`` until granted;
- spa: a single-page app that, after load, navigates with pushState and injects the third party's tracker;
- bounds: a page that never finishes loading, one whose server never answers, a link to another origin,
  and more pages than the scan may visit.
"""
from .fixture_sites import hang, html, javascript, sitemap

BANNER = '<script src="{service}/banner.js" data-site="{key}"></script>'


def page(key, title, head="", body=""):
    """A page of site ``key`` with the banner's tag first in <head> (braces of the HTML doubled)."""
    return (f'<!doctype html><html lang="en"><head>{BANNER.replace("{key}", key)}<meta charset="utf-8">'
            f'<title>{title}</title>{head}</head><body><main><h1>{title}</h1>{body}</main></body></html>')


THIRD_PARTY = {
    # An analytics library as the big ones work: it sets its cookies on the embedding site's domain.
    "/analytics.js": javascript(
        'document.cookie = "_ga=GA1.1." + Date.now() + "; max-age=63072000; path=/";\n'
        'document.cookie = "_fbp=fb.1." + Date.now() + "; max-age=7776000; path=/";\n'
        "window.analyticsLoaded = (window.analyticsLoaded || 0) + 1;\n"),
    "/clean-analytics.js": javascript('document.cookie = "_ga=GA1.1.1; max-age=63072000; path=/";\n'
                                      'document.cookie = "_ga_ABC123=GS1.1.1; max-age=63072000; path=/";\n'),
    "/frame": html("<!doctype html><html><body><p>An ad</p></body></html>",
                   cookies=["ad_uid=1; Path=/; SameSite=None; Secure"]),
    "/pixel.gif": html("", cookies=["px_uid=1; Path=/; SameSite=None; Secure"]),
    "/tracker.js": javascript("fetch('{third}/collect?spa=1', {{mode: 'no-cors', keepalive: true}});\n"),
    "/collect": html(""),
    "/elsewhere": html("<!doctype html><p>Another origin</p>"),
}

LEAKY_HEAD = ('<script>(function () {{ var s = document.createElement("script"); '
              's.src = "{third}/analytics.js"; document.head.appendChild(s); }})();</script>')
LEAKY_BODY = ('<iframe src="{third}/frame" title="ad" width="300" height="100"></iframe>\n'
              '<img src="{third}/pixel.gif" width="1" height="1" alt="">\n'
              '<script src="/prefs.js"></script>\n'
              '<script>document.cookie = "visitor_ref=abc; max-age=86400; path=/";</script>\n'
              '<p><a href="/about">About</a></p>')
LEAKY = {
    "/": html(page("leaky", "Leaky home", LEAKY_HEAD, LEAKY_BODY)),
    "/about": html(page("leaky", "About", body='<p><a href="/">Home</a></p>')),
    "/prefs.js": javascript('localStorage.setItem("prefs_seen", "1");\n'),
}

CLEAN = {
    "/": html(page("clean", "Clean home",
                   '<script type="text/plain" data-consent-category="analytics" src="{third}/clean-analytics.js">'
                   "</script>", '<p><a href="/contact">Contact</a></p>')),
    "/contact": html(page("clean", "Contact", body='<p><a href="/">Home</a></p>')),
    "/sitemap.xml": sitemap("/", "/contact", "/team"),
    "/team": html(page("clean", "Team")),
}

SPA_APP = """window.addEventListener("load", function () {{
  setTimeout(function () {{
    history.pushState({{}}, "", "/products");
    var tracker = document.createElement("script");
    tracker.src = "{third}/tracker.js";
    document.body.appendChild(tracker);
  }}, 200);
}});
"""
SPA = {
    "/": html(page("spa", "Shop", body='<div id="app">Loading</div><script src="/app.js"></script>')),
    "/app.js": javascript(SPA_APP),
}

BOUNDS = {
    "/": html(page("bounds", "Bounds", body=(
        '<ul><li><a href="/slow">Slow</a></li><li><a href="/hang">Hangs</a></li>'
        '<li><a href="{third}/elsewhere">Elsewhere</a></li>'
        + "".join(f'<li><a href="/p{number}">Page {number}</a></li>' for number in range(1, 6)) + "</ul>"))),
    "/slow": html(page("bounds", "Slow", body='<img src="/never" alt="never loads">')),
    "/never": hang,
    "/hang": hang,
    **{f"/p{number}": html(page("bounds", f"Page {number}")) for number in range(1, 6)},
}

SITES = {"leaky": LEAKY, "clean": CLEAN, "spa": SPA, "bounds": BOUNDS}
