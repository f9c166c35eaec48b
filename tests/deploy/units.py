"""deploy/'s systemd units and environment file, read as systemd would and placed in this checkout:
the tests run the units' own commands with the units' own environment, on test ports.
"""
import shlex
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
UNITS = DEPLOY / "systemd"
ENV_EXAMPLE = DEPLOY / "consent-service.env.example"
INSTALLED_ROOT = "/opt/consent-service"
INSTALLED_ENV = "/etc/consent-service/consent-service.env"
VENV_BIN = Path(sys.executable).parent


def read_env_file(path=ENV_EXAMPLE):
    """``{name: value}`` of an EnvironmentFile: ``NAME=VALUE`` lines, comments and blank lines skipped."""
    values = {}
    for line in Path(path).read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            name, _, value = line.partition("=")
            values[name.strip()] = value.strip()
    return values


def read_unit(name):
    """``{section: [(key, value), ...]}`` of a unit file in deploy/systemd/ (keys may repeat)."""
    sections, current = {}, None
    for line in (UNITS / name).read_text().splitlines():
        line = line.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1], [])
        else:
            key, _, value = line.partition("=")
            current.append((key, value))
    return sections


def localised(text, instance=""):
    """A unit's value with %i expanded and the installed paths replaced by this checkout's."""
    text = text.replace("%i", instance)
    text = text.replace(f"{INSTALLED_ROOT}/.venv/bin/", f"{VENV_BIN}/")
    return text.replace(INSTALLED_ENV, str(ENV_EXAMPLE)).replace(INSTALLED_ROOT, str(ROOT))


def service_command(name, instance=""):
    """A unit's ExecStart as an argument list, and the variables its Environment= lines set."""
    service = read_unit(name)["Service"]
    (command,) = [value for key, value in service if key == "ExecStart"]
    environment = dict(value.split("=", 1) for key, value in service if key == "Environment")
    return (shlex.split(localised(command, instance)),
            {key: localised(value, instance) for key, value in environment.items()})


def localised_unit(name, directory, instance_user="root"):
    """The unit written to ``directory`` with this checkout's paths and ``instance_user`` as its
    user (there is no ``consent`` user on a test machine), for ``systemd-analyze verify``."""
    text = localised((UNITS / name).read_text())
    text = text.replace("User=consent", f"User={instance_user}").replace("Group=consent", f"Group={instance_user}")
    target = Path(directory) / name
    target.write_text(text)
    return target
