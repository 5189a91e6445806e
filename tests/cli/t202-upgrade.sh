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

# app_version is stored as its key alone; a database whose version tables
# were created with app_version as a rowid table is carried on as it is
expect_out_sql() { expect_eq "$(sqlite3 "$1" "$2")" "$3" "$4"; }
expect_out_sql var/app.db "select sql like '%WITHOUT ROWID' from sqlite_master where name='app_version'" 1 "app_version without rowid"
rm -f var/old.db
sqlite3 var/old.db 'CREATE TABLE "app_version" ("revision" TEXT NOT NULL PRIMARY KEY);
CREATE TABLE "app_version_history" ("seq" INTEGER NOT NULL PRIMARY KEY, "revision" TEXT NOT NULL, "operation" TEXT NOT NULL, "applied_at" TEXT NOT NULL, "duration_ms" INTEGER NOT NULL, "checksum" TEXT NOT NULL);
CREATE TABLE "app_version_dirty" ("revision" TEXT NOT NULL, "operation" TEXT NOT NULL, "since" TEXT NOT NULL, "detail" TEXT NOT NULL);'
run env DATABASE_URL=sqlite:///var/old.db "$APP" db upgrade
expect_status 0; expect_out "upgrade 0002: phone"
expect_out_sql var/old.db 'select group_concat(revision) from app_version' 0002 "one head after two steps"
expect_out_sql var/old.db "select group_concat(seq || revision || operation, ' ') from app_version_history" "10001up 20002up" "history numbered in order"
run env DATABASE_URL=sqlite:///var/old.db "$APP" db downgrade base --yes
expect_status 0
expect_out_sql var/old.db 'select count(*) from app_version' 0 "base: no head"
expect_out_sql var/old.db "select max(seq) from app_version_history" 4 "every step numbered"
expect_out_sql var/old.db "select count(*) from sqlite_master where name='app_version' and sql like '%WITHOUT ROWID%'" 0 "the old table kept"

# the record of the last verified history: a no-op start-up reads the
# heads and the record, not the history, while nothing was recorded since
verified() { sqlite3 var/app.db "select value from app_version_meta where key='verified_history'"; }
# (the failed upgrade above kept the record of the run before it)
run "$APP" db downgrade -1 --yes
expect_status 0
run "$APP" db upgrade
expect_status 0; expect_out "upgrade 0002: phone"
expect_eq "$(verified | cut -d' ' -f1)" "$(sqlite3 var/app.db 'select max(seq) from app_version_history')" "the record names the last history row"
sqlite3 var/app.db "delete from app_version_meta"
run "$APP" db upgrade
expect_status 0; expect_out "nothing to upgrade"
expect_eq "$(verified)" "" "a no-op start-up writes nothing"
run "$APP" db stamp head
expect_status 0
expect_eq "$(verified | cut -d' ' -f1)" "$(sqlite3 var/app.db 'select max(seq) from app_version_history')" "a stamp writes the record"
# a database from before app_version_meta existed: a stamp makes the
# table and writes the record
sqlite3 var/app.db "drop table app_version_meta"
run "$APP" db stamp head
expect_status 0
expect_eq "$(verified | cut -d' ' -f1)" "$(sqlite3 var/app.db 'select max(seq) from app_version_history')" "a stamp without app_version_meta writes the record"
# a history row added by a writer that keeps no record (an older version):
# the record no longer holds and the history is read and checked again
sqlite3 var/app.db "insert into app_version_history (revision, operation, applied_at, duration_ms, checksum) values ('0002', 'stamp', '2026-01-01 00:00:00', 0, '$(printf '%064d' 0)')"
run "$APP" db upgrade
expect_status 1; expect_err "revision 0002 was edited after it was applied"; expect_one_line_err
run "$APP" db current
expect_status 1; expect_err "revision 0002 was edited after it was applied"
sqlite3 var/app.db "delete from app_version_history where seq = (select max(seq) from app_version_history)"
run "$APP" db current
expect_status 0; expect_eq "$out" "0002"

# an applied file edited afterwards
printf '\n-- an innocent-looking edit\n' >> migrations/versions/0001_people.sql
run "$APP" db upgrade
expect_status 1; expect_err "0001_people.sql: revision 0001 was edited after it was applied"
expect_err "checksum is [0-9a-f]\{64\}, the applied one was [0-9a-f]\{64\}"; expect_one_line_err
run "$APP" db status
expect_status 1; expect_out "attention:"
finish
