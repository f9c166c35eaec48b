#!/usr/bin/env bash
# Known vulnerabilities in the pinned dependencies: pip-audit against every requirements*.txt (the service's,
# the scanner's, tests' and benchmarks'; pip-audit does not follow -r lines, so each file is named).
#   bench/audit_dependencies.sh        (pip-audit comes with requirements-dev.txt: ./manage.sh test installs it)
# pip-audit asks PyPI's JSON API (or OSV with -s osv) for advisories: it needs to reach pypi.org
# (or api.osv.dev). Where it cannot (an offline mirror, as on the development machines here), it
# says so and exits 2; run it in CI with network access, or from a workstation.
set -uo pipefail
cd "$(dirname "$0")/.."
PIP_AUDIT=${PIP_AUDIT:-.venv/bin/pip-audit}
[ -x "$PIP_AUDIT" ] || PIP_AUDIT=pip-audit
files=(); for file in requirements*.txt; do files+=(-r "$file"); done
out=$("$PIP_AUDIT" "${files[@]}" --no-deps --disable-pip --progress-spinner off --desc on "$@" 2>&1)
status=$?
echo "$out"
if echo "$out" | grep -q "could not be audited\|ConnectionError\|Failed to resolve"; then
  echo "pip-audit could not reach its advisory data from here: run it where pypi.org is reachable." >&2
  exit 2
fi
exit $status
