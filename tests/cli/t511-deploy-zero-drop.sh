#!/bin/sh
# make deploy while requests keep coming: the new process starts on the
# same port first (SO_REUSEPORT), answers /health, then the old one drains
# and exits; not one request fails. A new binary that fails its start-up,
# or never answers /health, is stopped and the old process keeps serving,
# again without a failed request. Prints its figures: requests, failures.
. "$(dirname "$0")/lib.sh"
unset DATABASE_URL APP_PHASE APP_CONFIG MAKEFLAGS MFLAGS MAKELEVEL
status=0 out= err=
LOOPS=
cleanup() {
    touch "$T/stop"
    for p in $LOOPS; do kill "$p" 2>/dev/null; done
    [ -f "$T/var/app.pid" ] && kill -9 "$(cat "$T/var/app.pid")" 2>/dev/null
    [ -n "${KEEP_TEST_DIR:-}" ] || rm -rf "$T"
}
trap cleanup EXIT

# below the kernel's ephemeral range (32768-), where --port 0 servers and
# outgoing connections of other tests could hold it
port=$((20000 + ($$ * 7) % 12000))
while curl -s -o /dev/null "http://127.0.0.1:$port/" 2>/dev/null; do
    port=$((port + 1))
done
BASE="http://127.0.0.1:$port"

mkdir -p var migrations/versions
cat >config/app.ini <<EOF2
[app]
phase = pre-user
[database]
url = sqlite:///$T/var/app.db
[migrations]
dir = $T/migrations
backup_dir = $T/var/backups
[server]
log = requests
$FAST_AUTH
EOF2

# make deploy, from the repository, deploying the binary under test
deploy() {
    run env APP_BIN="${1:-$APP}" CONFIG="$T/config/app.ini" \
        PIDFILE="$T/var/app.pid" LOG="$T/var/app.log" PORT="$port" \
        WAIT="${2:-30}" make -s -C "$ROOT" BUILD="${BUILD:-build}" deploy
}

# A new binary that passes the schema step but cannot serve, and one
# that never answers /health.
cat >broken <<EOF2
#!/bin/sh
case " \$* " in *" serve "*) echo "app serve: cannot start: a broken build" >&2; exit 1 ;; esac
exec "$APP" "\$@"
EOF2
cat >silent <<EOF2
#!/bin/sh
case " \$* " in *" serve "*) exec sleep 60 ;; esac
exec "$APP" "\$@"
EOF2
chmod +x broken silent

# 1. The first deploy: nothing runs yet.
deploy
expect_status 0 "first deploy"
expect_out "serving on $BASE"
pid1=$(cat var/app.pid)
TOKEN=$(api_token "$BASE" d@example.org)
AUTH="Authorization: Bearer $TOKEN"
status=$(curl -s -o /dev/null -w '%{http_code}' -H "$AUTH" "$BASE/users/1")
expect_status 200 "seed a user, and log in"

# Load: two loops of single requests (a new connection each), reads and
# writes, until told to stop (at most 3000 each).
load() {
    n=0
    while [ ! -e "$T/stop" ] && [ "$n" -lt 3000 ]; do
        if [ $((n % 2)) -eq 0 ]; then
            curl -s -o /dev/null -w "%{http_code} %{errormsg} $(date +%s%3N)\n" --max-time 20 \
                -H "$AUTH" "$BASE/users/1"
        else
            curl -s -o /dev/null -w "%{http_code} %{errormsg} $(date +%s%3N)\n" --max-time 20 -X POST \
                -H "$AUTH" -H 'Content-Type: application/json' -d '{"title":"t"}' \
                "$BASE/users/1/tasks"
        fi
        n=$((n + 1))
    done
}
load >"$T/load.1" &
LOOPS="$!"
load >"$T/load.2" &
LOOPS="$LOOPS $!"
sleep 0.5

# 2. A deploy under load.
deploy
expect_status 0 "deploy under load"
expect_out "new process pid [0-9]* healthy"
expect_out "stopping pid $pid1"
pid2=$(cat var/app.pid)
checks=$((checks + 1))
[ "$pid2" != "$pid1" ] && kill -0 "$pid2" 2>/dev/null || fail "the new process serves"
checks=$((checks + 1))
kill -0 "$pid1" 2>/dev/null && fail "the old process is gone"

# 3. A new binary that fails its start-up: stopped, the old one serves.
deploy "$T/broken"
expect_status 2 "deploy of a binary that cannot start (make: 2)"
expect_err "the new process exited during start-up"
expect_err "pid $pid2 keeps serving"
expect_eq "$(cat var/app.pid)" "$pid2" "the pidfile still names the old process"
checks=$((checks + 1))
kill -0 "$pid2" 2>/dev/null || fail "the old process still runs"

# 4. A new binary that never answers /health: stopped after WAIT.
deploy "$T/silent" 2
expect_status 2 "deploy of a binary that never answers (make: 2)"
expect_err "did not answer /health with 200 within 2s; it was stopped and pid $pid2 keeps serving"
checks=$((checks + 1))
kill -0 "$pid2" 2>/dev/null || fail "the old process still runs"
expect_eq "$(cat var/app.pid)" "$pid2" "the pidfile names the old process again"
silent=$(printf '%s' "$err" | sed -n 's/.*the new process (pid \([0-9]*\)).*/\1/p')
checks=$((checks + 1))
[ -n "$silent" ] && ! kill -0 "$silent" 2>/dev/null || fail "the silent process ($silent) was stopped"

# 5. And a good deploy again.
deploy
expect_status 0 "deploy after the failed ones"
expect_out "stopping pid $pid2"
sleep 0.3

touch "$T/stop"
for p in $LOOPS; do wait "$p"; done
LOOPS=
total=$(cat "$T/load.1" "$T/load.2" | grep -c .)
failed=$(cat "$T/load.1" "$T/load.2" | grep -v -c '^20[01] ')
expect_eq "$failed" 0 "no request failed during the deploys"
[ "$failed" -eq 0 ] || cat "$T/load.1" "$T/load.2" | grep -v '^20[01] ' | head -5
checks=$((checks + 1))
[ "$total" -gt 20 ] || { out="$total"; err=""; fail "the load ran through the deploys"; }
echo "# deploy: $total requests during three deploys and two failed ones, $failed failed"

# the log: one line per request, start-up steps
err=$(cat var/app.log)
expect_err 'start-up: schema ready (pre-user phase)'
expect_err 'POST /users/1/tasks 201 [0-9.]*ms id='
expect_err 'cannot start: a broken build'

pid3=$(cat var/app.pid)
kill -TERM "$pid3"
i=0
while kill -0 "$pid3" 2>/dev/null && [ "$i" -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
checks=$((checks + 1))
kill -0 "$pid3" 2>/dev/null && fail "the last process stops on SIGTERM"
checks=$((checks + 1))
[ -e var/app.pid ] && fail "and removes its pidfile, which it took over"
finish
