#!/bin/sh
# PostgreSQL rows of the benchmark: the whole app process connecting and
# reading (`app db wait --seconds 0`: connect, session setup, one row back;
# `app db info`; the no-op `app db upgrade` once migrations exist), next to
# `psql -c 'select 1'`, the floor a C program that connects and reads one
# row should meet. Median of RUNS runs each, measured by hyperfine with no
# shell in between (-N).
#
#   scripts/bench/pg.sh           (make bench runs every scripts/bench/*.sh)
#
# Environment: BUILD (build), RUNS (200), PGTEST_DIR (BUILD/pgbench: a
# throwaway cluster started and stopped here, see scripts/pg-test-server.sh).
set -eu
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-build}
APP=$ROOT/$BUILD/app
RUNS=${RUNS:-200}
PGTEST_DIR=${PGTEST_DIR:-$ROOT/$BUILD/pgbench}
export PGTEST_DIR

command -v hyperfine >/dev/null || {
    echo "bench/pg: hyperfine is not installed (Debian: apt-get install hyperfine)" >&2
    exit 1
}
[ -x "$APP" ] || { echo "bench/pg: build $APP first (make)" >&2; exit 1; }
PSQL=$(ls -d /usr/lib/postgresql/*/bin/psql 2>/dev/null | sort -V | tail -n 1)
[ -n "$PSQL" ] || PSQL=psql

T=$(mktemp -d "${TMPDIR:-/tmp}/benchpg.XXXXXX")
trap '"$ROOT/scripts/pg-test-server.sh" stop >/dev/null 2>&1 || true; rm -rf "$T"' EXIT
"$ROOT/scripts/pg-test-server.sh" start
URL=$("$ROOT/scripts/pg-test-server.sh" url)
cd "$T"
mkdir config
printf '[app]\nphase = pre-user\n[database]\nurl = %s\n' "$URL" >config/app.ini
unset DATABASE_URL APP_PHASE APP_CONFIG PGPASSWORD
"$APP" db create-all >/dev/null

set -- \
    -n "psql -c 'select 1' (floor)" "$PSQL -X -q -At -c 'select 1' $URL" \
    -n "app db wait --seconds 0" "$APP db wait --seconds 0" \
    -n "app db info" "$APP db info"
if "$APP" db --help 2>/dev/null | grep -q '^  upgrade '; then
    printf '[app]\nphase = production\n[database]\nurl = %s\nwait_seconds = 0\n' "$URL" \
        >config/app.ini
    "$APP" db upgrade >/dev/null 2>&1 || true
    if "$APP" db upgrade >/dev/null 2>&1; then
        set -- "$@" -n "app db upgrade (no-op)" "$APP db upgrade"
    fi
fi

hyperfine -N --style none --warmup 10 --runs "$RUNS" --export-csv times.csv \
    "$@" >/dev/null 2>hyperfine.err || { cat hyperfine.err >&2; exit 1; }

echo "bench/pg: whole process, connect + read, Unix socket, median of $RUNS runs"
echo "  cores (nproc): $(nproc); server: $("$PSQL" -X -At -c 'show server_version' "$URL")"
awk -F, 'NR > 1 {
    name = $1; gsub(/^"|"$/, "", name)
    printf "  %-30s median %6.2f ms   mean %6.2f ms   min %6.2f ms\n",
           name, $4 * 1000, $2 * 1000, $7 * 1000
}' times.csv
