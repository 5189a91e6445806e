#!/bin/sh
# Eight `app serve` instances started at once against one PostgreSQL
# database in the production phase: all come up, each revision ran once,
# and they serve the same data.
. "$(dirname "$0")/lib.sh"
. "$ROOT/tests/cli/pglib.sh"
unset DATABASE_URL APP_PHASE APP_CONFIG
status=0 out= err=
N=8
PIDS=
trap 'for p in $PIDS; do kill -9 "$p" 2>/dev/null; done
      psql -X -q "$TEST_PG_URL" -c "DROP SCHEMA IF EXISTS $SCHEMA CASCADE" >/dev/null 2>&1
      rm -rf "$T"' EXIT

# The baseline revision is the models' DDL; the second one records each
# time it runs, so running twice would show.
pg_ini
run "$APP" db create-all --sql
expect_status 0 "render the baseline"
mkdir -p migrations/versions
{
    printf -- '-- revision: 0001\n-- message: baseline\n\n-- +upgrade\n'
    printf '%s\n' "$out"
} >migrations/versions/0001_baseline.sql
cat >migrations/versions/0002_runs.sql <<'EOF'
-- revision: 0002
-- down_revision: 0001
-- message: count the runs

-- +upgrade
CREATE TABLE "runs" ("n" INTEGER NOT NULL);
INSERT INTO "runs" ("n") VALUES (1);

-- +downgrade
DROP TABLE "runs";
EOF
{
    printf '[app]\nphase = production\n[database]\nurl = %s\nschema = %s\n' \
        "$TEST_PG_URL" "$SCHEMA"
    printf 'wait_seconds = 30\n[migrations]\ndir = migrations\n'
    printf '[auth]\nops_limit = 1\nmem_limit = 8KiB\n'
} >config/app.ini

i=1
while [ "$i" -le "$N" ]; do
    "$APP" serve --port 0 --pidfile "var/$i.pid" >"$T/$i.out" 2>"$T/$i.err" &
    PIDS="$PIDS $!"
    i=$((i + 1))
done

# every instance comes up (or fails: then stop waiting for it)
up=0
tries=0
while [ "$tries" -lt 600 ]; do
    up=0
    for i in $(seq 1 "$N"); do
        grep -q 'listening on' "$T/$i.out" 2>/dev/null && up=$((up + 1))
    done
    [ "$up" -eq "$N" ] && break
    alive=0
    for p in $PIDS; do kill -0 "$p" 2>/dev/null && alive=$((alive + 1)); done
    [ "$alive" -eq "$N" ] || break
    tries=$((tries + 1))
    sleep 0.05
done
out=$(cat "$T"/*.out)
err=$(cat "$T"/*.err)
expect_eq "$up" "$N" "all $N instances listen"
[ "$up" -eq "$N" ] || printf '%s\n' "$err" | grep -v listening | sed 's/^/    /' | head -8

for i in $(seq 1 "$N"); do
    port=$(sed -n 's/.*listening on http:[/][/][^ ]*:\([0-9][0-9]*\) .*/\1/p' "$T/$i.out")
    status=$(curl -s -o "$T/.b" -w '%{http_code}' "http://127.0.0.1:$port/health")
    out=$(cat "$T/.b")
    expect_status 200 "instance $i health"
    expect_out '"phase":"production"'
    expect_out '"revision":"0002"'
done

# each revision ran exactly once
expect_eq "$(pg 'SELECT count(*) FROM runs')" 1 "0002 ran once"
expect_eq "$(pg "SELECT count(*) FROM app_version_history WHERE operation = 'up'")" 2 \
    "two revisions applied in all"

# one instance writes, another reads; a token from one works on another
p1=$(sed -n 's/.*:\([0-9][0-9]*\) (.*/\1/p' "$T/1.out")
p4=$(sed -n 's/.*:\([0-9][0-9]*\) (.*/\1/p' "$T/4.out")
p8=$(sed -n 's/.*:\([0-9][0-9]*\) (.*/\1/p' "$T/$N.out")
status=$(curl -s -o "$T/.b" -w '%{http_code}' -X POST \
    -H 'Content-Type: application/json' \
    -d '{"email":"pg@example.org","name":"P","password":"pass word 1"}' \
    "http://127.0.0.1:$p1/auth/signup")
expect_status 201 "sign up on instance 1"
TOKEN=$(curl -s -X POST -H 'Content-Type: application/json' \
    -d '{"email":"pg@example.org","password":"pass word 1"}' \
    "http://127.0.0.1:$p4/auth/login" | sed -n 's/.*"token":"\([^"]*\)".*/\1/p')
status=$(curl -s -o "$T/.b" -w '%{http_code}' -H "Authorization: Bearer $TOKEN" \
    "http://127.0.0.1:$p8/users")
out=$(cat "$T/.b")
expect_status 200 "list on instance $N with a token from instance 4"
expect_out '"email":"pg@example.org"'

for p in $PIDS; do kill -TERM "$p"; done
for p in $PIDS; do
    wait "$p"
    status=$?
    expect_status 0 "instance $p stops cleanly"
done
PIDS=
checks=$((checks + 1))
[ -z "$(ls var/*.pid 2>/dev/null)" ] || fail "every pidfile removed"
finish
