#!/bin/sh
# upgrade --rehearse on PostgreSQL observes what each statement of a
# revision's first upgrade did to the relations that existed before it, in
# the transaction it rolls back: the lock modes it took (pg_locks), a table
# rewrite (a new relfilenode) and, for ACCESS EXCLUSIVE or a rewrite, the
# table's row count; printed beside the lint findings of the same line. A
# transaction=false section is rehearsed in its transactional form. The
# live database keeps nothing of it.
. "$(dirname "$0")/lib.sh"
. "$ROOT/tests/cli/pglib.sh"

mkdir -p migrations/versions
cat > migrations/versions/0001_people.sql <<'SQL'
-- revision: 0001
-- message: people

-- +upgrade
CREATE TABLE people (id integer PRIMARY KEY, name text NOT NULL);
INSERT INTO people VALUES (1, 'a'), (2, 'b'), (3, 'c');

-- +downgrade
DROP TABLE people;
SQL
cat > migrations/versions/0002_index.sql <<'SQL'
-- revision: 0002
-- down_revision: 0001
-- message: index

-- +upgrade
CREATE INDEX ix_people_name ON people (name);
CREATE TABLE notes (id bigint PRIMARY KEY, body text);

-- +downgrade
DROP TABLE notes;
DROP INDEX ix_people_name;
SQL
cat > migrations/versions/0003_bigint.sql <<'SQL'
-- revision: 0003
-- down_revision: 0002
-- message: bigint ids

-- +upgrade
SET lock_timeout = '2s';
ALTER TABLE people ALTER COLUMN id TYPE bigint;
ALTER TABLE people ADD COLUMN note text;

-- +downgrade
ALTER TABLE people DROP COLUMN note;
ALTER TABLE people ALTER COLUMN id TYPE integer;
SQL
pg_ini
printf '[migrations]\ndir = migrations\n' >> config/app.ini

run "$APP" db upgrade 0001
expect_status 0
before=$(pg "SELECT relfilenode FROM pg_class WHERE oid = '$SCHEMA.people'::regclass")

run "$APP" db upgrade --rehearse
expect_status 0 "the rehearsal passes"
expect_out '^rehearsing on a transaction that is rolled back'
# CREATE INDEX: ShareLock on the table, beside the lint finding
expect_out '^  migrations/versions/0002_index.sql:6: CREATE INDEX ix_people_name ON people (name)$'
expect_out '^    table "people": ShareLock$'
expect_out '^    lint: error create-index-not-concurrent: index "ix_people_name" on "people"$'
# a statement that touched nothing that existed before is not shown
expect_no 'CREATE TABLE notes'
expect_no 'SET lock_timeout'
# ALTER COLUMN TYPE: ACCESS EXCLUSIVE, rewritten, with the row count
expect_out '^  migrations/versions/0003_bigint.sql:7: ALTER TABLE people ALTER COLUMN id TYPE bigint$'
expect_out '^    table "people": AccessExclusiveLock, rewritten, 3 rows$'
expect_out '^    index "people_pkey": AccessExclusiveLock, rewritten$'
expect_out '^    index "ix_people_name": rewritten$'
expect_out '^    lint: error alter-column-type: column "id" of "people" to int8$'
# ADD COLUMN: the lock is already held (by the statement before, in the
# same transaction), no rewrite: nothing new to show
expect_no 'ADD COLUMN note'
expect_out '^rehearse upgrade 0003: bigint ids'
expect_out '^rehearsal passed: 6 steps'

run "$APP" db current
expect_eq "$out" "0001" "nothing applied"
expect_eq "$(pg "SELECT relfilenode FROM pg_class WHERE oid = '$SCHEMA.people'::regclass")" "$before" "not rewritten"
expect_eq "$(pg "SELECT count(*) FROM pg_indexes WHERE schemaname = '$SCHEMA' AND indexname = 'ix_people_name'")" 0 "no index"
expect_eq "$(pg "SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = '$SCHEMA.people'::regclass AND attname = 'id'")" "integer" "still integer"

