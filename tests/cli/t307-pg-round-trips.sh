#!/bin/sh
# On PostgreSQL a no-op start-up costs one query after the session setup:
# the version rows, the needs-attention marker and the record of the last
# verified history read at once, without the migration lock (the history
# itself only when that record does not hold: on PostgreSQL the record
# holds each head row's version, xmin, so a head written by anyone since
# is noticed without reading the history). When there is work, the lock is taken
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
expect_eq "$(printf '%s\n' "$stmts" | sed -n 2p | grep -c '"app_version_dirty".*"xmin".*"app_version".*"app_version_meta"')" "1" \
    "the second reads the marker, the heads and their versions, the record at once"
expect_eq "$(printf '%s\n' "$stmts" | grep -c 'app_version_history')" "0" "the history not even planned"
expect_eq "$(printf '%s\n' "$stmts" | grep -c 'advisory')" "0" "no lock when nothing is to do"
expect_eq "$errors" "0" "no statement refused by the server"

logged "$APP" db current
expect_status 0; expect_out "0005"
expect_eq "$n" "2" "current: the session setup and one query"
expect_eq "$errors" "0" "current: no statement refused by the server"

# the record no longer holds (a head row written by a writer that keeps
# none, here by hand): the history is read in a second query
pg "UPDATE app_version SET revision = revision" >/dev/null
logged "$APP" db upgrade head
expect_status 0; expect_out "nothing to upgrade"
expect_eq "$n" "3" "the setup, the heads and record, then the history"
expect_eq "$(printf '%s\n' "$stmts" | sed -n 3p | grep -c '"checksum"')" "1" "the third reads the history"
expect_eq "$(printf '%s\n' "$stmts" | grep -c 'advisory')" "0" "still no lock"
expect_eq "$errors" "0" "no statement refused by the server"
# an edited applied revision is refused there too
cp migrations/versions/0002_t2.sql saved
echo "-- edited" >> migrations/versions/0002_t2.sql
logged "$APP" db upgrade head
expect_status 1; expect_err "revision 0002 was edited after it was applied"
mv saved migrations/versions/0002_t2.sql
# a stamp writes the record again
run "$APP" db stamp 0005
expect_status 0
logged "$APP" db upgrade head
expect_status 0; expect_out "nothing to upgrade"
expect_eq "$n" "2" "after a stamp, a no-op is one query again"

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
quick=$(printf '%s\n' "$stmts" | grep -n '"app_version_dirty".*"app_version_meta"' | head -n 1 | cut -d: -f1)
whole=$(printf '%s\n' "$stmts" | grep -n '"app_version_dirty".*"app_version_history"' | cut -d: -f1 | tr '\n' ' ')
expect_eq "$(echo $whole | wc -w)" "1" "the whole state is read once"
expect_eq "$( [ "${quick:-99}" -lt "$lock_at" ] && [ "$(echo $whole | cut -d' ' -f1)" -gt "$lock_at" ] && echo yes)" "yes" \
    "the decision before the lock, the whole state again under it"
expect_eq "$(pg 'SELECT count(*) FROM app_version_history')" "6"
# the record was written again: the next no-op is one query
logged "$APP" db upgrade head
expect_status 0; expect_out "nothing to upgrade"
expect_eq "$n" "2" "after the upgrade, a no-op is one query again"

# an edited applied revision is refused on the one-query path too
echo "-- edited" >> migrations/versions/0003_t3.sql
logged "$APP" db upgrade head
expect_status 1; expect_err "revision 0003 was edited after it was applied"
finish
