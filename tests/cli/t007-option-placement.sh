#!/bin/sh
# Options go anywhere on the command line, as the synopses in README.md and
# MIGRATION_STRATEGY.md write them ('upgrade head --sql', 'stamp 0001
# --no-verify'); '--' ends them. Usage errors read as before, word for word.
. "$(dirname "$0")/lib.sh"
unset DATABASE_URL APP_PHASE APP_CONFIG
printf '[database]\nurl = sqlite:///app.db\n' > config/app.ini
mkdir -p migrations/versions
cat > migrations/versions/0001_notes.sql <<'SQL'
-- revision: 0001
-- message: notes

-- +upgrade
CREATE TABLE "notes" ("id" INTEGER PRIMARY KEY);

-- +downgrade
DROP TABLE "notes";
SQL

# after the target, or before it: the same script
run "$APP" db upgrade head --sql
expect_status 0 "upgrade head --sql"
after=$out
run "$APP" db upgrade --sql head
expect_status 0
expect_eq "$after" "$out" "the same SQL wherever --sql stands"
expect_out 'CREATE TABLE "notes"'
checks=$((checks + 1)); [ ! -e app.db ] || fail "--sql does not connect"

run "$APP" db stamp 0001 --no-verify
expect_status 0 "stamp 0001 --no-verify"
expect_out "stamped 0001"
expect_err "warning: --no-verify: stamping 0001"
run "$APP" db current --verbose
expect_status 0; expect_out "0001"
run "$APP" db history -r base:head -v
expect_status 0; expect_out "0001"
run "$APP" db downgrade base --sql
expect_status 1; expect_err "downgrade --sql needs FROM:TARGET"
run "$APP" db revision --rev-id 0002 -m "two"
expect_status 0
run "$APP" db merge heads -m "nothing to merge"
expect_status 1 "merge heads -m: parsed, then refused (one head)"

# '--' ends the options
run "$APP" db upgrade --sql -- head
expect_status 0; expect_out 'CREATE TABLE "notes"'
run "$APP" db upgrade head -- --sql
expect_status 2; expect_one_line_err
expect_eq "$err" "app db upgrade: unexpected argument '--sql'; see 'app db upgrade --help'"
run "$APP" db history -- -v
expect_status 2
expect_eq "$err" "app db history: unexpected argument '-v'; see 'app db history --help'"
run "$APP" db upgrade -- --help
expect_status 1; expect_err "bad relative target '--help'"; expect_one_line_err

# usage errors, word for word
run "$APP" db upgrade head extra
expect_status 2
expect_eq "$err" "app db upgrade: unexpected argument 'extra'; see 'app db upgrade --help'"
run "$APP" db upgrade head --bogus
expect_status 2
expect_eq "$err" "app db upgrade: unknown or incomplete option '--bogus'; see 'app db upgrade --help'"
run "$APP" db stamp --no-verify
expect_status 2
expect_eq "$err" "app db stamp: missing argument; see 'app db stamp --help'"
run "$APP" db stamp 0001 0002 --no-verify
expect_status 2
expect_eq "$err" "app db stamp: unexpected argument '0002'; see 'app db stamp --help'"
run "$APP" db current x -v
expect_status 2
expect_eq "$err" "app db current: unexpected argument 'x'; see 'app db current --help'"
run "$APP" db wait x --seconds
expect_status 2
expect_eq "$err" "app db wait: option '--seconds' needs a value; see 'app db wait --help'"
run "$APP" db revision x -m y
expect_status 2
expect_eq "$err" "app db revision: unexpected argument 'x'; see 'app db revision --help'"
# --help anywhere before '--'
run "$APP" db stamp 0001 --help
expect_status 0; expect_out "usage: app db stamp"
finish
