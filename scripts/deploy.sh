#!/bin/sh
# Deploys the app on this machine: what `make deploy` and `make deploy-clean` run.
#
#   scripts/deploy.sh           build, back up, bring the schema up, then
#                               replace the running process without
#                               dropping a request
#   scripts/deploy.sh --clean   pre-user only: build, reset the database, restart
#
# The schema step is `app db prepare` (production: upgrade to head under the
# migration lock; pre-user: create-all), after the summary line of `app db
# lint --pending` (shown, not enforced: `app db upgrade` enforces it). When it fails, the running service is
# left untouched and the script exits non-zero. In the production phase a
# SQLite database that does not exist is refused, never created (a typo in
# the path must not become an empty site): create a new one once, on
# purpose, with `app db upgrade --create-database`. No backup is taken of a
# database that does not exist yet. In production the schema step must
# therefore suit the code still serving (MIGRATION_STRATEGY.md,
# "Deploys that drop no request": expand, then contract).
#
# The new process starts first, on the same address (serve --reuse-port:
# SO_REUSEPORT, so both listen at once; it takes over the pidfile). Once
# its own /health answers 200 (the response's X-Instance header names its
# pid), the old process gets SIGTERM: it stops accepting, takes in the
# connections already queued, finishes the requests in flight and exits.
# When the new process exits during start-up or its /health is not 200
# within WAIT seconds, it is stopped, the pidfile names the old one again,
# and the old one keeps serving; the script exits 1.
#
# Environment: BUILD (build), APP_BIN (the binary to deploy, default
# $BUILD/app), CONFIG (config/app.ini), PIDFILE (var/app.pid), BIND
# (127.0.0.1), PORT (8000), LOG (var/app.log), WAIT (30 seconds for the new
# process to answer /health), YES=1 to confirm --clean without a terminal.
set -eu
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
CONFIG=${CONFIG:-config/app.ini}
PIDFILE=${PIDFILE:-var/app.pid}
BIND=${BIND:-127.0.0.1}
PORT=${PORT:-8000}
LOG=${LOG:-var/app.log}
WAIT=${WAIT:-30}
app=${APP_BIN:-$BUILD/app}
clean=0
[ "${1:-}" = "--clean" ] && clean=1

say() { echo "deploy: $*"; }
die() { echo "deploy: $*" >&2; exit 1; }

case "$BIND" in
*:*) url="http://[$BIND]:$PORT" ;;
*) url="http://$BIND:$PORT" ;;
esac

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

old=
if [ -f "$PIDFILE" ]; then
    old=$(cat "$PIDFILE")
    if [ -z "$old" ] || ! kill -0 "$old" 2>/dev/null; then
        old=
    fi
fi

# stop PID: SIGTERM (in-flight requests finish), then wait for the exit.
stop() {
    kill -TERM "$1" 2>/dev/null || return 0
    i=0
    while kill -0 "$1" 2>/dev/null; do
        i=$((i + 1))
        [ "$i" -le $((WAIT * 10 + 100)) ] || die "pid $1 did not stop within ${WAIT}s"
        sleep 0.1
    done
}

# healthy PID: one /health request answered 200 by PID itself.
healthy() {
    h=$(curl -s -m 2 -o /dev/null -D - "$url/health" 2>/dev/null | tr -d '\r') || return 1
    printf '%s\n' "$h" | head -n 1 | grep -q ' 200' &&
        printf '%s\n' "$h" | grep -qi "^X-Instance: $1\$"
}

mkdir -p "$(dirname "$LOG")" "$(dirname "$PIDFILE")"
logged=$(wc -l <"$LOG" 2>/dev/null || echo 0)

start_new() {
    nohup "$app" --config "$CONFIG" serve --bind "$BIND" --port "$PORT" \
        --reuse-port --pidfile "$PIDFILE" >>"$LOG" 2>&1 &
    new=$!
}

# The new process failed: the pidfile names the old one again.
give_back() {
    [ -n "$old" ] || return 0
    printf '%s\n' "$old" >"$PIDFILE.tmp" && mv -f "$PIDFILE.tmp" "$PIDFILE"
}

start_new
i=0
until healthy "$new"; do
    if ! kill -0 "$new" 2>/dev/null; then
        wait "$new" 2>/dev/null || true
        if [ -n "$old" ] && tail -n +"$((logged + 1))" "$LOG" |
            grep -q "port $PORT: Address already in use"; then
            # The running process was started without --reuse-port: it
            # cannot share the port, so this once it stops first.
            echo "deploy: warning: pid $old was started without --reuse-port;" \
                "stopping it first (connections are refused until the new" \
                "process listens); later deploys drop nothing" >&2
            stop "$old"
            old=
            logged=$(wc -l <"$LOG")
            start_new
            i=0
            continue
        fi
        # its last lines (the old process's request lines left out)
        tail -n +"$((logged + 1))" "$LOG" |
            grep -v '^app serve: [0-9-]*T[0-9:.]*Z ' | tail -n 5 |
            sed 's/^/deploy:   /' >&2
        give_back
        [ -n "$old" ] && die "the new process exited during start-up (the lines above are the end of $LOG); pid $old keeps serving"
        die "the new process exited; the lines above are the end of $LOG"
    fi
    i=$((i + 1))
    if [ "$i" -gt $((WAIT * 20)) ]; then
        stop "$new"
        give_back
        [ -n "$old" ] && die "the new process (pid $new) did not answer /health with 200 within ${WAIT}s; it was stopped and pid $old keeps serving; see $LOG"
        die "no answer on $url/health within ${WAIT}s; the new process was stopped; see $LOG"
    fi
    sleep 0.05
done
say "new process pid $new healthy on $url"

if [ -n "$old" ]; then
    say "stopping pid $old (it finishes the requests in flight)"
    stop "$old"
fi
say "serving on $url (pid $new)"
