"""deploy/nginx/ as the tests run it: the site file and its snippet, unchanged but for ports and paths,
under an nginx of their own (root prefix, pid, logs and cache in a temp directory, loopback only).
"""
import os
import shutil
import socket
import subprocess
from pathlib import Path

from tests.support.servers import die_with_parent, stop_process_group
from tests.support.waiting import wait_for

from .units import DEPLOY

SITE = DEPLOY / "nginx" / "consent-service.conf"
SNIPPET = DEPLOY / "nginx" / "consent-service-proxy.conf"
NGINX = Path("/usr/sbin/nginx")

# The http {} block of Debian's /etc/nginx/nginx.conf, with the temp paths and logs moved into the test's
# directory; the site file is included in it as Debian includes sites-enabled/*.
MAIN_CONF = """\
{user}
worker_processes 2;
pid {tmp}/nginx.pid;
error_log {tmp}/error.log info;
events {{ worker_connections 1024; }}
http {{
    sendfile on;
    tcp_nopush on;
    types_hash_max_size 2048;
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    ssl_protocols TLSv1 TLSv1.1 TLSv1.2 TLSv1.3;
    ssl_prefer_server_ciphers on;
    access_log off;
    gzip on;
    client_body_temp_path {tmp}/body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    include {tmp}/consent-service.conf;
}}
"""


def ensure_installed(path=NGINX, package="nginx"):
    """``path`` from Debian's ``package``, installed with apt-get when missing (as ./manage.sh installs
    Chromium), so that a fresh machine runs these tests instead of skipping them. (Debian's nginx
    package starts nothing where /usr/sbin/policy-rc.d forbids it, as in containers.)"""
    if Path(path).exists():
        return
    sudo = [] if os.geteuid() == 0 else ["sudo"]
    subprocess.run([*sudo, "apt-get", "update", "-qq"], check=True, timeout=600)
    subprocess.run([*sudo, "env", "DEBIAN_FRONTEND=noninteractive", "apt-get", "install", "-y", "-qq", package],
                   check=True, timeout=900, stdout=subprocess.DEVNULL)


def uncomment_tls(text):
    """The site file with its commented TLS server {} block (between BEGIN TLS and END TLS) switched on."""
    lines = text.splitlines()
    begin = lines.index(next(line for line in lines if line.startswith("# BEGIN TLS")))
    start = lines.index("# server {", begin)
    end = lines.index("# }", start)
    for number in range(start, end + 1):
        lines[number] = lines[number][2:] if lines[number].startswith("# ") else lines[number].lstrip("#")
    return "\n".join(lines) + "\n"


def replace_exactly(text, old, new, count):
    """``text`` with ``old`` replaced by ``new``; fails unless ``old`` occurs ``count`` times, so that a
    change to the shipped file cannot leave the test running something else than it thinks."""
    found = text.count(old)
    if found != count:
        raise AssertionError(f"{SITE.name}: expected {count} x {old!r}, found {found}")
    return text.replace(old, new)


def render_site(tmp, upstream_ports, http_port, https_port):
    """The shipped site file with TLS on, for loopback ports, with paths in ``tmp``."""
    first, second = upstream_ports
    text = uncomment_tls(SITE.read_text())
    for old, new, count in [
        ("server 127.0.0.1:8001 ", f"server 127.0.0.1:{first} ", 1),
        ("server 127.0.0.1:8002 ", f"server 127.0.0.1:{second} ", 1),
        ("listen 80 default_server;", f"listen 127.0.0.1:{http_port} default_server;", 1),
        ("    listen [::]:80 default_server;\n", "", 1),
        ("listen 80;", f"listen 127.0.0.1:{http_port};", 1),
        ("    listen [::]:80;\n", "", 1),
        ("listen 443 ssl http2;", f"listen 127.0.0.1:{https_port} ssl http2;", 1),
        ("    listen [::]:443 ssl http2;\n", "", 1),
        ("server_name consent.example.org;", "server_name 127.0.0.1;", 2),
        ("/etc/letsencrypt/live/consent.example.org/fullchain.pem", f"{tmp}/cert.pem", 1),
        ("/etc/letsencrypt/live/consent.example.org/privkey.pem", f"{tmp}/key.pem", 1),
        ("/var/cache/nginx/consent-service ", f"{tmp}/cache ", 1),
        ("/var/log/nginx/consent-service.access.log", f"{tmp}/access.log", 2),
        ("include /etc/nginx/snippets/consent-service-proxy.conf;", f"include {tmp}/{SNIPPET.name};", 2),
    ]:
        text = replace_exactly(text, old, new, count)
    return text


