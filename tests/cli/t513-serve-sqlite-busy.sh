#!/bin/sh
# SQLite under write contention with --threads 4: while another process
# holds the write lock (eight writes at once), a write waits up to the busy timeout ([database]
# lock_timeout) and then answers 503 {"error":"database busy; retry"},
# never 500; reads go on (WAL); once the lock is released, writes succeed.
. "$(dirname "$0")/lib.sh"
unset DATABASE_URL APP_PHASE APP_CONFIG
status=0 out= err=
PID= HOLDER=
trap '[ -n "$PID" ] && kill -9 "$PID" 2>/dev/null
      [ -n "$HOLDER" ] && kill "$HOLDER" 2>/dev/null
      [ -n "${KEEP_TEST_DIR:-}" ] || rm -rf "$T"' EXIT

cat >config/app.ini <<'EOF2'
[app]
phase = pre-user
[database]
url = sqlite:///var/app.db
lock_timeout = 1s
EOF2
printf '%s\n' "$FAST_AUTH" >>config/app.ini
serve_start --threads 4 --pidfile var/app.pid
TOKEN=$(api_token "$BASE" u0@example.org)
AUTH="Authorization: Bearer $TOKEN"
post() { # N: a new task, the status and time into $T/code.N
    curl -s -o "$T/body.$1" -w '%{http_code} %{time_total}\n' --max-time 20 \
        -X POST -H "$AUTH" -H 'Content-Type: application/json' \
        -d "{\"title\":\"t$1\"}" "$BASE/users/1/tasks" >"$T/code.$1"
}
post 0
expect_eq "$(cut -d' ' -f1 "$T/code.0")" 201 "a write before the lock"

# another process takes the write lock and holds it until told to stop
mkfifo "$T/ctl"
sqlite3 var/app.db <"$T/ctl" >/dev/null 2>&1 &
HOLDER=$!
exec 3>"$T/ctl"
# (a busy timeout of its own: the server may be committing at this moment)
echo ".timeout 5000" >&3
echo "BEGIN IMMEDIATE;" >&3
# Held once a probe cannot take the write lock three times in a row: the
# server's own commits (the log-in's, a WAL checkpoint) hold it only for a
# moment, and a probe failing on one of those must not count.
i=0 busy=0
while [ "$busy" -lt 3 ] && [ "$i" -lt 400 ]; do
    if sqlite3 var/app.db "BEGIN IMMEDIATE; ROLLBACK;" >/dev/null 2>&1; then
        busy=0
    else
        busy=$((busy + 1))
    fi
    i=$((i + 1)); sleep 0.05
done
checks=$((checks + 1))
[ "$busy" -ge 3 ] || { out=; err=; fail "the other process holds the write lock"; }
n=1
while [ "$n" -le 8 ]; do post "$n" & n=$((n + 1)); done
status=$(curl -s -o "$T/.b" -w '%{http_code}' -H "$AUTH" "$BASE/users/1/tasks?limit=5")
out=$(cat "$T/.b")
expect_status 200 "reads go on while the write lock is held"
expect_out '"title":"t0"'
wait_codes() {
    i=0
    while [ "$(cat "$T"/code.[1-8] 2>/dev/null | grep -c .)" -lt 8 ]; do
        i=$((i + 1)); [ "$i" -lt 300 ] || break; sleep 0.05
    done
}
wait_codes
expect_eq "$(cat "$T"/code.[1-8] | cut -d' ' -f1 | sort | uniq -c | sed 's/^ *//')" \
    "8 503" "every write during the lock: 503"
out=$(cat "$T/body.1")
expect_out '{"error":"database busy; retry"}'
# each waited for the busy timeout (1 s) before answering
slow=$(awk '$2 >= 0.9' "$T"/code.[1-8] | grep -c .)
expect_eq "$slow" 8 "every 503 came after waiting the busy timeout"

echo "COMMIT;" >&3
exec 3>&-
wait "$HOLDER"
HOLDER=
post 9
expect_eq "$(cut -d' ' -f1 "$T/code.9")" 201 "writes succeed once the lock is gone"

err=$(cat "$T/serve.err")
expect_no 'internal error'
expect_err 'POST /users/1/tasks 503 '
expect_err 'database is locked'
checks=$((checks + 1))
grep -q 'POST /users/1/tasks 500 ' "$T/serve.err" && fail "never 500"
kill -TERM "$PID"
wait "$PID"
status=$?
PID=
expect_status 0 "stops cleanly"
finish
