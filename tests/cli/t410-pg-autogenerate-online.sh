#!/bin/sh
# revision --autogenerate on PostgreSQL writes the online forms for tables
# that exist: indexes CONCURRENTLY, foreign keys NOT VALID then VALIDATE,
# SET NOT NULL through a validated CHECK, in a transaction=false section
# after a transactional one of guards, which stop the revision before
# anything changes when rows would fail a validation;
# the result lints clean, rehearses, upgrades (its --sql runs CONCURRENTLY
# outside a transaction) and leaves check clean. The SQLite section keeps
# its plain forms. A kill -9 in the middle of such a section leaves a
# marker that names the statement it was running, and upgrade refuses
# until it is resolved.
. "$(dirname "$0")/lib.sh"
. "$ROOT/tests/cli/pglib.sh"
unset DATABASE_URL APP_PHASE APP_CONFIG

mkdir -p migrations/versions
pg_ini "lock_timeout = 5s"
sed -i 's/^phase = pre-user$/phase = production/' config/app.ini
printf '[migrations]\ndir = migrations\nbackup_dir = %s/backups\n' "$T" >> config/app.ini

run "$APP" db revision --autogenerate -m baseline
expect_status 0
run "$APP" db upgrade
expect_status 0 "the baseline applies"

# a revision takes from the live database what the models have (so that
# the revisions from base build what is live), and the tables get rows
cat > migrations/versions/0002_less.sql <<'SQL'
-- revision: 0002
-- down_revision: 0001
-- message: less

-- +upgrade
ALTER TABLE tasks DROP CONSTRAINT fk_tasks_user_id_users;
DROP INDEX ix_tasks_title;
DROP INDEX uq_users_email;
ALTER TABLE tasks ALTER COLUMN title DROP NOT NULL;
ALTER TABLE tasks DROP COLUMN description;

-- +downgrade
SELECT 1;
SQL
APP_PHASE=pre-user run "$APP" db upgrade
expect_status 0
pg "INSERT INTO users (email, name) VALUES ('a@x', 'A'), ('b@x', 'B');
    INSERT INTO tasks (user_id, title) SELECT id, 't' FROM users" >/dev/null
run "$APP" db revision --autogenerate -m edits
expect_status 0
expect_out '^lint: 1 revision, [0-9]* statements: 0 errors, 0 warnings, 0 ignored$'
f=$(ls migrations/versions/0003_*.sql 2>/dev/null)
pgsec=$(sed -n '/^-- +upgrade dialect=postgresql/,/^-- +downgrade/p' "$f")
litesec=$(sed -n '/^-- +upgrade dialect=sqlite/,/^-- +upgrade dialect=postgresql/p' "$f")
# first, in a transaction, the guard of the validation that can fail on
# existing rows; then the online forms, outside one
expect_eq "$(printf '%s\n' "$pgsec" | grep -v '^-- [a-z]' | grep . | head -3 | sed 's/ THEN .*//')" '-- +upgrade dialect=postgresql
DO $guard$ BEGIN IF EXISTS (SELECT FROM "tasks" WHERE "title" IS NULL)
-- +upgrade dialect=postgresql transaction=false' "a transactional section of guards, then a transaction=false one"
expect_eq "$(printf '%s\n' "$pgsec" | grep -c '^CREATE UNIQUE INDEX CONCURRENTLY "uq_users_email" ON "users" ("email");$')" 1 "unique index concurrently"
expect_eq "$(printf '%s\n' "$pgsec" | grep -c '^CREATE INDEX CONCURRENTLY "ix_tasks_title" ON "tasks" ("title");$')" 1 "index concurrently"
expect_eq "$(printf '%s\n' "$pgsec" | grep -c 'REFERENCES "users" ("id") ON DELETE CASCADE NOT VALID;$')" 1 "foreign key NOT VALID"
expect_eq "$(printf '%s\n' "$pgsec" | grep -c '^ALTER TABLE "tasks" VALIDATE CONSTRAINT "fk_tasks_user_id_users";$')" 1 "then validated"
expect_eq "$(printf '%s\n' "$pgsec" | grep -v '^--' | grep 'tasks_title_not_null\|SET NOT NULL' | sed 's/^ALTER TABLE "tasks" //')" \
'ADD CONSTRAINT "tasks_title_not_null" CHECK ("title" IS NOT NULL) NOT VALID;
VALIDATE CONSTRAINT "tasks_title_not_null";
ALTER COLUMN "title" SET NOT NULL;
DROP CONSTRAINT "tasks_title_not_null";' "SET NOT NULL through a validated CHECK"
expect_eq "$(printf '%s\n' "$litesec" | grep -c 'CONCURRENTLY\|NOT VALID')" 0 "SQLite keeps its forms"
expect_eq "$(printf '%s\n' "$litesec" | grep -c '^CREATE UNIQUE INDEX "uq_users_email" ON "users" ("email");$')" 1 "SQLite: plain index"
expect_eq "$(grep -c '^-- +downgrade dialect=postgresql transaction=false$' "$f")" 1 "the downgrade too"
expect_eq "$(grep -c '^DROP INDEX CONCURRENTLY "ix_tasks_title";$' "$f")" 1 "dropped concurrently"

run "$APP" db lint --pending
expect_status 0 "lint: no errors"
run "$APP" db lint --fail-on warning "$f"
expect_status 0 "not even a warning in what autogenerate wrote"

