#!/bin/sh
# Benchmarks `db check` (reflect + diff) on a generated schema of N tables
# (1,000 by default), each with 10 columns, 2 indexes (one unique, two
# columns) and 1 foreign key, beside its floor and Alembic's autogenerate
# on the same schema. Whole-process times (hyperfine) and peak memory
# (/usr/bin/time -v). Prints figures; exits 1 only when a run fails.
#
#   scripts/bench/check.sh          (make bench runs every scripts/bench/*.sh)
#
# The app's models are two tables, so the models come from
# scripts/bench/check_bench.c: a small program linked with the same library
# objects as $BUILD/app that generates the N tables and runs the path of
# `app db check` on them (validate, reflect the models' tables, diff).
#
# SQLite: the floor is `sqlite3 DB .schema`. PostgreSQL (the server
# BENCH_PG_URL or TEST_PG_URL names; without either, a cluster of its own,
# started and stopped here by scripts/pg-test-server.sh in
# BENCH_PGTEST_DIR, default BUILD/pgcheck): the floor is psql running three
# catalog queries (columns, indexes, foreign keys) on the schema. Alembic
# runs when /usr/bin/python3 has it (Debian: apt-get install
# python3-alembic python3-sqlalchemy; python3-psycopg2 for PostgreSQL).
# Environment: BUILD (build), N (1000), RUNS (20).
set -eu
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
BUILD=${BUILD:-build}
N=${N:-1000}
RUNS=${RUNS:-20}
PG_URL=${BENCH_PG_URL:-${TEST_PG_URL:-}}
PY=/usr/bin/python3

for tool in hyperfine sqlite3 /usr/bin/time; do
    command -v $tool >/dev/null || {
        echo "bench/check: $tool is not installed" >&2
        exit 1
    }
done

# the driver, linked with the library objects of $BUILD (make builds it)
BENCH=$BUILD/bench/check_bench
make -s BUILD="$BUILD" "$BUILD/app" "$BENCH" >/dev/null

T=$(mktemp -d "${TMPDIR:-/tmp}/benchcheck.XXXXXX")
trap 'rm -rf "$T"' EXIT

mean_ms() { # hyperfine's JSON export -> mean in ms
    sed -n 's/.*"mean": *\([0-9.e-]*\).*/\1/p' "$1" | head -1 |
        awk '{ printf "%.1f", $1 * 1000 }'
}
peak_mb() { # command... -> peak RSS in MB
    /usr/bin/time -v "$@" 2>"$T/time" >/dev/null || true
    sed -n 's/.*Maximum resident set size (kbytes): //p' "$T/time" |
        awk '{ printf "%.1f", $1 / 1024 }'
}
timeit() { # name command -> "mean ms"
    hyperfine -N --style none --warmup 3 --runs "$RUNS" --export-json "$T/h.json" \
        "$2" >/dev/null 2>&1 || { echo "bench/check: '$2' failed" >&2; exit 1; }
    mean_ms "$T/h.json"
}
row() { printf '  %-34s %9s ms %9s MB\n' "$1" "$2" "$3"; }

have_alembic=no
if [ -x $PY ] && $PY -c 'import alembic, sqlalchemy' 2>/dev/null; then
    have_alembic=yes
    {
        # SQLAlchemy sorts the 1,000-table foreign-key chain recursively
        echo 'import sys; sys.setrecursionlimit(100000)'
        "$BENCH" x models "$N"
    } >"$T/alembic_check.py"
    cat >>"$T/alembic_check.py" <<'PY'
import sys
from sqlalchemy import create_engine
from alembic.migration import MigrationContext
from alembic.autogenerate import compare_metadata
args = {}
if len(sys.argv) > 2:
    args = {'connect_args': {'options': '-csearch_path=' + sys.argv[2]}}
engine = create_engine(sys.argv[1], **args)
with engine.connect() as conn:
    ctx = MigrationContext.configure(conn, opts={'compare_type': True})
    print(len(compare_metadata(ctx, metadata)))
PY
fi

echo "== db check on $N tables (10 columns, 2 indexes, 1 foreign key each)"
printf '  %-34s %12s %12s\n' "" "time" "peak memory"

