#!/bin/sh
# SQLite: revisions are split as the sqlite3 shell splits them (a block
# comment ends at its first close; [] and `` quote identifiers), a
# revision's TEMP table cannot shadow the version table, and BEGIN in a
# transaction=false section gets advice that fits. A block for every
# database that PostgreSQL would read differently is refused there before
# anything runs.
. "$(dirname "$0")/lib.sh"
unset DATABASE_URL APP_PHASE APP_CONFIG
printf '[database]\nurl = sqlite:///app.db\n' > config/app.ini
mkdir -p migrations/versions
v=migrations/versions

cat > $v/0001_comments.sql <<'SQL'
-- revision: 0001
-- message: comments and identifiers the sqlite3 way

-- +upgrade
/* outer /* inner */ CREATE TABLE "c" ("x" INTEGER);
CREATE TABLE [odd;name] (`also;odd` TEXT DEFAULT 'a\');
/* a /* b */ INSERT INTO "c" VALUES (1); /* c */
INSERT INTO [odd;name] VALUES ('y;z');

-- +downgrade
DROP TABLE [odd;name];
DROP TABLE "c";
SQL
cat > $v/0002_temp.sql <<'SQL'
-- revision: 0002
-- down_revision: 0001
-- message: a temporary table named like the version table

-- +upgrade
CREATE TEMP TABLE "app_version" ("revision" TEXT);
CREATE TEMP TABLE "app_version_history" ("x" TEXT);
INSERT INTO "app_version" VALUES ('bogus');
CREATE TABLE "d" ("x" INTEGER);

-- +downgrade
DROP TABLE "d";
SQL
cat > $v/0003_more.sql <<'SQL'
-- revision: 0003
-- down_revision: 0002
-- message: after the temporary table, in the same run

-- +upgrade
CREATE TABLE "e" ("x" INTEGER);

-- +downgrade
DROP TABLE "e";
SQL

run "$APP" db upgrade
expect_status 0 "upgrade"
expect_out "upgrade 0003"
expect_eq "$(sqlite3 app.db 'SELECT revision FROM main.app_version')" "0003" "the head, in main"
expect_eq "$(sqlite3 app.db "SELECT group_concat(revision) FROM main.app_version_history WHERE operation = 'up'")" "0001,0002,0003"
expect_eq "$(sqlite3 app.db 'SELECT x FROM c')" 1 "the statement after the comment ran"
expect_eq "$(sqlite3 app.db 'SELECT [also;odd] FROM [odd;name]')" "y;z"
# the sqlite3 shell reads the same text the same way
sed -n '/^-- +upgrade/,/^-- +downgrade/p' $v/0001_comments.sql | sqlite3 shell.db ||
    fail "the sqlite3 shell runs the upgrade"
tables="SELECT name, sql FROM sqlite_master WHERE name IN ('c', 'odd;name') ORDER BY name"
expect_eq "$(sqlite3 shell.db "$tables")" "$(sqlite3 app.db "$tables")" "the same tables as the shell's"
expect_eq "$(sqlite3 shell.db "SELECT count(*) FROM sqlite_master")" 2
expect_eq "$(sqlite3 shell.db 'SELECT x FROM c')" 1
run "$APP" db current
expect_status 0; expect_eq "$out" "0003"
run "$APP" db downgrade base --yes
expect_status 0 "downgrade through the TEMP table's revision"
expect_eq "$(sqlite3 app.db 'SELECT count(*) FROM main.app_version')" 0
expect_eq "$(sqlite3 app.db "SELECT count(*) FROM sqlite_master WHERE name IN ('c', 'd', 'e', 'odd;name')")" 0

# the offline script names main's tables too
run "$APP" db upgrade head --sql
expect_status 0
expect_out "INSERT INTO \"main\".\"app_version\" (\"revision\") VALUES ('0001');"
printf '%s\n' "$out" | sqlite3 offline.db || fail "the sqlite3 shell runs the offline script"
expect_eq "$(sqlite3 offline.db 'SELECT revision FROM app_version')" "0003"

# PostgreSQL nests block comments: the same file is refused there, before
# anything runs (here offline: no server needed)
DATABASE_URL=postgresql://nobody@127.0.0.1:1/none run "$APP" db upgrade head --sql
expect_status 1; expect_one_line_err
expect_err "0001_comments.sql:5: unterminated block comment"

# a file that is wrong on both databases is refused when it is read
cat > $v/0004_bad.sql <<'SQL'
-- revision: 0004
-- down_revision: 0003
-- message: unterminated everywhere

-- +upgrade
SELECT 'never closed;
SQL
run "$APP" db history
expect_status 1; expect_err "0004_bad.sql:6: unterminated string"
rm $v/0004_bad.sql

# BEGIN in a section that already runs outside a transaction
cat > $v/0004_begin.sql <<'SQL'
-- revision: 0004
-- down_revision: 0003
-- message: begin outside a transaction

-- +upgrade transaction=false
BEGIN;
CREATE TABLE "f" ("x" INTEGER);
COMMIT;
SQL
run "$APP" db upgrade
expect_status 1; expect_one_line_err
expect_eq "$err" "app db upgrade: migrations/versions/0004_begin.sql:6: BEGIN statement in a revision file; this section already says transaction=false: each of its statements commits on its own; remove the statement, or move the statements that must commit together to a section without transaction=false"
# and the usual advice where the section is transactional
sed -i 's/^-- +upgrade transaction=false$/-- +upgrade/' $v/0004_begin.sql
run "$APP" db upgrade
expect_status 1
expect_err "0004_begin.sql:6: BEGIN statement in a revision file; the migration tool manages transactions: each revision runs in its own; remove the statement (a block that cannot run in a transaction takes 'transaction=false' on its section line)"
expect_eq "$(sqlite3 app.db "SELECT count(*) FROM sqlite_master WHERE name = 'f'")" 0
finish
