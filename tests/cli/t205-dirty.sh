#!/bin/sh
# A failed transaction=false block marks the database; every command but
# stamp refuses, saying how to repair; stamp clears the mark. In such a
# revision a section without transaction=false runs in a transaction of
# its own: when it fails before anything has committed, nothing changed
# and the revision can be run again; after, its own statements are rolled
# back and the database is marked.
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
# a transactional section first: its failure changes nothing
cat > migrations/versions/0003_c.sql <<'SQL'
-- revision: 0003
-- down_revision: 0002
-- message: a transactional section, then one outside a transaction
-- +upgrade
CREATE TABLE "c" ("id" INTEGER PRIMARY KEY);
INSERT INTO "missing" VALUES (1);
-- +upgrade transaction=false
CREATE TABLE "d" ("id" INTEGER PRIMARY KEY);
SQL
run "$APP" db upgrade
expect_status 1 "the transactional section fails"
expect_err '0003_c.sql:6: .*no such table: missing'
expect_no "needs attention"
expect_one_line_err
expect_eq "$(sqlite3 var/app.db "select count(*) from sqlite_master where name in ('c', 'd')")" 0 "nothing changed"
expect_eq "$(sqlite3 var/app.db 'select count(*) from app_version_dirty')" 0 "no marker"
run "$APP" db current
expect_status 0; expect_eq "$out" "0002" "still at 0002"
run "$APP" db upgrade --sql 0002:0003
expect_status 0
expect_eq "$(printf '%s\n' "$out" | sed -n '/^-- upgrade 0003/,$p' | sed -n 2,5p | tr '\n' ' ')" \
    'BEGIN; CREATE TABLE "c" ("id" INTEGER PRIMARY KEY); INSERT INTO "missing" VALUES (1); COMMIT; ' \
    "--sql: the transactional section in a transaction of its own"
sed -i 's/^INSERT INTO "missing" VALUES (1);$/INSERT INTO "c" VALUES (1);/' migrations/versions/0003_c.sql
run "$APP" db upgrade
expect_status 0 "fixed, it runs again"
expect_eq "$(sqlite3 var/app.db "select count(*) from sqlite_master where name in ('c', 'd')")" 2
expect_eq "$(sqlite3 var/app.db 'select count(*) from c')" 1

# after a statement outside a transaction has committed: the section is
# rolled back, the database marked
cat > migrations/versions/0004_e.sql <<'SQL'
-- revision: 0004
-- down_revision: 0003
-- message: outside a transaction, then a transactional section
-- +upgrade transaction=false
CREATE TABLE "e" ("id" INTEGER PRIMARY KEY);
-- +upgrade
CREATE TABLE "f" ("id" INTEGER PRIMARY KEY);
INSERT INTO "missing" VALUES (1);
SQL
run "$APP" db upgrade
expect_status 1; expect_err "needs attention"; expect_err "0004_e.sql:8: .*no such table: missing (1 statement before it succeeded)"
expect_one_line_err
expect_eq "$(sqlite3 var/app.db "select group_concat(name) from sqlite_master where name in ('e', 'f')")" "e" "the section rolled back, what came before stays"
expect_eq "$(sqlite3 var/app.db 'select count(*) from app_version_dirty')" 1
finish
