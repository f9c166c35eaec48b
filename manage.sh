#!/usr/bin/env bash
# The set-up commands (see README.md and docs/):
#   ./manage.sh run            start the service at http://127.0.0.1:5000/ (embedded SQLite unless DATABASE_URL is set)
#   ./manage.sh test [ARGS]    run the whole test suite (on PostgreSQL when DATABASE_URL is set); ARGS go to pytest
#   ./manage.sh flask ARGS     a command of the service, e.g. ./manage.sh flask auditor create NAME
#   ./manage.sh bench [ARGS]   the benchmarks (bench/run_all.sh; ARGS e.g. --quick)
# `run` and `flask` install only requirements.txt into .venv/ (`flask scan` adds requirements-scan.txt);
# `test` and `bench` add requirements-dev.txt, which includes both.
set -euo pipefail
cd "$(dirname "$0")"
VENV=${VENV:-.venv}

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

apt_install() {
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

# install_requirements STAMP FILE...: pip-install the last FILE (which includes the others) unless STAMP
# records the same contents of every FILE. --no-compile: Python compiles a module when it is first imported,
# so only what runs is compiled, not every file of every package (a third of the install's time).
install_requirements() {
  local stamp="$VENV/$1"; shift
  if ! sha256sum --status -c "$stamp" 2>/dev/null; then
    "$VENV/bin/pip" install -q --disable-pip-version-check --no-compile -r "${@: -1}"
    sha256sum "$@" >"$stamp"
  fi
}

# ensure_python run|scan|dev: the venv with the service's requirements; for scan the cookie scanner's browser
# driver too (requirements-scan.txt); for dev everything tests and benchmarks need (it includes both).
ensure_python() {
  if [ ! -x "$VENV/bin/python" ]; then
    python3 -c 'import ensurepip, venv' 2>/dev/null || apt_install python3-venv
    python3 -m venv "$VENV"
  fi
  install_requirements .requirements-run.sha256 requirements.txt
  case "$1" in
    scan) install_requirements .requirements-scan.sha256 requirements.txt requirements-scan.txt ;;
    dev) install_requirements .requirements-dev.sha256 requirements.txt requirements-scan.txt requirements-dev.txt ;;
  esac
}

ensure_chromium() {
  # Browser tests use Debian's Chromium: Playwright cannot download its own browsers here.
  [ -x /usr/bin/chromium ] || apt_install chromium
}

# ensure_secret_key WHY: FLASK_SECRET_KEY from the environment, or a random one for this process only.
ensure_secret_key() {
  if [ -z "${FLASK_SECRET_KEY:-}" ]; then
    FLASK_SECRET_KEY="$("$VENV/bin/python" -c 'import secrets; print(secrets.token_hex(32))')"
    export FLASK_SECRET_KEY
    echo "FLASK_SECRET_KEY is not set: using a random key for this $1." >&2
  fi
}

case "${1:-}" in
  run)
    ensure_python run
    ensure_secret_key "run (consent tokens end with it)"
    if [ -z "${AUDIT_SIGNING_KEY:-}" ]; then
      # An Ed25519 private key is 32 random bytes (base64); see docs/auditors.md.
      AUDIT_SIGNING_KEY="$("$VENV/bin/python" -c 'import base64, os; print(base64.b64encode(os.urandom(32)).decode())')"
      export AUDIT_SIGNING_KEY
      echo "AUDIT_SIGNING_KEY is not set: signing chain heads with a random key for this run." >&2
    fi
    "$VENV/bin/flask" --app wsgi db upgrade
    exec "$VENV/bin/gunicorn" --no-control-socket -c python:consent_service.gunicorn_config wsgi:app
    ;;
  flask)
    shift
    if [ "${1:-}" = scan ]; then  # the cookie scanner drives Chromium with Playwright
      ensure_python scan
      ensure_chromium
    else
      ensure_python run
    fi
    ensure_secret_key "command (no command signs consent tokens)"
    # Never a random AUDIT_SIGNING_KEY here: 'consent purge' signs with, and 'auditor signing-key' prints, the key
    # that auditors check the service's signatures with, so it must be the running service's own.
    case " $* " in
      *" --generate "* | *" --help "*) ;;
      *" purge "* | *" signing-key "*)
        [ -n "${AUDIT_SIGNING_KEY:-}" ] || echo "AUDIT_SIGNING_KEY is not set: this command needs the key the" \
          "service signs with; export the same AUDIT_SIGNING_KEY here and for ./manage.sh run." >&2 ;;
    esac
    exec "$VENV/bin/flask" --app wsgi "$@"
    ;;
  test)
    shift
    ensure_python dev
    ensure_chromium
    exec "$VENV/bin/pytest" "$@"
    ;;
  bench)
    shift
    ensure_python dev
    ensure_chromium
    exec bench/run_all.sh "$@"
    ;;
  *)
    echo "usage: $0 run | test [pytest args] | flask COMMAND [args] | bench [--quick]" >&2
    exit 2
    ;;
esac
