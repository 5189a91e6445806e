#!/bin/sh
# What `make fuzz` runs: each libFuzzer target named on the command line for
# FUZZ_SECONDS (default 60), one after the other, on its corpus
# tests/fuzz/corpus/<name>/ (read only) and a scratch corpus
# $BUILD/fuzz/new/<name>/ that receives the new inputs it finds (kept
# between runs, never committed). Prints per target the executions,
# executions per second, libFuzzer's coverage figures (cov: edges reached,
# ft: features) and crashes; a crash, leak, timeout or sanitizer report
# leaves its input in $BUILD/fuzz/artifacts/<name>/ and makes the exit
# status 1. Each target's full output is in $BUILD/fuzz/logs/<name>.log.
# The config and graph targets write files: they work in a temporary
# directory on /dev/shm when there is one (a disk-backed /tmp makes them
# ten times slower), removed on exit; FUZZ_TMPDIR picks another place.
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
SECS=${FUZZ_SECONDS:-60}

case $SECS in
    ''|*[!0-9]*|0) echo "fuzz: FUZZ_SECONDS must be a whole number of seconds above 0, not '$SECS'" >&2
                   exit 2 ;;
esac

base=${FUZZ_TMPDIR:-}
if [ -z "$base" ]; then
    base=${TMPDIR:-/tmp}
    [ -d /dev/shm ] && [ -w /dev/shm ] && base=/dev/shm
fi
work=$(mktemp -d "$base/fuzz.XXXXXX") || exit 2
trap 'rm -rf "$work"' EXIT
trap 'exit 130' INT TERM
TMPDIR=$work
export TMPDIR

status=0
total=0
printf '%-10s %12s %9s %7s %7s %7s %8s\n' target executions exec/s cov ft corpus crashes
for t in "$@"; do
    bin=$BUILD/fuzz/fuzz_$t
    new=$BUILD/fuzz/new/$t
    art=$BUILD/fuzz/artifacts/$t
    log=$BUILD/fuzz/logs/$t.log
    mkdir -p "$new" "$art" "$(dirname "$log")"
    dict=
    [ -f "tests/fuzz/$t.dict" ] && dict=-dict=tests/fuzz/$t.dict
    # shellcheck disable=SC2086
    "$bin" -max_total_time="$SECS" -print_final_stats=1 -timeout=10 \
        -artifact_prefix="$art/" $dict "$new" "tests/fuzz/corpus/$t" \
        >"$log" 2>&1
    rc=$?
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
    last=$(grep -E '^#[0-9]+' "$log" | grep 'cov:' | tail -n 1)
    cov=$(printf '%s\n' "$last" | sed -n 's/.* cov: \([0-9]*\).*/\1/p')
    ft=$(printf '%s\n' "$last" | sed -n 's/.* ft: \([0-9]*\).*/\1/p')
    corp=$(printf '%s\n' "$last" | sed -n 's/.* corp: \([0-9]*\).*/\1/p')
    crashes=0
    [ "$rc" -ne 0 ] && crashes=1
    printf '%-10s %12s %9s %7s %7s %7s %8s\n' "$t" "${execs:-?}" "${rate:-?}" \
        "${cov:-?}" "${ft:-?}" "${corp:-?}" "$crashes"
    total=$((total + ${execs:-0}))
    if [ "$rc" -ne 0 ]; then
        status=1
        grep -E '^(==[0-9]+==ERROR|SUMMARY|.*runtime error|.*fuzz assertion)' "$log" |
            head -n 3 | sed "s/^/  $t: /"
        grep -E 'Test unit written to' "$log" | sed "s/^/  $t: /"
        echo "  $t: full output in $log"
    fi
done
echo "total executions: $total"
if [ "$status" -ne 0 ]; then
    echo "fuzz: a target crashed; turn its input into a named regression input (README, \"Fuzzing\")" >&2
fi
exit "$status"
