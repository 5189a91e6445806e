#!/bin/sh
# db diff: one line per operation, or the SQL with --sql; writes nothing.
. "$(dirname "$0")/lib.sh"
unset DATABASE_URL APP_PHASE APP_CONFIG
cp "$ROOT/config/app.ini" config/app.ini
db=var/app.db

run "$APP" db create-all
run "$APP" db diff
expect_status 0
expect_eq "$out" "" "no operations when clean"
expect_err 'no differences'

sqlite3 $db 'ALTER TABLE tasks DROP COLUMN description; DROP INDEX ix_tasks_status; ALTER TABLE users ADD COLUMN nickname TEXT'
before=$(sqlite3 $db .schema)
run "$APP" db diff
expect_status 0
expect_out '^+ add column "tasks"."description" TEXT$'
expect_out '^+ create index "ix_tasks_status" on "tasks" ("status")$'
expect_out '^- drop column "users"."nickname"  \[destructive: drops the column and its data\]$'
expect_eq "$(printf '%s\n' "$out" | grep -c .)" 3 "three operations"

run "$APP" db diff --sql
expect_status 0
expect_out '^-- DESTRUCTIVE: drop column "users"."nickname"'
expect_out '^ALTER TABLE "users" DROP COLUMN "nickname";'
expect_out '^CREATE INDEX "ix_tasks_status" ON "tasks" ("status");'
expect_eq "$(sqlite3 $db .schema)" "$before" "diff writes nothing"

printf '%s\n' "$out" | sqlite3 $db
run "$APP" db check
expect_status 0 "the SQL of diff --sql brings the models"
finish
