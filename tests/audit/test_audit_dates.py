"""Never a 500 for a query: calendar-edge dates, moments before or after what a datetime holds, and
control characters, on the CSV export, the statistics (CSV, SVG) and the auditors' HTML pages."""
import re

import pytest

from tests.support.audit import add_records, bearer, make_auditor, read_csv, utc

DOWNLOADS = ("/audit/consents.csv", "/audit/stats.csv", "/audit/stats.svg")
PAGES = ("/audit/", "/audit/stats")
EDGES = ["to=9999-12-31", "from=0001-01-01", "from=0001-01-01&to=9999-12-31", "to=0001-01-01",
         "from=9999-12-31", "to=9999-12-31T23:59:59.999999", "from=0001-01-01T00:00:00Z", "to=0001-01-02",
         "from=0001-01-01T00:00:00%2B14:00", "to=9999-12-31T23:00:00-14:00", "from=2026-11-02&to=2026-11-01"]
UNREPRESENTABLE = ["from=0000-12-31", "to=10000-01-01", "from=9999-13-01", "to=2026-02-30"]
CONTROL = ["site=%00", "site=entrack%00", "from=2026-11-01%00", "action=%00", "consent_id=%00",
           "site=%0Aentrack", "from=%ED%A0%80"]


@pytest.fixture
def token(app):
    add_records(app, {"at": utc(2026, 11, 1, 9), "action": "accept_all"})
    return make_auditor(app, "alice", ["entrack"])


def csrf(client):
    page = client.get("/audit/").get_data(as_text=True)
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)


@pytest.fixture
def browser(client, token):
    client.post("/audit/sign-in", data={"token": token, "csrf_token": csrf(client)})
    return client


@pytest.mark.parametrize("query", EDGES)
@pytest.mark.parametrize("path", DOWNLOADS)
def test_calendar_edges_get_an_answer(client, token, path, query):
    response = client.get(f"{path}?site=entrack&{query}", headers=bearer(token))
    assert response.status_code == 200, response.get_data(as_text=True)


@pytest.mark.parametrize("query", EDGES)
@pytest.mark.parametrize("path", PAGES)
def test_calendar_edges_on_the_pages(browser, path, query):
    response = browser.get(f"{path}?site=entrack&{query}")
    assert response.status_code in (200, 400)
    assert "Internal server error" not in response.get_data(as_text=True)


@pytest.mark.parametrize(("query", "count"), [
    ("from=0001-01-01T00:00:00%2B14:00", 1),  # before the first moment a datetime holds: from the start
    ("to=0001-01-01T00:00:00%2B14:00", 0),
    ("to=9999-12-31T23:00:00-14:00", 1),  # after the last moment: to the end
    ("from=9999-12-31T23:00:00-14:00", 0),
    ("from=2026-11-02&to=2026-11-01", 0),  # 'from' after 'to': a range that holds nothing
])
def test_moments_past_either_end_and_inverted_ranges_select_what_they_say(client, token, query, count):
    rows = read_csv(client.get(f"/audit/consents.csv?site=entrack&{query}", headers=bearer(token)).data)
    assert len(rows) == count


def test_open_ended_to_holds_every_record(client, token):
    rows = read_csv(client.get("/audit/consents.csv?site=entrack&from=0001-01-01&to=9999-12-31",
                               headers=bearer(token)).data)
    assert len(list(rows)) == 1


@pytest.mark.parametrize("query", UNREPRESENTABLE)
@pytest.mark.parametrize("path", DOWNLOADS)
def test_unrepresentable_moments_are_400_naming_the_parameter(client, token, path, query):
    response = client.get(f"{path}?site=entrack&{query}", headers=bearer(token))
    assert response.status_code == 400
    assert set(response.get_json()["messages"]) == {query.split("=")[0]}


@pytest.mark.parametrize("query", UNREPRESENTABLE + CONTROL)
@pytest.mark.parametrize("path", PAGES)
def test_bad_queries_on_the_pages_are_shown_not_500(browser, path, query):
    response = browser.get(f"{path}?site=entrack&{query}")
    assert response.status_code in (200, 400)
    assert "Internal server error" not in response.get_data(as_text=True)


@pytest.mark.parametrize("query", CONTROL)
@pytest.mark.parametrize("path", DOWNLOADS)
def test_control_characters_are_4xx(client, token, path, query):
    response = client.get(f"{path}?{'' if query.startswith('site=') else 'site=entrack&'}{query}",
                          headers=bearer(token))
    assert 400 <= response.status_code < 500
    assert set(response.get_json()) <= {"error", "messages"}