def self_signed_certificate(tmp):
    """A certificate for 127.0.0.1 (cert.pem, key.pem in ``tmp``) that clients of the test trust."""
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                    "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", str(tmp / "key.pem"), "-out", str(tmp / "cert.pem")],
                   check=True, capture_output=True, timeout=60)
    return tmp / "cert.pem"


def accepts(port):
    """True when something accepts TCP connections on 127.0.0.1:``port``."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


class Nginx:
    """``nginx -p TMP -c TMP/nginx.conf -g 'daemon off;'`` with the rendered site in front of
    ``upstream_ports``; ``url`` is plain http, ``https_url`` the TLS server."""

    def __init__(self, tmp, upstream_ports, http_port, https_port):
        self.tmp = Path(tmp)
        self.http_port, self.https_port = http_port, https_port
        self.url = f"http://127.0.0.1:{http_port}"
        self.https_url = f"https://127.0.0.1:{https_port}"
        self.access_log = self.tmp / "access.log"
        self.tmp.mkdir(parents=True, exist_ok=True)
        for name in ("body", "proxy", "fastcgi", "uwsgi", "scgi", "logs"):
            (self.tmp / name).mkdir(exist_ok=True)
        self.certificate = self_signed_certificate(self.tmp)
        shutil.copyfile(SNIPPET, self.tmp / SNIPPET.name)
        (self.tmp / "consent-service.conf").write_text(render_site(self.tmp, upstream_ports, http_port, https_port))
        # Workers as root when the test runs as root (the temp directory is root's alone), else as its user.
        user = "user root;" if os.geteuid() == 0 else ""
        (self.tmp / "nginx.conf").write_text(MAIN_CONF.format(tmp=self.tmp, user=user))
        self.command = [str(NGINX), "-p", str(self.tmp), "-c", str(self.tmp / "nginx.conf")]
        self.process = None

    def check(self):
        """``nginx -t`` on the rendered configuration, which must pass without a warning; its output."""
        result = subprocess.run([*self.command, "-t"], capture_output=True, text=True, timeout=30)
        assert result.returncode == 0 and "[warn]" not in result.stderr, result.stderr
        return result.stderr

    def start(self, timeout=15):
        self.check()
        self._log = open(self.tmp / "stderr.log", "wb")
        self.process = subprocess.Popen([*self.command, "-g", "daemon off;"], stdout=self._log,
                                        stderr=subprocess.STDOUT, start_new_session=True,
                                        preexec_fn=die_with_parent)
        up = wait_for(lambda: self.process.poll() is None and accepts(self.http_port) and accepts(self.https_port),
                      timeout=timeout)
        if not up:
            self.stop()
            raise RuntimeError(f"nginx did not start:\n{self.error_log()}")
        return self

    def error_log(self):
        return "".join(path.read_text(errors="replace") for path in (self.tmp / "stderr.log", self.tmp / "error.log")
                       if path.exists())

    def access_lines(self):
        return self.access_log.read_text(errors="replace").splitlines() if self.access_log.exists() else []

    def stop(self):
        """SIGTERM to nginx's process group (master and workers), SIGKILL after 10 s; always returns."""
        stop_process_group(self.process)
        if getattr(self, "_log", None):
            self._log.close()
