#!/usr/bin/env bash
# Known vulnerabilities in the pinned dependencies: pip-audit against requirements.txt (the service's)
# and requirements-dev.txt (tests and benchmarks; pip-audit does not follow its -r line, so both are named).
#   bench/audit_dependencies.sh        (pip-audit comes with requirements-dev.txt: ./manage.sh test installs it)
# pip-audit asks PyPI's JSON API (or OSV with -s osv) for advisories: it needs to reach pypi.org
# (or api.osv.dev). Where it cannot (an offline mirror, as on the development machines here), it
# says so and exits 2; run it in CI with network access, or from a workstation.
set -uo pipefail
cd "$(dirname "$0")/.."
PIP_AUDIT=${PIP_AUDIT:-.venv/bin/pip-audit}
[ -x "$PIP_AUDIT" ] || PIP_AUDIT=pip-audit
out=$("$PIP_AUDIT" -r requirements.txt -r requirements-dev.txt --no-deps --disable-pip --progress-spinner off --desc on "$@" 2>&1)
status=$?
echo "$out"
if echo "$out" | grep -q "could not be audited\|ConnectionError\|Failed to resolve"; then
  echo "pip-audit could not reach its advisory data from here: run it where pypi.org is reachable." >&2
  exit 2
fi
exit $status
