#!/usr/bin/env bash
# The two set-up commands (see README.md):
#   ./manage.sh run    start the service at http://127.0.0.1:5000/ (embedded SQLite unless DATABASE_URL is set)
#   ./manage.sh test   run the whole test suite (on PostgreSQL when DATABASE_URL is set); extra args go to pytest
set -euo pipefail
cd "$(dirname "$0")"
VENV=${VENV:-.venv}

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

apt_install() {
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

ensure_python() {
  if [ ! -x "$VENV/bin/python" ]; then
    python3 -c 'import ensurepip, venv' 2>/dev/null || apt_install python3-venv
    python3 -m venv "$VENV"
  fi
  local stamp="$VENV/.requirements.sha256"
  if ! sha256sum --status -c "$stamp" 2>/dev/null; then
    "$VENV/bin/pip" install -q --disable-pip-version-check -r requirements.txt
    sha256sum requirements.txt >"$stamp"
  fi
}

ensure_chromium() {
  # Browser tests use Debian's Chromium: Playwright cannot download its own browsers here.
  [ -x /usr/bin/chromium ] || apt_install chromium
}

case "${1:-}" in
  run)
    ensure_python
    if [ -z "${FLASK_SECRET_KEY:-}" ]; then
      FLASK_SECRET_KEY="$("$VENV/bin/python" -c 'import secrets; print(secrets.token_hex(32))')"
      export FLASK_SECRET_KEY
      echo "FLASK_SECRET_KEY is not set: using a random key for this run (tokens end with it)." >&2
    fi
    if [ -z "${AUDIT_SIGNING_KEY:-}" ]; then
      # An Ed25519 private key is 32 random bytes (base64); see README "Consent proof for auditors".
      AUDIT_SIGNING_KEY="$("$VENV/bin/python" -c 'import base64, os; print(base64.b64encode(os.urandom(32)).decode())')"
      export AUDIT_SIGNING_KEY
      echo "AUDIT_SIGNING_KEY is not set: signing chain heads with a random key for this run." >&2
    fi
    "$VENV/bin/flask" --app wsgi db upgrade
    exec "$VENV/bin/gunicorn" --no-control-socket -c python:consent_service.gunicorn_config wsgi:app
    ;;
  test)
    shift
    ensure_python
    ensure_chromium
    exec "$VENV/bin/pytest" "$@"
    ;;
  *)
    echo "usage: $0 run | test [pytest args]" >&2
    exit 2
    ;;
esac
