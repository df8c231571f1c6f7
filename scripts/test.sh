#!/usr/bin/env bash
# Run the test suite. pytest's exit code 5 ("no tests collected") is a failure here: a green run
# that tested nothing must never pass.
set -uo pipefail
cd "$(dirname "$0")/.."
BIN=${VENV:-.venv}/bin
# Chromium and PostgreSQL for the browser and concurrency tests (installed and started when run as root).
. scripts/ci-services.sh
"$BIN/pytest" "$@"
code=$?
if [ "$code" -eq 5 ]; then
  echo "pytest collected no tests: failing on purpose" >&2
  exit 1
fi
exit "$code"
