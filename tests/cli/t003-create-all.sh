#!/bin/sh
# create-all makes the configured SQLite file with every table and index.
. "$(dirname "$0")/lib.sh"

cp "$ROOT/config/app.ini" config/app.ini

run "$APP" db create-all --sql
expect_status 0; expect_out 'CREATE TABLE IF NOT EXISTS "users"'
[ ! -e var/app.db ] || fail "--sql must not touch the database"
printf '%s\n' "$out" | sqlite3 check.db
expect_eq "$(sqlite3 check.db "select count(*) from sqlite_master where type='index' and name not like 'sqlite_%'")" 13 "the sqlite3 CLI accepts the DDL"

run "$APP" db create-all
expect_status 0
expect_eq "$(sqlite3 var/app.db "select group_concat(name, ',') from (select name from sqlite_master where type='table' order by name)")" "login_failures,projects,sessions,tasks,users"
expect_eq "$(sqlite3 var/app.db "select count(*) from sqlite_master where type='index' and name not like 'sqlite_%'")" 13

sqlite3 var/app.db "insert into users(email, name) values ('a@x', 'A'); insert into tasks(user_id, title) values (1, 't');"
run "$APP" db create-all
expect_status 0 "create-all twice"
expect_eq "$(sqlite3 var/app.db 'select count(*) from tasks')" 1 "a second create-all keeps rows"

# a missing directory is refused, naming it: a typo is not a new database
DATABASE_URL=sqlite:///fresh/dir/app.db run "$APP" db create-all
expect_status 1; expect_one_line_err
expect_err "^app db create-all: the directory of SQLite database fresh/dir/app.db does not exist: fresh/dir; "
checks=$((checks + 1)); [ ! -e fresh ] || fail "no directory is created"
mkdir -p fresh/dir
DATABASE_URL=sqlite:///fresh/dir/app.db run "$APP" db create-all
expect_status 0
expect_eq "$(sqlite3 fresh/dir/app.db "select count(*) from sqlite_master where type='table'")" 5
finish
