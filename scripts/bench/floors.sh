#!/bin/sh
# The figures of the speed goals, each beside its floor (the raw client
# doing the same work) with the ratio and the goal, in one run:
#
#   1. a no-op `app db upgrade head` and `app db current` on SQLite with
#      100, 1,000 and 10,000 applied revisions; floor: sqlite3 reading the
#      version table (which loads the same schema);
#   2. the same on PostgreSQL with 100 revisions; floor: psql connecting
#      and reading the version table (one query);
#   3. an empty SQLite database through 1,000 revisions (a CREATE TABLE and
#      a CREATE INDEX each); floor: the sqlite3 CLI running the same DDL,
#      one transaction per revision, with the app's journal settings (WAL,
#      synchronous=NORMAL, foreign keys on);
#   4. create-all of 200 tables on PostgreSQL (10 columns, 2 indexes and a
#      foreign key each); floor: psql running the same DDL in one
#      transaction;
#   5. POST /users/{id}/tasks on SQLite with `serve --threads 2` beside
#      `--threads 1` (wrk, 32 connections): the ratio of requests per
#      second, and p99 over p50 at two threads; for reference, the same
#      ratio for a read (GET /users/{id}, no write at all) at each thread
#      count: the tail the HTTP layer and the machine have of their own.
#
#   scripts/bench/floors.sh        (make bench runs every scripts/bench/*.sh)
#
# Whole-process times are medians of RUNS hyperfine runs (no shell in
# between), taken in ROUNDS blocks that alternate between the app and its
# floor (one warm-up each), so that the machine's load drifting during a
# line falls on both sides alike, in an order that turns each block; the
# applies alternate one run at a time, APPLY_RUNS of each, on a fresh
# database each, after a sync; the POST runs alternate
# between one and two threads, POST_ROUNDS of each, on a fresh server and
# database each, and their medians are printed. It is a report: the goals
# are printed, never enforced; it exits 1 only when something fails to run.
# Environment: BUILD (build), RUNS (40), ROUNDS (10), APPLY_RUNS (9),
# DURATION (10s), POST_ROUNDS (3),
# SIZES (100 1000 10000), BENCH_PGTEST_DIR (BUILD/pgfloors: a cluster of its
# own, started and stopped here by scripts/pg-test-server.sh; the tests'
# PGTEST_DIR is never used, so their server is left as it is).
set -eu
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
BUILD=${BUILD:-build}
APP=$ROOT/$BUILD/app
RUNS=${RUNS:-40}
ROUNDS=${ROUNDS:-10}
APPLY_RUNS=${APPLY_RUNS:-9}
POST_ROUNDS=${POST_ROUNDS:-3}
DURATION=${DURATION:-10s}
SIZES=${SIZES:-100 1000 10000}
PGTEST_DIR=${BENCH_PGTEST_DIR:-$ROOT/$BUILD/pgfloors}
export PGTEST_DIR

for tool in hyperfine sqlite3 wrk curl; do
    command -v $tool >/dev/null || {
        echo "bench/floors: $tool is not installed (scripts/install-deps.sh)" >&2
        exit 1
    }
done
BENCH=$BUILD/bench/check_bench
make -s BUILD="$BUILD" all "$BENCH" >/dev/null
PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
PSQL=$PGBIN/psql
[ -x "$PSQL" ] || PSQL=psql

W=$(mktemp -d "${TMPDIR:-/tmp}/benchfloors.XXXXXX")
PID=
trap '[ -n "$PID" ] && kill "$PID" 2>/dev/null
      "$ROOT/scripts/pg-test-server.sh" stop >/dev/null 2>&1 || true
      rm -rf "$W"' EXIT
unset DATABASE_URL APP_PHASE APP_CONFIG PGPASSWORD

NAME=floors
. "$ROOT/scripts/bench/lib/timing.sh"
row() { # row WORK APP FLOOR GOAL [UNIT]
    printf '  %-52s %10s %10s %7s  %s\n' "$1" "$2 ${5:-ms}" "$3 ${5:-ms}" \
        "$(ratio "$2" "$3")" "$4"
}
header() {
    echo "== $1"
    printf '  %-52s %10s %10s %7s  %s\n' "work" "app" "floor" "ratio" "goal"
}

