#!/bin/sh
# A statement stuck behind another session's lock fails after
# [database] lock_timeout with one line naming the setting.
. "$(dirname "$0")/lib.sh"
. "$ROOT/tests/cli/pglib.sh"

pg_ini "lock_timeout = 300ms"
run "$APP" db create-all
expect_status 0
pg "insert into users(email, name) values ('a@x', 'A')"

# another session holds ACCESS EXCLUSIVE on users for up to 20 s
psql -X -q "$TEST_PG_URL" -c "SET search_path TO $SCHEMA" \
    -c "BEGIN; LOCK TABLE users IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(20); COMMIT" \
    >/dev/null 2>&1 &
holder=$!
i=0
until [ "$(psql -X -At "$TEST_PG_URL" -c "select count(*) from pg_locks l join pg_class c on c.oid = l.relation join pg_namespace n on n.oid = c.relnamespace where n.nspname = '$SCHEMA' and c.relname = 'users' and l.mode = 'AccessExclusiveLock' and l.granted")" = 1 ]; do
    i=$((i + 1)); [ $i -lt 100 ] || break; sleep 0.1
done

start=$(date +%s)
run "$APP" db reset --yes
took=$(($(date +%s) - start))
expect_status 1
expect_err "canceling statement due to lock timeout: waited lock_timeout (300ms)"
expect_err "raise \[database\] lock_timeout in config/app.ini"
expect_one_line_err
[ "$took" -lt 5 ] || fail "reset should give up after lock_timeout, took $took s"

run "$APP" db info
expect_status 1; expect_err "lock_timeout"

# a revision stuck behind the same lock fails after lock_timeout and leaves
# no trace: the database stays at its revision
mkdir -p migrations/versions
printf -- '-- revision: 0001\n-- message: noop\n\n-- +upgrade\nSELECT 1;\n\n-- +downgrade\nSELECT 1;\n' \
    >migrations/versions/0001_noop.sql
printf -- '-- revision: 0002\n-- down_revision: 0001\n-- message: phone\n\n-- +upgrade\nCREATE TABLE side (x int);\nALTER TABLE users ADD COLUMN phone text;\n\n-- +downgrade\nALTER TABLE users DROP COLUMN phone;\n' \
    >migrations/versions/0002_phone.sql
pg_ini "lock_timeout = 300ms"
printf '[migrations]\ndir = migrations\nbackup_dir = backups\n' >>config/app.ini
run "$APP" db upgrade 0001
expect_status 0
start=$(date +%s)
run "$APP" db upgrade head
took=$(($(date +%s) - start))
expect_status 1
expect_err "lock_timeout (300ms)"; expect_err "\[database\] lock_timeout"
[ "$took" -lt 5 ] || fail "upgrade should give up after lock_timeout, took $took s"
run "$APP" db current
expect_status 0; expect_out "0001"
expect_eq "$(pg "select count(*) from pg_tables where schemaname = '$SCHEMA' and tablename = 'side'")" 0 \
    "the failed revision left no trace"
# production: the backup taken first gives up after lock_timeout too
APP_PHASE=production run "$APP" db upgrade head
expect_status 1; expect_err "backup before upgrade failed"
expect_err "pg_dump waited lock_timeout (300ms)"; expect_err "raise \[database\] lock_timeout"
expect_one_line_err
run "$APP" db current
expect_out "0001"

# the holder goes away: the same commands then work, and nothing was lost before
psql -X -q "$TEST_PG_URL" -c "select pg_cancel_backend(pid) from pg_stat_activity where query like '%pg_sleep(20)%' and pid <> pg_backend_pid()" >/dev/null
wait "$holder" 2>/dev/null
run "$APP" db upgrade head
expect_status 0
run "$APP" db current
expect_out "0002"
expect_eq "$(pg 'select count(*) from users')" 1 "the failed reset changed nothing"
run "$APP" db reset --yes
expect_status 0
expect_eq "$(pg 'select count(*) from users')" 0
finish
