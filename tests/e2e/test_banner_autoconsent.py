"""The visitor's own privacy tool: DuckDuckGo's autoconsent (the real library, npm, MPL-2.0) with our rule
finds the banner, rejects, and the service stores reject_all."""
import json
import subprocess
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.support.records import wait_for_records
from tests.support.waiting import browser_pause, wait_for

from .banner_pages import app_config  # noqa: F401  (the host pages' sites file)
from .banner_pages import banner, host_page

ROOT = Path(__file__).resolve().parents[2]
RULE = ROOT / "static" / "banner" / "autoconsent" / "consent-service.json"
AUTOCONSENT = "@duckduckgo/autoconsent@16.23.0"
# Installed by the tests when missing; node_modules/ is ignored by git.
TOOLS = ROOT / "tests" / "e2e" / "autoconsent"
CONTENT_SCRIPT = TOOLS / "node_modules" / "@duckduckgo" / "autoconsent" / "dist" / "autoconsent.playwright.js"
CONFIG = {
    "enabled": True, "autoAction": "optOut", "disabledCmps": [], "enablePrehide": False,
    "enableCosmeticRules": False, "enableGeneratedRules": False, "enableHeuristicDetection": False,
    "detectRetries": 20, "isMainWorld": False, "prehideTimeout": 2000,
    "logs": {"lifecycle": False, "rulesteps": False, "detectionsteps": False, "evals": False, "errors": True,
             "messages": False, "waits": False},
}


@pytest.fixture(scope="session")
def autoconsent_script():
    """autoconsent's content script for Playwright, installed with npm on first use."""
    if not CONTENT_SCRIPT.exists():
        subprocess.run(["npm", "install", "--prefix", str(TOOLS), "--no-save", "--no-package-lock", "--no-audit",
                        "--no-fund", "--ignore-scripts", AUTOCONSENT], check=True, capture_output=True, timeout=300)
    return CONTENT_SCRIPT.read_text(encoding="utf-8")


def run_autoconsent(page, script):
    """Inject autoconsent before the page's scripts, answer its init with our rule only; its messages."""
    rule = json.loads(RULE.read_text(encoding="utf-8"))
    messages = []

    def on_message(source, message):
        messages.append(message)
        if message["type"] == "init":
            answer = {"type": "initResp", "config": CONFIG, "rules": {"autoconsent": [rule]}}
            source["frame"].evaluate("(answer) => window.autoconsentReceiveMessage(answer)", answer)
        elif message["type"] == "eval":
            result = source["frame"].evaluate(message["code"])
            source["frame"].evaluate("(answer) => window.autoconsentReceiveMessage(answer)",
                                     {"type": "evalResp", "id": message["id"], "result": result})
        elif message["type"] == "autoconsentDone":
            source["frame"].evaluate("() => window.autoconsentReceiveMessage({type: 'selfTest'})")

    page.expose_binding("autoconsentSendMessage", on_message)
    page.add_init_script(script)
    return messages


def of_type(messages, kind):
    return [message for message in messages if message["type"] == kind]


def test_autoconsent_finds_the_banner_and_rejects(page, live_server, host, app, autoconsent_script):
    messages = run_autoconsent(page, autoconsent_script)
    page.goto(host.add("/shop", host_page(live_server, attrs=' data-lang="fi"')))
    wait_for(lambda: of_type(messages, "selfTestResult"), timeout=15, pause=browser_pause(page))
    assert [m["cmp"] for m in of_type(messages, "cmpDetected")] == ["consent-service"]
    assert [m["cmp"] for m in of_type(messages, "popupFound")] == ["consent-service"]
    assert [(m["cmp"], m["result"]) for m in of_type(messages, "optOutResult")] == [("consent-service", True)]
    assert [(m["cmp"], m["result"]) for m in of_type(messages, "selfTestResult")] == [("consent-service", True)]
    assert not of_type(messages, "autoconsentError")
    expect(banner(page)).to_have_count(0)
    [record] = wait_for_records(app, 1, page=page)
    assert (record.action, record.analytics, record.marketing) == ("reject_all", False, False)
    assert page.evaluate("consentService.get().categories") == {"necessary": True, "analytics": False, "marketing": False}


def test_a_visitor_who_decided_is_left_alone(page, live_server, host, app, autoconsent_script):
    url = host.add("/shop", host_page(live_server))
    page.goto(url)
    banner(page).get_by_role("button", name="Accept all").click()
    wait_for_records(app, 1, page=page)
    messages = run_autoconsent(page, autoconsent_script)
    page.goto(url)
    settled = wait_for(lambda: [m for m in of_type(messages, "report") if m["state"]["lifecycle"] == "cmpDetected"],
                       timeout=15, pause=browser_pause(page))
    assert settled and settled[-1]["state"]["detectedCmps"] == ["consent-service"]
    page.wait_for_load_state("networkidle")
    assert not of_type(messages, "popupFound") and not of_type(messages, "optOutResult")
    assert [r.action for r in wait_for_records(app, 1, page=page)] == ["accept_all"]
