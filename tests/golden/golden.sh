# golden.sh - sourced by the golden CLI tests after lib.sh.
# golden CASES EXPECTED: runs each line of CASES (one command a line; `app`
# is the binary under test; blank lines and '#' lines skipped) in order in
# the test's sandbox, and compares stdout, stderr and exit status of all of
# them with the file EXPECTED, byte for byte, after replacing the paths of
# this run, times and durations. GOLDEN_UPDATE=1 rewrites EXPECTED instead.

app() { "$APP" "$@"; }

golden_normalise() {
    sed -e "s|$T|\$T|g" \
        -e "s|${TEST_PG_URL:-@@none@@}|<pg-url>|g" \
        -e "s|${SCHEMA:-@@none@@}|<schema>|g" \
        -e 's/[0-9]\{4\}-[0-9][0-9]-[0-9][0-9][T ][0-9][0-9]:[0-9][0-9]:[0-9][0-9]\(\.[0-9]*\)\{0,1\}\(Z\|[+-][0-9:]*\)\{0,1\}/<time>/g' \
        -e 's/[0-9]\{8\}T[0-9]\{6\}Z/<time>/g' \
        -e 's/[0-9][0-9]*\(\.[0-9]*\)\{0,1\} \{0,1\}ms\b/<ms>/g' \
        -e 's/[0-9a-f]\{64\}/<sha256>/g' \
        -e 's/PostgreSQL [0-9][0-9.]*\( ([^)]*)\)\{0,1\}/PostgreSQL <version>/g' \
        -e 's/SQLite [0-9][0-9.]*/SQLite <version>/g'
}

golden() {
    cases=$1 expected=$2 min=$3
    actual="$T/.golden"
    : > "$actual"
    grep -v -e '^#' -e '^$' "$cases" | while IFS= read -r line; do
        eval "$line" >"$T/.o" 2>"$T/.e" </dev/null
        rc=$?
        {
            printf '$ %s\n' "$line"
            golden_normalise < "$T/.o"
            if [ -s "$T/.e" ]; then
                printf '[stderr]\n'
                golden_normalise < "$T/.e"
            fi
            printf '[exit %d]\n\n' "$rc"
        } >> "$actual"
    done
    if [ -n "${GOLDEN_UPDATE:-}" ]; then
        cp "$actual" "$expected"
    fi
    checks=$((checks + 1))
    if ! diff -u "$expected" "$actual" > "$T/.diff"; then
        failures=$((failures + 1))
        echo "not ok - output differs from ${expected#$ROOT/} (GOLDEN_UPDATE=1 rewrites it):"
        head -80 "$T/.diff"
    fi
    checks=$((checks + 1))
    ran=$(grep -c '^\$ ' "$actual")
    [ "$ran" -ge "$min" ] || {
        failures=$((failures + 1))
        echo "not ok - ${cases#$ROOT/}: $ran commands ran, expected at least $min"
    }
}
