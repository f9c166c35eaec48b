"""The auditors' page /audit/: sign-in with CSRF and rate limit, the session cookie, the result, stats."""
import io
import re
import zipfile

import pytest
from sqlalchemy import update

from consent_service.extensions import db
from consent_service.ledger.models import ConsentRecord

from tests.support.audit import add_records, bearer, make_auditor, read_csv, utc


@pytest.fixture
def app_config():
    return {"RATELIMIT_SIGN_IN": "5 per minute"}


@pytest.fixture
def token(app):
    return make_auditor(app, "alice", ["entrack"])


def csrf(client, path="/audit/"):
    page = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)


def sign_in(client, token):
    return client.post("/audit/sign-in", data={"token": token, "csrf_token": csrf(client)})


def test_sign_in_sets_a_safe_session_cookie(client, token):
    response = sign_in(client, token)
    assert response.status_code == 302 and response.headers["Location"] == "/audit/"
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    page = client.get("/audit/").get_data(as_text=True)
    assert "signed in as <strong>alice</strong>" in page and "Download consent proof" in page


@pytest.mark.parametrize(("data", "status", "message"), [
    ({"token": "wrong"}, 401, "This token is not valid"),
    ({"token": ""}, 401, "This field is required."),
])
def test_bad_sign_in(client, token, data, status, message):
    response = client.post("/audit/sign-in", data={**data, "csrf_token": csrf(client)})
    assert response.status_code == status
    assert message in response.get_data(as_text=True)
    assert "Download consent proof" not in client.get("/audit/").get_data(as_text=True)


def test_sign_in_without_csrf_token_is_refused(client, token):
    response = client.post("/audit/sign-in", data={"token": token})
    assert response.status_code == 401
    assert "CSRF token is missing" in response.get_data(as_text=True)
    assert "Download consent proof" not in client.get("/audit/").get_data(as_text=True)


def test_sign_in_is_rate_limited(client, token):
    statuses = [client.post("/audit/sign-in", data={"token": "guess"}).status_code for _ in range(6)]
    assert statuses == [401] * 5 + [429]


def test_result_shows_count_and_chain_and_downloads(client, app, token):
    add_records(app, {"at": utc(2026, 11, 1)}, {"at": utc(2026, 11, 2)}, {"at": utc(2026, 11, 3)})
    sign_in(client, token)
    page = client.get("/audit/?site=entrack&from=2026-11-02&to=2026-11-03").get_data(as_text=True)
    assert re.search(r"<strong>2</strong> records match", page)
    assert "Not checked yet." in page
    client.post("/audit/chain-checks", data={"site": "entrack", "csrf_token": csrf(client)})
    page = client.get("/audit/?site=entrack&from=2026-11-02&to=2026-11-03").get_data(as_text=True)
    assert "Verifies: 3 stored records" in page
    link = re.search(r'id="download" href="([^"]+)"', page).group(1).replace("&amp;", "&")
    rows = read_csv(client.get(link).data)
    assert [row["seq"] for row in rows] == ["2", "3"]
    pack = re.search(r'id="pack" href="([^"]+)"', page).group(1).replace("&amp;", "&")
    assert pack == "/audit/proof.zip?site=entrack&from=2026-11-02&to=2026-11-03"
    with zipfile.ZipFile(io.BytesIO(client.get(pack).data)) as archive:
        assert [row["seq"] for row in read_csv(archive.read("consents.csv"))] == ["2", "3"]


def test_result_shows_a_broken_chain(client, app, token):
    add_records(app, {}, {})
    with app.app_context():
        db.session.execute(update(ConsentRecord).where(ConsentRecord.seq == 1).values(action="reject_all"))
        db.session.commit()
    sign_in(client, token)
    client.post("/audit/chain-checks", data={"site": "entrack", "csrf_token": csrf(client)})
    page = client.get("/audit/?site=entrack").get_data(as_text=True)
    assert "Does NOT verify: record seq 1 (consent_id " in page and "the record was edited" in page


def test_page_shows_bad_dates(client, token):
    sign_in(client, token)
    page = client.get("/audit/?site=entrack&from=2026-02-30").get_data(as_text=True)
    assert "from: Not a date" in page and "records match" not in page


def test_sign_out_and_revocation_end_the_session(client, runner, token):
    sign_in(client, token)
    assert client.get("/audit/consents.csv").status_code == 200
    client.post("/audit/sign-out", data={"csrf_token": csrf(client)})
    assert client.get("/audit/consents.csv").status_code == 401
    sign_in(client, token)
    runner.invoke(args=["auditor", "revoke", "alice"])
    assert client.get("/audit/consents.csv").status_code == 401
    assert "Sign in" in client.get("/audit/").get_data(as_text=True)


def test_stats_csv_and_chart(client, app, token):
    add_records(app, *({"at": utc(2026, 11, 1, 9), "action": action}
                       for action in ("accept_all", "accept_all", "reject_all", "custom")),
                {"at": utc(2026, 11, 2, 23, 59), "action": "custom", "analytics": False, "marketing": True},
                {"at": utc(2026, 11, 2, 12), "action": "withdraw", "analytics": False})
    response = client.get("/audit/stats.csv?from=2026-11-01&to=2026-11-02", headers=bearer(token))
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert [dict(row) for row in read_csv(response.data)] == [
        {"date": "2026-11-01", "decisions": "4", "accept_all": "2", "reject_all": "1", "custom": "1",
         "accept_all_share": "0.5000", "reject_all_share": "0.2500", "custom_share": "0.2500",
         "analytics_share": "0.7500", "marketing_share": "0.5000"},
        {"date": "2026-11-02", "decisions": "1", "accept_all": "0", "reject_all": "0", "custom": "1",
         "accept_all_share": "0.0000", "reject_all_share": "0.0000", "custom_share": "1.0000",
         "analytics_share": "0.0000", "marketing_share": "1.0000"},
    ]
    svg = client.get("/audit/stats.svg?from=2026-11-01&to=2026-11-02", headers=bearer(token))
    assert svg.mimetype == "image/svg+xml"
    text = svg.get_data(as_text=True)
    assert text.count('<rect class="accept_all"') == 1 and text.count('<rect class="custom"') == 2
    assert "<title>2026-11-01: 4 decisions</title>" in text
    sign_in(client, token)
    page = client.get("/audit/stats?site=entrack&from=2026-11-01&to=2026-11-02").get_data(as_text=True)
    assert "<svg" in page and "50.0%" in page


def test_stats_default_to_the_last_30_days(client, app, token):
    add_records(app, {"at": utc(2020, 1, 1)}, {})
    rows = read_csv(client.get("/audit/stats.csv", headers=bearer(token)).data)
    assert len(rows) == 1 and rows[0]["decisions"] == "1"
    text = client.get("/audit/stats.svg?from=2019-01-01&to=2019-01-02", headers=bearer(token)).get_data(as_text=True)
    assert "No decisions in this range" in text


def test_sign_in_after_a_wrong_token_with_the_form_shown_again(client, token):
    response = client.post("/audit/sign-in", data={"token": "wrong", "csrf_token": csrf(client)})
    again = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', response.get_data(as_text=True)).group(1)
    assert client.post("/audit/sign-in", data={"token": token, "csrf_token": again}).status_code == 302
