# lib.sh - sourced by each tests/cli/tNNN-*.sh. Runs as a user would:
# $APP is the binary under test; every test has its own directory ($T).
# Assertions print "not ok" lines and count failures; `finish` ends the test.

set -u
: "${APP:?APP must name the binary under test}"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
T=$(mktemp -d "${TMPDIR:-/tmp}/clitest.XXXXXX")
[ -n "${KEEP_TEST_DIR:-}" ] && echo "test dir: $T" || trap 'rm -rf "$T"' EXIT
cd "$T" || exit 1
mkdir -p config
failures=0
checks=0

# run CMD...: runs it, keeping status in $status, stdout in $out, stderr in $err.
run() {
    "$@" >"$T/.out" 2>"$T/.err" </dev/null
    status=$?
    out=$(cat "$T/.out")
    err=$(cat "$T/.err")
}

fail() {
    failures=$((failures + 1))
    echo "not ok - $*"
    echo "    status: $status"
    echo "    stdout: $(printf '%s' "$out" | head -5)"
    echo "    stderr: $(printf '%s' "$err" | head -5)"
}

expect_status() { checks=$((checks + 1)); [ "$status" -eq "$1" ] || fail "${2:-status} (expected $1)"; }
expect_out() { checks=$((checks + 1)); printf '%s' "$out" | grep -q -- "$1" || fail "stdout should match '$1'"; }
expect_err() { checks=$((checks + 1)); printf '%s' "$err" | grep -q -- "$1" || fail "stderr should match '$1'"; }
expect_no() { checks=$((checks + 1)); printf '%s\n%s' "$out" "$err" | grep -q -- "$1" && fail "output should not contain '$1'"; return 0; }
expect_one_line_err() { checks=$((checks + 1)); [ "$(printf '%s\n' "$err" | grep -c .)" -eq 1 ] || fail "stderr should be one line"; }
expect_eq() { checks=$((checks + 1)); [ "$1" = "$2" ] || { out="$1"; err="expected: $2"; fail "${3:-values differ}"; }; }

# serve_wait OUT: waits (20 s at most) for the "listening on" line that the
# server started as $PID writes to OUT; sets port and BASE. Returns 1 when
# the process ended or never listened.
serve_wait() {
    i=0
    until grep -q 'listening on' "$1" 2>/dev/null; do
        kill -0 "$PID" 2>/dev/null || return 1
        i=$((i + 1)); [ "$i" -lt 400 ] || return 1
        sleep 0.05
    done
    port=$(sed -n 's/.*listening on http:[/][/][^ ]*:\([0-9][0-9]*\) .*/\1/p' "$1")
    BASE="http://127.0.0.1:$port"
}

# serve_start [ARGS...]: `app serve --port 0 ARGS` in the background, its
# output in $T/serve.out and $T/serve.err (the previous run's removed
# first, so its "listening on" line is not read); sets PID, port, BASE.
serve_start() {
    rm -f "$T/serve.out"
    "$APP" serve --port 0 "$@" >"$T/serve.out" 2>"$T/serve.err" &
    PID=$!
    serve_wait "$T/serve.out"
}

# api_token BASE EMAIL: signs EMAIL up on the server at BASE (password
# "pass word 1"; a second sign-up of the same email answers 409) and logs
# in; prints the bearer token. The config should set [auth] ops_limit = 1
# and mem_limit = 8KiB (libsodium's minimum) so that this stays fast.
api_token() {
    curl -s -o /dev/null -X POST -H 'Content-Type: application/json' \
        -d "{\"email\":\"$2\",\"name\":\"N\",\"password\":\"pass word 1\"}" \
        "$1/auth/signup"
    curl -s -X POST -H 'Content-Type: application/json' \
        -d "{\"email\":\"$2\",\"password\":\"pass word 1\"}" "$1/auth/login" |
        sed -n 's/.*"token":"\([^"]*\)".*/\1/p'
}

# The [auth] lines that keep password hashing fast in tests.
FAST_AUTH='[auth]
ops_limit = 1
mem_limit = 8KiB'

finish() {
    if [ "$failures" -eq 0 ]; then
        echo "ok - $(basename "$0") ($checks checks)"
        exit 0
    fi
    echo "FAILED - $(basename "$0"): $failures of $checks checks"
    exit 1
}
