#!/bin/sh
# db check, db diff --sql and the pre-user start-up on PostgreSQL: the
# printed SQL, run by psql, makes the database match the models.
. "$(dirname "$0")/lib.sh"
. "$ROOT/tests/cli/pglib.sh"
unset DATABASE_URL APP_PHASE APP_CONFIG
pg_ini

run "$APP" db create-all
expect_status 0
run "$APP" db check
expect_status 0 "clean after create-all"
expect_out 'matches the models (5 tables)'

pg 'INSERT INTO users (email, name) VALUES ($$a@x$$, $$A$$)' >/dev/null
pg 'ALTER TABLE tasks DROP COLUMN description; DROP INDEX ix_tasks_title; ALTER TABLE users ALTER COLUMN name TYPE text; ALTER TABLE users ALTER COLUMN created_at DROP DEFAULT'
run "$APP" db check
expect_status 1 "differences"
expect_out '^ALTER TABLE "tasks" ADD COLUMN "description" TEXT;'
expect_out '^ALTER TABLE "users" ALTER COLUMN "name" TYPE VARCHAR(120)'
expect_out '^ALTER TABLE "users" ALTER COLUMN "created_at" SET DEFAULT CURRENT_TIMESTAMP;'
expect_out '^CREATE INDEX "ix_tasks_title"'

run "$APP" db diff --sql
expect_status 0
printf 'SET search_path TO %s;\n%s\n' "$SCHEMA" "$out" |
    psql -X -q -v ON_ERROR_STOP=1 "$TEST_PG_URL" >/dev/null 2>&1 ||
    fail "psql runs the diff --sql output"
run "$APP" db check
expect_status 0 "the SQL of diff --sql brings the models"
expect_eq "$(pg 'SELECT count(*) FROM users')" 1 "rows kept"

# pre-user start-up: additive applied, destructive refused
pg 'ALTER TABLE tasks DROP COLUMN description'
run "$APP" db create-all
expect_status 0 "a missing column is added at start-up"
pg 'ALTER TABLE users ADD COLUMN nickname text'
run "$APP" db create-all
expect_status 1 "a column the models lost stops start-up"
expect_err 'drop column "users"."nickname"'
expect_err 'make db-reset'
finish