# a transaction=false section: rehearsed without CONCURRENTLY, saying so;
# the real upgrade and --sql keep it
rm migrations/versions/0003_bigint.sql
cat > migrations/versions/0002_index.sql <<'SQL'
-- revision: 0002
-- down_revision: 0001
-- message: index

-- +upgrade transaction=false
CREATE INDEX CONCURRENTLY ix_people_name ON people (name);

-- +downgrade transaction=false
DROP INDEX CONCURRENTLY ix_people_name;
SQL
run "$APP" db upgrade --rehearse
expect_status 0 "a transaction=false section is rehearsed"
expect_out '^  migrations/versions/0002_index.sql:6: CREATE INDEX CONCURRENTLY ix_people_name ON people (name)$'
expect_out '^    rehearsed as CREATE INDEX ix_people_name ON people (name); the live form, CONCURRENTLY, takes ShareUpdateExclusiveLock: writes go on$'
expect_out '^    table "people": ShareLock$'
expect_no 'lint: error'
expect_out '^rehearsal passed: 3 steps'
run "$APP" db current
expect_eq "$out" "0001" "nothing applied"

run "$APP" db upgrade --sql 0001:head
expect_status 0
expect_out '^CREATE INDEX CONCURRENTLY ix_people_name ON people (name);$'
run "$APP" db upgrade
expect_status 0
expect_out 'upgrade 0002'
expect_eq "$(pg "SELECT indisvalid FROM pg_index WHERE indexrelid = '$SCHEMA.ix_people_name'::regclass")" "t" "built concurrently, valid"

# nothing pending: the head is rehearsed down and up, its up observed
run "$APP" db upgrade --rehearse
expect_status 0
expect_out '^rehearse downgrade 0002'
expect_out '^    rehearsed as CREATE INDEX ix_people_name'
expect_out '^rehearsal passed: 2 steps'

# names that need their quotes keep them: only the bytes of CONCURRENTLY
# go (a form deparsed from the parse tree lost them: CREATE INDEX Ix People)
cat > migrations/versions/0003_quoted.sql <<'SQL'
-- revision: 0003
-- down_revision: 0002
-- message: quoted index

-- +upgrade transaction=false
CREATE INDEX CONCURRENTLY "Ix People" ON people (name);
REINDEX (CONCURRENTLY, VERBOSE) INDEX "Ix People";

-- +downgrade transaction=false
DROP INDEX CONCURRENTLY "Ix People";
SQL
run "$APP" db upgrade --rehearse
expect_status 0 "quoted names are rehearsed"
expect_out '^    rehearsed as CREATE INDEX "Ix People" ON people (name); the live form'
expect_out '^    rehearsed as REINDEX (VERBOSE) INDEX "Ix People"; the live form'
expect_out '^rehearsal passed'
run "$APP" db current
expect_eq "$out" "0002" "nothing applied"
run "$APP" db upgrade
expect_status 0
expect_eq "$(pg "SELECT count(*) FROM pg_indexes WHERE schemaname = '$SCHEMA' AND indexname = 'Ix People'")" 1 "the index, by its quoted name"
run "$APP" db upgrade --rehearse
expect_status 0 "the applied head rehearsed down and up"
expect_out '^rehearse downgrade 0003'
expect_out '^rehearsal passed: 2 steps'
rm migrations/versions/0003_quoted.sql

# SQLite: the rehearsal on a copy is unchanged, with no lock report
cat > config/app.ini <<INI
[app]
phase = pre-user
[database]
url = sqlite:///$T/app.db
[migrations]
dir = migrations
INI
cat > migrations/versions/0002_index.sql <<'SQL'
-- revision: 0002
-- down_revision: 0001
-- message: index

-- +upgrade
CREATE INDEX ix_people_name ON people (name);

-- +downgrade
DROP INDEX ix_people_name;
SQL
run "$APP" db upgrade 0001
expect_status 0
run "$APP" db upgrade --rehearse
expect_status 0
expect_out '^rehearsing on a copy'
expect_no 'ShareLock'
expect_no '^  migrations'
expect_out '^rehearsal passed: 3 steps'

finish
