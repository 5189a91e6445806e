#!/bin/sh
# db lint: PostgreSQL sections checked on PostgreSQL's own parser; one line
# per finding with what happens and the fix; exit 0 clean, 1 at or above
# --fail-on; ignore comments keep their reason; SQLite sections untouched.
. "$(dirname "$0")/lib.sh"
unset DATABASE_URL APP_PHASE APP_CONFIG
printf '[database]\nurl = sqlite:///var/app.db\n' > config/app.ini
mkdir -p migrations/versions var
v=migrations/versions

run "$APP" db lint
expect_status 0 "no revisions: clean"
expect_out '^lint: 0 revisions, 0 statements: 0 errors, 0 warnings, 0 ignored$'

cat > $v/0001_people.sql <<'SQL'
-- revision: 0001
-- message: people

-- +upgrade
CREATE TABLE people (id bigint PRIMARY KEY, name text NOT NULL, born timestamp);
CREATE INDEX ix_people_name ON people (name);

-- +downgrade
DROP TABLE people;
SQL
run "$APP" db lint
expect_status 0 "warnings only: exit 0 by default"
expect_out '^migrations/versions/0001_people.sql:5: warning timestamp-without-time-zone: column "born" of "people": .*; fix: use timestamptz'
expect_out '^lint: 1 revision, 2 statements: 0 errors, 1 warning, 0 ignored$'
run "$APP" db lint --fail-on warning
expect_status 1 "--fail-on warning"
expect_err '^app db lint: 1 finding at or above warning; '
expect_one_line_err

cat > $v/0002_index.sql <<'SQL'
-- revision: 0002
-- down_revision: 0001
-- message: index and drop

-- +upgrade dialect=postgresql
CREATE INDEX ix_people_born ON people (born);
-- the column left the code in release 12
-- lint: ignore drop-column nothing reads it since release 12
ALTER TABLE people DROP COLUMN born;

-- +upgrade dialect=sqlite
CREATE INDEX ix_people_born ON people (born);
ALTER TABLE people DROP COLUMN born;

-- +downgrade
SQL
run "$APP" db lint 0002
expect_status 1 "an index built under lock"
expect_out '^migrations/versions/0002_index.sql:6: error create-index-not-concurrent: index "ix_people_born" on "people": CREATE INDEX without CONCURRENTLY holds a SHARE lock.*; fix: CREATE INDEX CONCURRENTLY in a section marked transaction=false'
expect_out '^migrations/versions/0002_index.sql:9: ignored drop-column: column "born" of "people" (reason: nothing reads it since release 12)$'
expect_out '^migrations/versions/0002_index.sql:9: error lock-timeout-missing: "people"'
expect_out '^lint: 1 revision, 2 statements: 2 errors, 0 warnings, 1 ignored$'
expect_no ':1[23]: '
expect_err '^app db lint: 2 findings at or above error'
expect_one_line_err

# the configured lock_timeout covers ACCESS EXCLUSIVE statements
printf '[database]\nurl = sqlite:///var/app.db\nlock_timeout = 5s\n' > config/app.ini
run "$APP" db lint $v/0002_index.sql
expect_status 1 "a file argument"
expect_no 'lock-timeout-missing'
expect_out '^lint: 1 revision, 2 statements: 1 error, 0 warnings, 1 ignored$'

# the safe form lints clean
cat > $v/0002_index.sql <<'SQL'
-- revision: 0002
-- down_revision: 0001
-- message: index

-- +upgrade dialect=postgresql transaction=false
CREATE INDEX CONCURRENTLY ix_people_born ON people (born);

-- +upgrade dialect=sqlite
CREATE INDEX ix_people_born ON people (born);

-- +downgrade
SQL
run "$APP" db lint 0002
expect_status 0 "CONCURRENTLY outside a transaction"
expect_out '^lint: 1 revision, 1 statement: 0 errors, 0 warnings, 0 ignored$'

# --pending lints what the database has not applied
APP_PHASE=production run "$APP" db upgrade 0001 --create-database
expect_status 0 "0001 applied"
run "$APP" db lint --pending
expect_status 0
expect_out '^lint: 1 revision, 1 statement'
expect_no 'born'

# SQL PostgreSQL does not accept, in a section for every database
cat > $v/0003_bad.sql <<'SQL'
-- revision: 0003
-- down_revision: 0002
-- message: bad

-- +upgrade
ALTER TABLE people ADD COLUMN;

-- +downgrade
SQL
run "$APP" db lint 0003
expect_status 1
expect_out "^migrations/versions/0003_bad.sql:6: error parse-error: 'ALTER TABLE people ADD COLUMN': syntax error at end of input"

run "$APP" db lint --rules
expect_status 0 "the rule list"
expect_out '^set-not-null (error)$'
expect_out '^  fix: ADD CONSTRAINT c CHECK (col IS NOT NULL) NOT VALID'
expect_eq "$(printf '%s\n' "$out" | grep -c '^[a-z-]* (\(error\|warning\))$')" 23 "23 rules"

run "$APP" db lint --fail-on fatal
expect_status 2; expect_err "fail-on takes error or warning"; expect_one_line_err
run "$APP" db lint --pending 0001
expect_status 2; expect_err "takes no REV or FILE"; expect_one_line_err
run "$APP" db lint 0001 $v/0002_index.sql
expect_status 2; expect_err "not both"; expect_one_line_err
run "$APP" db lint 9999
expect_status 1; expect_one_line_err
run "$APP" db lint no/such/file.sql
expect_status 1; expect_err "no/such/file.sql"; expect_one_line_err

finish
