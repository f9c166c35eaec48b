"""`flask auditor create/list/revoke/log/signing-key` and `flask consent export`."""
import pytest
from sqlalchemy import select

from consent_service.proof.cli import check_and_report
from consent_service.proof.signed_head import decode_public_key, key_id
from consent_service.audit import signing
from consent_service.audit.models import Auditor
from consent_service.audit.service import hash_token
from consent_service.extensions import db

from tests.support.audit import add_records, bearer, make_auditor


def create(runner, *args):
    result = runner.invoke(args=["auditor", "create", *args])
    assert result.exit_code == 0, result.output
    return result.output.splitlines()[-1]


def test_create_prints_the_token_once_on_its_last_line(app, runner, client):
    token = create(runner, "alice", "--site", "entrack")
    assert len(token) >= 43 and " " not in token
    with app.app_context():
        auditor = db.session.scalar(select(Auditor))
        assert auditor.token_hash == hash_token(token) != token
        assert auditor.site_keys == ("entrack",)
    assert client.get("/audit/consents.csv", headers=bearer(token)).status_code == 200


def test_tokens_differ(runner):
    assert create(runner, "alice") != create(runner, "bob")


@pytest.mark.parametrize(("args", "message"), [
    (["alice", "--site", "nowhere"], "unknown site nowhere"),
    (["has space"], "a name is 1-80"),
])
def test_create_refuses(runner, args, message):
    result = runner.invoke(args=["auditor", "create", *args])
    assert result.exit_code == 1 and message in result.output


def test_names_stay_taken(runner):
    create(runner, "alice")
    runner.invoke(args=["auditor", "revoke", "alice"])
    result = runner.invoke(args=["auditor", "create", "alice"])
    assert result.exit_code == 1 and "exists" in result.output


def test_list_revoke_and_log(runner, client):
    token = create(runner, "alice")
    create(runner, "bob", "--site", "entrack")
    client.get("/audit/consents.csv?action=custom", headers=bearer(token))
    listed = runner.invoke(args=["auditor", "list"]).output.splitlines()
    assert listed[0].startswith("alice\t*\tcreated ") and listed[0].split("\t")[3] == "active"
    assert "1 exports, last " in listed[0]
    assert listed[1].startswith("bob\tentrack\t") and listed[1].endswith("active\t0 exports")
    assert runner.invoke(args=["auditor", "revoke", "bob"]).output == "Auditor bob revoked.\n"
    assert "\trevoked " in runner.invoke(args=["auditor", "list"]).output.splitlines()[1]
    again = runner.invoke(args=["auditor", "revoke", "bob"])
    assert again.exit_code == 1 and "already revoked" in again.output
    assert "no auditor named 'carol'" in runner.invoke(args=["auditor", "revoke", "carol"]).output
    [entry] = runner.invoke(args=["auditor", "log"]).output.splitlines()
    assert entry.split("\t")[1:3] == ["alice", "csv"] and '"action": "custom"' in entry


def test_export_command_writes_the_same_file(app, runner, client, tmp_path):
    token = create(runner, "alice")
    add_records(app, {"user_agent": "=1+1"}, {}, {"action": "accept_all"})
    path = tmp_path / "out.csv"
    result = runner.invoke(args=["consent", "export", "--site", "entrack", "--out", str(path)])
    assert result.exit_code == 0, result.output
    assert "3 records written to" in result.output
    assert path.read_bytes() == client.get("/audit/consents.csv?site=entrack", headers=bearer(token)).data
    assert check_and_report(str(path), True, out=lambda line: None) == 0
    filtered = tmp_path / "filtered.csv"
    runner.invoke(args=["consent", "export", "--site", "entrack", "--out", str(filtered), "--action", "accept_all"])
    assert len(filtered.read_text().splitlines()) == 2
    assert "cli:" in runner.invoke(args=["auditor", "log"]).output


@pytest.mark.parametrize(("args", "message"), [
    (["--site", "nowhere"], "unknown site nowhere"),
    (["--site", "entrack", "--from", "2026-02-30"], "Not a date"),
])
def test_export_command_refuses(runner, tmp_path, args, message):
    result = runner.invoke(args=["consent", "export", "--out", str(tmp_path / "x.csv"), *args])
    assert result.exit_code == 2 and message in result.output


def test_signing_key_commands(app, runner, client):
    generated = runner.invoke(args=["auditor", "signing-key", "--generate"]).output.splitlines()[-1]
    assert signing.parse_key(generated)
    shown = runner.invoke(args=["auditor", "signing-key"]).output.splitlines()
    assert shown[1] == client.get("/audit/signing-key").get_json()["public_key"]
    assert shown[2] == "-----BEGIN PUBLIC KEY-----"


@pytest.mark.parametrize("bad", ["short", "!!!!", "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----"])
def test_a_bad_signing_key_stops_the_app(database_uri, bad):
    from consent_service import create_app

    with pytest.raises((RuntimeError, ValueError)):
        create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_uri, "AUDIT_SIGNING_KEY": bad})


def test_configured_signing_key_is_used(make_app):
    text = signing.new_key_text()
    app = make_app(AUDIT_SIGNING_KEY=text)
    with app.app_context():
        info = signing.public_key_info()
    assert info["key_id"] == key_id(decode_public_key(info["pem"]))
    assert signing.parse_key(text).public_key().public_bytes_raw() == decode_public_key(info["public_key"])


def test_without_a_key_outside_testing_there_is_no_key_and_no_head(make_app, monkeypatch):
    """A 404, not a 503: a key missing from the configuration does not come back by waiting."""
    monkeypatch.delenv("AUDIT_SIGNING_KEY", raising=False)
    app = make_app(TESTING=False, SECRET_KEY="k" * 40)
    token = make_auditor(app)
    for path, headers in [("/audit/signing-key", {}), ("/audit/chain-head?site=entrack", bearer(token))]:
        response = app.test_client().get(path, headers=headers)
        assert response.status_code == 404 and "AUDIT_SIGNING_KEY" in response.get_json()["error"], path