# gen DIR N TYPE: N revisions (a table and an index each), and the same
# DDL as plain.sql (one transaction per revision)
gen() {
    mkdir -p "$1/migrations/versions" "$1/config"
    awk -v n="$2" -v d="$1" -v ty="$3" 'BEGIN {
        for (i = 1; i <= n; i++) {
            id = sprintf("%05d", i)
            ddl = sprintf("CREATE TABLE \"t%d\" (\"id\" %s PRIMARY KEY, \"v\" TEXT);\nCREATE INDEX \"ix_t%d\" ON \"t%d\" (\"v\");\n", i, ty, i, i)
            f = d "/migrations/versions/" id "_t" i ".sql"
            printf "-- revision: %s\n", id > f
            if (i > 1) printf "-- down_revision: %05d\n", i - 1 > f
            printf "-- message: table %d\n\n-- +upgrade\n%s\n-- +downgrade\nDROP TABLE \"t%d\";\n", i, ddl, i > f
            close(f)
            printf "BEGIN;\n%sCOMMIT;\n", ddl > (d "/plain.sql")
        }
    }'
}

echo "bench/floors: each figure beside its floor ($(nproc) cores; medians of $RUNS runs unless said)"

# 1. SQLite no-op start-up
header "no-op start-up on SQLite ($(sqlite3 --version | cut -d' ' -f1))"
for n in $SIZES; do
    D=$W/sqlite$n
    gen "$D" "$n" INTEGER
    printf '[database]\nurl = sqlite:///var/app.db\n' >"$D/config/app.ini"
    (cd "$D" && "$APP" db upgrade head >/dev/null)
    # files changed in the last 2 s are read every time (revcache.h)
    sleep 2
    (cd "$D" && "$APP" db current >/dev/null)
    cd "$D"
    interleaved "$ROUNDS" "$RUNS" floor "sqlite3 var/app.db 'select * from app_version'" \
        up "$APP db upgrade head" cur "$APP db current"
    cd "$ROOT"
    case $n in 100) goal="<= 1.1x" ;; 1000) goal="<= 1.2x" ;; *) goal="(flat with history)" ;; esac
    row "upgrade head, $n revisions" "$up" "$floor" "$goal"
    row "current, $n revisions" "$cur" "$floor" "$goal"
done
echo "  floor: sqlite3 DB 'select * from app_version'"

# 3. applying 1,000 revisions on SQLite
header "an empty SQLite database through 1000 revisions (median of $APPLY_RUNS)"
D=$W/apply
gen "$D" 1000 INTEGER
printf '[database]\nurl = sqlite:///var/app.db\n' >"$D/config/app.ini"
(echo "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
 cat "$D/plain.sql") >"$D/plain_wal.sql"
(cd "$D" && "$APP" db upgrade --sql head) >"$D/offline.sql"
(echo "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
 cat "$D/offline.sql") >"$D/offline_wal.sql"
# one run of each in turn, on fresh files, after a sync: each run writes
# megabytes, and their write-back would otherwise fall on the next run
cd "$D"
PREP="sh -c 'rm -rf $D/var $D/c.db $D/c.db-wal $D/c.db-shm; sync'" DIGITS=0 \
    interleaved "$APPLY_RUNS" "$APPLY_RUNS" app "$APP db upgrade head" \
    cli "sh -c 'sqlite3 c.db < plain_wal.sql'" \
    same "sh -c 'sqlite3 c.db < offline_wal.sql'"
cd "$ROOT"
row "app db upgrade head" "$app" "$cli" "<= 1.1x"
echo "  floor: sqlite3 CLI, the same DDL, one transaction per revision, WAL + synchronous=NORMAL"
row "the same beside the sqlite3 CLI running its --sql script" "$app" "$same" "(reference)"
echo "  (the script adds each revision's version-table statements)"

