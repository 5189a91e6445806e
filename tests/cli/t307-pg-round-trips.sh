#!/bin/sh
# On PostgreSQL a no-op start-up costs one query after the session setup:
# the version rows, the needs-attention marker and the record of the last
# verified history read at once, without the migration lock (the history
# itself only when that record does not hold). When there is work, the lock is taken
# and the state read again under it. Counted on the test server: the
# app's session runs with log_statement = all (PGOPTIONS), and the
# statements it logged are read back from the server's log.
. "$(dirname "$0")/lib.sh"
. "$ROOT/tests/cli/pglib.sh"

LOG=$PG_SOCKDIR/server.log
[ -r "$LOG" ] || { echo "not ok - $(basename "$0"): cannot read the test server's log $LOG"; exit 1; }
pg_ini
mkdir -p migrations/versions
rev() { # rev N: revision N creates table tN
    id=$(printf '%04d' "$1")
    {
        echo "-- revision: $id"
        [ "$1" -gt 1 ] && printf -- '-- down_revision: %04d\n' $(($1 - 1))
        printf -- '-- message: table %s\n\n-- +upgrade\nCREATE TABLE "t%s" ("id" INTEGER);\n' "$1" "$1"
        printf -- '\n-- +downgrade\nDROP TABLE "t%s";\n' "$1"
    } > "migrations/versions/${id}_t$1.sql"
}
for i in 1 2 3 4 5; do rev $i; done

# logged CMD...: runs CMD with its statements logged; $stmts holds them,
# one per line, $n their count
logged() {
    size=$(wc -c < "$LOG")
    PGOPTIONS='-c log_statement=all' run "$@"
    stmts=$(tail -c +$((size + 1)) "$LOG" |
            sed -n 's/.*LOG:  \(statement\|execute [^:]*\): //p')
    n=$(printf '%s\n' "$stmts" | grep -c .)
    # a statement the server refused before running it is not logged as
    # run: its error is
    errors=$(tail -c +$((size + 1)) "$LOG" | grep -c 'ERROR:')
}

logged "$APP" db upgrade head
expect_status 0; expect_out "upgrade 0005"
expect_eq "$(printf '%s\n' "$stmts" | grep -c 'pg_try_advisory_lock')" "1" \
    "the first upgrade takes the lock"

logged "$APP" db upgrade head
expect_status 0; expect_out "nothing to upgrade"
expect_eq "$n" "2" "a no-op upgrade: the session setup and one query"
expect_eq "$(printf '%s\n' "$stmts" | sed -n 1p | grep -c "set_config('search_path'")" "1" \
    "the first statement sets up the session"
expect_eq "$(printf '%s\n' "$stmts" | sed -n 2p | grep -c '"app_version_dirty".*"app_version".*MAX("seq").*"app_version_meta"')" "1" \
    "the second reads the marker, the heads and the record at once"
expect_eq "$(printf '%s\n' "$stmts" | grep -c '"checksum"')" "0" "no history row read"
expect_eq "$(printf '%s\n' "$stmts" | grep -c 'advisory')" "0" "no lock when nothing is to do"
expect_eq "$errors" "0" "no statement refused by the server"

logged "$APP" db current
expect_status 0; expect_out "0005"
expect_eq "$n" "2" "current: the session setup and one query"
expect_eq "$errors" "0" "current: no statement refused by the server"

# the record no longer holds (a history row added by a writer that keeps
# none): the history is read in a second query
pg "INSERT INTO app_version_history VALUES (100, '0005', 'stamp', '2026-01-01', 0, (SELECT checksum FROM app_version_history WHERE revision = '0005' ORDER BY seq DESC LIMIT 1))" >/dev/null
logged "$APP" db upgrade head
expect_status 0; expect_out "nothing to upgrade"
expect_eq "$n" "3" "the setup, the heads and record, then the history"
expect_eq "$(printf '%s\n' "$stmts" | sed -n 3p | grep -c '"checksum"')" "1" "the third reads the history"
expect_eq "$(printf '%s\n' "$stmts" | grep -c 'advisory')" "0" "still no lock"
pg "DELETE FROM app_version_history WHERE seq = 100" >/dev/null

# the production phase at head: no lock, no backup
sed -i 's/phase = pre-user/phase = production/' config/app.ini
logged "$APP" db upgrade head
expect_status 0; expect_out "nothing to upgrade"
expect_eq "$n" "2" "a production no-op upgrade: the session setup and one query"
sed -i 's/phase = production/phase = pre-user/' config/app.ini

# work to do: the lock, then the state read again under it
rev 6
logged "$APP" db upgrade head
expect_status 0; expect_out "upgrade 0006"
expect_eq "$(printf '%s\n' "$stmts" | grep -c 'pg_try_advisory_lock')" "1" "the lock is taken"
lock_at=$(printf '%s\n' "$stmts" | grep -n 'pg_try_advisory_lock' | cut -d: -f1)
reads=$(printf '%s\n' "$stmts" | grep -n '"app_version_dirty".*"app_version_history"' | cut -d: -f1 | tr '\n' ' ')
expect_eq "$(echo $reads | wc -w)" "2" "the state is read before and under the lock"
expect_eq "$( [ "$(echo $reads | cut -d' ' -f1)" -lt "$lock_at" ] && [ "$(echo $reads | cut -d' ' -f2)" -gt "$lock_at" ] && echo yes)" "yes" \
    "once before the lock, once after it"
expect_eq "$(pg 'SELECT count(*) FROM app_version_history')" "6"

# an edited applied revision is refused on the one-query path too
echo "-- edited" >> migrations/versions/0003_t3.sql
logged "$APP" db upgrade head
expect_status 1; expect_err "revision 0003 was edited after it was applied"
finish
