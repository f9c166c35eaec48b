"""Helpers of the proof-pack tests: a ledger with records of every kind, a pack's members read and
rewritten as someone tampering with it would."""
import csv
import io
import zipfile

from tests.support.audit import add_records, bearer

CHANGE_OF_MIND = {"action": "withdraw", "categories": {"analytics": False, "marketing": False}}


def record_cases(app, client, consent_body):
    """Five records of entrack: two stored before policy snapshots (one with a cell a spreadsheet would
    run), a visitor's decision in Finnish, another visitor's in Swedish, the first visitor's withdrawal.
    Returns the first visitor's consent id."""
    add_records(app, {"action": "accept_all"}, {"user_agent": "=cmd()"})
    visitor = client.post("/api/v1/consents", json=consent_body).get_json()
    assert client.post("/api/v1/consents", json={**consent_body, "language": "sv"}).status_code == 201
    withdrawal = {**consent_body, **CHANGE_OF_MIND, "consent_id": visitor["consent_id"], "token": visitor["token"]}
    assert client.post("/api/v1/consents", json=withdrawal).status_code == 201
    return visitor["consent_id"]


def download(client, token, query="site=entrack"):
    """The pack's bytes from /audit/proof.zip."""
    response = client.get(f"/audit/proof.zip?{query}", headers=bearer(token))
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.data


def members(data):
    """``{name: bytes}`` of a ZIP, in the order of its entries."""
    archive = zipfile.ZipFile(io.BytesIO(data))
    return {name: archive.read(name) for name in archive.namelist()}


def rewrite_pack(path, change):
    """Let ``change`` edit the pack's ``{name: bytes}``, then write the ZIP again."""
    files = members(path.read_bytes())
    change(files)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)


def edit_rows(files, change):
    """Let ``change`` edit consents.csv's list of rows (the header first), as a spreadsheet saves it."""
    rows = list(csv.reader(io.StringIO(files["consents.csv"].decode("utf-8"), newline="")))
    change(rows)
    text = io.StringIO(newline="")
    csv.writer(text).writerows(rows)
    files["consents.csv"] = text.getvalue().encode("utf-8")
