#!/bin/sh
# app serve --threads N: concurrent requests on N threads, each with its
# own database connection (on SQLite one more that every write goes
# through); writes from every thread land, a contested
# email is created once, and the server stops cleanly.
. "$(dirname "$0")/lib.sh"
unset DATABASE_URL APP_PHASE APP_CONFIG
status=0 out= err=

cat >config/app.ini <<'EOF'
[app]
phase = pre-user
[database]
url = sqlite:///var/app.db
[auth]
; libsodium's minimum Argon2id limits: fast tests (see config/test.ini)
ops_limit = 1
mem_limit = 8KiB
EOF

PID=
trap '[ -n "$PID" ] && kill -9 "$PID" 2>/dev/null; rm -rf "$T"' EXIT

run "$APP" --config config/app.ini serve --threads 0
expect_status 2 "--threads 0"
expect_err "bad --threads '0'"
run "$APP" --config config/app.ini serve --threads 65
expect_status 2 "--threads 65"

"$APP" --config config/app.ini serve --port 0 --threads 4 \
    --pidfile var/app.pid >"$T/serve.out" 2>"$T/serve.err" &
PID=$!
i=0
until grep -q 'listening on' "$T/serve.out" 2>/dev/null; do
    i=$((i + 1))
    [ "$i" -lt 400 ] && kill -0 "$PID" 2>/dev/null || break
    sleep 0.05
done
out=$(cat "$T/serve.out")
expect_out '4 threads)'
# SQLite: three connections for the other threads, and the one every
# write goes through
expect_eq "$(grep -c 'start-up: 4 more database connections' "$T/serve.err")" 1 \
    "one more connection than threads: the writing one"
port=$(sed -n 's/.*listening on http:[/][/][^ ]*:\([0-9][0-9]*\) .*/\1/p' "$T/serve.out")
BASE="http://127.0.0.1:$port"

AUTH=
post() { # N BODY PATH: POST in the background, the code into $T/code.N
    curl -s -o /dev/null -w '%{http_code}\n' -X POST ${AUTH:+-H "$AUTH"} \
        -H 'Content-Type: application/json' -d "$2" "$BASE$3" >"$T/code.$1" &
}

# 40 users at once, each with a distinct email
n=1
while [ "$n" -le 40 ]; do
    post "u$n" "{\"email\":\"u$n@example.org\",\"name\":\"U$n\",\"password\":\"pass word $n\"}" /auth/signup
    n=$((n + 1))
done
# 12 requests for the same email at once: one wins
n=1
while [ "$n" -le 12 ]; do
    post "dup$n" '{"email":"same@example.org","name":"S","password":"pass word"}' /auth/signup
    n=$((n + 1))
done
wait_codes() {
    i=0
    while [ "$(cat "$T"/code.* 2>/dev/null | grep -c .)" -lt "$1" ]; do
        i=$((i + 1))
        [ "$i" -lt 600 ] || break
        sleep 0.05
    done
}
wait_codes 52
expect_eq "$(cat "$T"/code.u* | grep -c '^201$')" 40 "40 users created"
expect_eq "$(cat "$T"/code.dup* | grep -c '^201$')" 1 "the contested email once"
expect_eq "$(cat "$T"/code.dup* | grep -c '^409$')" 11 "the others 409"

expect_eq "$(sqlite3 var/app.db 'SELECT count(*) FROM users')" 41 "41 users stored"
TOKEN=$(curl -s -X POST -H 'Content-Type: application/json' \
    -d '{"email":"u1@example.org","password":"pass word 1"}' \
    "$BASE/auth/login" | sed -n 's/.*"token":"\([^"]*\)".*/\1/p')
AUTH="Authorization: Bearer $TOKEN"
U1=$(sqlite3 var/app.db "SELECT id FROM users WHERE email = 'u1@example.org'")
status=$(curl -s -o "$T/.b" -w '%{http_code}' -H "$AUTH" "$BASE/users?limit=200")
out=$(cat "$T/.b")
expect_status 200 "list"
expect_eq "$(printf '%s' "$out" | grep -o '"id":' | grep -c .)" 1 "the caller alone listed"

# tasks for one user from every thread, then one read sees them all
rm -f "$T"/code.*
n=1
while [ "$n" -le 30 ]; do
    post "t$n" "{\"title\":\"task $n\"}" "/users/$U1/tasks"
    n=$((n + 1))
done
wait_codes 30
expect_eq "$(cat "$T"/code.t* | grep -c '^201$')" 30 "30 tasks created"
status=$(curl -s -o "$T/.b" -w '%{http_code}' -H "$AUTH" "$BASE/users/$U1/tasks?limit=100")
out=$(cat "$T/.b")
expect_status 200
expect_eq "$(printf '%s' "$out" | grep -o '"title":"task' | grep -c .)" 30 "30 tasks listed"

kill -TERM "$PID"
wait "$PID"
status=$?
PID=
expect_status 0 "SIGTERM exits 0"
checks=$((checks + 1))
[ ! -e var/app.pid ] || fail "pidfile removed"
finish
