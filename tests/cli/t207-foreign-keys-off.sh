#!/bin/sh
# SQLite revisions marked foreign_keys=off: a rebuild of a referenced table
# keeps the rows that point at it; a revision that leaves a foreign key
# pointing nowhere is rolled back; offline SQL carries the same pragmas.
. "$(dirname "$0")/lib.sh"

mkdir -p migrations/versions
printf '[app]\nphase = pre-user\n[database]\nurl = sqlite:///app.db\n' > config/app.ini
run "$APP" db create-all
expect_status 0
sqlite3 app.db "insert into users(email, name) values ('a@x', 'A'), ('b@x', 'B');
                insert into tasks(user_id, title) values (1, 't1'), (1, 't2'), (2, 't3');"
run "$APP" db baseline -m base
expect_status 0
run "$APP" db stamp head
expect_status 0

# 0002 rebuilds "users" (SQLite's documented procedure) with a new column
cat > migrations/versions/0002_rebuild_users.sql <<'SQL'
-- revision: 0002
-- down_revision: 0001
-- message: rebuild users

-- +upgrade dialect=sqlite foreign_keys=off
CREATE TABLE "_new_users" ("id" INTEGER PRIMARY KEY, "email" VARCHAR(255) NOT NULL,
    "name" VARCHAR(120) NOT NULL, "created_at" TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "nickname" TEXT);
INSERT INTO "_new_users" ("id", "email", "name", "created_at")
    SELECT "id", "email", "name", "created_at" FROM "users";
DROP TABLE "users";
ALTER TABLE "_new_users" RENAME TO "users";
CREATE UNIQUE INDEX "uq_users_email" ON "users" ("email");

-- +downgrade dialect=sqlite
ALTER TABLE "users" DROP COLUMN "nickname";
SQL
run "$APP" db upgrade --sql 0001:0002
expect_status 0
expect_out "PRAGMA foreign_keys = OFF;"
expect_out "PRAGMA foreign_key_check;"
printf '%s\n' "$out" | grep -n 'PRAGMA foreign_keys = OFF;\|^BEGIN;' | head -2 | grep -q '^[0-9]*:PRAGMA' \
    || fail "the pragma must come before BEGIN (it is a no-op inside a transaction)"

run "$APP" db upgrade head
expect_status 0
expect_eq "$(sqlite3 app.db 'select count(*) from tasks')" 3 "tasks survive the rebuild of users"
expect_eq "$(sqlite3 app.db "select count(*) from pragma_table_info('users') where name = 'nickname'")" 1
expect_eq "$(sqlite3 app.db 'pragma foreign_key_check' | wc -l)" 0
# enforcement is back on for the app's connections afterwards: the cascade works
run "$APP" db current
expect_out "^0002"

# 0003 leaves tasks pointing at a deleted user: refused and rolled back
cat > migrations/versions/0003_orphans.sql <<'SQL'
-- revision: 0003
-- down_revision: 0002
-- message: orphans

-- +upgrade dialect=sqlite foreign_keys=off
DELETE FROM "users" WHERE "id" = 1;

-- +downgrade
SELECT 1;
SQL
run "$APP" db upgrade head
expect_status 1
expect_err "revision 0003 leaves 2 rows whose foreign key points nowhere"
expect_eq "$(sqlite3 app.db 'select count(*) from users')" 2 "the failed revision was rolled back"
run "$APP" db current
expect_out "^0002"
finish
