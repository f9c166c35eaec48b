"""Who a host belongs to: the site (first party), the consent service that serves its banner, or a
third party. Sites are known by their configured origins; a subdomain of a site's host is the site's too
(``cdn.entrack.fi`` for ``www.entrack.fi``)."""
from urllib.parse import urlsplit

FIRST = "first"
THIRD = "third"
SERVICE = "service"


def origin_of(url):
    """``scheme://host[:port]`` of ``url`` (default ports dropped), or None for a non-web address."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    default = {"http": 80, "https": 443}[parts.scheme]
    host = parts.hostname if ":" not in parts.hostname else f"[{parts.hostname}]"
    return f"{parts.scheme}://{host}" + (f":{port}" if port and port != default else "")


def host_of(url):
    """The host and port that a request went to, as the report names third parties."""
    origin = origin_of(url)
    return origin.split("://", 1)[1] if origin else None


def _base(hostname):
    return hostname[4:] if hostname.startswith("www.") else hostname


def _is_ip(hostname):
    return hostname.replace(".", "").isdigit() or ":" in hostname


class Parties:
    """The site's hosts and, once seen, the consent service's origin."""

    def __init__(self, origins, service_origin=None):
        self.origins = {origin_of(origin) for origin in origins}
        self.hostnames = {urlsplit(origin).hostname for origin in self.origins}
        self.service_origin = service_origin

    def is_site_url(self, url):
        """True when ``url`` is on one of the site's own origins (what the crawler may visit)."""
        return origin_of(url) in self.origins

    def _site_hostname(self, hostname):
        hostname = (hostname or "").lower().lstrip(".")
        for own in self.hostnames:
            if hostname == own:
                return True
            if not _is_ip(own) and (hostname.endswith("." + _base(own)) or hostname == _base(own)):
                return True
        return False

    def of_url(self, url):
        """FIRST, SERVICE or THIRD for a request to ``url``."""
        if self.service_origin and origin_of(url) == self.service_origin:
            return SERVICE
        return FIRST if self._site_hostname(urlsplit(url).hostname) else THIRD

    def of_cookie_domain(self, domain):
        """FIRST or THIRD for a cookie stored for ``domain`` (cookies know no ports)."""
        return FIRST if self._site_hostname(domain) else THIRD
