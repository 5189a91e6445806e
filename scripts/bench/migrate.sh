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
# Figure 1 is the median of RUNS hyperfine runs of each command, taken in
# ROUNDS blocks that alternate between them (lib/timing.sh); figure 2 the
# median of APPLY_RUNS runs of each, one at a time in turn, each on a fresh
# database after a sync.
# Environment: BUILD (build), RUNS (30), ROUNDS (6), APPLY_RUNS (5),
# REVS (1000).
# dbmate comes from `npm install dbmate` into a temporary directory; when npm
# cannot fetch it the dbmate column says so. Prints figures; never fails on
# them.
set -eu
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-build}
APP=$ROOT/$BUILD/app
RUNS=${RUNS:-30}
ROUNDS=${ROUNDS:-6}
APPLY_RUNS=${APPLY_RUNS:-5}
REVS=${REVS:-1000}

[ -x "$APP" ] || { echo "bench/migrate: build $APP first (make)" >&2; exit 1; }
for tool in sqlite3 hyperfine; do
    command -v $tool >/dev/null || {
        echo "bench/migrate: $tool is not installed (scripts/install-deps.sh)" >&2
        exit 1
    }
done
W=$(mktemp -d "${TMPDIR:-/tmp}/benchmig.XXXXXX")
trap 'rm -rf "$W"' EXIT

NAME=migrate
. "$ROOT/scripts/bench/lib/timing.sh"

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
dbm() { echo "$DBMATE --no-dump-schema --migrations-dir $1/dbmate --url sqlite:$1/dbmate.db up"; }

echo "== versioned migrations on SQLite ($(sqlite3 --version | cut -d' ' -f1), $(nproc) cores)"
[ -n "$DBMATE" ] || echo "dbmate: unavailable (npm install dbmate failed here)"

# 1. no-op upgrade with 100 applied revisions
D1=$W/noop
gen "$D1" 100
(cd "$D1" && "$APP" db upgrade head >/dev/null)
# files changed in the last 2 s are read every time (revcache.h): a
# project's revision files are older than that
sleep 2
(cd "$D1" && "$APP" db current >/dev/null)
# the floor reading the version table: SQLite then loads the schema (200
# tables and indexes), which 'select 1' never does
set -- app1 "$APP db upgrade head" floor1 "sqlite3 var/app.db 'select 1'" \
    floor1v "sqlite3 var/app.db 'select * from app_version'" \
    start1 "$APP --version"
if [ -n "$DBMATE" ]; then
    sh -c "$(dbm "$D1")" >/dev/null 2>&1 || true
    set -- "$@" dbm1 "$(dbm "$D1")"
fi
cd "$D1"
interleaved "$ROUNDS" "$RUNS" "$@"
cd "$ROOT"
echo "1. no-op upgrade head, 100 applied revisions (median of $RUNS)"
echo "   app db upgrade head        $app1 ms   ($(ratio "$app1" "$floor1") the floor; target 1.5x)"
echo "   floor: sqlite3 DB 'select 1'  $floor1 ms"
echo "   floor reading the version table: sqlite3 DB 'select * from app_version'  $floor1v ms   (app: $(ratio "$app1" "$floor1v"))"
echo "   app --version (process start only)  $start1 ms"
[ -z "$DBMATE" ] || echo "   dbmate up                  $dbm1 ms"

# 2. an empty database through REVS revisions
D2=$W/full
gen "$D2" "$REVS"
(cd "$D2" && "$APP" db upgrade --sql head > offline.sql)
wal="PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
(echo "$wal"; cat "$D2/plain.sql") > "$D2/plain_wal.sql"
(echo "$wal"; cat "$D2/offline.sql") > "$D2/offline_wal.sql"
set -- app2 "$APP db upgrade head" \
    cli_wal "sh -c 'sqlite3 c.db < plain_wal.sql'" \
    cli_def "sh -c 'sqlite3 c.db < plain.sql'" \
    cli_same "sh -c 'sqlite3 c.db < offline_wal.sql'"
[ -z "$DBMATE" ] || set -- "$@" dbm2 "$(dbm "$D2")"
cd "$D2"
PREP="sh -c 'rm -rf $D2/var $D2/c.db $D2/c.db-wal $D2/c.db-shm $D2/dbmate.db; sync'" \
    DIGITS=0 interleaved "$APPLY_RUNS" "$APPLY_RUNS" "$@"
cd "$ROOT"
echo "2. empty database through $REVS revisions (median of $APPLY_RUNS)"
echo "   app db upgrade head        $app2 ms"
echo "   sqlite3 CLI, same DDL, WAL + synchronous=NORMAL   $cli_wal ms   (app: $(ratio "$app2" "$cli_wal"); target 1.3x)"
echo "   sqlite3 CLI, the app's --sql script, same journal  $cli_same ms   (app: $(ratio "$app2" "$cli_same"))"
echo "   sqlite3 CLI, same DDL, default journal             $cli_def ms"
[ -z "$DBMATE" ] || echo "   dbmate up                  $dbm2 ms   (app: $(ratio "$app2" "$dbm2"))"
