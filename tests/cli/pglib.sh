# pglib.sh - sourced after lib.sh by the PostgreSQL CLI tests (t3NN-pg-*).
# Needs TEST_PG_URL (make check starts scripts/pg-test-server.sh and sets
# it); without it the test fails, it is never skipped. Each test works in
# its own schema ($SCHEMA), dropped on exit, with config/app.ini pointing
# at it; pg SQL runs SQL there through psql and prints the rows.

if [ -z "${TEST_PG_URL:-}" ]; then
    echo "not ok - $(basename "$0"): TEST_PG_URL is not set; run make check," \
        "or scripts/pg-test-server.sh start and" \
        "export TEST_PG_URL=\$(scripts/pg-test-server.sh url)"
    exit 1
fi
SCHEMA=cli_$$_$(date +%s)
trap 'psql -X -q "$TEST_PG_URL" -c "DROP SCHEMA IF EXISTS $SCHEMA CASCADE" >/dev/null 2>&1; rm -rf "$T"' EXIT

# The socket directory of the test server (the URL's host= parameter).
PG_SOCKDIR=$(printf '%s' "$TEST_PG_URL" | sed -n 's/.*[?&]host=\([^&]*\).*/\1/p')

pg() {
    psql -X -q -At -v ON_ERROR_STOP=1 "$TEST_PG_URL" \
        -c "SET search_path TO $SCHEMA" -c "$1"
}

# pg_ini [extra [database] lines]: config/app.ini on the test server.
pg_ini() {
    {
        printf '[app]\nphase = pre-user\n[database]\nurl = %s\nschema = %s\n' \
            "$TEST_PG_URL" "$SCHEMA"
        for line in "$@"; do printf '%s\n' "$line"; done
    } >config/app.ini
}
