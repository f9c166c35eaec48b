"""A change of mind in the banner carries its proof, and the token it replaced stops counting."""
import json
from urllib.parse import unquote

from tests.support.records import wait_for_records

from .banner_pages import app_config  # noqa: F401  (the host pages' sites file)
from .banner_pages import banner, settings


def cookie_token(context):
    [value] = [cookie["value"] for cookie in context.cookies() if cookie["name"] == "consent_entrack"]
    return json.loads(unquote(value))["t"]


def state(page, live_server, token):
    answer = page.request.get(f"{live_server}/api/v1/consent-state", headers={"Authorization": f"Bearer {token}"})
    return answer.json()


def test_change_of_mind_revokes_the_earlier_token(page, live_server, app):
    page.goto(f"{live_server}/demo?lang=en")
    banner(page).get_by_role("button", name="Accept all").click()
    [first] = wait_for_records(app, 1, page=page)
    granted = cookie_token(page.context)
    assert state(page, live_server, granted)["valid"] is True
    page.get_by_role("button", name="Cookie settings", exact=True).click()
    settings(page).get_by_role("button", name="Reject all").click()
    [_, second] = wait_for_records(app, 2, page=page)
    assert second.consent_id == first.consent_id and second.action in ("withdraw", "reject_all")
    old = state(page, live_server, granted)
    assert old["valid"] is False and old["reason"] in ("withdrawn", "superseded")
    newest = state(page, live_server, cookie_token(page.context))
    assert newest["valid"] is True and newest["categories"] == {"necessary": True, "analytics": False,
                                                                "marketing": False}
