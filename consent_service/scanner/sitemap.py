"""Page addresses from a site's ``/sitemap.xml`` (and the sitemaps a sitemap index names), read with
bounds: a few files, a size cap, no redirects, nothing off the site's origins."""
import xml.etree.ElementTree as ElementTree

from playwright.async_api import Error as PlaywrightError

MAX_BYTES = 5_000_000
MAX_FILES = 10
TIMEOUT_MS = 5000


def _locations(text):
    """``(kind, [loc ...])`` of a sitemap or sitemap index, namespace-agnostic; None when not one."""
    try:
        root = ElementTree.fromstring(text)
    except ElementTree.ParseError:
        return None
    kind = root.tag.rsplit("}", 1)[-1]
    if kind not in ("urlset", "sitemapindex"):
        return None
    found = [element.text.strip() for element in root.iter() if element.tag.rsplit("}", 1)[-1] == "loc" and element.text]
    return kind, found


async def _fetch(request, url):
    try:
        response = await request.get(url, max_redirects=0, timeout=TIMEOUT_MS, fail_on_status_code=False)
        if response.status != 200:
            return None
        body = await response.body()
    except PlaywrightError:
        return None
    return body[:MAX_BYTES].decode("utf-8", "replace") if len(body) <= MAX_BYTES else None


async def site_urls(playwright, parties, origins, limit):
    """Up to ``limit`` page addresses on the site's origins from their sitemaps."""
    request = await playwright.request.new_context()
    found, files, pending = [], 0, [origin + "/sitemap.xml" for origin in origins]
    try:
        while pending and files < MAX_FILES and len(found) < limit:
            url = pending.pop(0)
            files += 1
            text = await _fetch(request, url)
            parsed = _locations(text) if text else None
            if parsed is None:
                continue
            kind, locations = parsed
            same_site = [location for location in locations if parties.is_site_url(location)]
            if kind == "sitemapindex":
                pending.extend(same_site)
            else:
                found.extend(same_site[: limit - len(found)])
    finally:
        await request.dispose()
    return found
