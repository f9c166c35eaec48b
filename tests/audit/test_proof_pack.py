"""GET /audit/proof.zip and `flask consent proof`: what a proof pack holds, who may have one, bad input;
GET /audit/policies/<hash>."""
import base64
import csv
import hashlib
import io
import json
import re
import zipfile

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import select

from consent_service import policies
from consent_service.audit import verifier
from consent_service.audit.models import AuditExport
from consent_service.extensions import db

from tests.support.audit import add_records, bearer, make_auditor
from tests.support.packs import download, members, record_cases
from tests.support.rights import app_config  # noqa: F401  (the shipped site and a second, other)

ORDER = ["consents.csv", "head.json", "policies/", "policies/", "verify.pyz", "README.txt", "manifest.json",
         "manifest.sig"]


@pytest.fixture
def token(app):
    return make_auditor(app, "alice", ["entrack"])


@pytest.fixture
def visitor(app, client, consent_body):
    return record_cases(app, client, consent_body)


def public_key(client):
    raw = base64.b64decode(client.get("/audit/signing-key").get_json()["public_key"])
    return Ed25519PublicKey.from_public_bytes(raw)


def test_the_whole_chain_pack_holds_every_file_in_order(client, app, token, visitor):
    files = members(download(client, token))
    assert [name[:9] if name.startswith("policies/") else name for name in files] == ORDER
    assert files["consents.csv"] == client.get("/audit/consents.csv?site=entrack", headers=bearer(token)).data
    manifest = json.loads(files["manifest.json"])
    assert {key: manifest[key] for key in ("format", "site", "filter", "export_scope", "whole_chain", "rows",
                                           "first_seq", "last_seq")} == {
        "format": "consent-proof-pack/1", "site": "entrack", "filter": {"site": ["entrack"]},
        "export_scope": "whole chain from seq 1", "whole_chain": True, "rows": 5, "first_seq": 1, "last_seq": 5}
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z", manifest["created_at"])
    signed = {name for name in files if name not in ("manifest.json", "manifest.sig")}
    assert set(manifest["files"]) == signed
    for name in signed:
        assert manifest["files"][name] == {"sha256": hashlib.sha256(files[name]).hexdigest(), "bytes": len(files[name])}
    assert manifest["signing_key"]["key_id"] == client.get("/audit/signing-key").get_json()["key_id"]
    public_key(client).verify(files["manifest.sig"], files["manifest.json"])  # raises if it does not hold
    assert files["verify.pyz"] == verifier.zipapp_bytes()


