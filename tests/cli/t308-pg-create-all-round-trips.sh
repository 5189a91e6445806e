#!/bin/sh
# create-all on PostgreSQL in a fixed number of statements, whatever the
# number of models: the session setup, the version-table probe, the
# catalog read (one query while none of the tables exists, four when some
# do), then under the migration lock the same read again and every CREATE
# in one message, in one transaction (no savepoint, nothing per table).
# On a database that is already complete it stops after the first read,
# without the lock. Counted on the test server as t307 counts: the app's
# session runs with log_statement = all (PGOPTIONS) and its statements are
# read back from the server's log.
. "$(dirname "$0")/lib.sh"
. "$ROOT/tests/cli/pglib.sh"

LOG=$PG_SOCKDIR/server.log
[ -r "$LOG" ] || { echo "not ok - $(basename "$0"): cannot read the test server's log $LOG"; exit 1; }
pg_ini

# logged CMD...: runs CMD with its statements logged; $stmts holds the
# first line of each, $n their count, $tail everything the server logged
logged() {
    size=$(wc -c < "$LOG")
    PGOPTIONS='-c log_statement=all' run "$@"
    tail=$(tail -c +$((size + 1)) "$LOG")
    stmts=$(printf '%s\n' "$tail" |
            sed -n 's/.*LOG:  \(statement\|execute [^:]*\): //p')
    n=$(printf '%s\n' "$stmts" | grep -c .)
}
count() { printf '%s\n' "$stmts" | grep -c -- "$1"; }

logged "$APP" db create-all
expect_status 0; expect_out "created any missing tables and indexes of 5 models"
expect_eq "$(pg "SELECT count(*) FROM pg_tables WHERE schemaname = '$SCHEMA'")" "5" \
    "the five tables exist"
# setup, CREATE SCHEMA (the schema is new), probe, the columns (none),
# lock, BEGIN, the columns again (still none), the DDL, COMMIT, unlock
expect_eq "$n" "10" "create-all: ten statements"
expect_eq "$(printf '%s\n' "$stmts" | sed -n 1p | grep -c "set_config('search_path'")" "1" \
    "the first statement sets up the session"
expect_eq "$(count '^CREATE SCHEMA')" "1" "the schema is created once"
expect_eq "$(count '^CREATE TABLE')" "1" "one message holds the CREATEs"
expect_eq "$(printf '%s\n' "$tail" | grep -c 'CREATE TABLE')" "5" \
    "that message creates the five tables"
expect_eq "$(printf '%s\n' "$tail" | grep -c 'CREATE \(UNIQUE \)\?INDEX')" \
    "$(pg "SELECT count(*) FROM pg_indexes WHERE schemaname = '$SCHEMA' AND indexname NOT LIKE '%pkey'")" \
    "and every index"
expect_eq "$(count 'pg_catalog.pg_\(attribute\|index\|constraint\)')" "2" \
    "the catalog read once before the lock and once under it: one query each"
expect_eq "$(count 'pg_try_advisory_lock')" "1" "the lock is taken once"
expect_eq "$(count '^BEGIN')" "1" "one transaction"
expect_eq "$(count '^COMMIT')" "1" "committed once"
expect_eq "$(count 'SAVEPOINT\|^COMMENT')" "0" "no savepoints, no comments"
lock_at=$(printf '%s\n' "$stmts" | grep -n 'pg_try_advisory_lock' | cut -d: -f1)
ddl_at=$(printf '%s\n' "$stmts" | grep -n '^CREATE TABLE' | cut -d: -f1)
reads=$(printf '%s\n' "$stmts" | grep -n '^SELECT t.relname, a.attname' | cut -d: -f1 | tr '\n' ' ')
expect_eq "$( [ "$(echo $reads | cut -d' ' -f1)" -lt "$lock_at" ] &&
              [ "$(echo $reads | cut -d' ' -f2)" -gt "$lock_at" ] &&
              [ "$(echo $reads | cut -d' ' -f2)" -lt "$ddl_at" ] && echo yes)" "yes" \
    "read once before the lock, once under it before the CREATEs"

# complete already: the first reflection finds nothing to do
logged "$APP" db create-all
expect_status 0
expect_eq "$n" "6" "a complete database: setup, probe and the four reads"
expect_eq "$(count 'pg_catalog.pg_\(attribute\|index\|constraint\)')" "4" \
    "columns, indexes, foreign keys and constraints"
expect_eq "$(count 'advisory')" "0" "no lock when nothing is to do"
expect_eq "$(count '^CREATE\|^BEGIN')" "0" "nothing created, no transaction"

# the same DDL as `create-all --sql` writes, statement for statement
pg "DROP TABLE login_failures, sessions, tasks, projects, users" >/dev/null
logged "$APP" db create-all
expect_status 0
"$APP" db create-all --sql > sql.txt
expect_eq "$(printf '%s\n' "$tail" | grep -c 'CREATE TABLE')" "$(grep -c '^CREATE TABLE' sql.txt)" \
    "as many tables as the offline script"
finish
