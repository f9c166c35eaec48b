"""deploy/systemd and the environment file: units that systemd accepts as written, and an example that
holds no secret. (tests/deploy/test_nginx.py runs the units' own commands.)"""
import re
import subprocess
from pathlib import Path

from .nginx import ensure_installed
from .units import ROOT, UNITS, localised_unit, read_env_file, read_unit, service_command

SYSTEMD_ANALYZE = Path("/usr/bin/systemd-analyze")


def test_units_pass_systemd_analyze_verify(tmp_path):
    """No unknown key, bad value or missing executable in any unit (warnings fail the test too)."""
    ensure_installed(SYSTEMD_ANALYZE, "systemd")
    for unit in UNITS.iterdir():
        localised_unit(unit.name, tmp_path)
    result = subprocess.run([str(SYSTEMD_ANALYZE), "verify", "--man=no", "consent-service@8001.service",
                             "consent-service-migrate.service", "consent-service.target"],
                            cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert (result.returncode, result.stdout + result.stderr) == (0, "")


def test_instances_migrate_first_and_bind_their_port():
    instance = read_unit("consent-service@.service")["Unit"]
    assert ("Requires", "consent-service-migrate.service") in instance
    assert any(key == "After" and "consent-service-migrate.service" in value.split() for key, value in instance)
    command, environment = service_command("consent-service@.service", "8001")
    assert "--no-control-socket" in command and command[-1] == "wsgi:app"
    assert environment == {"BIND": "127.0.0.1:8001"}
    assert service_command("consent-service-migrate.service")[0][-2:] == ["db", "upgrade"]


def test_environment_example_holds_no_secret_and_names_only_documented_variables():
    values = read_env_file()
    assert values["FLASK_SECRET_KEY"] == values["AUDIT_SIGNING_KEY"] == ""
    assert values["PROXY_FIX_X_FOR"] == "1"  # nginx, the one proxy in front
    documented = set(re.findall(r"`([A-Z][A-Z0-9_]+)`", (ROOT / "docs" / "deployment.md").read_text()))
    assert set(values) - documented == set()
