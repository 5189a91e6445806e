#!/bin/sh
# The server's log on stderr: one line per start-up step and per request
# (time, method, path with the query's names but never its values, status,
# duration, request id), [server] log = off | requests | debug, colour only
# on a terminal and never with NO_COLOR, no header or secret ever logged.
. "$(dirname "$0")/lib.sh"
unset DATABASE_URL APP_PHASE APP_CONFIG NO_COLOR
status=0 out= err=
PID=
trap '[ -n "$PID" ] && kill -9 "$PID" 2>/dev/null; [ -n "${KEEP_TEST_DIR:-}" ] || rm -rf "$T"' EXIT

ini() { # LOG: config/app.ini with [server] log = LOG (none: the default)
    printf '[app]\nphase = pre-user\n[database]\nurl = sqlite:///var/app.db\n%s\n' \
        "$FAST_AUTH" >config/app.ini
    [ -n "$1" ] && printf '[server]\nlog = %s\n' "$1" >>config/app.ini
    return 0
}
start() { # serve in the background: $PID, $BASE
    serve_start --pidfile var/app.pid
}
stop() {
    kill -TERM "$PID"
    wait "$PID"
    PID=
    err=$(cat "$T/serve.err")
    out=$(cat "$T/serve.out")
}
traffic() {
    curl -s -o /dev/null -H 'Authorization: Bearer tok-SECRET-1' \
        "$BASE/users?limit=5&after=987654"
    curl -s -o /dev/null -H 'X-Request-Id: trace-42' \
        -X POST -H 'Content-Type: application/json' \
        -d '{"email":"s@example.org","name":"N","password":"PASSWORD-IN-BODY"}' \
        "$BASE/auth/signup"
    curl -s -o /dev/null "$BASE/nowhere"
    curl -s -D "$T/headers" -o /dev/null -H 'X-Request-Id: bad id!' "$BASE/health"
}

# requests (the default)
ini ""
start
traffic
stop
expect_err '^app serve: start-up: schema ready (pre-user phase) in [0-9]* ms$'
expect_err '^app serve: [0-9-]*T[0-9:.]*Z GET /users?limit&after 401 [0-9.]*ms id=[0-9a-f]*-[0-9]*$'
expect_err '^app serve: [0-9-]*T[0-9:.]*Z POST /auth/signup 201 [0-9.]*ms id=trace-42$'
expect_err '^app serve: [0-9-]*T[0-9:.]*Z GET /nowhere 404 '
expect_err ' GET /health 200 '
expect_no '987654'
expect_no 'SECRET'
expect_no 'tok-'
expect_no 'PASSWORD-IN-BODY'
expect_no "$(printf '\033')"
out=$(tr -d '\r' <"$T/headers")
expect_out '^X-Request-Id: [0-9a-f]*-[0-9]*$'
expect_out "^X-Instance: [0-9]*$"

# off: nothing but failures
ini off
start
traffic
stop
expect_eq "$err" "" "log = off: no line"
expect_out 'listening on'

# debug: the same lines as requests
ini debug
start
traffic
stop
expect_err ' POST /auth/signup 409 '
expect_err 'start-up: schema ready'

# colour: on a terminal only, never with NO_COLOR
ini ""
rm -f "$T/serve.out"
script -qec "\"$APP\" serve --port 0 --pidfile var/app.pid >\"$T/serve.out\"" \
    /dev/null >"$T/tty" 2>&1 &
PID=$!
serve_wait "$T/serve.out"
curl -s -o /dev/null "$BASE/nowhere"
sleep 0.2
kill -TERM "$(cat var/app.pid)"
wait "$PID"
PID=
out=$(cat "$T/serve.out") err=
expect_no 'app serve: .* /nowhere 404 '
# stderr was the terminal here: the status in colour
checks=$((checks + 1))
grep -q "$(printf '\033')\[33m404$(printf '\033')\[0m" "$T/tty" ||
    { out=$(cat -v "$T/tty" | head -5); err=""; fail "404 in yellow on a terminal"; }
rm -f "$T/serve.out"
script -qec "NO_COLOR=1 \"$APP\" serve --port 0 --pidfile var/app.pid >\"$T/serve.out\"" \
    /dev/null >"$T/tty" 2>&1 &
PID=$!
serve_wait "$T/serve.out"
curl -s -o /dev/null "$BASE/nowhere"
sleep 0.2
kill -TERM "$(cat var/app.pid)"
wait "$PID"
PID=
checks=$((checks + 1))
grep -q ' /nowhere 404 ' "$T/tty" || { out=$(cat -v "$T/tty" | head -5); err=""; fail "the request line on the terminal"; }
checks=$((checks + 1))
grep -q "$(printf '\033')" "$T/tty" && { out=$(cat -v "$T/tty" | head -5); err=""; fail "NO_COLOR: no colour"; }
finish