# 2 and 4. PostgreSQL
"$ROOT/scripts/pg-test-server.sh" start >/dev/null
URL=$("$ROOT/scripts/pg-test-server.sh" url)
header "PostgreSQL $("$PSQL" -X -At "$URL" -c 'show server_version' | cut -d' ' -f1), Unix socket"
sql() { "$PSQL" -X -q -At -v ON_ERROR_STOP=1 "$URL" -c "$1"; }
D=$W/pg
gen "$D" 100 BIGINT
sql "DROP SCHEMA IF EXISTS bench_floors CASCADE" >/dev/null 2>&1
printf '[app]\nphase = pre-user\n[database]\nurl = %s\nschema = bench_floors\n' \
    "$URL" >"$D/config/app.ini"
(cd "$D" && "$APP" db upgrade head >/dev/null)
sleep 2
(cd "$D" && "$APP" db current >/dev/null)
# the same two statements the app sends (it sends them together, psql one
# after the other): its session setup, then the marker, the heads with
# their row versions and the tool's records at once
S=bench_floors
setup="SELECT pg_catalog.to_regnamespace('\"$S\"') IS NOT NULL, pg_catalog.set_config('search_path', '\"$S\"', false), pg_catalog.set_config('lock_timeout', '0ms', false), pg_catalog.set_config('statement_timeout', '0ms', false)"
noop="SELECT 'd', NULL, revision, operation, detail FROM $S.app_version_dirty UNION ALL SELECT 'v', CAST(xmin AS TEXT), revision, NULL, NULL FROM $S.app_version UNION ALL SELECT 'm', key, value, NULL, NULL FROM $S.app_version_meta UNION ALL SELECT 'x', NULL, NULL, NULL, NULL"
printf '%s;\n%s;\n' "$setup" "$noop" >"$W/noop.sql"
cd "$D"
interleaved "$ROUNDS" "$RUNS" \
    floor "$PSQL -X -q -At -o /dev/null -c 'select * from bench_floors.app_version' $URL" \
    up "$APP db upgrade head" cur "$APP db current" \
    same "$PSQL -X -q -At -o /dev/null -f $W/noop.sql $URL"
cd "$ROOT"
row "upgrade head, 100 revisions" "$up" "$floor" "<= 1.05x"
row "current, 100 revisions" "$cur" "$floor" "<= 1.05x"
echo "  floor: psql connecting and reading the version table (one query)"
row "upgrade head beside psql sending the app's statements" "$up" "$same" "(reference)"
echo "  (psql connecting and running the app's session setup and its no-op read, one after the other)"
sql "DROP SCHEMA IF EXISTS bench_floors CASCADE" >/dev/null 2>&1
BENCH_SCHEMA=bench_ca "$BENCH" "$URL" create-sql 200 >"$W/ca.sql"
{ echo 'SET search_path TO bench_ca;'; cat "$W/ca.sql"; } >"$W/ca_psql.sql"
fresh="$PSQL -X -q $URL -c 'DROP SCHEMA IF EXISTS bench_ca CASCADE' -c 'CREATE SCHEMA bench_ca'"
BENCH_SCHEMA=bench_ca PREP="$fresh" DIGITS=0 \
    interleaved "$APPLY_RUNS" "$APPLY_RUNS" app "$ROOT/$BENCH $URL create 200" \
    floor "$PSQL -X -q -1 -v ON_ERROR_STOP=1 -f $W/ca_psql.sql $URL"
row "create-all of 200 tables (median of $APPLY_RUNS)" "$app" "$floor" "<= 1.1x"
echo "  floor: psql running the same DDL in one transaction"
sql "DROP SCHEMA IF EXISTS bench_ca CASCADE" >/dev/null 2>&1
"$ROOT/scripts/pg-test-server.sh" stop >/dev/null 2>&1 || true