# SQLite
db=$T/check.db
"$BENCH" "sqlite:///$db" create "$N"
"$BENCH" "sqlite:///$db" check "$N" >/dev/null || {
    echo "bench/check: a fresh schema does not check clean" >&2
    exit 1
}
echo "SQLite $(sqlite3 --version | cut -d' ' -f1)"
row "db check (reflect + diff)" "$(timeit check "$BENCH sqlite:///$db check $N")" \
    "$(peak_mb "$BENCH" "sqlite:///$db" check "$N")"
row "floor: sqlite3 DB .schema" "$(timeit floor "sqlite3 $db .schema")" \
    "$(peak_mb sqlite3 "$db" .schema)"
if [ $have_alembic = yes ]; then
    RUNS_SAVED=$RUNS; RUNS=3
    row "Alembic autogenerate (compare)" \
        "$(timeit alembic "$PY $T/alembic_check.py sqlite:///$db")" \
        "$(peak_mb $PY "$T/alembic_check.py" "sqlite:///$db")"
    RUNS=$RUNS_SAVED
else
    echo "  (Alembic: not installed for $PY)"
fi

# PostgreSQL: the server named, or a cluster of this script's own
if command -v psql >/dev/null; then
    OWN_PG=
    schema=bench_check_$$
    # one table per transaction: a single DROP SCHEMA of N tables can need
    # more locks than max_locks_per_transaction allows
    drop_schema() {
        [ -z "$PG_URL" ] || printf '%s\n' \
            "SELECT format('DROP TABLE IF EXISTS %I.%I CASCADE', schemaname, tablename) FROM pg_tables WHERE schemaname = '$schema' \\gexec" \
            "DROP SCHEMA IF EXISTS $schema CASCADE;" |
            psql -X -q "$PG_URL" >/dev/null 2>&1 || true
        rm -rf "$T"
        [ -z "$OWN_PG" ] ||
            "$ROOT/scripts/pg-test-server.sh" stop >/dev/null 2>&1 || true
    }
    trap drop_schema EXIT
    if [ -z "$PG_URL" ]; then
        PGTEST_DIR=${BENCH_PGTEST_DIR:-$ROOT/$BUILD/pgcheck}
        export PGTEST_DIR
        OWN_PG=yes
        "$ROOT/scripts/pg-test-server.sh" start >/dev/null || {
            echo "bench/check: cannot start a PostgreSQL cluster" \
                 "(scripts/pg-test-server.sh; scripts/install-deps.sh)" >&2
            exit 1
        }
        PG_URL=$("$ROOT/scripts/pg-test-server.sh" url)
    fi
    export BENCH_SCHEMA=$schema
    "$BENCH" "$PG_URL" create "$N"
    "$BENCH" "$PG_URL" check "$N" >/dev/null || {
        echo "bench/check: a fresh PostgreSQL schema does not check clean" >&2
        exit 1
    }
    cat >"$T/floor.sql" <<SQL
SELECT t.relname, a.attname, format_type(a.atttypid, a.atttypmod),
       a.attnotnull, pg_get_expr(d.adbin, d.adrelid), a.attidentity
FROM pg_class t JOIN pg_namespace n ON n.oid = t.relnamespace
JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum > 0
     AND NOT a.attisdropped
LEFT JOIN pg_attrdef d ON d.adrelid = t.oid AND d.adnum = a.attnum
WHERE n.nspname = '$schema' AND t.relkind = 'r';
SELECT t.relname, i.relname, x.indisunique, x.indkey
FROM pg_index x JOIN pg_class t ON t.oid = x.indrelid
JOIN pg_class i ON i.oid = x.indexrelid
JOIN pg_namespace n ON n.oid = t.relnamespace WHERE n.nspname = '$schema';
SELECT c.conname, c.conrelid, c.confrelid, c.conkey, c.confkey,
       c.confupdtype, c.confdeltype
FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace
WHERE c.contype = 'f' AND n.nspname = '$schema';
SQL
    echo "PostgreSQL $(psql -X -At "$PG_URL" -c 'show server_version')"
    row "db check (reflect + diff)" \
        "$(timeit check "$BENCH $PG_URL check $N")" \
        "$(peak_mb "$BENCH" "$PG_URL" check "$N")"
    row "floor: psql, 3 catalog queries" \
        "$(timeit floor "psql -X -q -o /dev/null -f $T/floor.sql $PG_URL")" \
        "$(peak_mb psql -X -q -o /dev/null -f "$T/floor.sql" "$PG_URL")"
    if [ $have_alembic = yes ] && $PY -c 'import psycopg2' 2>/dev/null; then
        RUNS=3
        row "Alembic autogenerate (compare)" \
            "$(timeit alembic "$PY $T/alembic_check.py $PG_URL $schema")" \
            "$(peak_mb $PY "$T/alembic_check.py" "$PG_URL" "$schema")"
    else
        echo "  (Alembic on PostgreSQL: python3-psycopg2 not installed)"
    fi
else
    echo "PostgreSQL: skipped (psql is not installed: scripts/install-deps.sh)"
fi
echo "targets: SQLite under 50 ms, PostgreSQL under 400 ms, peak memory under 30 MB"

# The app's own start-up check: its two model tables on SQLite.
mkdir -p "$T/app/config"
printf '[app]\nphase = pre-user\n[database]\nurl = sqlite:///%s/app/app.db\n' \
    "$T" >"$T/app/config/app.ini"
APP=$ROOT/$BUILD/app
"$APP" --config "$T/app/config/app.ini" db create-all >/dev/null
echo "== the app's start-up check (2 model tables, SQLite)"
row "app db check" \
    "$(timeit app "$APP --config $T/app/config/app.ini db check")" \
    "$(peak_mb "$APP" --config "$T/app/config/app.ini" db check)"
row "floor: sqlite3 DB .schema" "$(timeit floor "sqlite3 $T/app/app.db .schema")" \
    "$(peak_mb sqlite3 "$T/app/app.db" .schema)"

# A table rebuild: an autogenerated type change on ROWS rows, applied by
# the library (db_diff_apply) and, the same SQL, by the sqlite3 CLI with
# the journal settings the app uses (WAL, synchronous=NORMAL).
ROWS=${ROWS:-1000000}
big=$T/big.db
sqlite3 "$big" "PRAGMA journal_mode=WAL;" \
    "CREATE TABLE big (id INTEGER PRIMARY KEY, a INTEGER NOT NULL, b TEXT NOT NULL, c REAL);" \
    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $ROWS)
     INSERT INTO big SELECT i, i % 1000, 'row ' || i, i / 7.0 FROM n;" >/dev/null
sqlite3 "$big" "PRAGMA wal_checkpoint(TRUNCATE);" >/dev/null
"$BENCH" "sqlite:///$big" rebuild-sql >"$T/rebuild.sql"
{
    echo "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; BEGIN;"
    cat "$T/rebuild.sql"
    echo "COMMIT;"
} >"$T/rebuild_cli.sql"
prep="rm -f $T/run.db $T/run.db-wal $T/run.db-shm; cp $big $T/run.db"
rebuild_time() { # command -> mean ms, a fresh copy before each run
    hyperfine -N --style none --runs 5 --prepare "sh -c '$prep'" \
        --export-json "$T/h.json" "$1" >/dev/null 2>&1 ||
        { echo "bench/check: '$1' failed" >&2; exit 1; }
    mean_ms "$T/h.json"
}
rebuild_peak() {
    sh -c "$prep"
    peak_mb "$@"
}
echo "== SQLite table rebuild (TEXT -> VARCHAR(100)) of $ROWS rows"
row "library (db_diff_apply)" \
    "$(rebuild_time "$BENCH sqlite:///$T/run.db rebuild")" \
    "$(rebuild_peak "$BENCH" "sqlite:///$T/run.db" rebuild)"
row "sqlite3 CLI, the same SQL" \
    "$(rebuild_time "sh -c 'sqlite3 $T/run.db < $T/rebuild_cli.sql'")" \
    "$(rebuild_peak sh -c "sqlite3 $T/run.db < $T/rebuild_cli.sql")"
sh -c "$prep"
"$BENCH" "sqlite:///$T/run.db" rebuild >/dev/null
expect=$(sqlite3 "$big" "SELECT count(*), sum(a), max(b) FROM big")
got=$(sqlite3 "$T/run.db" "SELECT count(*), sum(a), max(b) FROM big")
[ "$expect" = "$got" ] || { echo "bench/check: the rebuild lost rows" >&2; exit 1; }
echo "targets: within 1.1x of the sqlite3 CLI, peak memory under 16 MB"
