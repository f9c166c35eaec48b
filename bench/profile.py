"""Profile one request path in-process with pyinstrument, beside its bare baseline's CPU time.

    python -m bench.profile state [--requests 3000]   # GET /api/v1/consent-state with a valid token
    python -m bench.profile post  [--requests 1000]   # POST /api/v1/consents (SQLite in a temp dir)

Prints CPU microseconds per request of the service and of the bare Flask baseline (bench/baseline_app.py),
then the service's call tree. For a running gunicorn worker use py-spy instead:
``py-spy record -o profile.svg --pid <worker pid>`` (or ``py-spy top --pid ...``).
"""
import argparse
import io
import json
import os
import sys
import tempfile
import time

from werkzeug.test import EnvironBuilder

BODY = json.dumps({
    "site": "entrack", "action": "custom", "categories": {"analytics": True, "marketing": False},
    "policy_version": "2026-11-01", "language": "fi", "page_url": "https://www.entrack.fi/palvelut",
}).encode()


def call(app, environ, body=b""):
    """One request through the WSGI app; its status line."""
    statuses = []
    chunks = app({**environ, "wsgi.input": io.BytesIO(body)}, lambda status, headers, exc=None: statuses.append(status))
    for _ in chunks:
        pass
    getattr(chunks, "close", lambda: None)()
    return statuses[0]


def environ(path, method="GET", **kwargs):
    built = EnvironBuilder(path=path, method=method, **kwargs).get_environ()
    built["REMOTE_ADDR"] = "127.0.0.1"
    return built


def apps(directory):
    """The service and the baseline, each on its own SQLite file, migrated or created."""
    os.environ.setdefault("FLASK_SECRET_KEY", "p" * 64)
    os.environ["FLASK_RATELIMIT_CONSENT"] = "1000000000 per minute"
    os.environ["DATABASE_URL"] = f"sqlite:///{directory}/baseline.sqlite3"
    from bench.baseline_app import create_baseline_app, create_table
    create_table()
    baseline = create_baseline_app()
    os.environ["DATABASE_URL"] = f"sqlite:///{directory}/service.sqlite3"
    from flask_migrate import upgrade

    from consent_service import create_app
    service = create_app()
    with service.app_context():
        upgrade()
    return service, baseline


def cases(path, service, baseline):
    if path == "post":
        post = {"method": "POST", "data": BODY, "content_type": "application/json"}
        return ((service, environ("/api/v1/consents", **post), BODY),
                (baseline, environ("/baseline/consents", **post), BODY))
    token = service.test_client().post("/api/v1/consents", data=BODY, content_type="application/json").get_json()["token"]
    return ((service, environ("/api/v1/consent-state", query_string={"site": "entrack"},
                              headers={"Authorization": f"Bearer {token}"}), b""),
            (baseline, environ("/baseline/consent-state"), b""))


def cpu_per_request(app, env, body, requests):
    assert call(app, env, body)[:1] == "2"
    started = time.process_time()
    for _ in range(requests):
        call(app, env, body)
    return (time.process_time() - started) / requests * 1e6


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("path", choices=["state", "post"])
    parser.add_argument("--requests", type=int, default=None)
    args = parser.parse_args(argv)
    requests = args.requests or (3000 if args.path == "state" else 1000)
    from pyinstrument import Profiler
    with tempfile.TemporaryDirectory(prefix="consent-profile-") as directory:
        service, baseline = apps(directory)
        (s_app, s_env, s_body), (b_app, b_env, b_body) = cases(args.path, service, baseline)
        for _ in range(3):
            print(f"CPU per request: service {cpu_per_request(s_app, s_env, s_body, requests):.0f} µs, "
                  f"baseline {cpu_per_request(b_app, b_env, b_body, requests):.0f} µs", flush=True)
        profiler = Profiler(interval=0.0002)
        profiler.start()
        for _ in range(requests):
            call(s_app, s_env, s_body)
        profiler.stop()
        print(profiler.output_text(unicode=False, color=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
