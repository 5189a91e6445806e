#!/bin/sh
# Every command's output on SQLite, byte for byte: help texts, usage
# errors, --sql scripts and messages, as pinned in tests/golden/sqlite.txt
# (commands: tests/golden/sqlite.cases, run in order in one sandbox). After
# an intended change of output, run with GOLDEN_UPDATE=1 and review the diff.
. "$(dirname "$0")/lib.sh"
. "$ROOT/tests/golden/golden.sh"

printf '[database]\nurl = sqlite:///var/app.db\n' > config/app.ini
mkdir -p migrations/versions
cp "$ROOT/migrations/script.sql.in" migrations/

golden "$ROOT/tests/golden/sqlite.cases" "$ROOT/tests/golden/sqlite.txt" 80
finish
