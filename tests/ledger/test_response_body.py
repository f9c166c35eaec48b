"""The POST's answer is made without marshmallow's dump (for speed): it must stay exactly what
``consent_out`` (the API document's schema) dumps, for a fresh record (aware time) and one read back
(naive on SQLite)."""
from datetime import datetime, timedelta, timezone

import pytest

from consent_service.ledger import service
from consent_service.ledger.models import ConsentRecord
from consent_service.ledger.schemas import consent_out
from consent_service.sites import find_site


@pytest.mark.parametrize("analytics, marketing", [(True, False), (False, True), (True, True), (False, False)])
@pytest.mark.parametrize("moment", [datetime(2026, 12, 1, 8, 0, 0, 123456, tzinfo=timezone.utc),
                                    datetime(2026, 12, 1, 8, 0, 0, 123456), datetime(2026, 12, 1, 8, 0, 0)],
                         ids=["aware", "naive", "whole-second"])
def test_the_answer_is_what_the_schema_dumps(app, analytics, marketing, moment):
    record = ConsentRecord(site="entrack", seq=7, consent_id="00000000-0000-4000-8000-000000000007",
                           action="custom", analytics=analytics, marketing=marketing,
                           policy_version="2026-11-01", recorded_at=moment)
    with app.app_context():
        site = find_site("entrack", app)
        body = service.response_body(site, record)
    expected = consent_out.dump({
        "consent_id": record.consent_id,
        "categories": {"necessary": True, "analytics": analytics, "marketing": marketing},
        "action": record.action, "policy_version": record.policy_version, "recorded_at": moment,
        "expires_at": moment + timedelta(days=site.consent_days), "token": body["token"],
    })
    assert body == expected
