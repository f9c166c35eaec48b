"""Helpers of the audit tests: records with chosen content and times, auditors, CSV read back."""
import csv
import io
import uuid
from datetime import datetime, timezone

from consent_service.audit import service as audit_service
from consent_service.extensions import db
from consent_service.ledger import writer

DEFAULTS = {
    "action": "custom", "necessary": True, "analytics": True, "marketing": False, "policy_version": "2026-11-01",
    "language": "fi", "gpc": False, "page_url": "https://www.entrack.fi/palvelut", "ip_prefix": "203.0.113.0/24",
    "user_agent": "Mozilla/5.0 test",
}
CHOICE_CATEGORIES = {"accept_all": (True, True), "reject_all": (False, False)}


def add_records(app, *specs, site="entrack"):
    """Append one record per spec (a dict of fields, plus ``at`` for recorded_at); return their consent ids."""
    ids = []
    with app.app_context():
        for spec in specs:
            spec = dict(spec)
            at = spec.pop("at", None) or datetime.now(timezone.utc)
            fields = {**DEFAULTS, "consent_id": str(uuid.uuid4()), **spec}
            if fields["action"] in CHOICE_CATEGORIES and "analytics" not in spec:
                fields["analytics"], fields["marketing"] = CHOICE_CATEGORIES[fields["action"]]
            writer.append(site, fields, now=at)
            ids.append(fields["consent_id"])
        db.session.commit()
    return ids


def make_auditor(app, name="alice", sites=()):
    """A new auditor's token."""
    with app.app_context():
        return audit_service.create_auditor(name, sites)[1]


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def read_csv(data):
    """The rows of a CSV body (bytes) as dicts, read back with Python's csv module."""
    return list(csv.DictReader(io.StringIO(data.decode("utf-8"), newline="")))


def utc(*args):
    return datetime(*args, tzinfo=timezone.utc)
