#!/bin/sh
# The commands whose output differs on PostgreSQL, byte for byte, as pinned
# in tests/golden/postgresql.txt (commands: tests/golden/postgresql.cases).
. "$(dirname "$0")/lib.sh"
. "$ROOT/tests/cli/pglib.sh"
. "$ROOT/tests/golden/golden.sh"

pg_ini
mkdir -p migrations/versions
cp "$ROOT/migrations/script.sql.in" migrations/

golden "$ROOT/tests/golden/postgresql.cases" "$ROOT/tests/golden/postgresql.txt" 25
finish
