#!/bin/sh
# Benchmarks versioned migrations on SQLite and prints each figure beside its
# floor and beside dbmate run on the same revisions:
#
#   1. a no-op `app db upgrade head` on a database with 100 applied
#      revisions (whole process), beside `sqlite3 DB 'select 1'`;
#   2. upgrading an empty database through 1,000 revisions (each a CREATE
#      TABLE and a CREATE INDEX), beside the sqlite3 CLI running the same DDL
#      with one transaction per revision, with the app's journal settings
#      (WAL, synchronous=NORMAL), with the default journal, and running the
#      app's own `upgrade --sql` script (version-table statements included).
#
#   scripts/bench/migrate.sh       (make bench runs every scripts/bench/*.sh)
#
# Environment: BUILD (build), RUNS (30 for figure 1), REVS (1000).
# dbmate comes from `npm install dbmate` into a temporary directory; when npm
# cannot fetch it the dbmate column says so. Prints figures; never fails on
# them.
set -eu
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-build}
APP=$ROOT/$BUILD/app
RUNS=${RUNS:-30}
REVS=${REVS:-1000}

[ -x "$APP" ] || { echo "bench/migrate: build $APP first (make)" >&2; exit 1; }
command -v sqlite3 >/dev/null || {
    echo "bench/migrate: sqlite3 is not installed (apt-get install sqlite3)" >&2
    exit 1
}
W=$(mktemp -d "${TMPDIR:-/tmp}/benchmig.XXXXXX")
trap 'rm -rf "$W"' EXIT

now() { date +%s%N; }
# ms N CMD...: mean wall time of N runs of CMD, in milliseconds (2 decimals)
ms() {
    n=$1; shift
    t0=$(now)
    i=0
    while [ $i -lt "$n" ]; do "$@" >/dev/null 2>&1; i=$((i + 1)); done
    t1=$(now)
    echo "$t0 $t1 $n" | awk '{printf "%.2f", ($2 - $1) / $3 / 1e6}'
}
# best3 SETUP CMD...: the best of 3 runs of CMD, SETUP run before each
best3() {
    setup=$1; shift
    all=""
    for _ in 1 2 3; do
        sh -c "$setup"
        all="$all $(ms 1 "$@")"
    done
    echo "$all" | awk '{ b = $1; for (i = 2; i <= NF; i++) if ($i < b) b = $i; print b }'
}
ratio() { echo "$1 $2" | awk '{ if ($2 > 0) printf "%.2fx", $1 / $2; else print "-" }'; }

# gen DIR N: N revisions in the app's format and in dbmate's, and the DDL
gen() {
    dir=$1; n=$2
    mkdir -p "$dir/migrations/versions" "$dir/dbmate" "$dir/config"
    printf '[database]\nurl = sqlite:///var/app.db\n' > "$dir/config/app.ini"
    awk -v n="$n" -v d="$dir" 'BEGIN {
        for (i = 1; i <= n; i++) {
            id = sprintf("%04d", i)
            ddl = sprintf("CREATE TABLE \"t%d\" (\"id\" INTEGER PRIMARY KEY, \"v\" TEXT);\nCREATE INDEX \"ix_t%d\" ON \"t%d\" (\"v\");\n", i, i, i)
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

DBMATE=""
if command -v npm >/dev/null &&
    timeout 120 npm install --silent --prefix "$W/npm" dbmate >/dev/null 2>&1 &&
    [ -x "$W/npm/node_modules/.bin/dbmate" ]; then
    DBMATE="$W/npm/node_modules/.bin/dbmate"
    # the npm wrapper starts node; call the Go binary it ships directly
    real=$(find "$W/npm/node_modules" -type f -name dbmate -perm -u+x 2>/dev/null |
           grep -v '/.bin/' | head -1)
    [ -n "$real" ] && DBMATE=$real
fi
dbm() { "$DBMATE" --no-dump-schema --migrations-dir "$1/dbmate" --url "sqlite:$1/dbmate.db" up; }

echo "== versioned migrations on SQLite ($(sqlite3 --version | cut -d' ' -f1), $(nproc) cores)"
[ -n "$DBMATE" ] || echo "dbmate: unavailable (npm install dbmate failed here)"

# 1. no-op upgrade with 100 applied revisions
D1=$W/noop
gen "$D1" 100
(cd "$D1" && "$APP" db upgrade head >/dev/null)
app1=$(cd "$D1" && ms "$RUNS" "$APP" db upgrade head)
floor1=$(cd "$D1" && ms "$RUNS" sqlite3 var/app.db 'select 1')
start1=$(cd "$D1" && ms "$RUNS" "$APP" --version)
# the same floor reading the version table: SQLite then loads the schema
# (200 tables and indexes), which 'select 1' never does
floor1v=$(cd "$D1" && ms "$RUNS" sqlite3 var/app.db 'select * from app_version')
echo "1. no-op upgrade head, 100 applied revisions (mean of $RUNS)"
echo "   app db upgrade head        $app1 ms   ($(ratio "$app1" "$floor1") the floor; target 1.5x)"
echo "   floor: sqlite3 DB 'select 1'  $floor1 ms"
echo "   floor reading the version table: sqlite3 DB 'select * from app_version'  $floor1v ms   (app: $(ratio "$app1" "$floor1v"))"
echo "   app --version (process start only)  $start1 ms"
if [ -n "$DBMATE" ]; then
    dbm "$D1" >/dev/null 2>&1 || true
    dbm1=$(ms "$RUNS" dbm "$D1")
    echo "   dbmate up                  $dbm1 ms"
fi

# 2. an empty database through REVS revisions
D2=$W/full
gen "$D2" "$REVS"
(cd "$D2" && "$APP" db upgrade --sql head > offline.sql)
app2=$(cd "$D2" && best3 'rm -rf var' "$APP" db upgrade head)
wal="PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
(echo "$wal"; cat "$D2/plain.sql") > "$D2/plain_wal.sql"
(echo "$wal"; cat "$D2/offline.sql") > "$D2/offline_wal.sql"
cli_wal=$(cd "$D2" && best3 'rm -f c.db*' sh -c 'sqlite3 c.db < plain_wal.sql')
cli_def=$(cd "$D2" && best3 'rm -f c.db*' sh -c 'sqlite3 c.db < plain.sql')
cli_same=$(cd "$D2" && best3 'rm -f c.db*' sh -c 'sqlite3 c.db < offline_wal.sql')
echo "2. empty database through $REVS revisions (best of 3)"
echo "   app db upgrade head        $app2 ms"
echo "   sqlite3 CLI, same DDL, WAL + synchronous=NORMAL   $cli_wal ms   (app: $(ratio "$app2" "$cli_wal"); target 1.3x)"
echo "   sqlite3 CLI, the app's --sql script, same journal  $cli_same ms   (app: $(ratio "$app2" "$cli_same"))"
echo "   sqlite3 CLI, same DDL, default journal             $cli_def ms"
if [ -n "$DBMATE" ]; then
    dbm2=$(best3 "rm -f '$D2'/dbmate.db*" dbm "$D2")
    echo "   dbmate up                  $dbm2 ms   (app: $(ratio "$app2" "$dbm2"))"
fi
