#!/bin/sh
# PostgreSQL rows of the benchmark, each beside its floor and beside dbmate
# run on the same revisions, against a throwaway cluster on a Unix socket:
#
#   0. connect and read one row, whole process: `app db wait --seconds 0`
#      (connect, session setup, one row back) and `app db info`, beside
#      `psql -c 'select 1'`;
#   1. a no-op `app db upgrade head` on a database with 100 applied
#      revisions, whole process, beside `psql -c 'select 1'` (in the
#      pre-user phase; in the production phase the command first takes a
#      pg_dump backup, shown on its own row);
#   2. an empty database through REVS revisions (each a CREATE TABLE and a
#      CREATE INDEX), beside psql running the same DDL with one transaction
#      per revision, and psql running the app's own `upgrade --sql` script.
#
#   scripts/bench/pg.sh           (make bench runs every scripts/bench/*.sh)
#
# Figures 0 and 1 are medians of RUNS hyperfine runs (no shell in between)
# taken in ROUNDS turning blocks that alternate between the commands;
# figure 2 the median of APPLY_RUNS runs of each, one at a time in turn, on
# a fresh database each (lib/timing.sh).
# Environment: BUILD (build), RUNS (100), ROUNDS (10), APPLY_RUNS (3),
# REVS (1000), PGTEST_DIR (BUILD/pgbench: a cluster started and stopped
# here by scripts/pg-test-server.sh).
# dbmate comes from `npm install dbmate` into a temporary directory; when npm
# cannot fetch it the dbmate rows say so. Prints figures; never fails on them.
set -eu
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-build}
APP=$ROOT/$BUILD/app
RUNS=${RUNS:-100}
ROUNDS=${ROUNDS:-10}
APPLY_RUNS=${APPLY_RUNS:-3}
REVS=${REVS:-1000}
PGTEST_DIR=${PGTEST_DIR:-$ROOT/$BUILD/pgbench}
export PGTEST_DIR

command -v hyperfine >/dev/null || {
    echo "bench/pg: hyperfine is not installed (Debian: apt-get install hyperfine)" >&2
    exit 1
}
[ -x "$APP" ] || { echo "bench/pg: build $APP first (make)" >&2; exit 1; }
PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
PSQL=$PGBIN/psql
[ -x "$PSQL" ] || PSQL=psql

W=$(mktemp -d "${TMPDIR:-/tmp}/benchpg.XXXXXX")
trap '"$ROOT/scripts/pg-test-server.sh" stop >/dev/null 2>&1 || true; rm -rf "$W"' EXIT
"$ROOT/scripts/pg-test-server.sh" start
URL=$("$ROOT/scripts/pg-test-server.sh" url)
unset DATABASE_URL APP_PHASE APP_CONFIG PGPASSWORD
cd "$W"

# url DB: the test server's URL for database DB
url() { printf '%s' "$URL" | sed "s|@/postgres?|@/$1?|"; }
sql() { "$PSQL" -X -q -At -v ON_ERROR_STOP=1 "$URL" -c "$1"; }
fresh() { sql "DROP DATABASE IF EXISTS \"$1\"" 2>/dev/null; sql "CREATE DATABASE \"$1\""; }
NAME=pg
. "$ROOT/scripts/bench/lib/timing.sh"

# gen DIR N: N revisions in the app's format and in dbmate's, plain DDL
gen() {
    dir=$1; n=$2
    mkdir -p "$dir/migrations/versions" "$dir/dbmate" "$dir/config"
    awk -v n="$n" -v d="$dir" 'BEGIN {
        for (i = 1; i <= n; i++) {
            id = sprintf("%04d", i)
            ddl = sprintf("CREATE TABLE \"t%d\" (\"id\" BIGINT PRIMARY KEY, \"v\" TEXT);\nCREATE INDEX \"ix_t%d\" ON \"t%d\" (\"v\");\n", i, i, i)
            f = d "/migrations/versions/" id "_t" i ".sql"
            printf "-- revision: %s\n", id > f
            if (i > 1) printf "-- down_revision: %04d\n", i - 1 > f
            printf "-- message: table %d\n\n-- +upgrade\n%s\n-- +downgrade\nDROP TABLE \"t%d\";\n", i, ddl, i > f
            close(f)
            m = sprintf("%s/dbmate/%014d_t%d.sql", d, i, i)
            printf "-- migrate:up\n%s\n-- migrate:down\nDROP TABLE \"t%d\";\n", ddl, i > m
            close(m)
            printf "BEGIN;\n%sCOMMIT;\n", ddl > (d "/plain.sql")
        }
    }'
}
ini() { # ini DIR DB [PHASE]
    printf '[app]\nphase = %s\n[database]\nurl = %s\nwait_seconds = 0\n[migrations]\ndir = migrations\nbackup_dir = %s\n' \
        "${3:-pre-user}" "$(url "$2")" "$W/backups" >"$1/config/app.ini"
}

