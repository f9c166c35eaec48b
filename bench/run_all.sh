#!/usr/bin/env bash
# Every benchmark in one command, on 127.0.0.1 only, each bounded in time:
#   bench/run_all.sh            # full: throughput 5 x 10 s per side, soak 60 s x 64 clients (~15 min)
#   bench/run_all.sh --quick    # a smoke run (~3 min)
# With DATABASE_URL set (a PostgreSQL database for their data) the export and verify benchmarks measure PostgreSQL too.
# It ends with bench/targets.py: each issue-16 target with its baseline, the measured figure and the ratio.
# Needs wrk (Debian/Ubuntu: apt-get install wrk) and PostgreSQL 15 binaries (/usr/lib/postgresql/15/bin,
# or PG_BIN=...) for the throwaway cluster; nothing else is touched. Results: bench/results/*.json.
set -uo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-.venv/bin/python}
[ -x "$PY" ] || PY=python3
if ! command -v wrk >/dev/null; then
  echo "wrk is missing: apt-get install wrk" >&2
  exit 2
fi
if [ "${1:-}" = "--quick" ]; then
  THROUGHPUT=(--runs 1 --seconds 3); SOAK=(--seconds 10 --clients 64)
else
  THROUGHPUT=(--runs 5 --seconds 10); SOAK=(--seconds 60 --clients 64)
fi
status=0
echo "== throughput: service against bare Flask baselines"
"$PY" -m bench.throughput "${THROUGHPUT[@]}" || status=1
echo "== soak: 64 visitors, nothing lost, chain verifies"
"$PY" -m bench.soak "${SOAK[@]}" || status=1
# The banner's and the audit's own benchmarks, when present (their owners document their options).
for script in bench/banner_*.py bench/export_*.py bench/pack_*.py bench/verify_*.py; do
  [ -e "$script" ] || continue
  case "$script" in *_data.py) continue ;; esac  # data generators, not benchmarks
  module=$(basename "$script" .py)
  echo "== $module"
  "$PY" -m "bench.$module" || status=1
done
echo "== issue 16: every target, its baseline and ratio (newest results of each benchmark)"
"$PY" -m bench.targets || status=1
exit $status
