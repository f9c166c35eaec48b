"""The "Back to <site>" link of "Your consent": to the page the visitor came from, with the new state.

The banner's link to "Your consent" names the page it was on (``?back=``). A link back is offered
only to an origin the site configured, or to this service's own, so that the page cannot be turned
into a redirector to anywhere. The state rides in the fragment, which no server or Referer sees.
"""
from urllib.parse import quote, urlsplit

BACK_MAX = 2000


def page(site, url, own_origin):
    """``url`` reduced to its origin and path when that origin is one of the site's or ``own_origin``, else None."""
    if not url or len(url) > BACK_MAX or any(ch in url for ch in "\\\r\n\t"):
        return None
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.username or parts.password:
        return None
    origin = f"{parts.scheme}://{parts.hostname}" + (f":{port}" if port is not None else "")
    if origin not in {*site.origins, own_origin.rstrip("/")}:
        return None
    return origin + quote(parts.path or "/", safe="/%:@!$&'()*+,;=-._~")


def after_withdrawal(page_url, consent_id):
    """The link back to ``page_url`` that tells the banner the consent ``consent_id`` was withdrawn.

    No token rides along: the banner trusts nothing from a link but a refusal.
    """
    return f"{page_url}#consent-withdrawn={quote(consent_id, safe='')}"


def after_erasure(page_url, consent_id):
    """The link back to ``page_url`` that tells the banner the consent ``consent_id`` was erased."""
    return f"{page_url}#consent-erased={quote(consent_id, safe='')}"
