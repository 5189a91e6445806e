#!/bin/sh
# app serve refuses to start when the schema step fails (production phase:
# no revisions; tables the revisions did not create; an applied revision
# edited since), when it cannot listen, or when its pidfile names a running
# process: exit 1, one line saying why, nothing listening.
. "$(dirname "$0")/lib.sh"
unset DATABASE_URL APP_PHASE APP_CONFIG
status=0 out= err=

PID=
trap '[ -n "$PID" ] && kill -9 "$PID" 2>/dev/null; rm -rf "$T"' EXIT

# A port nothing listens on (bound then released by a short-lived server
# would race; pick from a range by pid and check it is free).
port=$((20000 + $$ % 12000))  # below the ephemeral range (32768-)
while curl -s -o /dev/null "http://127.0.0.1:$port/" 2>/dev/null; do
    port=$((port + 1))
done

cat >config/prod.ini <<'EOF'
[app]
phase = production
[database]
url = sqlite:///var/prod.db
[migrations]
dir = migrations
EOF
mkdir -p migrations/versions var
: > var/prod.db  # an empty database: production never creates one

# production phase, no revisions: refused before listening
run timeout 20 "$APP" --config config/prod.ini serve --port "$port" \
    --pidfile var/app.pid
expect_status 1 "production phase without revisions"
expect_one_line_err
expect_err '^app serve: .*no revisions'
expect_no 'listening'
checks=$((checks + 1))
[ ! -e var/app.pid ] || fail "no pidfile after a refusal"
checks=$((checks + 1))
if curl -s -o /dev/null "http://127.0.0.1:$port/health"; then
    fail "nothing should listen on $port"
fi

# drift: tables the revisions did not create (no version table)
cat >config/dev.ini <<'EOF'
[app]
phase = pre-user
[database]
url = sqlite:///var/prod.db
EOF
run "$APP" --config config/dev.ini db create-all
expect_status 0 "pre-user tables"
run "$APP" --config config/dev.ini db create-all --sql
{ printf -- '-- revision: 0001\n-- message: baseline\n\n-- +upgrade\n'
  printf '%s\n' "$out"; } >migrations/versions/0001_baseline.sql
run timeout 20 "$APP" --config config/prod.ini serve --port "$port" \
    --pidfile var/app.pid
expect_status 1 "tables without a version table"
expect_one_line_err
expect_err 'no version table'
checks=$((checks + 1))
[ ! -e var/app.pid ] || fail "no pidfile after a refusal"
checks=$((checks + 1))
if curl -s -o /dev/null "http://127.0.0.1:$port/health"; then
    fail "nothing should listen on $port"
fi

# drift: an applied revision edited afterwards
rm -f var/prod.db var/prod.db-wal var/prod.db-shm
: > var/prod.db  # a new empty database, made on purpose
"$APP" --config config/prod.ini serve --port 0 --pidfile var/app.pid \
    >"$T/prod.out" 2>"$T/prod.err" &
PID=$!
i=0
until grep -q 'listening on' "$T/prod.out" 2>/dev/null; do
    i=$((i + 1))
    [ "$i" -lt 400 ] && kill -0 "$PID" 2>/dev/null || break
    sleep 0.05
done
out=$(cat "$T/prod.out")
err=$(cat "$T/prod.err")
expect_out 'listening on .* (production phase'
kill -TERM "$PID"
wait "$PID"
PID=
echo '-- an edit' >>migrations/versions/0001_baseline.sql
run timeout 20 "$APP" --config config/prod.ini serve --port "$port" \
    --pidfile var/app.pid
expect_status 1 "edited revision"
expect_one_line_err
expect_err '0001_baseline.sql: revision 0001 was edited after it was applied'
checks=$((checks + 1))
if curl -s -o /dev/null "http://127.0.0.1:$port/health"; then
    fail "nothing should listen on $port"
fi

# a bad option is a usage error
run "$APP" --config config/prod.ini serve --port 70000
expect_status 2 "--port out of range"
expect_err "bad --port '70000'"
run "$APP" --config config/prod.ini serve --bogus
expect_status 2 "unknown option"
run "$APP" --config config/prod.ini serve --help
expect_status 0 "--help"
expect_out '--pidfile FILE'

# pre-user: starts; a second instance on the same port cannot listen
cat >config/app.ini <<'EOF'
[app]
phase = pre-user
[database]
url = sqlite:///var/app.db
EOF
"$APP" --config config/app.ini serve --port "$port" --pidfile var/one.pid \
    >"$T/one.out" 2>"$T/one.err" &
PID=$!
i=0
until grep -q 'listening on' "$T/one.out" 2>/dev/null; do
    i=$((i + 1))
    [ "$i" -lt 400 ] && kill -0 "$PID" 2>/dev/null || break
    sleep 0.05
done
out=$(cat "$T/one.out")
expect_out "listening on http://127.0.0.1:$port (pre-user phase, pid $PID"
status=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/health")
expect_status 200 "first instance serves"

run timeout 20 "$APP" --config config/app.ini serve --port "$port" \
    --pidfile var/two.pid
expect_status 1 "port in use"
expect_one_line_err
expect_err "cannot listen on 127.0.0.1 port $port: Address already in use"
checks=$((checks + 1))
[ ! -e var/two.pid ] || fail "no pidfile for the instance that failed"

# the same pidfile as a running instance: refused
run timeout 20 "$APP" --config config/app.ini serve --port 0 \
    --pidfile var/one.pid
expect_status 1 "pidfile of a running process"
expect_err "pidfile var/one.pid names process $PID, which is running"
checks=$((checks + 1))
[ "$(cat var/one.pid)" = "$PID" ] || fail "the running instance keeps its pidfile"

# a bad bind address
run timeout 20 "$APP" --config config/app.ini serve --port 0 \
    --bind not-an-address --pidfile var/three.pid
expect_status 1 "bad bind address"
expect_err "bad bind address 'not-an-address'"

kill -TERM "$PID"
wait "$PID"
status=$?
PID=
expect_status 0 "first instance stops cleanly"
finish
