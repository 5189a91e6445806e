#!/bin/sh
# On PostgreSQL: 8 processes upgrading at once apply each revision once
# (advisory lock); per-dialect blocks; a failing revision leaves no trace;
# offline SQL for the postgresql dialect.
. "$(dirname "$0")/lib.sh"
. "$ROOT/tests/cli/pglib.sh"

pg_ini
mkdir -p migrations/versions
i=1
prev=""
while [ $i -le 12 ]; do
    id=$(printf '%04d' $i)
    {
        echo "-- revision: $id"
        [ -n "$prev" ] && echo "-- down_revision: $prev"
        echo "-- message: table $i"
        echo "-- +upgrade"
        echo "CREATE TABLE \"t$i\" (\"id\" INTEGER PRIMARY KEY, \"v\" TEXT);"
        echo "INSERT INTO \"t$i\" (\"id\", \"v\") VALUES (1, 'once');"
        echo "-- +upgrade dialect=postgresql"
        echo "COMMENT ON TABLE \"t$i\" IS 'pg only';"
        echo "-- +upgrade dialect=sqlite"
        echo "CREATE TABLE \"sqlite_only_$i\" (\"x\" INTEGER);"
        echo "-- +downgrade"
        echo "DROP TABLE \"t$i\";"
    } > "migrations/versions/${id}_t$i.sql"
    prev=$id
    i=$((i + 1))
done

pids=""
n=1
while [ $n -le 8 ]; do
    "$APP" db upgrade head >"out.$n" 2>"err.$n" </dev/null &
    pids="$pids $!"
    n=$((n + 1))
done
failed=0
for p in $pids; do wait "$p" || failed=$((failed + 1)); done
status=$failed; out=$(cat out.*); err=$(cat err.*)
expect_status 0 "every process succeeds"
expect_eq "$(pg "select count(*) from app_version_history where operation = 'up'")" 12 "each revision applied once"
expect_eq "$(pg 'select revision from app_version')" "0012"
expect_eq "$(pg 'select count(*) from t12')" 1
expect_eq "$(pg "select obj_description('t1'::regclass)")" "pg only" "the postgresql block ran"
expect_eq "$(pg "select count(*) from information_schema.tables where table_schema = '$SCHEMA' and table_name like 'sqlite_only%'")" 0 "the sqlite block did not"

cat > migrations/versions/0013_bad.sql <<'SQL'
-- revision: 0013
-- down_revision: 0012
-- message: bad
-- +upgrade
CREATE TABLE "pets" ("id" INTEGER PRIMARY KEY);
INSERT INTO "nowhere" VALUES (1);
SQL
run "$APP" db upgrade
expect_status 1; expect_err "0013_bad.sql:6: upgrade 0013: statement 'INSERT INTO \"nowhere\" VALUES (1)' failed"
expect_err "nowhere"; expect_one_line_err
expect_eq "$(pg 'select revision from app_version')" "0012" "stays at the previous revision"
expect_eq "$(pg "select count(*) from information_schema.tables where table_schema = '$SCHEMA' and table_name = 'pets'")" 0 "nothing of it stays"
rm migrations/versions/0013_bad.sql

run "$APP" db downgrade 0010 --yes
expect_status 0; expect_out "downgrade 0012"; expect_out "downgrade 0011"
expect_eq "$(pg 'select revision from app_version')" "0010"
run "$APP" db upgrade --sql 0010:head
expect_status 0; expect_out "COMMENT ON TABLE \"t11\""; expect_no "sqlite_only"
finish
