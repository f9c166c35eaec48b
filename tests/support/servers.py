"""Servers for tests and benchmarks: a WSGI app in a thread, gunicorn on a free 127.0.0.1 port, and a
throwaway PostgreSQL cluster. Every process started here is stopped by ``stop()`` (or the context manager).
The benchmarks in bench/ import them from here; tests never import bench/.
"""
import contextlib
import ctypes
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

from werkzeug.serving import make_server

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
PG_BIN = Path(os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin"))
# High enough that a load from one address measures the service, not the limiter.
UNLIMITED = "1000000 per minute"


def die_with_parent():
    """In the child: SIGTERM when the process that started it dies, so that no server outlives a
    killed benchmark or test run (Linux prctl PR_SET_PDEATHSIG)."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)


def free_port():
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def serving(wsgi_app, host="127.0.0.1"):
    """``wsgi_app`` served on a free port of ``host`` (loopback) by a thread while the block runs; yields its
    base URL."""
    server = make_server(host, 0, wsgi_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://{host}:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=5)


def service_env(database_url, **extra):
    """The environment of a production-like service process."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FLASK_", "GUNICORN_", "WEB_CONCURRENCY"))}
    env.update({
        "DATABASE_URL": database_url,
        "FLASK_SECRET_KEY": env.get("BENCH_SECRET_KEY") or secrets.token_hex(32),
        "FLASK_RATELIMIT_CONSENT": UNLIMITED,
        "PYTHONPATH": str(ROOT),
        "PYTHONWARNINGS": "ignore",
    })
    env.update({k: str(v) for k, v in extra.items()})
    return env


def flask(args, env, timeout=120):
    """Run ``flask --app wsgi ...`` in the repository; raise with its output when it fails."""
    result = subprocess.run([str(BIN / "flask"), "--app", "wsgi", *args], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=timeout)
    if result.returncode:
        raise RuntimeError(f"flask {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout


def migrate(env):
    """``flask db upgrade`` once, before any worker starts."""
    flask(["db", "upgrade"], env)


def stop_process_group(process, grace=10):
    """SIGTERM to the process group that ``process`` (started with ``start_new_session``) leads, SIGKILL
    after ``grace`` seconds; always returns, and does nothing for a process that has ended."""
    if process is None or process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(grace)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(5)


class Gunicorn:
    """``gunicorn -c python:consent_service.gunicorn_config APP`` on a free port."""

    def __init__(self, env, app="wsgi:app", workers=2, threads=4, port=None, log_path=None, extra_args=()):
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {**env, "BIND": f"127.0.0.1:{self.port}", "WEB_CONCURRENCY": str(workers),
                    "GUNICORN_THREADS": str(threads), "GUNICORN_ACCESS_LOG": env.get("GUNICORN_ACCESS_LOG", "")}
        self.log_path = log_path or tempfile.mktemp(prefix="gunicorn-", suffix=".log")
        self.args = [str(BIN / "gunicorn"), "--no-control-socket", "-c", "python:consent_service.gunicorn_config",
                     *extra_args, app]
        self.process = None

    def start(self, ready_path="/api/v1/consent-state", timeout=30):
        self._log = open(self.log_path, "wb")
        self.process = subprocess.Popen(self.args, cwd=ROOT, env=self.env, stdout=self._log,
                                        stderr=subprocess.STDOUT, start_new_session=True,
                                        preexec_fn=die_with_parent)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited {self.process.returncode}:\n{self.log()}")
            try:
                with urllib.request.urlopen(self.url + ready_path, timeout=2):
                    return self
            except urllib.error.HTTPError as error:
                if error.code < 500:
                    return self
            except OSError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"gunicorn did not answer in {timeout} s:\n{self.log()}")

    def worker_pids(self):
        """The master's current worker processes."""
        path = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return [int(pid) for pid in path.read_text().split()] if path.exists() else []

    def cpu_seconds(self):
        """CPU time used so far by the master and its current workers (user + system)."""
        total = 0
        for pid in [self.process.pid, *self.worker_pids()]:
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            total += int(fields[11]) + int(fields[12])
        return total / os.sysconf("SC_CLK_TCK")

    def log(self):
        return Path(self.log_path).read_text(errors="replace") if Path(self.log_path).exists() else ""

    def stop(self):
        """SIGTERM to the process group, SIGKILL after 10 s; always returns."""
        stop_process_group(self.process)
        if getattr(self, "_log", None):
            self._log.close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


class PostgresCluster:
    """A throwaway PostgreSQL cluster in a temp dir, on its own port; never the shared one."""

    def __init__(self, directory=None):
        self.directory = Path(directory or tempfile.mkdtemp(prefix="consent-pg-"))
        self.data = self.directory / "data"
        self.port = free_port()
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"
        self._as_postgres = [] if os.geteuid() else ["runuser", "-u", "postgres", "--"]

    def _run(self, *args, timeout=60):
        subprocess.run([*self._as_postgres, *map(str, args)], check=True, timeout=timeout,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def init(self):
        if not os.geteuid():
            shutil.chown(self.directory, "postgres")
        self._run(PG_BIN / "initdb", "-D", self.data, "-U", "postgres", "--auth=trust", "-E", "UTF8",
                  "--no-sync", timeout=120)
        with open(self.data / "postgresql.conf", "a") as conf:
            conf.write(f"\nport = {self.port}\nlisten_addresses = '127.0.0.1'\n"
                       f"unix_socket_directories = '{self.directory}'\nmax_connections = 100\n"
                       "shared_buffers = 32MB\nfsync = on\nlogging_collector = off\n")
        return self

    def start(self):
        self._run(PG_BIN / "pg_ctl", "-D", self.data, "-l", self.directory / "server.log", "-w", "-t", "30", "start")
        return self

    def stop(self, mode="fast"):
        self._run(PG_BIN / "pg_ctl", "-D", self.data, "-m", mode, "-w", "-t", "30", "stop")

    def destroy(self):
        """Stop the cluster if it runs and delete its directory."""
        if (self.data / "postmaster.pid").exists():
            with contextlib.suppress(subprocess.SubprocessError):
                self.stop("immediate")
        shutil.rmtree(self.directory, ignore_errors=True)

    def __enter__(self):
        return self.init().start()

    def __exit__(self, *exc):
        self.destroy()
