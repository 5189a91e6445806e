#!/bin/sh
# On PostgreSQL a no-op start-up costs one query after the session setup:
# the version rows, the history and the needs-attention marker read at
# once, without the migration lock. When there is work, the lock is taken
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
expect_eq "$(printf '%s\n' "$stmts" | sed -n 2p | grep -c '"app_version_dirty".*"app_version_history".*"app_version"')" "1" \
    "the second reads the three version tables at once"
expect_eq "$(printf '%s\n' "$stmts" | grep -c 'advisory')" "0" "no lock when nothing is to do"

logged "$APP" db current
expect_status 0; expect_out "0005"
expect_eq "$n" "2" "current: the session setup and one query"

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
