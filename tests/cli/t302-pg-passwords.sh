#!/bin/sh
# No password reaches any output: bad password (in the URL, as a query
# parameter, in PGPASSWORD), bad database name, no server, closed port.
. "$(dirname "$0")/lib.sh"
. "$ROOT/tests/cli/pglib.sh"

RIGHT=Cli-Right-Pw-31
WRONG=Cli-Wrong-Pw-77
psql -X -q -v ON_ERROR_STOP=1 "$TEST_PG_URL" \
    -c "ALTER ROLE pwtest PASSWORD '$RIGHT'" \
    -c "CREATE SCHEMA $SCHEMA AUTHORIZATION pwtest" >/dev/null ||
    { status=1; out=; err=; fail "cannot set pwtest's password"; }
SOCK="host=$PG_SOCKDIR"
pw_ini() { printf '[database]\nurl = %s\nschema = %s\n' "$1" "$SCHEMA" >config/app.ini; }

# the right password works, so the server really checks it
pw_ini "postgresql://pwtest:$RIGHT@/postgres?$SOCK"
run "$APP" db info
expect_status 0; expect_no "$RIGHT"; expect_out "url:      postgresql://pwtest:\*\*\*@"

for cmd in info create-all wait; do
    pw_ini "postgresql://pwtest:$WRONG@/postgres?$SOCK"
    run "$APP" db $cmd
    expect_status 1; expect_err "password authentication failed"; expect_no "$WRONG"
    expect_one_line_err

    pw_ini "postgresql://pwtest@/postgres?$SOCK&password=$WRONG"
    run "$APP" db $cmd
    expect_status 1; expect_err "password authentication failed"; expect_no "$WRONG"

    pw_ini "postgresql://pwtest@/postgres?$SOCK"
    PGPASSWORD=$WRONG run "$APP" db $cmd
    expect_status 1; expect_err "password authentication failed"; expect_no "$WRONG"

    # bad database name, right password
    pw_ini "postgresql://pwtest:$RIGHT@/no_such_db?$SOCK"
    run "$APP" db $cmd
    expect_status 1; expect_err 'database "no_such_db" does not exist'; expect_no "$RIGHT"
    expect_one_line_err

    # no server in that directory; a closed TCP port
    pw_ini "postgresql://pwtest:$RIGHT@/postgres?host=$T"
    run "$APP" db $cmd
    expect_status 1; expect_err "cannot connect to PostgreSQL"; expect_no "$RIGHT"
    expect_one_line_err
    pw_ini "postgresql://pwtest:$RIGHT@127.0.0.1:1/postgres"
    run "$APP" db $cmd
    expect_status 1; expect_no "$RIGHT"; expect_one_line_err
done

# a refused login is not retried, even with a long wait_seconds
printf '[database]\nurl = postgresql://pwtest:%s@/postgres?%s\nwait_seconds = 30\n' \
    "$WRONG" "$SOCK" >config/app.ini
start=$(date +%s)
run "$APP" db info
expect_status 1; expect_no "$WRONG"
[ $(($(date +%s) - start)) -lt 5 ] || fail "a wrong password must fail at once"

# production: the password comes from PGPASSWORD, the URL has none
printf '[app]\nphase = production\n[database]\nurl = postgresql://pwtest@/postgres?%s\nschema = %s\n' \
    "$SOCK" "$SCHEMA" >config/app.ini
PGPASSWORD=$RIGHT run "$APP" db wait
expect_status 0; expect_out "database ready"; expect_no "$RIGHT"
finish
