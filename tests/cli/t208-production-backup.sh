#!/bin/sh
# In the production phase a backup is taken before upgrade or downgrade
# changes the database, and only then: not for a no-op, not for --sql.
# Backups taken at the same moment never share a file.
. "$(dirname "$0")/lib.sh"

mkdir -p migrations/versions
printf '[app]\nphase = production\n[database]\nurl = sqlite:///app.db\n[migrations]\nbackup_dir = bk\n' > config/app.ini
cat > migrations/versions/0001_notes.sql <<'SQL'
-- revision: 0001
-- message: notes

-- +upgrade
CREATE TABLE "notes" ("id" INTEGER PRIMARY KEY, "body" TEXT NOT NULL);

-- +downgrade
DROP TABLE "notes";
SQL
nbackups() { ls bk 2>/dev/null | wc -l; }
# the production database exists before the first upgrade (an empty one)
sqlite3 app.db 'PRAGMA user_version = 1'

run "$APP" db upgrade --sql
expect_status 0
expect_eq "$(nbackups)" 0 "--sql takes no backup"

run "$APP" db upgrade head
expect_status 0; expect_err "^backup: bk/app-"
expect_eq "$(nbackups)" 1 "a backup before the first change"

run "$APP" db upgrade head
expect_status 0; expect_no "backup:"
expect_eq "$(nbackups)" 1 "a no-op upgrade takes no backup"

sqlite3 app.db "insert into notes(body) values ('keep')"
run "$APP" db downgrade base --yes
expect_status 0; expect_err "^backup: bk/app-"
expect_eq "$(nbackups)" 2
newest=$(ls -t bk | head -1)
expect_eq "$(sqlite3 "bk/$newest" 'select body from notes')" keep "the backup holds the rows the downgrade dropped"

for i in 1 2 3 4 5 6; do "$APP" db backup > "b$i.out" 2>&1 & done
wait
expect_eq "$(cat b*.out | sort -u | wc -l)" 6 "six backups at once, six files"
expect_eq "$(nbackups)" 8 "every backup is one standalone file"
expect_eq "$(sqlite3 "bk/$newest" 'pragma journal_mode')" delete
finish