# offline: CONCURRENTLY outside any transaction, the record in one after
run "$APP" db upgrade --sql 0002:head
expect_status 0
printf '%s\n' "$out" | sed -n '/^-- upgrade 0003/,$p' | grep -v '^--' | grep . > "$T/script"
expect_eq "$(grep -n 'CONCURRENTLY\|^BEGIN;\|^COMMIT;' "$T/script" | sed 's/:.*//' | tr '\n' ' ')" \
    "$(grep -n '^BEGIN;\|^COMMIT;' "$T/script" | head -2 | sed 's/:.*//' | tr '\n' ' ')$(grep -n 'CONCURRENTLY' "$T/script" | sed 's/:.*//' | tr '\n' ' ')$(grep -n '^BEGIN;\|^COMMIT;' "$T/script" | tail -2 | sed 's/:.*//' | tr '\n' ' ')" \
    "every CONCURRENTLY after the guards' transaction, before the record's"
expect_eq "$(grep -c '^BEGIN;' "$T/script")" 2 "two transactions: the guards, the version record"
expect_eq "$(grep -A1 '^BEGIN;' "$T/script" | head -2 | tail -1 | cut -c1-12)" 'DO $guard$ B' "the guards' transaction"

run "$APP" db upgrade --rehearse
expect_status 0 "the rehearsal passes"
expect_out '^    rehearsed as CREATE UNIQUE INDEX "uq_users_email" ON "users" ("email"); the live form, CONCURRENTLY, takes ShareUpdateExclusiveLock'
expect_out '^    table "tasks": AccessExclusiveLock, 2 rows$'
expect_no 'lint: error'

# a row the validation would refuse: the guard stops the upgrade before
# anything changed, and it runs again once the row is fixed
pg "INSERT INTO tasks (user_id, title) SELECT min(id), NULL FROM users" >/dev/null
run "$APP" db upgrade
expect_status 1 "a NULL title"
expect_err 'column "title" of relation "tasks" contains null values; nothing was changed'
expect_no 'needs attention'
expect_eq "$(printf '%s\n' "$err" | grep -c '^app db upgrade: ')" 1 "one line says why"
expect_eq "$(pg "SELECT count(*) FROM app_version_dirty")" 0 "no marker"
expect_eq "$(pg "SELECT count(*) FROM pg_indexes WHERE indexname IN ('uq_users_email', 'ix_tasks_title') AND schemaname = '$SCHEMA'")" 0 "no index built"
pg "DELETE FROM tasks WHERE title IS NULL" >/dev/null
run "$APP" db upgrade
expect_status 0 "no lint error to accept"
expect_out 'upgrade 0003: edits'
run "$APP" db check
expect_status 0 "check is clean after it"
expect_eq "$(pg "SELECT count(*) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relname IN ('uq_users_email', 'ix_tasks_title') AND c.relnamespace = '$SCHEMA'::regnamespace AND i.indisvalid")" 2 "both indexes valid"
expect_eq "$(pg "SELECT count(*) FROM pg_constraint WHERE conname = 'fk_tasks_user_id_users' AND convalidated AND connamespace = '$SCHEMA'::regnamespace")" 1 "the foreign key validated"
expect_eq "$(pg "SELECT count(*) FROM pg_constraint WHERE conname = 'tasks_title_not_null' AND connamespace = '$SCHEMA'::regnamespace")" 0 "the helper check is gone"
expect_eq "$(pg "SELECT attnotnull FROM pg_attribute WHERE attrelid = 'tasks'::regclass AND attname = 'title'")" "t" "title NOT NULL"

# a kill -9 between the statements of a transaction=false section
# (it sleeps only in the live schema, not when stamp replays the revisions
# in a scratch one)
cat > migrations/versions/0004_slow.sql <<SQL
-- revision: 0004
-- down_revision: 0003
-- message: slow

-- +upgrade transaction=false
CREATE INDEX CONCURRENTLY ix_tasks_status_created ON tasks (status, created_at);
SELECT pg_sleep(29.5) WHERE current_schema() = '$SCHEMA';
CREATE INDEX CONCURRENTLY ix_users_name ON users (name);

-- +downgrade transaction=false
DROP INDEX CONCURRENTLY IF EXISTS ix_users_name;
DROP INDEX CONCURRENTLY IF EXISTS ix_tasks_status_created;
SQL
"$APP" db upgrade >"$T/up.out" 2>"$T/up.err" &
pid=$!
i=0
until [ "$(pg "SELECT count(*) FROM app_version_dirty WHERE detail LIKE '%0004_slow.sql:7%'" 2>/dev/null)" = 1 ]; do
    i=$((i + 1)); [ "$i" -lt 200 ] || break
    sleep 0.05
done
kill -9 "$pid"; wait "$pid" 2>/dev/null
psql -X -q -At "$TEST_PG_URL" -c "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep(29.5)%'" >/dev/null
run "$APP" db upgrade
expect_status 1 "refused after the kill"
expect_err 'needs attention: the upgrade of revision 0004 ran outside a transaction and did not finish: it was interrupted at migrations/versions/0004_slow.sql:7 (SELECT pg_sleep(29.5) WHERE current_schema() = .*), after 1 statement had finished; that statement may have left part of its work'
expect_err "stamp 0004' if it is fully applied, '.* stamp 0003' if undone"
expect_one_line_err
expect_eq "$(pg "SELECT count(*) FROM pg_class WHERE relname = 'ix_tasks_status_created' AND relnamespace = '$SCHEMA'::regnamespace")" 1 "the first statement stays"
# finished by hand, then recorded: upgrade goes on from there
pg "CREATE INDEX CONCURRENTLY ix_users_name ON users (name)" >/dev/null
run "$APP" db stamp 0004
expect_status 0
run "$APP" db upgrade
expect_status 0
expect_out 'nothing to upgrade'

finish