# 5. writes under serve --threads N
header "POST /users/{id}/tasks on SQLite, wrk: 2 threads, 32 connections, $DURATION (median of $POST_ROUNDS alternating runs each)"
cat >"$W/post.lua" <<'LUA'
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"title":"a task from the benchmark"}'
LUA
echo 'wrk.method = "GET"' >"$W/get.lua"
# ms VALUE: wrk's latency ("850.00us", "12.3ms", "1.2s") in ms
ms() { echo "$1" | awk '/us$/ { printf "%.3f", $1 / 1000; next }
    /ms$/ { printf "%.3f", $1 + 0; next } /s$/ { printf "%.3f", $1 * 1000 }'; }
# post_run ST ROUND [get]: one wrk run against a fresh `serve --threads
# ST`, of the POST (of GET /users/{id} with get); requests/s, p50 and p99
# (ms) appended to $W/post$ST ($W/get$ST)
post_run() {
    kind=${3:-post}
    S=$W/serve$1.$2
    mkdir -p "$S/config"
    printf '[app]\nphase = pre-user\n[database]\nurl = sqlite:///var/app.db\n' >"$S/config/app.ini"
    (cd "$S" && exec "$APP" serve --port 0 --threads "$1" >serve.out 2>serve.err) &
    PID=$!
    i=0
    until grep -q 'listening on' "$S/serve.out" 2>/dev/null; do
        i=$((i + 1)); [ "$i" -lt 400 ] || { cat "$S/serve.err" >&2; exit 1; }
        sleep 0.05
    done
    port=$(sed -n 's/.*listening on http:[/][/][^ ]*:\([0-9][0-9]*\) .*/\1/p' "$S/serve.out")
    base=http://127.0.0.1:$port
    curl -fsS -o /dev/null -X POST -H 'Content-Type: application/json' \
        -d '{"email":"bench@example.org","name":"Bench","password":"bench pass phrase"}' \
        "$base/auth/signup"
    token=$(curl -fsS -X POST -H 'Content-Type: application/json' \
        -d '{"email":"bench@example.org","password":"bench pass phrase"}' \
        "$base/auth/login" | sed -n 's/.*"token":"\([^"]*\)".*/\1/p')
    id=$(sqlite3 "$S/var/app.db" "SELECT id FROM users WHERE email = 'bench@example.org'")
    path=/users/$id/tasks
    [ "$kind" = post ] || path=/users/$id
    wrk -t2 -c32 -d"$DURATION" --latency -s "$W/$kind.lua" \
        -H "Authorization: Bearer $token" "$base$path" >"$W/wrk"
    kill -TERM "$PID"; wait "$PID" || true
    PID=
    rm -rf "$S"
    if grep -q 'Non-2xx' "$W/wrk"; then
        echo "bench/floors: errors during the $kind run:" \
            "$(grep 'Non-2xx' "$W/wrk")" >&2
        exit 1
    fi
    echo "$(awk '/^Requests\/sec:/ {print $2}' "$W/wrk")" \
        "$(ms "$(awk '$1 == "50%" {print $2}' "$W/wrk")")" \
        "$(ms "$(awk '$1 == "99%" {print $2}' "$W/wrk")")" >>"$W/$kind$1"
}
# median_col FILE COLUMN: the median of a column of numbers
median_col() {
    awk -v c="$2" '{ print $c }' "$1" | sort -g | awk '{ v[NR] = $1 }
        END { m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
              printf "%.2f", m }'
}
k=0
while [ "$k" -lt "$POST_ROUNDS" ]; do
    post_run 1 "$k"
    post_run 2 "$k"
    post_run 1 "$k" get
    post_run 2 "$k" get
    k=$((k + 1))
done
for st in 1 2; do
    eval "rps$st=$(median_col "$W/post$st" 1)"
    eval "p50_$st=$(median_col "$W/post$st" 2)"
    eval "p99_$st=$(median_col "$W/post$st" 3)"
    eval "gp50_$st=$(median_col "$W/get$st" 2)"
    eval "gp99_$st=$(median_col "$W/get$st" 3)"
done
row "requests/s, --threads 2 (app) vs --threads 1 (floor)" "$rps2" "$rps1" ">= 1.00x" "/s"
row "p99 (app) over p50 (floor), --threads 2" "$p99_2" "$p50_2" "<= 3x"
row "p99 (app) over p50 (floor), --threads 1" "$p99_1" "$p50_1" "(for reference)"
row "GET /users/{id}: p99 over p50, --threads 2" \
    "$gp99_2" "$gp50_2" "(reference)"
row "GET /users/{id}: p99 over p50, --threads 1" \
    "$gp99_1" "$gp50_1" "(reference)"
echo "  (a read writes nothing: its tail is the HTTP layer's and the"
echo "  machine's, wrk on the same cores)"
