#!/bin/sh
# info: dialect, masked URL, phase, tables with row counts.
. "$(dirname "$0")/lib.sh"

cp "$ROOT/config/app.ini" config/app.ini
run "$APP" db info
expect_status 0
expect_out "dialect:  sqlite"; expect_out "url:      sqlite:///var/app.db"
expect_out "phase:    pre-user (config/app.ini)"; expect_out "server:   SQLite 3"
expect_out "users  *missing"

run "$APP" db create-all
sqlite3 var/app.db "insert into users(email, name) values ('a@x', 'A'), ('b@x', 'B')"
run "$APP" db info
expect_status 0; expect_out "users  *2 rows"; expect_out "tasks  *0 rows"

# a password in the URL never reaches the output, even on failure
DATABASE_URL='postgresql://app:Sup3rSecret@127.0.0.1:1/app?connect_timeout=1' run "$APP" db info
expect_no "Sup3rSecret"
[ "$status" -ne 0 ] || fail "info against a closed port must fail"
DATABASE_URL='postgresql://app@127.0.0.1:1/app?password=Sup3rSecret&connect_timeout=1' run "$APP" db info
expect_no "Sup3rSecret"
DATABASE_URL='postgresql://app:Sup3rSecret@127.0.0.1:1/app' run "$APP" db reset --sql
expect_no "Sup3rSecret"
finish
