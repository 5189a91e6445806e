#!/bin/sh
# A failed transaction=false block marks the database; every command but
# stamp refuses, saying how to repair; stamp clears the mark.
. "$(dirname "$0")/lib.sh"

printf '[database]\nurl = sqlite:///var/app.db\n' > config/app.ini
mkdir -p migrations/versions
cat > migrations/versions/0001_a.sql <<'SQL'
-- revision: 0001
-- +upgrade
CREATE TABLE "a" ("id" INTEGER PRIMARY KEY);
SQL
cat > migrations/versions/0002_b.sql <<'SQL'
-- revision: 0002
-- down_revision: 0001
-- message: outside a transaction
-- +upgrade transaction=false
CREATE TABLE "b" ("id" INTEGER PRIMARY KEY);
INSERT INTO "missing" VALUES (1);
SQL

run "$APP" db upgrade
expect_status 1; expect_err "needs attention"; expect_err "app db stamp 0002"; expect_one_line_err
expect_eq "$(sqlite3 var/app.db 'select revision from app_version')" "0001"
expect_eq "$(sqlite3 var/app.db 'select count(*) from app_version_dirty')" 1
for c in "upgrade" "current" "history" "downgrade base --yes"; do
    # shellcheck disable=SC2086
    run "$APP" db $c
    expect_status 1 "$c refuses"; expect_err "needs attention"
done
run "$APP" db status
expect_status 1; expect_out "attention:"

# repair: finish by hand, then record it
sqlite3 var/app.db 'select 1' >/dev/null
run "$APP" db stamp 0002
expect_status 1; expect_err "do not build in a scratch database"; expect_err "no such table: missing"
expect_err "stamp --no-verify"; expect_one_line_err
expect_eq "$(sqlite3 var/app.db 'select count(*) from app_version_dirty')" 1 "a refused stamp changes nothing"
run "$APP" db stamp --no-verify 0002
expect_status 0; expect_out "stamped 0002"; expect_err "warning: --no-verify"
expect_eq "$(sqlite3 var/app.db 'select count(*) from app_version_dirty')" 0
run "$APP" db current
expect_status 0; expect_eq "$out" "0002"
finish
