#!/bin/sh
# db check: exit 0 when the database matches the models, 1 listing each
# difference as the SQL that fixes it; that SQL, run by sqlite3, makes it
# clean. Tables the models do not own count only with --all-tables.
. "$(dirname "$0")/lib.sh"
unset DATABASE_URL APP_PHASE APP_CONFIG
cp "$ROOT/config/app.ini" config/app.ini
db=var/app.db

run "$APP" db check
expect_status 1 "an empty database differs"
expect_out '^-- create table "users"'
expect_out '^CREATE TABLE "tasks"'
expect_err 'revision --autogenerate'

run "$APP" db create-all
run "$APP" db check
expect_status 0 "clean after create-all"
expect_out 'matches the models (5 tables)'

sqlite3 $db 'ALTER TABLE tasks DROP COLUMN description; DROP INDEX ix_tasks_title; CREATE INDEX ix_users_name ON users(name)'
run "$APP" db check
expect_status 1 "a dropped column and index"
expect_out '^-- the database differs from the models: 3 differences'
expect_out '^ALTER TABLE "tasks" ADD COLUMN "description" TEXT;'
expect_out '^CREATE INDEX "ix_tasks_title" ON "tasks" ("title");'
expect_out '^DROP INDEX "ix_users_name";'
printf '%s\n' "$out" | sqlite3 $db
run "$APP" db check
expect_status 0 "the printed SQL fixes it"

# a type the models do not declare: SQLite rebuilds the table
sqlite3 $db "PRAGMA foreign_keys=OFF; BEGIN; CREATE TABLE u2 (id INTEGER PRIMARY KEY, email VARCHAR(255) NOT NULL, name TEXT NOT NULL, created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP, password_hash TEXT, settings JSON_TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(settings))); INSERT INTO u2 SELECT * FROM users; DROP TABLE users; ALTER TABLE u2 RENAME TO users; CREATE UNIQUE INDEX uq_users_email ON users(email); COMMIT;"
run "$APP" db check
expect_status 1 "a changed type"
expect_out 'DESTRUCTIVE: alter column "users"."name": type TEXT -> VARCHAR(120)'
expect_out '^CREATE TABLE "_new_users"'
expect_out '^INSERT INTO "_new_users"'
printf '%s\n' "$out" | sqlite3 $db
run "$APP" db check
expect_status 0 "the rebuild fixes it"

# tables the app does not own
sqlite3 $db 'CREATE TABLE other (x INTEGER); CREATE TABLE app_version (v TEXT)'
run "$APP" db check
expect_status 0 "other tables are ignored"
run "$APP" db check --all-tables
expect_status 1 "--all-tables shows them"
expect_out '^DROP TABLE "other";'
expect_no 'app_version'

run "$APP" db check --bogus
expect_status 2
finish