DBMATE=""
if command -v npm >/dev/null &&
    timeout 120 npm install --silent --prefix "$W/npm" dbmate >/dev/null 2>&1; then
    DBMATE=$(find "$W/npm/node_modules" -type f -name dbmate -perm -u+x 2>/dev/null |
             grep -v '/.bin/' | head -1)
fi
dburl() { echo "postgres://postgres@localhost/$1?socket=$PGTEST_DIR&sslmode=disable"; }

echo "== PostgreSQL $(sql 'show server_version' | cut -d' ' -f1), Unix socket, $(nproc) cores"
[ -n "$DBMATE" ] || echo "dbmate: unavailable (npm install dbmate failed here)"

# 0 and 1: whole processes, median of RUNS
D1=$W/noop
gen "$D1" 100
fresh noop
ini "$D1" noop
(cd "$D1" && "$APP" db upgrade head >/dev/null)
cp "$D1/config/app.ini" "$D1/config/app.ini.pre"
ini "$D1" noop production
mv "$D1/config/app.ini" "$D1/config/production.ini"
mv "$D1/config/app.ini.pre" "$D1/config/app.ini"
set -- floor "$PSQL -X -q -At -c 'select 1' $(url noop)" \
    wait "$APP db wait --seconds 0" \
    info "$APP db info" \
    upgrade "$APP db upgrade head" \
    upgrade_prod "$APP --config config/production.ini db upgrade head" \
    start "$APP --version"
if [ -n "$DBMATE" ]; then
    fresh noop_dbmate
    "$DBMATE" --no-dump-schema --migrations-dir "$D1/dbmate" --url "$(dburl noop_dbmate)" up >/dev/null
    set -- "$@" dbmate "$DBMATE --no-dump-schema --migrations-dir $D1/dbmate --url $(dburl noop_dbmate) up"
fi
cd "$D1"
interleaved "$ROUNDS" "$RUNS" "$@"
cd "$W"
echo "0. connect and read one row, whole process (median of $RUNS)"
echo "   app db wait --seconds 0       $wait ms   ($(ratio "$wait" "$floor") the floor)"
echo "   app db info                   $info ms   ($(ratio "$info" "$floor") the floor)"
echo "   floor: psql -c 'select 1'     $floor ms"
echo "   app --version (process start only)  $start ms"
echo "1. no-op upgrade head, 100 applied revisions (median of $RUNS)"
echo "   app db upgrade head           $upgrade ms   ($(ratio "$upgrade" "$floor") the floor; pre-user phase)"
echo "   the same, production phase    $upgrade_prod ms   (nothing to apply, so no backup is taken)"
echo "   floor: psql -c 'select 1'     $floor ms"
[ -z "$DBMATE" ] || echo "   dbmate up                     $dbmate ms"

# 2: an empty database through REVS revisions, fresh database each
D2=$W/full
gen "$D2" "$REVS"
ini "$D2" full
fresh full
(cd "$D2" && "$APP" db upgrade --sql head >offline.sql)
sed -i "s|/full?|/full_run?|" "$D2/config/app.ini"
set -- app "$APP db upgrade head" \
    psql "$PSQL -X -q -v ON_ERROR_STOP=1 -f $D2/plain.sql $(url full_run)" \
    offline "$PSQL -X -q -v ON_ERROR_STOP=1 -f $D2/offline.sql $(url full_run)"
[ -z "$DBMATE" ] || set -- "$@" dbmate \
    "$DBMATE --no-dump-schema --migrations-dir $D2/dbmate --url $(dburl full_run) up"
cd "$D2"
PREP="$PSQL -X -q -c 'DROP DATABASE IF EXISTS full_run' -c 'CREATE DATABASE full_run' $URL" \
    DIGITS=0 interleaved "$APPLY_RUNS" "$APPLY_RUNS" "$@"
cd "$W"
echo "2. empty database through $REVS revisions (median of $APPLY_RUNS)"
echo "   app db upgrade head           $app ms"
echo "   psql, same DDL, one transaction per revision   $psql ms   (app: $(ratio "$app" "$psql"); target 1.1x)"
echo "   psql, the app's --sql script                    $offline ms   (app: $(ratio "$app" "$offline"))"
[ -z "$DBMATE" ] || echo "   dbmate up                     $dbmate ms   (app: $(ratio "$app" "$dbmate"))"
