#!/usr/bin/env bash
# Run the test suite. pytest's exit code 5 ("no tests collected") is a failure here: a green run
# that tested nothing must never pass.
set -uo pipefail
cd "$(dirname "$0")/.."
BIN=${VENV:-.venv}/bin

# Browser tests (pytest -m browser) drive Debian's Chromium at /usr/bin/chromium. On a machine where we can
# install it (root with apt-get: CI), install it when missing and make a missing browser a test failure rather
# than a skip. Idempotent: nothing happens when Chromium is already there.
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  if [ ! -x /usr/bin/chromium ]; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq && apt-get install -y -qq chromium fonts-dejavu-core >/dev/null \
      || echo "scripts/test.sh: could not install chromium" >&2
  fi
  export OTKLIK_REQUIRE_BROWSER=${OTKLIK_REQUIRE_BROWSER:-1}
fi
"$BIN/pytest" "$@"
code=$?
if [ "$code" -eq 5 ]; then
  echo "pytest collected no tests: failing on purpose" >&2
  exit 1
fi
exit "$code"
