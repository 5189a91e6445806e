#!/bin/sh
# upgrade --sql prints what a run executes, touches nothing, and the sqlite3
# CLI running it builds the same schema as a live upgrade.
. "$(dirname "$0")/lib.sh"

printf '[database]\nurl = sqlite:///var/app.db\n' > config/app.ini
mkdir -p migrations/versions
cat > migrations/versions/0001_a.sql <<'SQL'
-- revision: 0001
-- message: a

-- +upgrade
CREATE TABLE "a" ("id" INTEGER PRIMARY KEY, "note" TEXT DEFAULT 'x;y');
CREATE TRIGGER "a_trg" AFTER INSERT ON "a" BEGIN
  UPDATE "a" SET "note" = CASE WHEN NEW."note" IS NULL THEN 'none' ELSE NEW."note" END WHERE "id" = NEW."id";
END;

-- +upgrade dialect=postgresql
COMMENT ON TABLE "a" IS 'only on postgresql';

-- +downgrade
DROP TABLE "a";
SQL
cat > migrations/versions/0002_b.sql <<'SQL'
-- revision: 0002
-- down_revision: 0001
-- message: b

-- +upgrade
CREATE TABLE "b" ("id" INTEGER PRIMARY KEY, "a_id" INTEGER REFERENCES "a" ("id"));
CREATE INDEX "ix_b_a_id" ON "b" ("a_id");

-- +downgrade
DROP TABLE "b";
SQL

run "$APP" db upgrade --sql
expect_status 0
expect_out 'CREATE TABLE IF NOT EXISTS "main"."app_version"'
expect_out "INSERT INTO \"main\".\"app_version\" (\"revision\") VALUES ('0002');"
expect_no "only on postgresql"
[ ! -e var/app.db ] || fail "--sql must not create the database"
printf '%s\n' "$out" > offline.sql
sqlite3 offline.db < offline.sql || fail "the sqlite3 CLI runs the script"

run "$APP" db upgrade
expect_status 0
expect_eq "$(sqlite3 offline.db .schema)" "$(sqlite3 var/app.db .schema)" "same schema offline and live"
expect_eq "$(sqlite3 offline.db 'select revision from app_version')" "0002"
expect_eq "$(sqlite3 offline.db 'select group_concat(revision) from app_version_history')" "0001,0002"

# postgresql gets its own block; downgrade needs FROM:TARGET offline
DATABASE_URL=postgresql://nobody@127.0.0.1:1/none run "$APP" db upgrade --sql 0001
expect_status 0; expect_out "only on postgresql"; expect_no 'CREATE TABLE "b"'
run "$APP" db downgrade --sql base
expect_status 1; expect_err "downgrade --sql needs FROM:TARGET"; expect_one_line_err
run "$APP" db downgrade --sql head:base
expect_status 0; expect_out 'DROP TABLE "b";'; expect_out "DELETE FROM \"main\".\"app_version\" WHERE \"revision\" = '0001';"
finish
