"""One bad decision never fails another: not at the door (a lone surrogate or NUL in any text field
is a 422 naming the field) and not in a group-commit batch (an item whose statement fails fails alone).

The last test is the issue's experiment: bad bodies posted beside honest visitors, at the same time,
against gunicorn on the session's database (SQLite, or PostgreSQL when DATABASE_URL is set).
"""
import http.client
import json
import os
import threading

import pytest

from consent_service.ledger import service, writer
from consent_service.ledger.verification import check_stored_chain
from consent_service.sites import find_site

from tests.support.records import records as stored
from tests.support.servers import flask, service_env

ON_POSTGRES = bool(os.environ.get("DATABASE_URL"))
TEXT_FIELDS = ("site", "action", "policy_version", "language", "page_url", "token", "idempotency_key")
BAD_TEXT = [
    pytest.param("\ud800", id="lone-high-surrogate"),
    pytest.param("\udfff", id="lone-low-surrogate"),
    pytest.param("\x00", id="nul"),
    pytest.param("\n", id="line-feed"),
    pytest.param("\x1b", id="escape"),
    pytest.param("\x85", id="next-line"),
]


@pytest.fixture
def app_config():
    return {"RATELIMIT_CONSENT": "100000 per minute"}


def with_bad(body, field, bad):
    """``body`` with ``bad`` inside ``field`` (a valid-looking value around it)."""
    values = {**body, "token": "a.b.c", "idempotency_key": "key-1"}
    values[field] = f"{values[field][:8]}{bad}{values[field][8:]}"
    return json.dumps(values, ensure_ascii=True)


@pytest.mark.parametrize("bad", BAD_TEXT)
@pytest.mark.parametrize("field", TEXT_FIELDS)
def test_bad_text_in_any_field_is_422_naming_it(app, client, consent_body, field, bad):
    response = client.post("/api/v1/consents", data=with_bad(consent_body, field, bad),
                           content_type="application/json")
    assert response.status_code == 422, response.get_data(as_text=True)
    assert field in response.get_json()["messages"]
    assert stored(app) == []


@pytest.mark.parametrize("bad", BAD_TEXT)
@pytest.mark.parametrize("field", ("token", "site"))
def test_bad_text_in_the_state_verify_body_is_422(client, field, bad):
    body = {"token": "a.b.c", "site": "entrack"}
    body[field] += bad
    response = client.post("/api/v1/consent-state/verify", data=json.dumps(body), content_type="application/json")
    assert response.status_code == 422
    assert field in response.get_json()["messages"]


def honest_fields(consent_body, n):
    return {"consent_id": f"00000000-0000-4000-8000-{n:012d}", "action": "custom", "necessary": True,
            "analytics": True, "marketing": False, "policy_version": consent_body["policy_version"],
            "language": "fi", "gpc": False, "page_url": consent_body["page_url"], "ip_prefix": None,
            "user_agent": None}


def fails_in_answer(record):
    raise RuntimeError("this item's answer cannot be made")


# Ways one item of a batch can fail after validation: in Python before its statements (a text no
# encoder takes), in the database (NOT NULL; NUL, which PostgreSQL refuses), or after its statements
# ran (its answer). Each is the third of five items in one batch.
FAULTS = {
    "surrogate": ({"policy_version": "\ud800"}, None),
    "not-null": ({"action": None}, None),
    "nul": ({"page_url": "https://www.entrack.fi/\x00"}, None),
    "answer": ({}, fails_in_answer),
}


@pytest.mark.parametrize("fault", FAULTS)
def test_a_failing_item_fails_alone_in_its_batch(app, consent_body, fault):
    changes, respond = FAULTS[fault]
    site = find_site("entrack", app)
    items = []
    for n in range(5):
        fields = honest_fields(consent_body, n)
        bad = n == 2
        if bad:
            fields.update(changes)
        answer = respond if bad and respond else (lambda record: service.response_body(site, record))
        items.append(writer.Pending("entrack", fields, answer, key=f"key-{n}", digest="d" * 64))
    with app.app_context():
        writer._write_batch(items)  # the batch exactly as the group commit hands it to its leader
        report = check_stored_chain("entrack")
    honest = items[:2] + items[3:]
    assert [item.error for item in honest] == [None] * 4
    assert all(item.body["token"] for item in honest)
    stored_ids = [record.consent_id for record in stored(app)]
    assert [item.fields["consent_id"] for item in honest] == [i for i in stored_ids if i != items[2].fields["consent_id"]]
    if fault == "nul" and not ON_POSTGRES:
        assert items[2].error is None  # SQLite stores NUL; the API refuses it before (test above)
    else:
        assert items[2].error is not None and items[2].body is None
        assert len(stored_ids) == 4
    assert report.ok


def test_unavailable_store_fails_the_batch_at_once(app, consent_body, monkeypatch):
    """While the database is away, a batch is not retried item by item (that would take a timeout each)."""
    calls = []

    def away(items):
        calls.append(len(items))
        raise writer.unavailable()

    monkeypatch.setattr(writer, "_commit", away)
    items = [writer.Pending("entrack", honest_fields(consent_body, n), lambda record: {}) for n in range(4)]
    with app.app_context():
        writer._write_batch(items)
    assert calls == [4]
    assert all(item.error is not None and item.error.status == 503 for item in items)


# The experiment: honest visitors and bad bodies at the same time against gunicorn.
HONEST_CLIENTS = 8
BAD_CLIENTS = 4
POSTS_EACH = 12
BAD_BODIES = [("policy_version", "\ud800"), ("page_url", "\ud800"), ("policy_version", "\x00"),
              ("page_url", "\x00"), ("site", "\udc00"), ("token", "\ud800")]


def post_many(url, bodies, answers):
    """POST each body on one keep-alive connection; append ``(status, body)`` to ``answers``."""
    host, port = url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=30)
    try:
        for body in bodies:
            connection.request("POST", "/api/v1/consents", body, {"Content-Type": "application/json"})
            response = connection.getresponse()
            answers.append((response.status, response.read()))
    finally:
        connection.close()


@pytest.mark.slow
def test_bad_bodies_beside_honest_visitors_hurt_no_one(gunicorn, database_uri, consent_body):
    server = gunicorn(service_env(database_uri), workers=2, threads=4)
    honest, bad = [], []
    honest_body = json.dumps(consent_body)
    bad_bodies = [with_bad(consent_body, field, text) for field, text in BAD_BODIES]
    threads = [threading.Thread(target=post_many, args=(server.url, [honest_body] * POSTS_EACH, honest))
               for _ in range(HONEST_CLIENTS)]
    threads += [threading.Thread(target=post_many, args=(server.url, bad_bodies * (POSTS_EACH // 6), bad))
                for _ in range(BAD_CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert [status for status, _ in honest] == [201] * HONEST_CLIENTS * POSTS_EACH
    assert [status for status, _ in bad] == [422] * BAD_CLIENTS * (POSTS_EACH // 6) * len(BAD_BODIES)
    assert all(b"surrogate" in body for _, body in bad)
    assert "Traceback" not in server.log()
    assert "OK, " in flask(["consent", "verify"], server.env)
