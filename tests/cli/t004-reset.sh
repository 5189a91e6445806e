#!/bin/sh
# reset drops the models' tables only, asks for confirmation, refuses in production.
. "$(dirname "$0")/lib.sh"

cp "$ROOT/config/app.ini" config/app.ini
run "$APP" db create-all
sqlite3 var/app.db "insert into users(email, name) values ('a@x', 'A'); insert into tasks(user_id, title) values (1, 't'); create table notes(x); insert into notes values (42);"

run "$APP" db reset
expect_status 1; expect_err "stdin is not a terminal; pass --yes"; expect_one_line_err
expect_eq "$(sqlite3 var/app.db 'select count(*) from users')" 1 "a refused reset changes nothing"

run "$APP" db reset --sql
expect_status 0; expect_out 'DROP TABLE IF EXISTS "tasks";'
expect_eq "$(sqlite3 var/app.db 'select count(*) from users')" 1 "--sql changes nothing"

run "$APP" db reset --yes
expect_status 0; expect_out "reset 5 tables"
expect_eq "$(sqlite3 var/app.db 'select count(*) from users')" 0
expect_eq "$(sqlite3 var/app.db 'select count(*) from tasks')" 0
expect_eq "$(sqlite3 var/app.db 'select x from notes')" 42 "a table the models do not own is left alone"
expect_eq "$(sqlite3 var/app.db "select count(*) from sqlite_master where type='index' and name not like 'sqlite_%'")" 13

sqlite3 var/app.db "insert into users(email, name) values ('b@x', 'B')"
APP_PHASE=production run "$APP" db reset --yes
expect_status 1; expect_err "refused in the production phase (set by APP_PHASE)"
expect_eq "$(sqlite3 var/app.db 'select count(*) from users')" 1 "production refuses and keeps rows"

# scripts/reset_database.sh does what make db-reset does
sqlite3 var/app.db "delete from users"
sqlite3 var/app.db "insert into users(email, name) values ('c@x', 'C')"
mkdir -p bin && cp "$APP" bin/app
export DATABASE_URL="sqlite:///$T/var/app.db"
run env BUILD="$T/bin" CONFIG="$T/config/app.ini" "$ROOT/scripts/reset_database.sh"
expect_status 1 "the script refuses without --yes when stdin is not a terminal"
expect_err "YES=1"
expect_eq "$(sqlite3 var/app.db 'select count(*) from users')" 1
run env BUILD="$T/bin" CONFIG="$T/config/app.ini" YES=1 "$ROOT/scripts/reset_database.sh"
expect_status 0
expect_eq "$(sqlite3 var/app.db 'select count(*) from users')" 0 "YES=1 resets"
unset DATABASE_URL
finish
