"""The Nu HTML checker (vnu) over every page of the auditors' portal and the visitor's pages, rendered by
the service itself on a fresh SQLite database with a few decisions: the sign-in page, the export with a
good and a bad filter and the chain status, the look-up (found, bad id), a policy snapshot and an
unknown one, the statistics (with a bad date) and its SVG chart, the cookie scans (the list, one running),
the privacy notice and "Your consent".

Needs java (Debian: ``apt-get install default-jre-headless``) and vnu.jar (``npm install vnu-jar``; give
its path with --vnu or VNU_JAR, else ./node_modules and npm's global folder are searched).

    .venv/bin/python -m bench.html_check [--vnu PATH] [--keep DIR]

Prints the checker's messages and exits 0 only when it finds no error (warnings are printed too).
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from flask_migrate import upgrade

from consent_service import create_app
from consent_service.audit import service as audit_service
from consent_service.extensions import db
from consent_service.policies import site_hashes
from consent_service.scanner import service as scanner_service

SECRET = "h" * 64
DECISION = {"site": "entrack", "categories": {"analytics": True, "marketing": False}, "action": "custom",
            "policy_version": "2026-11-01", "language": "fi", "page_url": "https://www.entrack.fi/palvelut"}


def find_vnu(given):
    """The path of vnu.jar: given, VNU_JAR, ./node_modules, or npm's global folder."""
    candidates = [given, os.environ.get("VNU_JAR"), "node_modules/vnu-jar/build/dist/vnu.jar"]
    if shutil.which("npm"):
        root = subprocess.run(["npm", "root", "-g"], capture_output=True, text=True).stdout.strip()
        candidates.append(f"{root}/vnu-jar/build/dist/vnu.jar")
    found = next((path for path in candidates if path and Path(path).is_file()), None)
    if found is None or not shutil.which("java"):
        sys.exit("Needs java (apt-get install default-jre-headless) and vnu.jar (npm install vnu-jar; --vnu PATH)")
    return found


def csrf(client, path):
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', client.get(path).get_data(as_text=True)).group(1)


def pages(app):
    """``{file name: HTML}`` of every page checked."""
    visitor = app.test_client()
    first = visitor.post("/api/v1/consents", json=DECISION).get_json()
    visitor.post("/api/v1/consents", json={**DECISION, "consent_id": first["consent_id"], "token": first["token"],
                                           "action": "accept_all", "categories": {"analytics": True, "marketing": True}})
    with app.app_context():
        token = audit_service.create_auditor("checker")[1]
    auditor = app.test_client()
    shown = {"sign-in": auditor.get("/audit/")}
    auditor.post("/audit/sign-in", data={"token": token, "csrf_token": csrf(auditor, "/audit/")})
    auditor.post("/audit/chain-checks", data={"site": "entrack", "csrf_token": csrf(auditor, "/audit/")})
    with app.app_context():
        snapshot = site_hashes("entrack")["fi"]
        scan_id = scanner_service.create_scan(scanner_service.plan_for("entrack", ["https://www.entrack.fi/"]), "checker").id
    paths = {
        "export": "/audit/?site=entrack&from=2026-01-01&to=2099-12-31",
        "export-bad-date": "/audit/?site=entrack&from=2026-02-30&to=20261",
        "lookup-empty": "/audit/lookup",
        "lookup": f"/audit/lookup?consent_id={first['consent_id']}",
        "lookup-bad-id": "/audit/lookup?consent_id=not-an-id",
        "policy": f"/audit/policies/{snapshot}/view",
        "policy-unknown": f"/audit/policies/{'0' * 64}/view",
        "stats": "/audit/stats",
        "stats-bad-date": "/audit/stats?site=entrack&from=2026-13-01",
        "scans": "/audit/scans/",
        "scan-running": f"/audit/scans/{scan_id}",
        "privacy": "/privacy/entrack?lang=sv",
        "my-consent-no-token": "/my-consent?site=entrack&lang=en",
    }
    shown.update({name: auditor.get(path) for name, path in paths.items()})
    shown["my-consent"] = visitor.post("/my-consent?site=entrack&lang=fi",
                                       data={"token": first["token"], "csrf_token": csrf(visitor, "/my-consent?site=entrack")})
    pages = {f"{name}.html": response.get_data(as_text=True) for name, response in shown.items()}
    pages["stats.svg"] = auditor.get("/audit/stats.svg").get_data(as_text=True)
    return pages


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--vnu", help="path of vnu.jar")
    parser.add_argument("--keep", help="also write the pages to this folder")
    options = parser.parse_args()
    vnu = find_vnu(options.vnu)
    with tempfile.TemporaryDirectory() as folder:
        app = create_app({"TESTING": True, "SECRET_KEY": SECRET, "REVOCATION_POLL_SECONDS": 0,
                          "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder}/check.sqlite3"})
        with app.app_context():
            upgrade()
        out = Path(options.keep or folder)
        out.mkdir(parents=True, exist_ok=True)
        files = []
        for name, html in pages(app).items():
            (out / name).write_text(html, encoding="utf-8")
            files.append(str(out / name))
        with app.app_context():
            db.engine.dispose()
        result = subprocess.run(["java", "-jar", vnu, "--also-check-svg", "--format", "gnu", *sorted(files)], capture_output=True, text=True)
    messages = [line.replace(str(out) + "/", "") for line in (result.stderr + result.stdout).splitlines() if line.strip()]
    print("\n".join(messages) or "no messages")
    errors = [line for line in messages if ": error:" in line or ": fatal:" in line]
    print(f"{len(files)} documents checked, {len(errors)} errors, {len(messages) - len(errors)} warnings or infos")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
