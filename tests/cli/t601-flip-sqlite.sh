#!/bin/sh
# The flip on SQLite: pre-user data -> create-all -> baseline -> a stamp
# refused, then accepted -> production -> rehearsal -> deploy -> downgrade
# -> upgrade, with the checklist going from all ✗ to all ✓, every guard
# refusing, and every pre-user row kept.
. "$(dirname "$0")/lib.sh"
trap '[ -f "$T/var/app.pid" ] && kill -TERM "$(cat "$T/var/app.pid")" 2>/dev/null; sleep 0.2; rm -rf "$T"' EXIT

sql() { sqlite3 "$T/var/app.db" "$1"; }
ini() {
    printf '[app]\nphase = %s\n[database]\nurl = sqlite:///%s/var/app.db\n' \
        "$1" "$T" > config/app.ini
}
. "$ROOT/tests/cli/flipjourney.sh"

# DEV_CREATE_TABLES on a pre-user database under migrations whose revision
# fails: refused without it, a loud fallback to create-all with it.
mkdir -p dev/migrations/versions
cat > dev/migrations/versions/0001_bad.sql <<'SQL'
-- revision: 0001
-- message: bad

-- +upgrade
CREATE TABLE "users" ("id" INTEGER PRIMARY KEY);
SQL
printf '[app]\nphase = pre-user\n[database]\nurl = sqlite:///%s/dev/app.db\n[migrations]\ndir = %s/dev/migrations\n' \
    "$T" "$T" > dev/app.ini
sqlite3 dev/app.db 'CREATE TABLE users (id INTEGER PRIMARY KEY); CREATE TABLE app_version (revision TEXT NOT NULL PRIMARY KEY)'
run "$APP" --config dev/app.ini db prepare
expect_status 1; expect_err "migrations failed"; expect_err "DEV_CREATE_TABLES=true falls back"; expect_one_line_err
run env DEV_CREATE_TABLES=true "$APP" --config dev/app.ini db prepare
expect_status 0; expect_out "schema ready"
expect_err "warning: DEV_CREATE_TABLES=true: the migrations failed"; expect_err "table \"users\" already exists"
expect_one_line_err
expect_eq "$(sqlite3 dev/app.db "SELECT count(*) FROM sqlite_master WHERE name = 'tasks'")" 1 "create-all ran"
run env DEV_CREATE_TABLES=false "$APP" --config dev/app.ini db prepare
expect_status 1; expect_err "migrations failed"
run env DEV_CREATE_TABLES=maybe "$APP" --config dev/app.ini db prepare
expect_status 1; expect_err "bad DEV_CREATE_TABLES 'maybe'"
finish
