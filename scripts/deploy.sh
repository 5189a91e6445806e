#!/bin/sh
# Deploys the app on this machine: what `make deploy` and `make deploy-clean` run.
#
#   scripts/deploy.sh           build, back up, bring the schema up, restart
#   scripts/deploy.sh --clean   pre-user only: build, reset the database, restart
#
# The schema step is `app db prepare` (production: upgrade to head under the
# migration lock; pre-user: create-all), after the summary line of `app db
# lint --pending` (shown, not enforced: `app db upgrade` enforces it). When it fails, the running service is
# left untouched and the script exits non-zero. In the production phase a
# SQLite database that does not exist is refused, never created (a typo in
# the path must not become an empty site): create a new one once, on
# purpose, with `app db upgrade --create-database`. No backup is taken of a
# database that does not exist yet.
#
# Environment: BUILD (build), CONFIG (config/app.ini), PIDFILE (var/app.pid),
# BIND (127.0.0.1), PORT (8000), LOG (var/app.log), WAIT (30 seconds for the
# new process to answer /health), YES=1 to confirm --clean without a terminal.
set -eu
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
CONFIG=${CONFIG:-config/app.ini}
PIDFILE=${PIDFILE:-var/app.pid}
BIND=${BIND:-127.0.0.1}
PORT=${PORT:-8000}
LOG=${LOG:-var/app.log}
WAIT=${WAIT:-30}
app="$BUILD/app"
clean=0
[ "${1:-}" = "--clean" ] && clean=1

say() { echo "deploy: $*"; }
die() { echo "deploy: $*" >&2; exit 1; }

make -s BUILD="$BUILD" all || die "build failed; nothing was changed"

if [ "$clean" -eq 1 ]; then
    yes=""
    [ "${YES:-}" = "1" ] && yes="--yes"
    # reset refuses in the production phase, by config or by the database's record
    "$app" --config "$CONFIG" db reset $yes || die "reset refused or failed; the service was left running"
else
    if out=$("$app" --config "$CONFIG" db backup 2>&1); then
        say "backup: $out"
    else
        echo "deploy: warning: no backup taken: $out" >&2
    fi
    # what the revisions about to run would do to a live database
    lint=$("$app" --config "$CONFIG" db lint --pending 2>/dev/null | tail -n 1) || true
    [ -z "$lint" ] || say "$lint ('app db lint --pending' lists the findings)"
    "$app" --config "$CONFIG" db prepare || die "schema step failed; the running service was left untouched"
fi

# Restart: stop the old process (SIGTERM lets in-flight requests finish).
if [ -f "$PIDFILE" ]; then
    old=$(cat "$PIDFILE")
    if [ -n "$old" ] && kill -0 "$old" 2>/dev/null; then
        say "stopping pid $old"
        kill -TERM "$old"
        i=0
        while kill -0 "$old" 2>/dev/null; do
            i=$((i + 1))
            [ "$i" -le $((WAIT * 10)) ] || die "pid $old did not stop within ${WAIT}s"
            sleep 0.1
        done
    fi
fi

mkdir -p "$(dirname "$LOG")" "$(dirname "$PIDFILE")"
nohup "$app" --config "$CONFIG" serve --bind "$BIND" --port "$PORT" \
    --pidfile "$PIDFILE" >>"$LOG" 2>&1 &
new=$!
i=0
until curl -fsS "http://$BIND:$PORT/health" >/dev/null 2>&1; do
    if ! kill -0 "$new" 2>/dev/null; then
        tail -n 5 "$LOG" | sed 's/^/deploy:   /' >&2
        die "the new process exited; the lines above are the end of $LOG"
    fi
    i=$((i + 1))
    [ "$i" -le $((WAIT * 10)) ] || die "no answer on http://$BIND:$PORT/health within ${WAIT}s; see $LOG"
    sleep 0.1
done
say "serving on http://$BIND:$PORT (pid $new)"
