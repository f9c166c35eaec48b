"""The production recipe of deploy/ on loopback: PostgreSQL (a fresh schema), the migrations once through
the migrate unit's command, two gunicorn instances through the instance unit's command and environment,
and nginx with the shipped site file in front of them."""
import base64
import os
import secrets
import signal
import subprocess

import pytest

from tests.support.databases import PostgresDatabases
from tests.support.servers import ROOT, Gunicorn, free_port, service_env

from . import nginx, units

POSTGRES_TEST_URL = "postgresql://postgres@127.0.0.1:5432/test"
SECRET_NAMES = ("FLASK_SECRET_KEY", "AUDIT_SIGNING_KEY", "DATABASE_URL")


def postgres_url():
    """DATABASE_URL when it names PostgreSQL, else the machine's test database: this recipe is PostgreSQL's."""
    url = os.environ.get("DATABASE_URL", "")
    return url if url.startswith(("postgresql", "postgres:")) else POSTGRES_TEST_URL


def deployment_env(database_uri):
    """The instance's environment: the example environment file, with fresh keys and the test's database."""
    from_file = {k: v for k, v in units.read_env_file().items() if k not in SECRET_NAMES}
    env = service_env(database_uri, **from_file)
    env["AUDIT_SIGNING_KEY"] = base64.b64encode(secrets.token_bytes(32)).decode()
    return env


class Deployment:
    """The running recipe: ``nginx``, ``instances`` (port -> Gunicorn), the database's URL and ``env``."""

    def __init__(self, tmp, database_uri):
        self.tmp, self.database_uri = tmp, database_uri
        self.env = deployment_env(database_uri)
        self.instances = {}
        self.ports = (free_port(), free_port())
        self.nginx = nginx.Nginx(tmp / "nginx", self.ports, free_port(), free_port())
        self.env["PUBLIC_URL"] = self.nginx.url  # the example's address is this nginx's here

    def migrate(self):
        """The migrate unit's ExecStart, once."""
        command, unit_env = units.service_command("consent-service-migrate.service")
        result = subprocess.run(command, cwd=ROOT, env={**self.env, **unit_env}, capture_output=True, text=True,
                                timeout=120)
        assert result.returncode == 0, result.stdout + result.stderr

    def start_instance(self, port):
        """consent-service@PORT as systemd would start it; the running server."""
        command, unit_env = units.service_command("consent-service@.service", str(port))
        env = {**self.env, **unit_env}
        log = self.tmp / f"gunicorn-{port}-{len([p for p in self.tmp.iterdir() if str(port) in p.name])}.log"
        server = Gunicorn(env, workers=int(env["WEB_CONCURRENCY"]), threads=int(env["GUNICORN_THREADS"]),
                          port=port, log_path=log)
        assert server.env["BIND"] == unit_env["BIND"] == f"127.0.0.1:{port}"
        server.args = command
        self.instances[port] = server.start()
        return server

    def kill_instance(self, port):
        """SIGKILL to the instance's master and workers at once, as when its host fails."""
        server = self.instances[port]
        os.killpg(server.process.pid, signal.SIGKILL)
        server.process.wait(10)
        server.stop()  # closes its log

    def stop(self):
        self.nginx.stop()
        for server in self.instances.values():
            server.stop()


@pytest.fixture(scope="module")
def deployment(tmp_path_factory):
    """deploy/ running: the migrations, two instances and nginx (module-wide: started once)."""
    nginx.ensure_installed()
    databases = PostgresDatabases(postgres_url())
    running = None
    try:
        running = Deployment(tmp_path_factory.mktemp("deploy"), databases.template_uri())
        running.migrate()
        for port in running.ports:  # from this thread: a server dies with the thread that started it
            running.start_instance(port)
        running.nginx.start()
        running.databases = databases
        yield running
    finally:
        if running:
            running.stop()
        databases.drop()
