#!/bin/sh
# Pre-user start-up (create_db_and_tables, via create-all and serve): what
# the models add appears and the rows stay; what would lose data stops
# start-up with the list and the reset command, and changes nothing.
. "$(dirname "$0")/lib.sh"
unset DATABASE_URL APP_PHASE APP_CONFIG
cp "$ROOT/config/app.ini" config/app.ini
db=var/app.db

run "$APP" db create-all
expect_status 0
sqlite3 $db "INSERT INTO users(email, name) VALUES ('a@x', 'A'), ('b@x', 'B'); INSERT INTO tasks(user_id, title, description) VALUES (1, 't1', 'd'), (2, 't2', 'd');"

# as if the models had gained a column, an index and a table
sqlite3 $db 'DROP INDEX ix_tasks_user_id_status; ALTER TABLE tasks DROP COLUMN description; ALTER TABLE users DROP COLUMN created_at'
run "$APP" db create-all
expect_status 0 "additive differences are applied"
expect_eq "$(sqlite3 $db 'select count(*) from users')" 2 "users rows kept"
expect_eq "$(sqlite3 $db 'select count(*) from tasks')" 2 "tasks rows kept"
expect_eq "$(sqlite3 $db 'select count(*) from users where created_at is not null')" 2 "the new column has its default"
run "$APP" db check
expect_status 0 "clean after start-up"

# as if the models had lost a column: refused, nothing changed
sqlite3 $db 'ALTER TABLE users ADD COLUMN nickname TEXT; DROP INDEX ix_tasks_status'
before=$(sqlite3 $db .schema)
run "$APP" db create-all
expect_status 1 "a destructive difference stops start-up"
expect_one_line_err
expect_err 'would lose data'
expect_err 'drop column "users"."nickname"'
expect_err 'make db-reset'
expect_eq "$(sqlite3 $db .schema)" "$before" "nothing changed, not even the index"

port=$((20000 + $$ % 12000))  # below the ephemeral range (32768-)
run timeout 20 "$APP" serve --port "$port" --pidfile var/app.pid
expect_status 1 "serve refuses too"
expect_err 'make db-reset'
expect_no 'listening'

run "$APP" db reset --yes
run "$APP" db create-all
expect_status 0 "after the reset"
finish
