"""Configuration read from the environment.

``create_app`` applies, in order: the defaults here, ``FLASK_*`` variables (Flask's
``from_prefixed_env``: ``FLASK_SECRET_KEY``, ``FLASK_SECRET_KEY_FALLBACKS`` as a JSON list ...),
the few unprefixed variables below, then a test's overrides.
"""
import os
import secrets

from .database_outage import GuardedQueuePool

WEAK_KEYS = {"", "dev", "secret", "changeme", "change-me", "development", "test"}
MIN_KEY_LENGTH = 32
SECRET_KEY_HELP = (
    "FLASK_SECRET_KEY is not set to a real secret (at least 32 characters). Set one, e.g.\n"
    "  export FLASK_SECRET_KEY=\"$(python3 -c 'import secrets; print(secrets.token_hex(32))')\"\n"
    "and keep it: consent tokens signed with it stay valid only while it (or a key in "
    "FLASK_SECRET_KEY_FALLBACKS) is configured."
)


class Config:
    SECRET_KEY = None
    SECRET_KEY_FALLBACKS = []
    SQLALCHEMY_DATABASE_URI = None  # set in create_app: DATABASE_URL or instance/consent.sqlite3
    SQLALCHEMY_ENGINE_OPTIONS = {}
    MAX_CONTENT_LENGTH = 16 * 1024
    JSON_SORT_KEYS = False
    CONSENT_SITES_FILE = None
    # The service's own origin, e.g. https://consent.example.org: links, redirects and the Origin check
    # use it, and requests naming another host are refused (hosts.py). Unset: a local run on 127.0.0.1.
    PUBLIC_URL = None
    # Number of reverse proxies in front of the service whose X-Forwarded-For is trusted (0: none).
    PROXY_FIX_X_FOR = 0
    RATELIMIT_STORAGE_URI = "memory://"
    # Off: Flask-Limiter would add Retry-After to every limited answer (a 201 too) and stretch a 503's
    # to the window's end; the 429 says its own (rate_limits.py), the 503 says 5 s.
    RATELIMIT_HEADERS_ENABLED = False
    # A rate-limit store that is down (Redis) never fails a visitor's request: count in memory meanwhile.
    RATELIMIT_SWALLOW_ERRORS = True
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    # Per client address, on POST /api/v1/consents and on auditor sign-in.
    RATELIMIT_CONSENT = "120 per minute"
    RATELIMIT_SIGN_IN = "10 per minute"
    # How often each process reads the consents superseded on other processes and instances (0: never).
    REVOCATION_POLL_SECONDS = 1.0
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"


def database_uri(url, instance_path):
    """The SQLAlchemy URL: ``DATABASE_URL`` (postgres:// means psycopg 3) or the embedded SQLite file."""
    if not url:
        return f"sqlite:///{os.path.join(instance_path, 'consent.sqlite3')}"
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def engine_options(uri):
    """Pool and timeout settings per engine."""
    if uri.startswith("sqlite"):
        # A writer waits this long for SQLite's lock, then answers 503 (database_outage.py).
        return {"hide_parameters": True, "poolclass": GuardedQueuePool,
                "connect_args": {"timeout": float(os.environ.get("SQLITE_BUSY_TIMEOUT", "2"))}}
    return {
        "poolclass": GuardedQueuePool,
        "pool_size": int(os.environ.get("DB_POOL_SIZE", "5")),
        "max_overflow": int(os.environ.get("DB_MAX_OVERFLOW", "5")),
        "pool_timeout": float(os.environ.get("DB_POOL_TIMEOUT", "5")),
        "pool_pre_ping": True,
        # Error texts never carry statement parameters (user agents, page addresses) into logs.
        "hide_parameters": True,
        "pool_recycle": 1800,
        # With DB_ANSWER_TIMEOUT (database_outage.py), a POST answers within 5 s while the database hangs.
        "connect_args": {"connect_timeout": int(os.environ.get("DB_CONNECT_TIMEOUT", "2"))},
    }


def load_environment(config):
    """Copy the unprefixed variables that deployments conventionally set."""
    for name in ("DATABASE_URL", "CONSENT_SITES_FILE", "RATELIMIT_STORAGE_URI", "PUBLIC_URL"):
        if os.environ.get(name):
            config[name] = os.environ[name]
    if os.environ.get("PROXY_FIX_X_FOR"):
        config["PROXY_FIX_X_FOR"] = int(os.environ["PROXY_FIX_X_FOR"])


def check_secret_key(app):
    """Refuse to run with a missing or weak key, except in debug or testing (then a random one)."""
    key = app.config.get("SECRET_KEY") or ""
    if len(key) >= MIN_KEY_LENGTH and key.lower() not in WEAK_KEYS:
        return
    if app.debug or app.testing:
        app.config["SECRET_KEY"] = secrets.token_hex(32)
        return
    raise RuntimeError(SECRET_KEY_HELP)
