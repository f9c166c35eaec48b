"""The service's icon: /favicon.ico answers (no console error, no 404 in the log) and every page links it."""
import re
import struct

ICON_LINK = '<link rel="icon" href="/favicon.ico">'


def test_favicon_is_a_small_icon_cached_for_a_year(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    assert response.mimetype in {"image/vnd.microsoft.icon", "image/x-icon"}
    assert response.cache_control.max_age == 365 * 24 * 3600
    assert response.cache_control.public
    reserved, kind, count = struct.unpack("<HHH", response.data[:6])
    assert (reserved, kind, count) == (0, 1, 1)  # an ICO file with one image
    size, offset = struct.unpack("<II", response.data[14:22])
    assert response.data[offset:offset + 8] == b"\x89PNG\r\n\x1a\n"
    assert offset + size == len(response.data) < 1024


def test_favicon_revalidates_without_a_body(client):
    etag = client.get("/favicon.ico").headers["ETag"]
    response = client.get("/favicon.ico", headers={"If-None-Match": etag})
    assert response.status_code == 304
    assert response.data == b""


def test_every_page_links_the_icon(client):
    home = client.get("/")
    pages = {"/"} | {link for link in re.findall(r'href="(/[^"]*)"', home.text) if link != "/favicon.ico"}
    html = {}
    for page in sorted(pages):
        with client.get(page) as response:  # a static file (the stylesheet) is streamed: closed here
            if response.mimetype == "text/html":
                html[page] = response.text
    assert {"/", "/demo", "/audit/"} <= set(html)
    assert any(page.startswith("/privacy/") for page in html)
    assert any(page.startswith("/my-consent") for page in html)
    assert [page for page, text in html.items() if ICON_LINK not in text] == []
