#!/bin/sh
# The dialect seam holds: outside backend/src/db/drivers/ no code names a
# particular database (the enum is declared in db/dialect.h alone) or
# writes SQL that only one database speaks, and commands and the HTTP API
# reach a connection through the library's wrappers, never a driver's ops.
# Prints each offending line and exits 1; comments are not code.
set -u
cd "$(dirname "$0")/.."

# code lines of FILES matching the extended regex RE, comments dropped
code_grep() {
    re=$1
    shift
    for f in "$@"; do
        awk -v re="$re" -v f="$f" '
            /^[ \t]*(\/\*|\*|\/\/)/ { next }          # comment lines
            { line = $0; sub(/\/\*.*\*\//, "", line); sub(/\/\/.*/, "", line) }
            line ~ re { printf "%s:%d: %s\n", f, NR, $0 }
        ' "$f"
    done
}

core=$(find backend/src -name '*.[ch]' ! -path 'backend/src/db/drivers/*' \
       ! -path 'backend/src/db/dialect.h' | sort)
front=$(find backend/src/cmd backend/src/http backend/src/main.c -name '*.[ch]' | sort)
bad=0

found=$(code_grep 'DB_DIALECT_(SQLITE|POSTGRESQL)' $core)
if [ -n "$found" ]; then
    echo "seams: a particular dialect named outside db/drivers/ (ask the dialect's ops instead):"
    echo "$found"
    bad=1
fi

found=$(code_grep 'sqlite_master|PRAGMA|information_schema|pg_catalog|pg_class|pg_namespace|GENERATED (BY DEFAULT|ALWAYS)|BYTEA|DOUBLE PRECISION|sqlstate, "' $core)
if [ -n "$found" ]; then
    echo "seams: one database's SQL outside db/drivers/ (make it a field or op of struct db_dialect_ops):"
    echo "$found"
    bad=1
fi

found=$(code_grep 'driver->[a-z_]+\(' $front)
if [ -n "$found" ]; then
    echo "seams: a driver op called from cmd/ or http/ (call the library's wrapper, db/driver.h):"
    echo "$found"
    bad=1
fi

# The rooms (README, Layout): the library includes nothing of the app, and
# the HTTP module nothing of the commands.
found=$(grep -nE '#include "\.\./(cmd|http|settings\.h|words\.h)|#include "(\.\./)*\.\./(cmd|http)/' \
        $(find backend/src/db -name '*.[ch]' | sort))
found="$found$(grep -nE '#include "\.\./cmd/' $(find backend/src/http -name '*.[ch]' | sort))"
if [ -n "$found" ]; then
    echo "seams: an include against the layering (db/ never includes the app, http/ never cmd/):"
    echo "$found"
    bad=1
fi

[ "$bad" -eq 0 ] && echo "seams: no dialect named or spoken outside db/drivers/ ($(echo "$core" | wc -l) files)"
exit "$bad"
