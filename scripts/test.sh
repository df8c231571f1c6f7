#!/usr/bin/env bash
# Run the test suite. pytest's exit code 5 ("no tests collected") is a failure here: a green run
# that tested nothing must never pass.
set -uo pipefail
cd "$(dirname "$0")/.."
BIN=${VENV:-.venv}/bin
# Tests never touch ./var: Django reads OTKLIK_HOME before any conftest runs, so set it here.
export OTKLIK_HOME="${OTKLIK_TEST_HOME:-$(mktemp -d -t otklik-test-XXXXXX)}"
# Chromium (browser tests) and PostgreSQL (the claim race): installed when missing and started when run as
# root (CI), which also makes a missing one a test failure rather than a skip. Idempotent.
. scripts/ci-services.sh
"$BIN/pytest" "$@"
code=$?
if [ "$code" -eq 5 ]; then
  echo "pytest collected no tests: failing on purpose" >&2
  exit 1
fi
exit "$code"
