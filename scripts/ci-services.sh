#!/usr/bin/env bash
# Services some tests need: Debian's Chromium (browser tests, marked `browser`) and a PostgreSQL server
# (the claim race, marked `postgres`). Source it so the exported variables reach pytest:
#     . scripts/ci-services.sh
# Idempotent. As root (CI on a fresh Debian 12) it apt-get installs what is missing, starts the Debian
# PostgreSQL cluster, creates the `otklik` role and sets OTKLIK_REQUIRE_SERVICES=1 (and
# OTKLIK_REQUIRE_BROWSER=1 for the reports' browser tests), so those tests fail
# rather than skip if anything is still missing. As another user it uses what is installed: a private
# PostgreSQL cluster under var/services/pg. OTKLIK_SKIP_SERVICES=1 does nothing (the tests then skip).

_otklik_services() {
  [ "${OTKLIK_SKIP_SERVICES:-0}" = "1" ] && return 0
  local root_dir pg_bin pg_version port
  root_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
  pg_version="$(ls /usr/lib/postgresql 2>/dev/null | sort -V | tail -n1)"

  if [ "$(id -u)" = "0" ]; then
    export OTKLIK_REQUIRE_SERVICES=1 OTKLIK_REQUIRE_BROWSER="${OTKLIK_REQUIRE_BROWSER:-1}"
    local missing=()
    [ -x /usr/bin/chromium ] || missing+=(chromium fonts-dejavu-core)
    [ -n "$pg_version" ] || missing+=(postgresql)
    if [ "${#missing[@]}" -gt 0 ]; then
      echo "ci-services: installing ${missing[*]}" >&2
      apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        "${missing[@]}" >/dev/null || { echo "ci-services: apt-get failed" >&2; return 0; }
      pg_version="$(ls /usr/lib/postgresql 2>/dev/null | sort -V | tail -n1)"
    fi
    [ -n "$pg_version" ] || return 0
    pg_lsclusters -h 2>/dev/null | awk '{print $1" "$2}' | grep -qx "$pg_version main" \
      || pg_createcluster "$pg_version" main >/dev/null
    pg_lsclusters -h | awk -v v="$pg_version" '$1==v && $2=="main" {print $4}' | grep -qx online \
      || pg_ctlcluster "$pg_version" main start
    port="$(pg_lsclusters -h | awk -v v="$pg_version" '$1==v && $2=="main" {print $3}')"
    runuser -u postgres -- psql -p "$port" -qtAc "SELECT 1 FROM pg_roles WHERE rolname='otklik'" | grep -qx 1 \
      || runuser -u postgres -- psql -p "$port" -qc "CREATE ROLE otklik LOGIN CREATEDB PASSWORD 'otklik'"
    export OTKLIK_TEST_POSTGRES_URL="postgresql://otklik:otklik@127.0.0.1:${port}/postgres"
  elif [ -n "$pg_version" ]; then
    pg_bin="/usr/lib/postgresql/$pg_version/bin"
    local dir="$root_dir/var/services/pg"
    port="${OTKLIK_PG_PORT:-54329}"
    if [ ! -f "$dir/PG_VERSION" ]; then
      mkdir -p "$dir" && "$pg_bin/initdb" -D "$dir" -A trust -U otklik >/dev/null || return 0
    fi
    "$pg_bin/pg_ctl" -D "$dir" status >/dev/null 2>&1 || "$pg_bin/pg_ctl" -D "$dir" -l "$dir/server.log" -w \
      -o "-p $port -k $dir -c listen_addresses=127.0.0.1" start >/dev/null || return 0
    export OTKLIK_TEST_POSTGRES_URL="postgresql://otklik@127.0.0.1:${port}/postgres"
  fi
  return 0
}
_otklik_services
unset -f _otklik_services
