#!/bin/sh
# Benchmarks an authenticated list endpoint (GET /users/{id}/tasks?limit=50
# with Authorization: Bearer <token>) with wrk: requests per second and
# latency percentiles, printed with the core count; every request checks
# the token (SHA-256, one indexed session lookup). Also prints the time of
# one sign-up and one log-in with libsodium's interactive Argon2id limits
# (the defaults), which is what a log-in costs the server.
#
#   scripts/bench/http.sh          (make bench runs every scripts/bench/*.sh)
#
# Environment: BUILD (build), DURATION (10s), CONNECTIONS (32), THREADS (2,
# wrk's), SERVER_THREADS (1 and 2: one run each, `serve --threads N`),
# USERS (1000 other users seeded), TASKS (100 tasks of the signed-in user),
# FLOOR (requests/s printed beside each run, 1000 by default; a report,
# never a failure: only errors during a run make the exit status 1).
# wrk runs on the same machine and takes cores from the server.
# The server runs on a fresh SQLite file in a temporary directory, in the
# pre-user phase, on a free port; it is stopped with SIGTERM at the end.
set -eu
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-build}
APP=$ROOT/$BUILD/app
DURATION=${DURATION:-10s}
CONNECTIONS=${CONNECTIONS:-32}
THREADS=${THREADS:-2}
SERVER_THREADS=${SERVER_THREADS:-1 2}
USERS=${USERS:-1000}
TASKS=${TASKS:-100}
FLOOR=${FLOOR:-1000}

command -v wrk >/dev/null || {
    echo "bench/http: wrk is not installed (Debian: apt-get install wrk)" >&2
    exit 1
}
command -v sqlite3 >/dev/null || {
    echo "bench/http: sqlite3 is not installed (Debian: apt-get install sqlite3)" >&2
    exit 1
}
[ -x "$APP" ] || { echo "bench/http: build $APP first (make)" >&2; exit 1; }

T=$(mktemp -d "${TMPDIR:-/tmp}/benchhttp.XXXXXX")
PID=
trap '[ -n "$PID" ] && kill "$PID" 2>/dev/null; rm -rf "$T"' EXIT
cd "$T"
mkdir config
cat >config/app.ini <<'INI'
[app]
phase = pre-user
[database]
url = sqlite:///var/app.db
INI
unset DATABASE_URL APP_PHASE APP_CONFIG

seeded=0
signup=
status=0
echo "bench/http: GET /users/{id}/tasks?limit=50 with a bearer token ($USERS users, $TASKS tasks, SQLite)"
echo "  cores (nproc):   $(nproc)"
echo "  wrk:             $THREADS threads, $CONNECTIONS connections, $DURATION"
for st in $SERVER_THREADS; do
    rm -f serve.out
    "$APP" --config config/app.ini serve --port 0 --threads "$st" \
        --pidfile var/app.pid >serve.out 2>serve.err &
    PID=$!
    i=0
    until grep -q 'listening on' serve.out 2>/dev/null; do
        kill -0 "$PID" 2>/dev/null || { cat serve.err >&2; exit 1; }
        i=$((i + 1))
        [ "$i" -lt 400 ] || { echo "bench/http: server did not start" >&2; exit 1; }
        sleep 0.05
    done
    port=$(sed -n 's/.*listening on http:[/][/][^ ]*:\([0-9][0-9]*\) .*/\1/p' serve.out)
    base="http://127.0.0.1:$port"
    if [ "$seeded" -eq 0 ]; then
        sqlite3 var/app.db "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL \
            SELECT i + 1 FROM n WHERE i < $USERS) INSERT INTO users (email, \
            name) SELECT 'user' || i || '@example.org', 'User ' || i FROM n;"
        signup=$(curl -fsS -o /dev/null -w '%{time_total}' -X POST \
            -H 'Content-Type: application/json' \
            -d '{"email":"bench@example.org","name":"Bench","password":"bench pass phrase"}' \
            "$base/auth/signup") || { echo "bench/http: sign-up fails" >&2; exit 1; }
        id=$(sqlite3 var/app.db "SELECT id FROM users WHERE email = 'bench@example.org'")
        sqlite3 var/app.db "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL \
            SELECT i + 1 FROM n WHERE i < $TASKS) INSERT INTO tasks (user_id, \
            title) SELECT $id, 'task ' || i FROM n;"
        seeded=1
    fi
    login=$(curl -fsS -o login.json -w '%{time_total}' -X POST \
        -H 'Content-Type: application/json' \
        -d '{"email":"bench@example.org","password":"bench pass phrase"}' \
        "$base/auth/login") || { echo "bench/http: log-in fails" >&2; exit 1; }
    token=$(sed -n 's/.*"token":"\([^"]*\)".*/\1/p' login.json)
    url="$base/users/$id/tasks?limit=50"
    curl -fsS -o /dev/null -H "Authorization: Bearer $token" "$url" ||
        { echo "bench/http: $url fails" >&2; exit 1; }
    [ -n "$signup" ] && echo "  sign-up:         ${signup}s (Argon2id, libsodium's interactive limits)"
    signup=
    echo "  serve --threads $st: log-in ${login}s"

    wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency \
        -H "Authorization: Bearer $token" "$url" >wrk.out
    kill -TERM "$PID"
    wait "$PID" || true
    PID=

    rps=$(awk '/^Requests\/sec:/ {print $2}' wrk.out)
    errors=$(awk '/Non-2xx|Socket errors/' wrk.out)
    pct() { awk -v p="$1" '$1 == p {print $2}' wrk.out; }
    echo "  serve --threads $st: $rps requests/s; latency p50 $(pct 50%)," \
        "p75 $(pct 75%), p90 $(pct 90%), p99 $(pct 99%)"
    if [ -n "$errors" ]; then
        echo "bench/http: errors during the run: $errors" >&2
        status=1
    fi
    if [ "$FLOOR" -gt 0 ]; then
        echo "  serve --threads $st: $(echo "$rps $FLOOR" | awk '{ printf "%.2fx", $1 / $2 }') the floor of $FLOOR requests/s"
    fi
done
exit "$status"
