#!/bin/sh
# Runs every tests/cli/tNNN-*.sh against $APP and prints "N passed, N failed".
set -u
dir=$(cd "$(dirname "$0")" && pwd)
: "${APP:?APP must name the binary under test}"
APP=$(cd "$(dirname "$APP")" && pwd)/$(basename "$APP")
export APP
passed=0
failed=0
for t in "$dir"/t[0-9]*.sh; do
    if sh "$t"; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
done
echo "cli: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
