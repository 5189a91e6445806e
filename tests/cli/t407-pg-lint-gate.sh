#!/bin/sh
# In the production phase on PostgreSQL, upgrade refuses revisions with
# lint errors (printing each with its safe form, changing nothing) unless
# --accept-lint, which is recorded in app_version_meta. The pre-user phase
# and SQLite are not gated; a reviewed ignore comment lets a revision pass.
. "$(dirname "$0")/lib.sh"
. "$ROOT/tests/cli/pglib.sh"

mkdir -p migrations/versions
cat > migrations/versions/0001_people.sql <<'SQL'
-- revision: 0001
-- message: people

-- +upgrade
CREATE TABLE people (id bigint PRIMARY KEY, name text NOT NULL);
INSERT INTO people VALUES (1, 'a'), (2, 'b');

-- +downgrade
DROP TABLE people;
SQL
cat > migrations/versions/0002_index.sql <<'SQL'
-- revision: 0002
-- down_revision: 0001
-- message: index

-- +upgrade
CREATE INDEX ix_people_name ON people (name);

-- +downgrade
DROP INDEX ix_people_name;
SQL
pg_ini
sed -i 's/^phase = pre-user$/phase = production/' config/app.ini
printf '[migrations]\ndir = migrations\nbackup_dir = %s/backups\n' "$T" >> config/app.ini

run "$APP" db upgrade 0001
expect_status 0 "a clean revision goes through"
expect_out "upgrade 0001"

run "$APP" db upgrade --sql --accept-lint
expect_status 2; expect_err "not --sql"; expect_one_line_err

run "$APP" db upgrade
expect_status 1 "refused on a lint error"
expect_err '^migrations/versions/0002_index.sql:6: error create-index-not-concurrent: index "ix_people_name" on "people": .*; fix: CREATE INDEX CONCURRENTLY'
expect_err '^app db upgrade: 1 lint error in the revisions to apply (0002), each above with its safe form; nothing was changed; .*--accept-lint'
expect_no 'backup:'
run "$APP" db current
expect_eq "$out" "0001" "nothing applied"
expect_eq "$(pg "SELECT count(*) FROM pg_indexes WHERE schemaname = '$SCHEMA' AND indexname = 'ix_people_name'")" 0 "no index"

# the pre-user phase is not gated: the same revision applies (then it is
# undone, for the production case below)
APP_PHASE=pre-user run "$APP" db upgrade
expect_status 0 "pre-user: not gated"
expect_out "upgrade 0002"
expect_no 'lint error'
APP_PHASE=pre-user run "$APP" db downgrade --yes 0001
expect_status 0
run "$APP" db current
expect_eq "$out" "0001" "back at 0001"

run "$APP" db upgrade --accept-lint
expect_status 0 "--accept-lint lets it through"
expect_out "upgrade 0002"
expect_out '^lint: 1 lint error in 0002, accepted with --accept-lint at [0-9T:-]*Z; recorded in app_version_meta (lint_accepted)$'
expect_err 'error create-index-not-concurrent'
expect_eq "$(pg "SELECT value FROM app_version_meta WHERE key = 'lint_accepted'" | sed 's/ at .*//')" \
    "1 lint error in 0002, accepted with --accept-lint" "the decision is recorded"

# a reviewed finding, silenced with its reason, passes
cat > migrations/versions/0003_drop.sql <<'SQL'
-- revision: 0003
-- down_revision: 0002
-- message: drop the index

-- +upgrade dialect=postgresql
SET lock_timeout = '2s';
-- lint: ignore drop-index-not-concurrent two rows, the lock is instant
DROP INDEX ix_people_name;

-- +upgrade dialect=sqlite
DROP INDEX ix_people_name;

-- +downgrade
CREATE INDEX ix_people_name ON people (name);
SQL
run "$APP" db upgrade
expect_status 0 "an ignored finding does not refuse"
expect_out "upgrade 0003"
expect_no "error"

# SQLite in production is not gated: its sections are not linted
printf '[app]\nphase = production\n[database]\nurl = sqlite:///%s/app.db\n[migrations]\ndir = migrations\nbackup_dir = %s/backups\n' "$T" "$T" > config/app.ini
run "$APP" db upgrade --create-database
expect_status 0 "SQLite runs the same revisions"
expect_out "upgrade 0003"
expect_no "lint"
finish
