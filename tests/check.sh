#!/bin/sh
# What `make check` runs after building: unit tests (plain, then under
# AddressSanitizer + UndefinedBehaviorSanitizer with leak checking), every
# fuzz corpus replayed under the same sanitizers, and the CLI tests, on
# SQLite and on a throwaway PostgreSQL server started here and stopped on
# exit, whether the tests pass, fail or are interrupted.
set -eu
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
export BUILD

if [ -x scripts/pg-test-server.sh ]; then
    export PGTEST_DIR="${PGTEST_DIR:-$PWD/$BUILD/pgtest}"
    trap 'scripts/pg-test-server.sh stop >/dev/null 2>&1 || true' EXIT
    trap 'exit 130' INT TERM
    scripts/pg-test-server.sh start
    TEST_PG_URL=$(scripts/pg-test-server.sh url)
    export TEST_PG_URL
fi

echo "== unit tests"
"$BUILD/unit"

echo "== unit tests under ASan + UBSan (leaks checked)"
CK_FORK=no ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 \
UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 "$BUILD/san/unit"

echo "== fuzz corpora replayed under ASan + UBSan (leaks checked)"
for src in tests/fuzz/fuzz_*.c; do
    t=${src#tests/fuzz/fuzz_}
    t=${t%.c}
    ASAN_OPTIONS=detect_leaks=1 \
    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
        "$BUILD/san/fuzz/replay_$t" "$t" "tests/fuzz/corpus/$t"
done

echo "== CLI tests"
APP="$BUILD/app" tests/cli/run.sh

echo "== CLI tests under ASan + UBSan"
ASAN_OPTIONS=detect_leaks=1 APP="$BUILD/san/app" tests/cli/run.sh

echo "== the revision graph against Alembic"
APP="$BUILD/app" SEEDS=1-300 tests/graph/run.sh
ASAN_OPTIONS=detect_leaks=1 APP="$BUILD/san/app" SEEDS=301-310 tests/graph/run.sh
