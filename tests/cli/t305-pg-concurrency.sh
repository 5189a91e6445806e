#!/bin/sh
# 16 processes run `upgrade head` at once against one PostgreSQL database,
# 20 rounds (a fresh schema each): every revision is applied exactly once,
# every process succeeds, and a transaction=false block (CREATE INDEX
# CONCURRENTLY) runs outside a transaction.
. "$(dirname "$0")/lib.sh"
. "$ROOT/tests/cli/pglib.sh"

PROCS=${PROCS:-16}
ROUNDS=${ROUNDS:-20}
mkdir -p migrations/versions
rev() { # rev ID DOWN SQL [header options]
    {
        printf -- '-- revision: %s\n' "$1"
        [ -z "$2" ] || printf -- '-- down_revision: %s\n' "$2"
        printf -- '-- message: step %s\n\n-- +upgrade%s\n%s\n\n-- +downgrade\nSELECT 1;\n' \
            "$1" "${4:+ $4}" "$3"
    } >"migrations/versions/$1_step.sql"
}
rev 0001 "" "CREATE TABLE applied (rev text NOT NULL, pid int NOT NULL DEFAULT pg_backend_pid());
INSERT INTO applied (rev) VALUES ('0001');"
rev 0002 0001 "SELECT pg_sleep(0.02);
CREATE TABLE t2 (x int);
INSERT INTO applied (rev) VALUES ('0002');"
rev 0003 0002 "CREATE INDEX CONCURRENTLY ix_applied_rev ON applied (rev);" "transaction=false"
rev 0004 0003 "CREATE TABLE t4 (x int);
INSERT INTO applied (rev) VALUES ('0004');"
rev 0005 0004 "SET lock_timeout = '5s';
ALTER TABLE t4 ADD COLUMN y text;
INSERT INTO applied (rev) VALUES ('0005');"

round=1
while [ "$round" -le "$ROUNDS" ]; do
    S=${SCHEMA}_r$round
    printf '[app]\nphase = production\n[database]\nurl = %s\nschema = %s\nwait_seconds = 0\n[migrations]\ndir = migrations\n' \
        "$TEST_PG_URL" "$S" >config/app.ini
    i=1
    pids=
    while [ "$i" -le "$PROCS" ]; do
        "$APP" db upgrade head >"$T/out.$i" 2>"$T/err.$i" &
        pids="$pids $!"
        i=$((i + 1))
    done
    failed=0
    for p in $pids; do wait "$p" || failed=$((failed + 1)); done
    status=$failed; out=$(cat "$T"/out.* | head -5); err=$(cat "$T"/err.* | head -5)
    expect_eq "$failed" 0 "round $round: every process succeeds"
    expect_eq "$(cat "$T"/err.* | grep -v '^backup: ' | wc -c)" 0 \
        "round $round: nothing on stderr but backup paths"
    applied=$(psql -X -At "$TEST_PG_URL" -c "SELECT string_agg(rev, ',' ORDER BY rev) FROM \"$S\".applied")
    expect_eq "$applied" "0001,0002,0004,0005" "round $round: each revision applied once"
    expect_eq "$(cat "$T"/out.* | grep -c '^upgrade 0003')" 1 "round $round: one process ran 0003"
    expect_eq "$(psql -X -At "$TEST_PG_URL" -c "SELECT indisvalid FROM pg_index WHERE indexrelid = to_regclass('\"$S\".ix_applied_rev')")" t \
        "round $round: the concurrent index is valid"
    run "$APP" db current
    expect_status 0; expect_out "0005"
    psql -X -q "$TEST_PG_URL" -c "DROP SCHEMA \"$S\" CASCADE" >/dev/null 2>&1
    [ "$failures" -eq 0 ] || break
    round=$((round + 1))
done
finish
