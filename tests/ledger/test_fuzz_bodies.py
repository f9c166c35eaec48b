"""Hostile bodies and headers: oversized, deeply nested, invalid UTF-8, header injection.

Every one gets a JSON 4xx through the one error path, never a 500, and nothing injected is stored
or echoed as a header.
"""
import json
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.records import records as stored

URL = "/api/v1/consents"


@pytest.fixture
def app_config():
    return {"RATELIMIT_CONSENT": "100000 per minute"}


def raw_post(client, data, content_type="application/json", path=URL, **kwargs):
    return client.post(path, data=data, content_type=content_type, **kwargs)


@pytest.mark.parametrize(("body", "status"), [
    (b"x" * (16 * 1024 + 1), 413),
    (b'{"site": "' + b"a" * 20000 + b'"}', 413),
    (b"[" * 5000 + b"]" * 5000, 400),
    (b'{"a":' * 2500 + b"1" + b"}" * 2500, 400),
    (b'{"site": "\xff\xfe"}', 400),
    (b"\xef\xbb\xbf{}", 400),
    ('{"site": "entrack"}'.encode("utf-16"), 400),
    (b'{"site": "entrack", "page_url": "\xed\xa0\x80"}', 400),
    (b"", 400),
    (b"null", 422),
    (b"[]", 422),
    (b'"entrack"', 422),
    (b"1" * 5000, 400),
    (b'{"site": NaN}', 422),
    (b'{"site": "entrack", "site": {"$ne": 1}}', 422),
])
@pytest.mark.parametrize("path", [URL, "/api/v1/consent-state/verify"])
def test_hostile_body_gets_json_4xx(client, app, body, status, path):
    response = raw_post(client, body, path=path)
    assert response.status_code == status, response.get_data(as_text=True)
    assert set(response.get_json()) <= {"error", "messages"}
    assert "Traceback" not in response.get_data(as_text=True)
    assert stored(app) == []


@pytest.mark.parametrize("page_url", [
    "https://www.entrack.fi/\r\nSet-Cookie: pwned=1",
    "https://www.entrack.fi/a\nLocation: https://evil.example",
    "https://www.entrack.fi/%0d%0aSet-Cookie:pwned=1",
    "https://www.entrack.fi/\u2028\u2029\x00",
])
def test_header_injection_in_page_url(client, app, consent_body, page_url):
    consent_body["page_url"] = page_url
    response = client.post(URL, json=consent_body)
    assert response.status_code in (201, 422)
    assert "pwned" not in str(response.headers) and "evil.example" not in str(response.headers)
    for record in stored(app):
        assert "\r" not in record.page_url and "\n" not in record.page_url and "\x00" not in record.page_url


@pytest.mark.parametrize("user_agent", [
    "Mozilla/5.0\r\nSet-Cookie: pwned=1",
    "Mozilla/5.0\x00\x1b[31m red",
    "<script>alert(1)</script>",
    "x" * 5000,
])
def test_header_injection_in_user_agent(client, app, consent_body, user_agent):
    response = client.post(URL, json=consent_body, environ_base={"HTTP_USER_AGENT": user_agent})
    assert response.status_code == 201
    assert "pwned" not in str(response.headers)
    [record] = stored(app)
    assert not any(ch in record.user_agent for ch in "\r\n\x00\x1b")
    assert len(record.user_agent) <= 512
    assert record.user_agent.startswith(user_agent[:5])


@pytest.mark.parametrize("key", ["a\r\nSet-Cookie: x=1", "a b", "", "ä", "k" * 129])
def test_bad_idempotency_key_is_refused(client, consent_body, key):
    response = client.post(URL, json=consent_body, environ_base={"HTTP_IDEMPOTENCY_KEY": key})
    assert response.status_code == 400
    assert "Set-Cookie" not in response.headers


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=50),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=6),
    max_leaves=30,
))
def test_any_json_gets_an_answer_from_the_document(client, body):
    response = client.post(URL, data=json.dumps(body), content_type="application/json")
    assert response.status_code in (201, 400, 403, 413, 422)
    assert response.is_json


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=st.binary(max_size=2000))
def test_any_bytes_get_an_answer(client, body):
    response = client.post(URL, data=body, content_type="application/json")
    assert response.status_code in (400, 413, 422)
    assert response.is_json


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(query=st.dictionaries(st.sampled_from(["site", "token", "other", "Site"]),
                             st.text(max_size=1100).filter(lambda v: len(v) < 30 or len(v) > 1000), max_size=3))
def test_state_query_ignores_what_it_does_not_know(client, query):
    """Any query answers 200 (a cache-buster or ``utm_source`` never blocks a tag), except a ``site``
    or ``token`` longer than its limit, or a token with a character no token has: 422. Never a 500."""
    from consent_service.state.query import LIMITS, TOKEN_PATTERN

    too_long = any(len(query.get(name, "")) > limit for name, limit in LIMITS.items())
    no_token = not re.fullmatch(TOKEN_PATTERN, query.get("token", ""))
    expected = 422 if too_long or no_token else 200
    assert client.get("/api/v1/consent-state", query_string=query).status_code == expected
