"""What one scan will do: the site, where to start, and its bounds. Built from the command's or the
portal's options and the app's SCANNER_* settings; the crawler needs no app context."""
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from .parties import Parties

CHROMIUM = "/usr/bin/chromium"
# Debian's Chromium as the browser tests run it; without site isolation, so that one DevTools session
# sees the requests of cross-site frames too (the third parties' iframes).
CHROMIUM_ARGS = (
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-site-isolation-trials",
)
# Timing settings (seconds) and their app config keys; tests shorten them.
TIMINGS = {
    "navigation_timeout": ("SCANNER_NAVIGATION_TIMEOUT", 15.0),
    "load_timeout": ("SCANNER_LOAD_TIMEOUT", 10.0),
    "dwell": ("SCANNER_DWELL", 1.0),
    "quiet": ("SCANNER_QUIET", 0.5),
    "settle_cap": ("SCANNER_SETTLE_CAP", 5.0),
    "banner_timeout": ("SCANNER_BANNER_TIMEOUT", 5.0),
}
# The three passes over each page: a first visit without a decision, then after each of the banner's buttons.
NONE, REJECT, ACCEPT = "none", "reject", "accept"
PASSES = (NONE, REJECT, ACCEPT)
DEFAULT_MAX_PAGES = 20
DEFAULT_MAX_SECONDS = 300.0
DEFAULT_JOBS = 6


class PlanError(ValueError):
    """Options that cannot make a scan; the message says which and why."""


def normalise_url(url):
    """``url`` without its fragment, with a path; None for anything but http(s)."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    return urlunsplit((parts.scheme, parts.netloc.lower(), parts.path or "/", parts.query, ""))


@dataclass(frozen=True)
class ScanPlan:
    """A scan's site, start addresses and bounds."""

    site: object
    start_urls: tuple
    max_pages: int = DEFAULT_MAX_PAGES
    max_seconds: float = DEFAULT_MAX_SECONDS
    jobs: int = DEFAULT_JOBS
    use_sitemap: bool = True
    chromium: str | None = CHROMIUM
    timings: dict = field(default_factory=lambda: {name: default for name, (_, default) in TIMINGS.items()})

    @property
    def parties(self):
        return Parties(self.site.origins)

    def timing(self, name):
        return self.timings[name]

    def pass_bound(self):
        """Seconds one pass may take at most: two page opens, the banner, and room to close the context."""
        opens = 2 * (self.timing("navigation_timeout") + self.timing("load_timeout") + self.timing("settle_cap"))
        return opens + self.timing("banner_timeout") + self.timing("settle_cap") + 20

    def options(self):
        """The plan as the report states it."""
        return {"start_urls": list(self.start_urls), "max_pages": self.max_pages, "max_seconds": self.max_seconds,
                "jobs": self.jobs, "sitemap": self.use_sitemap, **self.timings}


def make_plan(site, urls=(), max_pages=DEFAULT_MAX_PAGES, max_seconds=DEFAULT_MAX_SECONDS, jobs=DEFAULT_JOBS,
              config=None):
    """A plan for ``site``: ``urls`` (each on one of the site's origins) or the origins' home pages."""
    config = config or {}
    if not 1 <= max_pages <= 1000:
        raise PlanError("--max-pages is 1 to 1000")
    if not 1 <= jobs <= 16:
        raise PlanError("--jobs is 1 to 16")
    if not 5 <= max_seconds <= 86400:
        raise PlanError("--max-seconds is 5 to 86400")
    parties = Parties(site.origins)
    start = []
    for url in urls or [origin + "/" for origin in site.origins]:
        normal = normalise_url(url)
        if normal is None:
            raise PlanError(f"{url!r} is not an http(s) address")
        if not parties.is_site_url(normal):
            raise PlanError(f"{url} is not on the site's origins ({', '.join(site.origins)}); "
                            "the scanner only visits the site's own pages")
        start.append(normal)
    chromium = config.get("SCANNER_CHROMIUM", CHROMIUM)
    if chromium and not Path(chromium).exists():
        chromium = None  # Playwright's own browser, if installed
    timings = {name: float(config.get(key, default)) for name, (key, default) in TIMINGS.items()}
    return ScanPlan(site=site, start_urls=tuple(dict.fromkeys(start)), max_pages=max_pages,
                    max_seconds=float(max_seconds), jobs=jobs, use_sitemap=bool(config.get("SCANNER_SITEMAP", True)),
                    chromium=chromium, timings=timings)
