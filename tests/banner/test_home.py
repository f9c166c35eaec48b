"""The home page a new user opens after `./manage.sh run`."""
import re


def test_home_page_links_to_every_part(client):
    response = client.get("/")
    assert response.status_code == 200
    assert "Consent service is running" in response.text
    links = re.findall(r'href="([^"]+)"', response.text)
    assert set(links) >= {"/demo", "/privacy/entrack", "/my-consent?site=entrack", "/audit/", "/api/v1/openapi.json"}
    for link in links:
        with client.get(link) as response:  # a static file (the stylesheet) is streamed: closed here
            assert response.status_code == 200, link
