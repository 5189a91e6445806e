#!/bin/sh
# app serve stops on SIGTERM and SIGINT: a request in flight is finished,
# the pidfile is removed, the database is closed, the exit status is 0.
. "$(dirname "$0")/lib.sh"
unset DATABASE_URL APP_PHASE APP_CONFIG
status=0 out= err=

cat >config/app.ini <<'EOF'
[app]
phase = pre-user
[database]
url = sqlite:///var/app.db
[server]
pidfile = var/run/app.pid
[auth]
; libsodium's minimum Argon2id limits: fast tests (see config/test.ini)
ops_limit = 1
mem_limit = 8KiB
EOF

PID=
trap '[ -n "$PID" ] && kill -9 "$PID" 2>/dev/null; rm -rf "$T"' EXIT

start_server() {
    rm -f "$T/serve.out" # else the previous server's "listening on" line
    "$APP" --config config/app.ini serve --port 0 "$@" \
        >"$T/serve.out" 2>"$T/serve.err" &
    PID=$!
    i=0
    until grep -q 'listening on' "$T/serve.out" 2>/dev/null; do
        kill -0 "$PID" 2>/dev/null || return 1
        i=$((i + 1))
        [ "$i" -lt 400 ] || return 1
        sleep 0.05
    done
    port=$(sed -n 's/.*listening on http:[/][/][^ ]*:\([0-9][0-9]*\) .*/\1/p' "$T/serve.out")
    BASE="http://127.0.0.1:$port"
}

# SIGTERM, with the pidfile from [server] pidfile (parent directory created)
start_server || { echo "not ok - server did not start"; exit 1; }
checks=$((checks + 1))
[ "$(cat var/run/app.pid 2>/dev/null)" = "$PID" ] || \
    { status=-; out=$(cat var/run/app.pid 2>&1); err=; fail "pidfile holds the pid"; }
status=$(curl -s -o /dev/null -w '%{http_code}' -X POST \
    -H 'Content-Type: application/json' \
    -d '{"email":"a@example.org","name":"A","password":"pass word 1"}' \
    "$BASE/auth/signup")
expect_status 201 "create a user"
TOKEN=$(curl -s -X POST -H 'Content-Type: application/json' \
    -d '{"email":"a@example.org","password":"pass word 1"}' \
    "$BASE/auth/login" | sed -n 's/.*"token":"\([^"]*\)".*/\1/p')
AUTH="Authorization: Bearer $TOKEN"

# A slow upload (about 3 s at 20 KB/s) is in flight when SIGTERM arrives;
# it must still be answered, and only then the process exits.
desc=$(head -c 60000 /dev/zero | tr '\0' d)
printf '{"title":"slow","description":"%s"}' "$desc" >"$T/slow.json"
# With Expect: 100-continue the body follows the server's "100 Continue",
# which it sends once it has taken the request: then the request is in
# flight for sure.
curl -s -o "$T/slow.body" -w '%{http_code}' --limit-rate 20k -X POST \
    -H 'Content-Type: application/json' -H 'Expect: 100-continue' -H "$AUTH" \
    --trace-ascii "$T/slow.trace" --data-binary "@$T/slow.json" \
    "$BASE/users/1/tasks" >"$T/slow.code" &
CURL=$!
i=0
until grep -q '100 Continue' "$T/slow.trace" 2>/dev/null; do
    i=$((i + 1))
    [ "$i" -lt 400 ] || break
    sleep 0.05
done
sleep 0.3
kill -TERM "$PID"
sleep 0.3
# no new connections once stopping
checks=$((checks + 1))
if curl -s -o /dev/null --max-time 2 "$BASE/health"; then
    status=-; out=; err=; fail "a new connection should be refused while draining"
fi
wait "$CURL"
status=$(cat "$T/slow.code")
out=$(cat "$T/slow.body")
expect_status 201 "request in flight at SIGTERM is answered"
expect_out '"title":"slow"'
wait "$PID"
status=$?
PID=
expect_status 0 "SIGTERM exits 0"
out=$(cat "$T/serve.out")
expect_out 'SIGTERM received; finishing requests in flight'
expect_out 'stopped'
checks=$((checks + 1))
[ ! -e var/run/app.pid ] || { status=-; out=; err=; fail "pidfile removed on stop"; }
# closed cleanly: SQLite removes the WAL file when the last connection closes
checks=$((checks + 1))
[ ! -e var/app.db-wal ] || { status=-; out=; err=; fail "database closed (no -wal left)"; }
run sqlite3 var/app.db 'SELECT title FROM tasks'
expect_out '^slow$'

# SIGINT, with --pidfile overriding the config
start_server --pidfile "$T/other.pid" || { echo "not ok - no restart"; exit 1; }
checks=$((checks + 1))
[ "$(cat "$T/other.pid" 2>/dev/null)" = "$PID" ] || \
    { status=-; out=; err=; fail "--pidfile is used"; }
status=$(curl -s -o "$T/.b" -w '%{http_code}' -H "$AUTH" "$BASE/users/1/tasks")
out=$(cat "$T/.b")
expect_status 200 "data kept across restarts (the token too)"
expect_out '"title":"slow"'
kill -INT "$PID"
wait "$PID"
status=$?
PID=
expect_status 0 "SIGINT exits 0"
checks=$((checks + 1))
[ ! -e "$T/other.pid" ] || { status=-; out=; err=; fail "pidfile removed on SIGINT"; }
finish
