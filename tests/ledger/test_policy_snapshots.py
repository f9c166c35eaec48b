"""Policy snapshots: each record names the canonical snapshot of the texts its visitor was shown."""
import hashlib
import json
import threading

import pytest
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError, OperationalError

from consent_service import policies
from consent_service.banner import snapshots as banner_snapshots
from consent_service.audit import export
from consent_service.extensions import db
from consent_service.ledger import writer
from consent_service.ledger.models import ConsentRecord
from consent_service.policies.models import PolicySnapshot
from consent_service.ledger.verification import check_stored_chain
from consent_service.policies.snapshots import Snapshot, canonical, content
from consent_service.proof import chain
from consent_service.proof.cli import check_and_report
from consent_service.sites import DEFAULT_FILE, SiteConfigError, load_sites

from tests.support.records import records
from tests.support.waiting import wait_for

SHIPPED_BODY_FI = "Käytämme välttämättömiä evästeitä sivuston toimintaan."


def changed_sites(tmp_path, old, new, name="sites.toml"):
    """A copy of the shipped sites file with one text changed."""
    text = DEFAULT_FILE.read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / name
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return str(path)


def post(client, body, **changes):
    return client.post("/api/v1/consents", json={**body, **changes})


def stored_snapshots(app):
    with app.app_context():
        return {row.hash: row for row in db.session.scalars(select(PolicySnapshot))}


def test_a_snapshot_is_everything_shown_in_one_language():
    site = load_sites()["entrack"]
    document = content(site, "sv")
    assert document["language"] == "sv" and document["site"] == "entrack"
    assert document["policy_version"] == site.policy_version
    assert document["texts"] == site.texts["sv"]
    assert document["controller"]["business_id"] == "1068143-6"
    analytics = next(category for category in document["categories"] if category["key"] == "analytics")
    assert analytics["label"] == "Analys" and analytics["required"] is False
    ga = next(cookie for cookie in analytics["cookies"] if cookie["name"] == "_ga")
    assert ga == {"name": "_ga", "pattern": False, "provider": "Google Analytics (Google Ireland Ltd)",
                  "purpose": "Skiljer besökare åt.", "duration": "2 år"}
    assert document["notice"]["purposes"][0]["title"]  # the privacy notice's facts, in Swedish
    assert "fi" not in json.dumps(document["texts"])  # one language only
    snapshot = Snapshot.of(document)
    assert snapshot.hash == hashlib.sha256(canonical(document).encode("utf-8")).hexdigest()
    assert json.loads(snapshot.body) == document and Snapshot.from_body(snapshot.body) == snapshot


def test_a_text_change_is_a_new_snapshot_of_that_language_only(tmp_path, make_app):
    before = policies.site_hashes("entrack", make_app())
    after = policies.site_hashes("entrack", make_app(
        CONSENT_SITES_FILE=changed_sites(tmp_path, SHIPPED_BODY_FI, "Käytämme vain välttämättömiä evästeitä.")))
    assert before["fi"] != after["fi"]
    assert (before["sv"], before["en"]) == (after["sv"], after["en"])


def test_a_record_points_at_the_snapshot_shown_and_it_is_stored_once(app, client, consent_body):
    hashes = policies.site_hashes("entrack", app)
    first = post(client, consent_body, policy_hash=hashes["fi"])
    second = post(client, consent_body)  # without a hash: the texts served now
    third = post(client, consent_body, language="en", policy_hash=hashes["en"])
    assert (first.status_code, second.status_code, third.status_code) == (201, 201, 201)
    assert [record.policy_hash for record in records(app)] == [hashes["fi"], hashes["fi"], hashes["en"]]
    stored = stored_snapshots(app)
    assert set(stored) == {hashes["fi"], hashes["en"]}
    for snapshot_hash, row in stored.items():
        assert hashlib.sha256(row.body.encode("utf-8")).hexdigest() == snapshot_hash
        assert (row.site, row.policy_version) == ("entrack", "2026-11-01")
    with app.app_context():
        assert check_stored_chain("entrack").ok


@pytest.mark.parametrize("policy_hash", ["0" * 64, "language:en"])
def test_an_unknown_snapshot_is_refused_and_nothing_is_stored(app, client, consent_body, policy_hash):
    if policy_hash == "language:en":  # a real snapshot, of another language than the decision's
        policy_hash = policies.site_hashes("entrack", app)["en"]
    answer = post(client, consent_body, policy_hash=policy_hash)
    assert answer.status_code == 409
    assert "No policy snapshot" in answer.get_json()["messages"]["policy_hash"][0]
    assert records(app) == [] and stored_snapshots(app) == {}


@pytest.mark.parametrize("policy_hash", ["ABC", "g" * 64, "0" * 63, 12])
def test_a_malformed_snapshot_hash_is_refused(client, consent_body, policy_hash):
    answer = post(client, consent_body, policy_hash=policy_hash)
    assert answer.status_code == 422 and "policy_hash" in answer.get_json()["messages"]


def test_an_older_stored_snapshot_is_still_accepted_after_a_text_change(tmp_path, make_app, consent_body):
    """A banner cached before the texts changed shows the old texts, and its decision says so."""
    old_app = make_app()
    old = policies.site_hashes("entrack", old_app)["fi"]
    assert post(old_app.test_client(), consent_body, policy_hash=old).status_code == 201
    new_app = make_app(CONSENT_SITES_FILE=changed_sites(tmp_path, SHIPPED_BODY_FI, "Uusi teksti."))
    new = policies.site_hashes("entrack", new_app)["fi"]
    client = new_app.test_client()
    assert post(client, consent_body, policy_hash=old).status_code == 201
    assert post(client, consent_body).status_code == 201
    assert [record.policy_hash for record in records(new_app)] == [old, old, new]
    with new_app.app_context():
        assert policies.find_snapshot(old).content["texts"]["body"].startswith(SHIPPED_BODY_FI)
        assert policies.find_snapshot(new).content["texts"]["body"].startswith("Uusi teksti.")
        assert check_stored_chain("entrack").ok


