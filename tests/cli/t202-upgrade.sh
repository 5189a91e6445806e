#!/bin/sh
# upgrade, current, history, status, downgrade; a failing revision leaves
# no trace; an edited applied file is refused.
. "$(dirname "$0")/lib.sh"

printf '[database]\nurl = sqlite:///var/app.db\n' > config/app.ini
mkdir -p migrations/versions
cat > migrations/versions/0001_people.sql <<'SQL'
-- revision: 0001
-- message: people

-- +upgrade
CREATE TABLE "people" ("id" INTEGER PRIMARY KEY, "name" TEXT NOT NULL);

-- +downgrade
DROP TABLE "people";
SQL
cat > migrations/versions/0002_phone.sql <<'SQL'
-- revision: 0002
-- down_revision: 0001
-- message: phone

-- +upgrade
ALTER TABLE "people" ADD COLUMN "phone" TEXT;

-- +downgrade
ALTER TABLE "people" DROP COLUMN "phone";
SQL

run "$APP" db current
expect_status 0; expect_eq "$out" "" "base prints nothing"
run "$APP" db status
expect_status 0; expect_out "current:  base"; expect_out "pending:  2"

run "$APP" db upgrade
expect_status 0; expect_out "upgrade 0001: people"; expect_out "upgrade 0002: phone"
run "$APP" db current
expect_eq "$out" "0002"
expect_eq "$(sqlite3 var/app.db 'select revision from app_version')" "0002"
expect_eq "$(sqlite3 var/app.db "select count(*) from app_version_history where operation='up'")" 2
sqlite3 var/app.db "insert into people(name, phone) values ('a', '1')"
run "$APP" db history
expect_status 0; expect_out "0001 -> 0002 \[applied\] phone (head)"; expect_out "<base> -> 0001 \[applied\] people"
run "$APP" db history -r 0002:
expect_status 0; expect_out "0002"; expect_no "<base> -> 0001"
run "$APP" db history --verbose
expect_status 0; expect_out "file: migrations/versions/0001_people.sql"; expect_out "applied: "
run "$APP" db upgrade
expect_status 0; expect_out "nothing to upgrade"

# downgrade asks, then works with --yes
run "$APP" db downgrade -1
expect_status 1; expect_err "pass --yes"; expect_one_line_err
expect_eq "$(sqlite3 var/app.db 'select revision from app_version')" "0002" "a refused downgrade changes nothing"
run "$APP" db downgrade -1 --yes
expect_status 0; expect_out "downgrade 0002: phone"
expect_eq "$(sqlite3 var/app.db 'select revision from app_version')" "0001"
run "$APP" db downgrade 0002 --yes
expect_status 1; expect_err "revision '0002' is not applied"; expect_one_line_err

# a failing revision: file, line, statement and the database's message; no trace
cat > migrations/versions/0003_bad.sql <<'SQL'
-- revision: 0003
-- down_revision: 0002
-- message: bad

-- +upgrade
CREATE TABLE "pets" ("id" INTEGER PRIMARY KEY);
INSERT INTO "nowhere" VALUES (1);
SQL
run "$APP" db upgrade
expect_status 1
expect_err "0003_bad.sql:7: upgrade 0003: statement 'INSERT INTO \"nowhere\" VALUES (1)' failed: no such table: nowhere"
expect_one_line_err
expect_out "upgrade 0002: phone"
expect_eq "$(sqlite3 var/app.db 'select revision from app_version')" "0002" "stays at the previous revision"
expect_eq "$(sqlite3 var/app.db "select count(*) from sqlite_master where name='pets'")" 0 "nothing of the failed revision stays"
rm migrations/versions/0003_bad.sql

# an applied file edited afterwards
printf '\n-- an innocent-looking edit\n' >> migrations/versions/0001_people.sql
run "$APP" db upgrade
expect_status 1; expect_err "0001_people.sql: revision 0001 was edited after it was applied"
expect_err "checksum is [0-9a-f]\{64\}, the applied one was [0-9a-f]\{64\}"; expect_one_line_err
run "$APP" db status
expect_status 1; expect_out "attention:"
finish
