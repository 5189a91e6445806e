# flipjourney.sh - sourced by t601 (SQLite) and t602 (PostgreSQL) after
# lib.sh: the whole move from create-all to versioned upgrades, as a user
# takes it. The caller defines sql "STATEMENT" (prints rows, one value per
# line) and ini PHASE (writes config/app.ini for its database).

# The deploy script as the repository has it, beside a Makefile whose `all`
# does nothing (the binary under test is already built) and build/app.
mkdir -p scripts build var
cp "$ROOT/scripts/deploy.sh" scripts/deploy.sh
printf 'all:\n\t@:\n' > Makefile
ln -s "$APP" build/app

# below the kernel's ephemeral range (32768-), where --port 0 servers and
# outgoing connections of other tests could hold it
port=$((20000 + $$ % 12000))
while curl -s -o /dev/null "http://127.0.0.1:$port/" 2>/dev/null; do
    port=$((port + 1))
done

# json_ok: the number of items (and the top level) with "ok": true / false.
count_ok() { printf '%s\n' "$out" | grep -c "\"ok\": $1"; }
item_ok() { printf '%s\n' "$out" | grep -A3 "\"name\": \"$1\"" | grep -q "\"ok\": $2" ||
    fail "checklist item $1 should be ok=$2"; checks=$((checks + 1)); }
rows() { sql "SELECT (SELECT count(*) FROM users) + (SELECT count(*) FROM tasks)"; }

# 1. A new project, nothing yet: every item fails.
ini pre-user
run "$APP" db transition --json
expect_status 1
expect_eq "$(count_ok true)" 0 "all false at the start"
expect_eq "$(count_ok false)" 10 "9 items and the whole"
run "$APP" db transition
expect_status 1; expect_out "✗ real data present"; expect_out "0 of 9 pass"
expect_out "fix: app db baseline -m"; expect_no "✓"

# 2. The pre-user phase: tables from the models, real rows.
run "$APP" db prepare
expect_status 0; expect_out "pre-user phase"
sql "INSERT INTO users (email, name) VALUES ('ann@example.com', 'Ann'), ('bob@example.com', 'Bob'), ('cy@example.com', 'Cy')" >/dev/null
sql "INSERT INTO tasks (user_id, title) VALUES (1, 'one'), (1, 'two'), (2, 'three'), (3, 'four')" >/dev/null
expect_eq "$(rows)" 7

# 3. A model edit picked up by create-all: the database lacks a column and
# an index that the models declare (as after adding them to a model).
sql 'DROP INDEX "ix_tasks_title"' >/dev/null
sql 'ALTER TABLE tasks DROP COLUMN description' >/dev/null
run "$APP" db check
expect_status 1
run "$APP" db prepare
expect_status 0
run "$APP" db check
expect_status 0 "create-all added the column and the index"
expect_eq "$(rows)" 7 "create-all keeps the rows"
run "$APP" db transition --json
item_ok data true; item_ok no_drift true; item_ok baseline false; item_ok stamped false

# 4. The baseline, once.
run "$APP" db baseline
expect_status 2; expect_err "missing -m MESSAGE"
run "$APP" db baseline -m "baseline"
expect_status 0; expect_out "migrations/versions/0001_baseline.sql"
grep -q 'CREATE TABLE "users"' migrations/versions/0001_baseline.sql || fail "the baseline creates users"
grep -q -- '-- +upgrade dialect=postgresql' migrations/versions/0001_baseline.sql || fail "a PostgreSQL block"
grep -q 'DROP TABLE "tasks"' migrations/versions/0001_baseline.sql || fail "the baseline's downgrade drops"
run "$APP" db baseline -m "again"
expect_status 1; expect_err "already has revisions (0001_baseline.sql)"; expect_one_line_err
run "$APP" db transition --json
item_ok baseline true; item_ok baseline_matches true; item_ok stamped false

# 5. A stamp refused: the live database has a table the revisions don't build.
sql 'CREATE TABLE "notes" ("id" INTEGER PRIMARY KEY, "body" TEXT)' >/dev/null
run "$APP" db stamp head
expect_status 1
expect_out 'DROP TABLE "notes"'
expect_err "does not match the schema the revisions up to head build: 1 difference"
expect_one_line_err
run "$APP" db current
expect_eq "$out" "" "a refused stamp records nothing"
run "$APP" db transition --json
item_ok baseline_matches false

# 6. Made to match, the stamp is accepted.
sql 'DROP TABLE "notes"' >/dev/null
run "$APP" db stamp head
expect_status 0; expect_out "stamped head"; expect_no "warning"
run "$APP" db current
expect_eq "$out" "0001"
run "$APP" db transition --json
item_ok stamped true; item_ok baseline_matches true; item_ok phase false
item_ok deploy false; item_ok rehearsal false