def test_a_snapshot_cannot_be_deleted_while_a_record_points_at_it(app, client, consent_body):
    assert post(client, consent_body).status_code == 201
    with app.app_context(), pytest.raises(IntegrityError):
        db.session.execute(delete(PolicySnapshot))
        db.session.commit()


def test_records_without_a_snapshot_verify_beside_records_with_one(app, client, consent_body, tmp_path):
    """Records stored before snapshots existed (policy_hash empty) keep their hash over the older fields."""
    with app.app_context():
        legacy = {"consent_id": "00000000-0000-4000-8000-000000000001", "action": "accept_all", "necessary": True,
                  "analytics": True, "marketing": True, "policy_version": "2026-10-01", "policy_hash": None,
                  "language": "fi", "gpc": False, "page_url": "https://www.entrack.fi/", "ip_prefix": "192.0.2.0/24",
                  "user_agent": "old browser"}
        record = writer.append("entrack", legacy)
        db.session.commit()
        assert record.record_hash == chain._digest([record.as_chain_dict()[name]
                                                    for name in chain.LEGACY_HASHED_FIELDS])
    assert post(client, consent_body).status_code == 201
    with app.app_context():
        assert check_stored_chain("entrack").ok
        path = tmp_path / "consents.csv"
        path.write_bytes(b"".join(export.csv_chunks(export.ExportFilter(("entrack",)))))
    lines = []
    assert check_and_report(str(path), out=lines.append) == 0, lines
    assert "2 rows, every row's hash verifies" in lines[0]


@pytest.mark.parametrize("blank", [True, False])
def test_a_changed_policy_hash_shows_as_an_edit(app, client, consent_body, blank):
    hashes = policies.site_hashes("entrack", app)
    assert post(client, consent_body, policy_hash=hashes["fi"]).status_code == 201
    assert post(client, consent_body, language="en", policy_hash=hashes["en"]).status_code == 201
    with app.app_context():
        db.session.execute(update(ConsentRecord).where(ConsentRecord.seq == 1)
                           .values(policy_hash=None if blank else hashes["en"]))
        db.session.commit()
        report = check_stored_chain("entrack")
    assert not report.ok and "record seq 1" in report.error and "edited" in report.error


@pytest.mark.parametrize("version", ["2026 11 01", "=1+2", "v\t1", "", "x" * 65, "-1"])
def test_policy_version_is_a_token(client, consent_body, version):
    answer = post(client, consent_body, policy_version=version)
    assert answer.status_code == 422 and "policy_version" in answer.get_json()["messages"]


def test_a_sites_file_with_a_policy_version_that_is_no_token_does_not_load(tmp_path):
    path = changed_sites(tmp_path, 'policy_version = "2026-11-01"', 'policy_version = "marraskuu 2026"')
    with pytest.raises(SiteConfigError, match="policy_version"):
        load_sites(path)


def test_serving_the_banner_stores_the_snapshots_it_carries(tmp_path, make_app, consent_body):
    """A banner cached across a restart that changed the texts, or served by an instance already on a
    new sites file, names a snapshot that no decision has stored yet: serving it had it stored."""
    old_app = make_app()
    old = policies.site_hashes("entrack", old_app)
    assert old_app.test_client().get("/banner.js").status_code == 200
    assert wait_for(lambda: set(stored_snapshots(old_app)), lambda found: found == set(old.values()),
                    timeout=10) == set(old.values())
    new_app = make_app(CONSENT_SITES_FILE=changed_sites(tmp_path, SHIPPED_BODY_FI, "Uusi teksti."))
    client = new_app.test_client()
    assert post(client, consent_body, policy_hash=old["fi"]).status_code == 201
    assert client.get("/banner.js?site=entrack").status_code == 200
    new = policies.site_hashes("entrack", new_app)
    assert new["en"] == old["en"] and new["fi"] != old["fi"]  # only the Finnish text changed
    assert new["fi"] in wait_for(lambda: stored_snapshots(new_app), lambda found: new["fi"] in found, timeout=10)
    assert post(old_app.test_client(), consent_body, policy_hash=new["fi"]).status_code == 201  # rolling deploy
    assert [record.policy_hash for record in records(new_app)] == [old["fi"], new["fi"]]


def test_the_banner_never_waits_for_its_snapshots_to_be_stored(app, monkeypatch, caplog, consent_body):
    """The database away: the banner goes out at once; the snapshots are stored once it is back."""
    back = threading.Event()
    calls = []
    store = writer.store_snapshots

    def away_then_back(snapshots):
        calls.append(len(snapshots))
        if not back.is_set():
            raise OperationalError("INSERT", {}, Exception("database away"))
        store(snapshots)

    monkeypatch.setattr(writer, "store_snapshots", away_then_back)
    monkeypatch.setattr(banner_snapshots, "RETRY_SECONDS", 0.05)
    client = app.test_client()
    assert client.get("/banner.js").status_code == 200
    assert client.get("/banner.js").status_code == 200
    assert wait_for(lambda: len(calls), lambda count: count >= 2, timeout=10) >= 2
    assert "policy snapshots not stored" in caplog.text and stored_snapshots(app) == {}
    back.set()
    assert wait_for(lambda: len(stored_snapshots(app)), lambda count: count == 3, timeout=10) == 3
    assert set(calls) == {3}  # one site, three languages, one thread
