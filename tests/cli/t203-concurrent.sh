#!/bin/sh
# 8 processes upgrading one SQLite database at once apply each revision once.
. "$(dirname "$0")/lib.sh"

printf '[database]\nurl = sqlite:///var/app.db\n' > config/app.ini
mkdir -p migrations/versions
i=1
prev=""
while [ $i -le 20 ]; do
    id=$(printf '%04d' $i)
    {
        echo "-- revision: $id"
        [ -n "$prev" ] && echo "-- down_revision: $prev"
        echo "-- message: table $i"
        echo "-- +upgrade"
        echo "CREATE TABLE \"t$i\" (\"id\" INTEGER PRIMARY KEY, \"v\" TEXT);"
        echo "CREATE INDEX \"ix_t$i\" ON \"t$i\" (\"v\");"
        echo "INSERT INTO \"t$i\" (\"v\") VALUES ('once');"
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
expect_eq "$(grep -c '^upgrade ' out.*  | awk -F: '{s += $2} END {print s}')" 20 "20 upgrades reported in all"
expect_eq "$(sqlite3 var/app.db "select count(*) from app_version_history where operation='up'")" 20 "each revision applied once"
expect_eq "$(sqlite3 var/app.db "select count(distinct revision) from app_version_history")" 20
expect_eq "$(sqlite3 var/app.db 'select revision from app_version')" "0020"
expect_eq "$(sqlite3 var/app.db 'select count(*) from t20')" 1 "the last revision's insert ran once"
expect_eq "$(sqlite3 var/app.db 'select count(*) from t1')" 1
finish
