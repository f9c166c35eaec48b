"""gunicorn settings: ``gunicorn --no-control-socket -c python:consent_service.gunicorn_config wsgi:app``.

Every value can be overridden from the environment. Run ``flask --app wsgi db upgrade`` once
before starting: workers never create tables themselves.
"""
import multiprocessing
import os

from gunicorn.glogging import Logger, SafeAtoms

from consent_service.log_text import escaped

bind = os.environ.get("BIND", "127.0.0.1:5000")
workers = int(os.environ.get("WEB_CONCURRENCY", min(4, multiprocessing.cpu_count() * 2)))
# Threads keep a worker's heartbeat going during a long CSV export, so --timeout never cuts a stream.
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
graceful_timeout = 30
keepalive = 5
# gunicorn's longest request line (4094 bytes by default), as long as nginx's in deploy/ (a line fits one of
# its 8k large_client_header_buffers): a consent-state token past its 1024 characters reaches the service,
# which answers a JSON 422 naming it, even percent-encoded (1025 two-byte characters take 6150 bytes).
# Only a longer line gets an HTML 414, from gunicorn or nginx, as the API document says.
limit_request_line = 8190
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "0"))
max_requests_jitter = max_requests // 10
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-") or None
# No personal data in the access log: no client address (%(h)s), no user agent, no referrer, and
# no query string (a token may be passed as ?token=). The ledger keeps only the truncated address.
access_log_format = '"%(m)s %(U)s %(H)s" %(s)s %(B)s %(L)ss'


class EscapedAtoms(SafeAtoms):
    """gunicorn's atoms (which escape only the double quote) with control characters escaped too:
    a path holding %0A or %00 cannot forge or cut a line of the access log."""

    def __init__(self, atoms):
        super().__init__({key: escaped(value) if isinstance(value, str) else value for key, value in atoms.items()})


class AccessLogger(Logger):
    atoms_wrapper_class = EscapedAtoms


logger_class = AccessLogger
errorlog = "-"
# The heartbeat file on tmpfs: a worker is never killed for a slow disk.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None
# X-Forwarded-* is trusted in one place only: the app's ProxyFix (PROXY_FIX_X_FOR), not gunicorn.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "")


def post_worker_init(worker):
    """Start the worker's refresher of superseded consents as it boots, so that its first
    consent-state answers already know what other workers and instances stored."""
    from consent_service.state.revocations import revocations_of

    app = getattr(worker, "wsgi", None)
    if app is not None and hasattr(app, "extensions"):
        revocations_of(app).ensure_running()
