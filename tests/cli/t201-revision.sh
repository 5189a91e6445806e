#!/bin/sh
# revision writes sequential files from the template; heads, show and merge.
. "$(dirname "$0")/lib.sh"

printf '[database]\nurl = sqlite:///var/app.db\n' > config/app.ini

run "$APP" db revision
expect_status 2 "revision without -m is a usage error"; expect_err "missing -m MESSAGE"; expect_one_line_err

run "$APP" db revision -m "create people"
expect_status 0; expect_out "migrations/versions/0001_create_people.sql"
f1=migrations/versions/0001_create_people.sql
[ -f "$f1" ] || fail "the file exists"
grep -q '^-- revision: 0001$' "$f1" || fail "the id is in the header"
grep -q 'down_revision' "$f1" && fail "the first revision has no down_revision"
grep -q '^-- +upgrade$' "$f1" || fail "an upgrade section"
grep -q '^-- +downgrade$' "$f1" || fail "a downgrade section"

run "$APP" db revision -m "add phone"
expect_status 0; expect_out "0002_add_phone.sql"
grep -q '^-- down_revision: 0001$' migrations/versions/0002_add_phone.sql || fail "the second follows the first"

# the project's template is used when present
mkdir -p migrations
printf -- '-- revision: ${revision}\n-- down_revision: ${down_revision}\n-- message: ${message}\n-- from the template\n-- +upgrade\n' > migrations/script.sql.in
run "$APP" db revision -m "third" --rev-id 0100
expect_status 0; expect_out "0100_third.sql"
grep -q 'from the template' migrations/versions/0100_third.sql || fail "script.sql.in is the template"
run "$APP" db revision -m "taken" --rev-id 0100
expect_status 1; expect_err "revision id '0100' is taken"; expect_one_line_err

run "$APP" db heads
expect_status 0; expect_eq "$out" "0100"

# a branch from 0001, then merging the heads
run "$APP" db revision -m "branch" --head 0001
expect_status 0; expect_out "0101_branch.sql"
run "$APP" db heads
expect_eq "$out" "0100
0101" "two heads"
run "$APP" db revision -m "needs one head"
expect_status 1; expect_err "2 heads"; expect_err "app db merge"; expect_one_line_err
run "$APP" db merge -m "join"
expect_status 2; expect_err "missing argument"; expect_one_line_err
run "$APP" db merge -m "join" heads
expect_status 0; expect_out "0102_join.sql"
grep -q '^-- down_revision: 0100, 0101$' migrations/versions/0102_join.sql || fail "the merge names both heads"
run "$APP" db heads
expect_eq "$out" "0102" "one head after the merge"

run "$APP" db show 0002
expect_status 0; expect_out "message:       add phone"; expect_out "state:         pending"

# a broken graph names the file and line
printf -- '-- revision: 0200\n-- down_revision: 0999\n-- +upgrade\n' > migrations/versions/0200_bad.sql
run "$APP" db heads
expect_status 1; expect_err "0200_bad.sql:2: down_revision '0999' of '0200' names no revision file"; expect_one_line_err
finish
