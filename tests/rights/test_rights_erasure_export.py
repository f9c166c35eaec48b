"""An erased history still verifies offline in the auditor's consent-proof CSV."""
import csv
import io

import pytest

from consent_service.proof import cli as verifier_cli

ERASED = ("ip_prefix", "user_agent", "page_url", "pii_salt")


@pytest.fixture
def auditor_token(runner):
    result = runner.invoke(args=["auditor", "create", "tester"])
    assert result.exit_code == 0, result.output
    return result.output.strip().splitlines()[-1]


@pytest.fixture
def erased_history(client, consent_body):
    """Three visitors; the second erases their data after changing their mind once."""
    answers = [client.post("/api/v1/consents", json={**consent_body, "page_url": f"https://www.entrack.fi/{n}"},
                           headers={"User-Agent": f"Agent {n}"}).get_json() for n in range(3)]
    eraser = answers[1]
    changed = client.post("/api/v1/consents", json={**consent_body, "consent_id": eraser["consent_id"], "token": eraser["token"],
                                                    "action": "reject_all",
                                                    "categories": {"analytics": False, "marketing": False}})
    assert changed.status_code == 201
    erased = client.delete(f"/api/v1/consents/{eraser['consent_id']}",
                           headers={"Authorization": f"Bearer {eraser['token']}"})
    assert erased.status_code == 200
    return eraser["consent_id"]


def export(client, auditor_token):
    answer = client.get("/audit/consents.csv", query_string={"site": "entrack"},
                        headers={"Authorization": f"Bearer {auditor_token}"})
    assert answer.status_code == 200, answer.get_data(as_text=True)
    return answer.get_data(as_text=True)


def test_erased_history_verifies_in_the_csv_export(client, auditor_token, erased_history, tmp_path, capsys):
    text = export(client, auditor_token)
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [row["action"] for row in rows] == ["custom", "custom", "custom", "reject_all", "erase"]
    for row in rows:
        mine = row["consent_id"] == erased_history
        assert all((row[name] == "") == mine for name in ERASED), row
    path = tmp_path / "consents.csv"
    path.write_text(text, encoding="utf-8")
    assert verifier_cli.main([str(path), "--complete"]) == 0
    assert "one unbroken chain from the genesis" in capsys.readouterr().out


def test_restored_personal_field_in_the_csv_is_caught(client, auditor_token, erased_history, tmp_path):
    rows = list(csv.reader(io.StringIO(export(client, auditor_token))))
    column = rows[0].index("user_agent")
    erased_row = next(row for row in rows[1:] if row[1] == erased_history)
    erased_row[column] = "Agent 1"
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    path = tmp_path / "consents.csv"
    path.write_text(buffer.getvalue(), encoding="utf-8")
    assert verifier_cli.main([str(path)]) == 1