# 7. The flip: the config deploy uses says production.
ini production
run "$APP" db transition
expect_status 1; expect_out "✓ phase = production"; expect_out "✗ the rehearsal passed"
expect_out "fix: app db upgrade --rehearse"
run "$APP" db upgrade --rehearse
expect_status 0; expect_out "rehearse downgrade 0001"; expect_out "rehearse upgrade 0001"
expect_out "rehearsal passed"; expect_no "backup:"
expect_eq "$(rows)" 7 "the rehearsal changes no row"
run "$APP" db transition --json
expect_status 0 "every item passes"
expect_eq "$(count_ok false)" 0 "all true after the flip"
expect_eq "$(count_ok true)" 10
run "$APP" db transition
expect_status 0; expect_out "9 of 9 pass"; expect_no "✗"

# 8. The first production deploy records the phase in the database.
run env BUILD=build PORT="$port" WAIT=20 scripts/deploy.sh
expect_status 0; expect_out "serving on http://127.0.0.1:$port"; expect_out "schema ready (production phase)"
curl -fsS "http://127.0.0.1:$port/health" >/dev/null || fail "deploy: /health answers"
expect_eq "$(sql "SELECT value FROM app_version_meta WHERE key = 'phase'")" "production"

# 9. A new revision (what autogenerate writes for a new model field; the
# models of this binary cannot change here, see test_flip.c).
cat > migrations/versions/0002_audit.sql <<'SQL'
-- revision: 0002
-- down_revision: 0001
-- message: audit

-- +upgrade
CREATE TABLE "audit" ("id" INTEGER PRIMARY KEY, "what" TEXT NOT NULL);
INSERT INTO "audit" ("id", "what") VALUES (1, 'flip');

-- +downgrade
DROP TABLE "audit";
SQL
run "$APP" db transition --json
expect_status 1; item_ok rehearsal false; item_ok no_drift true
run "$APP" db upgrade --rehearse
expect_status 0; expect_out "rehearse upgrade 0002"; expect_out "rehearse downgrade 0002"
expect_eq "$(printf '%s\n' "$out" | grep -c '^rehearse ')" 3 "up, down, up"
run "$APP" db current
expect_eq "$out" "0001" "the rehearsal did not upgrade the live database"
run "$APP" db transition --json
expect_status 0

# 10. Deploy: back up, upgrade under the lock, restart, wait for /health.
run env BUILD=build PORT="$port" WAIT=20 scripts/deploy.sh
expect_status 0; expect_out "stopping pid"; expect_out "serving on"
expect_out "^deploy: lint: 1 revision, 2 statements: 0 errors, 1 warning, 0 ignored ('app db lint --pending' lists the findings)$"
run "$APP" db current
expect_eq "$out" "0002"
expect_eq "$(sql 'SELECT count(*) FROM audit')" 1

# 11. Downgrade and upgrade again.
run "$APP" db downgrade -1 --yes
expect_status 0; expect_out "downgrade 0002"
run "$APP" db upgrade
expect_status 0; expect_out "upgrade 0002"
expect_eq "$(rows)" 7 "every pre-user row is still there"
expect_eq "$(sql 'SELECT count(*) FROM users')" 3
expect_eq "$(sql 'SELECT count(*) FROM tasks')" 4

# 12. Guards.
run "$APP" db reset --yes
expect_status 1; expect_err "refused in the production phase (set by config/app.ini"; expect_one_line_err
run env BUILD=build YES=1 PORT="$port" scripts/deploy.sh --clean
expect_status 1; expect_err "refused in the production phase"; expect_err "the service was left running"
curl -fsS "http://127.0.0.1:$port/health" >/dev/null || fail "deploy-clean leaves the service running"
run env BUILD="$T/build" CONFIG="$T/config/app.ini" YES=1 "$ROOT/scripts/reset_database.sh"
expect_status 1; expect_err "refused in the production phase"
run env DEV_CREATE_TABLES=true "$APP" db prepare
expect_status 1; expect_err "DEV_CREATE_TABLES=true is refused in the production phase"; expect_one_line_err
# A laptop whose INI still says pre-user: the database remembers.
ini pre-user
run "$APP" db reset --yes
expect_status 1; expect_err "this database was flipped to the production phase"; expect_one_line_err
run env DEV_CREATE_TABLES=true "$APP" db prepare
expect_status 1; expect_err "refused in the production phase (recorded by the database"
expect_eq "$(rows)" 7 "the guards changed nothing"
ini production

# 13. A failing deploy leaves the service untouched.
cat > migrations/versions/0003_bad.sql <<'SQL'
-- revision: 0003
-- down_revision: 0002
-- message: bad

-- +upgrade
ALTER TABLE "nowhere" ADD COLUMN "x" INTEGER;

-- +downgrade
SQL
run env BUILD=build PORT="$port" WAIT=20 scripts/deploy.sh
expect_status 1; expect_err "schema step failed"
run "$APP" db upgrade --rehearse
expect_status 1; expect_err "rehearsal failed (the live database was not changed)"
curl -fsS "http://127.0.0.1:$port/health" >/dev/null || fail "a failed deploy leaves the service running"
rm migrations/versions/0003_bad.sql

pid=$(cat var/app.pid 2>/dev/null)
[ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null
i=0
while [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && [ $i -lt 100 ]; do
    sleep 0.1; i=$((i + 1))
done
expect_eq "$(rows)" 7 "every pre-user row is still there at the end"
