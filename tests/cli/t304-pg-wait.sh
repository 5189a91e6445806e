#!/bin/sh
# db wait and the start-up retry: give up after wait_seconds with one line;
# succeed when the server comes up during the wait (a real cluster started
# by scripts/pg-test-server.sh); the script fails loudly when it cannot start.
. "$(dirname "$0")/lib.sh"
. "$ROOT/tests/cli/pglib.sh"

pg_ini
run "$APP" db wait
expect_status 0; expect_out "database ready: postgresql://postgres@/postgres"
expect_eq "$(printf '%s\n' "$out" | grep -c .)" 1 "one line when reachable"

# a server that finishes starting up between a failed attempt and the ping
# that tells why it failed (tests/cli/pg_starting_proxy.py answers the
# first REFUSE connections as a server that is starting up, then passes
# them through to the test server): one more attempt connects, with no
# wait at all; a server still starting up at the ping is waited for
sock=$(ls "$PG_SOCKDIR"/.s.PGSQL.* | grep -v '\.lock$' | head -1)
proxy_db_wait() { # REFUSE SECONDS: db wait through the proxy
    mkdir -p "$T/proxy"
    python3 "$ROOT/tests/cli/pg_starting_proxy.py" "$T/proxy" "$sock" "$1" \
        "$T/proxy/count" >"$T/proxy/out" 2>&1 &
    proxy=$!
    until grep -q ready "$T/proxy/out" 2>/dev/null; do
        kill -0 "$proxy" 2>/dev/null || { cat "$T/proxy/out"; break; }
        sleep 0.05
    done
    DATABASE_URL="postgresql://postgres@/postgres?host=$T/proxy" \
        run "$APP" db wait --seconds "$2"
    kill "$proxy"; wait "$proxy" 2>/dev/null
    accepted=$(cat "$T/proxy/count" 2>/dev/null)
    rm -rf "$T/proxy"
}
proxy_db_wait 1 0
expect_status 0; expect_out "database ready"
expect_eq "$accepted" 3 "connections: the attempt, the ping, one more attempt"
proxy_db_wait 2 0
expect_status 1; expect_err "the database system is starting up"
expect_one_line_err
expect_eq "$accepted" 2 "connections: the attempt and the ping"
proxy_db_wait 2 10
expect_status 0; expect_out "database ready"
expect_eq "$accepted" 3 "connections: the attempt, the ping, a later attempt"

# nothing listens in $T/empty: db wait gives up after wait_seconds
mkdir -p empty
printf '[database]\nurl = postgresql://app:Wait-Secret-5@/postgres?host=%s/empty\nwait_seconds = 1\n' "$T" >config/app.ini
start=$(date +%s.%N)
run "$APP" db wait
took=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }')
expect_status 1; expect_err "database not reachable after 1 s"; expect_err "wait_seconds"
expect_one_line_err; expect_no "Wait-Secret-5"
awk -v t="$took" 'BEGIN { exit !(t >= 0.9 && t < 4) }' || fail "gave up after $took s, expected about 1 s"
run "$APP" db wait --seconds 0
expect_status 1; expect_err "cannot connect to PostgreSQL"; expect_one_line_err
run "$APP" db wait --seconds soon
expect_status 2; expect_err "bad --seconds 'soon'"

# commands that need the database retry the same way at start-up
run "$APP" db info
expect_status 1; expect_err "database not reachable after 1 s"; expect_one_line_err

# a server that comes up during the wait: started 1 s after db wait
chmod 755 "$T"   # the cluster's owner (postgres, when root) must reach it
PGTEST_DIR=$T/pg; export PGTEST_DIR
printf '[database]\nurl = postgresql://postgres@/postgres?host=%s\nwait_seconds = 60\n' "$PGTEST_DIR" >config/app.ini
(sleep 1; "$ROOT/scripts/pg-test-server.sh" start >"$T/start.log" 2>&1) &
starter=$!
run "$APP" db wait
wait "$starter"; started=$?
expect_eq "$started" 0 "pg-test-server.sh start"
expect_status 0; expect_out "database ready"
printf '%s' "$out" | grep -q " 1 attempt$" && fail "db wait should have retried"
run "$ROOT/scripts/pg-test-server.sh" status
expect_status 0; expect_out "running: postgresql://postgres@/postgres?host=$T/pg"
run "$ROOT/scripts/pg-test-server.sh" start
expect_status 0 "start is idempotent"
run "$ROOT/scripts/pg-test-server.sh" stop
expect_status 0
run "$ROOT/scripts/pg-test-server.sh" status
expect_status 1

# a PGTEST_DIR the server's user cannot reach (as root): the cluster goes
# under /tmp, the URL says where, and it works the same
mkdir -m 700 "$T/private"
PGTEST_DIR=$T/private/pg
run "$ROOT/scripts/pg-test-server.sh" start
expect_status 0
run "$ROOT/scripts/pg-test-server.sh" url
expect_status 0
priv_url=$out
if [ "$(id -u)" -eq 0 ]; then
    expect_out "host=/tmp/pgtest-"
else
    expect_out "host=$T/private/pg"
fi
DATABASE_URL=$priv_url run "$APP" db wait
expect_status 0; expect_out "database ready"
run "$ROOT/scripts/pg-test-server.sh" stop
expect_status 0
DATABASE_URL=$priv_url run "$APP" db wait --seconds 0
expect_status 1
PGTEST_DIR=$T/pg

# a cluster that cannot start is an error with the log shown, never a skip
mkdir -p "$T/pg/data"; echo garbage >"$T/pg/data/PG_VERSION"
[ "$(id -u)" -ne 0 ] || chown -R postgres: "$T/pg"
run "$ROOT/scripts/pg-test-server.sh" start
expect_status 1; expect_err "did not start"
rm -rf "$T/pg"
finish