def test_every_member_is_dated_as_the_pack_and_deflated(client, token, visitor):
    data = download(client, token)
    created = json.loads(members(data)["manifest.json"])["created_at"]
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        infos = archive.infolist()
    moment = tuple(int(part) for part in re.split(r"[-T:.]", created)[:6])
    assert {info.date_time for info in infos} == {moment[:5] + (moment[5] // 2 * 2,)}  # ZIP keeps even seconds
    assert {info.compress_type for info in infos} == {zipfile.ZIP_DEFLATED}


def test_the_head_is_signed_at_the_last_row(client, app, token, visitor):
    files = members(download(client, token))
    head = json.loads(files["head.json"])
    last = files["consents.csv"].decode().splitlines()[-1].split(",")
    assert (head["site"], head["seq"], head["head_hash"]) == ("entrack", 5, last[15])
    public_key(client).verify(base64.b64decode(head["signed"]["signature"]), head["signed"]["payload"].encode())
    assert json.loads(files["manifest.json"])["head"] == {"seq": 5, "head_hash": head["head_hash"]}


def test_every_snapshot_the_rows_name_is_in_the_pack_as_stored(client, app, token, visitor):
    files = members(download(client, token))
    with app.app_context():
        expected = {policies.current_snapshot("entrack", language).hash: policies.current_snapshot("entrack", language)
                    for language in ("fi", "sv")}
    assert sorted(expected) == json.loads(files["manifest.json"])["policies"]
    for snapshot_hash, snapshot in expected.items():
        body = files[f"policies/{snapshot_hash}.json"]
        assert body == snapshot.body.encode("utf-8") and hashlib.sha256(body).hexdigest() == snapshot_hash


def test_one_visitors_pack_holds_every_record_of_the_consent(client, app, token, visitor):
    files = members(download(client, token, f"site=entrack&consent_id={visitor}"))
    csv_export = client.get(f"/audit/consents.csv?site=entrack&consent_id={visitor}", headers=bearer(token)).data
    assert files["consents.csv"] == csv_export
    manifest = json.loads(files["manifest.json"])
    assert (manifest["rows"], manifest["first_seq"], manifest["last_seq"], manifest["whole_chain"]) == (2, 3, 5, False)
    assert manifest["export_scope"] == f"filtered: site entrack, consent_id {visitor}"
    assert manifest["filter"] == {"site": ["entrack"], "consent_id": visitor}
    assert len(manifest["policies"]) == 1 and json.loads(files["head.json"])["seq"] == 5


def test_a_time_range_pack_and_an_empty_one(client, app, token, visitor):
    ranged = members(download(client, token, "site=entrack&from=2000-01-01&to=2999-12-31"))
    manifest = json.loads(ranged["manifest.json"])
    assert (manifest["rows"], manifest["whole_chain"]) == (5, False)
    assert manifest["filter"]["from"] == "2000-01-01T00:00:00.000000Z"
    empty = members(download(client, token, "site=entrack&to=2000-01-01"))
    manifest = json.loads(empty["manifest.json"])
    assert (manifest["rows"], manifest["first_seq"], manifest["policies"]) == (0, None, [])
    assert json.loads(empty["head.json"])["seq"] == 5  # where the chain stood


def test_the_zip_is_streamed_without_seeking(client, token, visitor):
    """Every member's sizes follow its data (a data descriptor): zipfile wrote to a sink it could not seek."""
    response = client.get("/audit/proof.zip?site=entrack", headers=bearer(token))
    assert response.is_streamed and response.mimetype == "application/zip"
    assert re.fullmatch(r'attachment; filename="proof-entrack-\d{8}T\d{6}Z\.zip"',
                        response.headers["Content-Disposition"])
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    assert all(entry.flag_bits & 0x08 and entry.compress_type == zipfile.ZIP_DEFLATED for entry in archive.infolist())
    assert archive.testzip() is None


def test_the_readme_says_it_in_three_languages(client, token, visitor):
    readme = members(download(client, token))["README.txt"].decode("utf-8")
    for words in ("Näin tarkistat paketin", "Så kontrollerar du paketet", "How to check the pack",
                  "python3 verify.pyz PACK.zip --public-key KEY", "openssl pkeyutl -verify", "site entrack"):
        assert words in readme


def test_the_download_is_logged(client, app, token, visitor):
    download(client, token, f"site=entrack&consent_id={visitor}")
    with app.app_context():
        entry = db.session.scalars(select(AuditExport).order_by(AuditExport.id.desc())).first()
    assert (entry.who, entry.kind) == ("alice", "proof")
    assert json.loads(entry.filter) == {"site": ["entrack"], "consent_id": visitor}


def test_a_signed_in_browser_downloads_it_too(client, token, visitor):
    page = client.get("/audit/").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    assert client.post("/audit/sign-in", data={"token": token, "csrf_token": csrf}).status_code == 302
    response = client.get("/audit/proof.zip?site=entrack")
    assert response.status_code == 200 and "manifest.sig" in members(response.data)


@pytest.mark.parametrize(("headers", "message"), [
    ({}, "Not signed in"),
    ({"Authorization": "Bearer not-a-token"}, "unknown or was revoked"),
])
@pytest.mark.parametrize("path", ["/audit/proof.zip?site=entrack", f"/audit/policies/{'a' * 64}"])
def test_no_or_bad_token_is_401(client, token, headers, message, path):
    response = client.get(path, headers=headers)
    assert response.status_code == 401 and message in response.get_json()["error"]


@pytest.mark.parametrize(("query", "status", "field"), [
    ("", 400, "site"),
    ("site=entrack&from=2026-13-01", 400, "from"),
    ("site=entrack&consent_id=42", 400, "consent_id"),
    ("site=entrack&consent_id=1b4e28ba-2fa1-11d2-883f-0016d3cca427&from=2026-11-01", 400, "consent_id"),
    ("site=entrack&action=accept_all", 400, "action"),
    ("site=nowhere", 403, None),
    ("site=other", 403, None),
    ("site=entrack&consent_id=1b4e28ba-2fa1-11d2-883f-0016d3cca427", 404, None),
])
def test_bad_input_is_a_json_error_and_nothing_is_logged(client, app, token, visitor, query, status, field):
    response = client.get(f"/audit/proof.zip?{query}", headers=bearer(token))
    assert response.status_code == status and response.mimetype == "application/json"
    body = response.get_json()
    assert body["error"]
    if field:
        assert field in body["messages"]
    with app.app_context():
        assert db.session.scalar(select(AuditExport).where(AuditExport.kind == "proof")) is None


def test_without_a_signing_key_it_is_404_before_anything_is_sent(client, app, token, visitor):
    app.extensions["audit_signing_key"] = None
    response = client.get("/audit/proof.zip?site=entrack", headers=bearer(token))
    assert response.status_code == 404 and "AUDIT_SIGNING_KEY" in response.get_json()["error"]


def test_the_command_writes_the_same_pack(app, runner, client, token, visitor, tmp_path):
    path = tmp_path / "visitor.zip"
    result = runner.invoke(args=["consent", "proof", "--site", "entrack", "--consent-id", visitor, "--out", str(path)])
    assert result.exit_code == 0, result.output
    assert f"2 records packed in {path}" in result.output and "--public-key KEY" in result.output
    files = members(path.read_bytes())
    served = members(download(client, token, f"site=entrack&consent_id={visitor}"))
    assert files["consents.csv"] == served["consents.csv"] and list(files) == list(served)
    assert json.loads(files["manifest.json"])["filter"] == {"site": ["entrack"], "consent_id": visitor}
    whole = tmp_path / "whole.zip"
    assert runner.invoke(args=["consent", "proof", "--site", "entrack", "--out", str(whole)]).exit_code == 0
    assert json.loads(members(whole.read_bytes())["manifest.json"])["rows"] == 5
    with app.app_context():
        logged = db.session.scalars(select(AuditExport.who).where(AuditExport.kind == "proof")).all()
    assert sum(who.startswith("cli:") for who in logged) == 2


@pytest.mark.parametrize(("args", "message"), [
    (["--site", "nowhere"], "unknown site nowhere"),
    (["--site", "entrack", "--consent-id", "42"], "is not a consent id"),
    (["--site", "entrack", "--consent-id", "1b4e28ba-2fa1-11d2-883f-0016d3cca427", "--from", "2026-11-01"],
     "leave out --from and --to"),
    (["--site", "entrack", "--consent-id", "1b4e28ba-2fa1-11d2-883f-0016d3cca427"], "No consent"),
    (["--site", "entrack", "--from", "yesterday"], "Not a date"),
])
def test_the_command_refuses_bad_input_and_writes_nothing(runner, visitor, tmp_path, args, message):
    folder = tmp_path / "out"
    folder.mkdir()
    result = runner.invoke(args=["consent", "proof", *args, "--out", str(folder / "pack.zip")])
    assert result.exit_code != 0 and message in result.output
    assert list(folder.iterdir()) == []


def test_a_policy_snapshot_by_its_hash(client, app, token, visitor):
    with app.app_context():
        snapshot = policies.current_snapshot("entrack", "fi")
    body = client.get(f"/audit/policies/{snapshot.hash}", headers=bearer(token)).get_json()
    assert {key: body[key] for key in ("hash", "site", "language", "policy_version", "current", "stored")} == {
        "hash": snapshot.hash, "site": "entrack", "language": "fi", "policy_version": snapshot.policy_version,
        "current": True, "stored": True}
    assert body["snapshot"] == snapshot.content and body["stored_at"].endswith("Z")


def test_a_current_snapshot_no_record_points_at_is_not_stored(client, app, token, visitor):
    with app.app_context():
        english = policies.current_snapshot("entrack", "en").hash
    body = client.get(f"/audit/policies/{english}", headers=bearer(token)).get_json()
    assert (body["current"], body["stored"], body["stored_at"]) == (True, False, None)


def test_an_older_snapshot_stays_readable_after_the_texts_change(make_app, app, token, visitor, tmp_path):
    with app.app_context():
        old = policies.current_snapshot("entrack", "fi").hash
    changed = tmp_path / "changed.toml"
    changed.write_text((tmp_path / "sites.toml").read_text(encoding="utf-8").replace(
        "Entrack Oy Ab", "Entrack Oyj", 1), encoding="utf-8")
    later = make_app(CONSENT_SITES_FILE=str(changed)).test_client()
    body = later.get(f"/audit/policies/{old}", headers=bearer(token)).get_json()
    assert (body["hash"], body["current"], body["stored"]) == (old, False, True)


@pytest.mark.parametrize(("snapshot_hash", "status"), [
    ("0" * 64, 404),
    ("other-fi", 404),  # a snapshot of a site alice may not see: the same answer as an unknown hash
    ("A" * 64, 400),
    ("abc", 400),
])
def test_an_unknown_foreign_or_malformed_hash(client, app, token, visitor, snapshot_hash, status):
    if snapshot_hash == "other-fi":
        with app.app_context():
            snapshot_hash = policies.current_snapshot("other", "fi").hash
    response = client.get(f"/audit/policies/{snapshot_hash}", headers=bearer(token))
    assert response.status_code == status and response.get_json()["error"]
    if status == 404:
        assert response.get_json()["error"] == f"No policy snapshot {snapshot_hash} is known in a site you may see."


def test_both_endpoints_are_in_the_openapi_document(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    assert paths["/audit/proof.zip"]["get"]["operationId"] == "getAuditProofPack"
    assert paths["/audit/policies/{snapshot_hash}"]["get"]["responses"]["200"]["content"]["application/json"]


def test_records_of_another_site_stay_out(client, app, token, visitor):
    add_records(app, {}, site="other")
    manifest = json.loads(members(download(client, token))["manifest.json"])
    assert manifest["rows"] == 5


@pytest.mark.parametrize("size", [1, 7, 113, 4096, 1 << 20])
def test_the_tally_reads_the_rows_as_the_csv_module_does(size):
    """Whatever the chunks' bounds (inside a quoted line break, inside a UTF-8 character), the manifest's
    count, seqs, scope and policy hashes are those of the file."""
    from consent_service.audit.pack import RowTally
    from consent_service.proof.csvfile import COLUMNS

    agents = ['Mozilla "quoted", with commas', "line\nbreak", "crlf\r\nbreak", "äö €", "plain", '=1+1;"x"']
    text = io.StringIO(newline="")
    writer = csv.writer(text)
    writer.writerow(COLUMNS)
    for seq in range(3, 60):
        row = dict.fromkeys(COLUMNS, "x")
        row.update(seq=seq, policy_hash=("" if seq % 4 else f"{seq % 3:064x}"), user_agent=agents[seq % len(agents)],
                   export_scope="filtered: site entrack, from 2026")
        writer.writerow([row[name] for name in COLUMNS])
    data = text.getvalue().encode("utf-8")
    if size == 7:
        data = data.removesuffix(b"\r\n")  # a last row without its line break is read too
    tally = RowTally()
    for start in range(0, len(data), size):
        tally.feed(data[start:start + size])
    tally.finish()
    rows = list(csv.DictReader(io.StringIO(text.getvalue(), newline="")))
    assert (tally.rows, tally.first_seq, tally.last_seq, tally.scope) == (57, 3, 59, "filtered: site entrack, from 2026")
    assert tally.snapshots() == sorted({row["policy_hash"] for row in rows} - {""}) and len(rows) == 57
