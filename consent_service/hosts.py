"""The service's own address comes from configuration, never from a request's Host header.

A Host header is whatever the client wrote. Trusted, it would let ``Host: evil.example`` with
``Origin: http://evil.example`` pass the POST's Origin check, point "Back to site" links and
redirects anywhere, and be stored as the page of a withdrawal. So:

* ``PUBLIC_URL`` (``https://consent.example.org``) is the service's origin: the Origin check, the
  "Back to site" link, the page stored with a withdrawal and the banner snippet use it.
* Flask's ``TRUSTED_HOSTS`` refuses (400) every request naming another host, before any view:
  by default the host of ``PUBLIC_URL`` and the loopback names (health checks on the machine
  itself). Without ``PUBLIC_URL`` (``./manage.sh run``), only the loopback names, and the
  service's origin is the request's own, whose host is then one of them. Relative redirects and
  Werkzeug's slash redirects name the request's host, so only ever a trusted one.
"""
from urllib.parse import urlsplit

from flask import current_app, request, url_for

LOCAL_HOSTS = ("127.0.0.1", "localhost")
PUBLIC_URL_HELP = "PUBLIC_URL must be the service's origin, e.g. https://consent.example.org (no path)"
UNKNOWN_HOST = "This service answers only to its own address (PUBLIC_URL, TRUSTED_HOSTS)."


def public_origin(url):
    """``scheme://host[:port]`` of ``url``; ValueError unless it is an http(s) origin without path."""
    parts = urlsplit(url)
    try:
        parts.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError:
        raise ValueError(PUBLIC_URL_HELP) from None
    if (parts.scheme not in ("http", "https") or not parts.hostname or parts.username or parts.password
            or parts.path not in ("", "/") or parts.query or parts.fragment):
        raise ValueError(PUBLIC_URL_HELP)
    return f"{parts.scheme}://{parts.netloc.lower()}"


def configure(config):
    """Normalise ``PUBLIC_URL`` and, unless set, derive ``TRUSTED_HOSTS`` from it; RuntimeError (the
    service does not start) for a ``PUBLIC_URL`` that is not an origin."""
    public = config.get("PUBLIC_URL")
    hosts = list(LOCAL_HOSTS)
    if public:
        try:
            config["PUBLIC_URL"] = public = public_origin(public)
        except ValueError as error:
            raise RuntimeError(str(error)) from None
        hosts.insert(0, urlsplit(public).hostname)
    if config.get("TRUSTED_HOSTS") is None:
        config["TRUSTED_HOSTS"] = hosts


def own_origin():
    """This service's origin: ``PUBLIC_URL``, or, in a run without it, the request's (its host checked)."""
    return current_app.config.get("PUBLIC_URL") or request.host_url.rstrip("/")


def external_url(endpoint, **values):
    """The absolute URL of ``endpoint`` at this service's own origin (``own_origin``)."""
    return own_origin() + url_for(endpoint, **values)
