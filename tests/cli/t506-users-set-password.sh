#!/bin/sh
# A database made before accounts existed (tests/fixtures/accounts: the
# previous models' DDL), with rows, gains users.password_hash and the
# sessions and login_failures tables at start-up without losing a row; its
# users cannot log in until `app users set-password EMAIL` (password from
# stdin, never argv) gives them a password. On SQLite and PostgreSQL.
. "$(dirname "$0")/lib.sh"
. "$ROOT/tests/cli/pglib.sh"
unset DATABASE_URL APP_PHASE APP_CONFIG
status=0 out= err=
PID=
trap '[ -n "$PID" ] && kill -9 "$PID" 2>/dev/null
      psql -X -q "$TEST_PG_URL" -c "DROP SCHEMA IF EXISTS $SCHEMA CASCADE" >/dev/null 2>&1
      rm -rf "$T"' EXIT

NEWPW='a new pass phrase'

ini() {
    {
        printf '[app]\nphase = pre-user\n[database]\n'
        if [ "$1" = sqlite ]; then
            printf 'url = sqlite:///var/app.db\n'
        else
            printf 'url = %s\nschema = %s\n' "$TEST_PG_URL" "$SCHEMA"
        fi
        printf '[auth]\nops_limit = 1\nmem_limit = 8KiB\n'
    } >config/app.ini
}

sql() {
    if [ "$BACKEND" = sqlite ]; then sqlite3 var/app.db "$1"; else pg "$1"; fi
}

start() {
    rm -f "$T/serve.out" # the previous scenario's "listening on" line
    "$APP" serve --port 0 >"$T/serve.out" 2>"$T/serve.err" &
    PID=$!
    i=0
    until grep -q 'listening on' "$T/serve.out" 2>/dev/null; do
        kill -0 "$PID" 2>/dev/null || { cat "$T/serve.err"; return 1; }
        i=$((i + 1))
        [ "$i" -lt 400 ] || return 1
        sleep 0.05
    done
    BASE="http://127.0.0.1:$(sed -n 's/.*listening on http:[/][/][^ ]*:\([0-9][0-9]*\) .*/\1/p' "$T/serve.out")"
}

# login EMAIL PASSWORD: status, out, TOKEN
login() {
    status=$(curl -s -o "$T/.b" -w '%{http_code}' -X POST \
        -H 'Content-Type: application/json' \
        -d "{\"email\":\"$1\",\"password\":\"$2\"}" "$BASE/auth/login")
    out=$(cat "$T/.b")
    TOKEN=$(printf '%s' "$out" | sed -n 's/.*"token":"\([^"]*\)".*/\1/p')
}

# set_password EMAIL INPUT: app users set-password with INPUT on stdin
set_password() {
    printf '%b' "$2" | "$APP" users set-password "$1" >"$T/.out" 2>"$T/.err"
    status=$?
    out=$(cat "$T/.out")
    err=$(cat "$T/.err")
}

# on_tty FIRST SECOND: app users set-password old@example.org on a
# terminal, typing each answer once its prompt is shown; out = the
# terminal's transcript.
on_tty() {
    rm -f "$T/tty.out"
    {
        for answer in "$1" "$2"; do
            prompt="New password"
            [ "$answer" = "$1" ] || prompt="Repeat it"
            i=0
            until grep -q "$prompt" "$T/tty.out" 2>/dev/null; do
                i=$((i + 1))
                [ "$i" -lt 200 ] || break
                sleep 0.05
            done
            sleep 0.1
            printf '%s\n' "$answer"
        done
        sleep 1
    } | script -qefc "$APP users set-password old@example.org" /dev/null >"$T/tty.out" 2>&1
    status=$?
    out=$(cat "$T/tty.out")
    err=
}

scenario() {
    BACKEND=$1
    ini "$BACKEND"
    rm -rf var
    mkdir -p var
    # the database as the previous models made it, with rows
    if [ "$BACKEND" = sqlite ]; then
        sqlite3 var/app.db <"$ROOT/tests/fixtures/accounts/before-sqlite.sql"
    else
        psql -X -q -v ON_ERROR_STOP=1 "$TEST_PG_URL" -c "CREATE SCHEMA IF NOT EXISTS $SCHEMA" >/dev/null
        { echo "SET search_path TO $SCHEMA;"; cat "$ROOT/tests/fixtures/accounts/before-postgresql.sql"; } |
            psql -X -q -v ON_ERROR_STOP=1 "$TEST_PG_URL" >/dev/null
    fi
    sql "INSERT INTO users (email, name) VALUES ('old@example.org', 'Old'), ('other@example.org', 'Other')" >/dev/null
    sql "INSERT INTO tasks (user_id, title, status) VALUES (1, 'kept', 'doing'), (1, 'also kept', 'done'), (2, 'theirs', 'todo')" >/dev/null
    expect_eq "$(sql "SELECT count(*) FROM users")" 2 "$BACKEND: the old database has rows"

    # start-up adds the column and the tables, and keeps every row
    start || { echo "not ok - $BACKEND: server did not start on the old database"; finish; }
    status=$(curl -s -o "$T/.b" -w '%{http_code}' "$BASE/health")
    expect_status 200 "$BACKEND: healthy after the additive sync"
    expect_eq "$(sql "SELECT count(*) FROM users WHERE password_hash IS NULL")" 2 \
        "$BACKEND: password_hash added, NULL for existing users"
    expect_eq "$(sql "SELECT count(*) FROM sessions")" 0 "$BACKEND: sessions created"
    expect_eq "$(sql "SELECT count(*) FROM login_failures")" 0 "$BACKEND: login_failures created"
    expect_eq "$(sql "SELECT title || ':' || status FROM tasks ORDER BY id" | tr '\n' ,)" \
        "kept:doing,also kept:done,theirs:todo," "$BACKEND: every task kept"
    run "$APP" db check
    expect_status 0 "$BACKEND: the database now matches the models"

    # an existing user has no password: cannot log in
    login old@example.org ''
    expect_status 401 "$BACKEND: no password yet"
    login old@example.org "$NEWPW"
    expect_status 401

    # the operator's command: bad input changes nothing
    run "$APP" users set-password
    expect_status 2 "$BACKEND: no email"
    expect_err "missing argument"
    run "$APP" users set-password old@example.org "$NEWPW"
    expect_status 2 "$BACKEND: the password is refused on the command line"
    expect_eq "$err" "app users set-password: 2 arguments given, at most 1 expected (EMAIL); see 'app users set-password --help'"
    expect_no "$NEWPW"
    run "$APP" users set-password old@example.org
    expect_status 1 "$BACKEND: nothing on stdin"
    expect_err "no password on stdin"
    set_password old@example.org 'short\n'
    expect_status 1 "$BACKEND: too short"
    expect_err 'must be at least 8 characters'
    expect_no 'short\b'
    set_password nobody@example.org "$NEWPW\n"
    expect_status 1 "$BACKEND: unknown email"
    expect_err "no user with email 'nobody@example.org'"
    expect_eq "$(sql "SELECT count(*) FROM users WHERE password_hash IS NULL")" 2 "$BACKEND: nothing changed"

    # set: stored as Argon2id, log-in works and sees the old tasks
    set_password old@example.org "$NEWPW\r\n"
    expect_status 0 "$BACKEND: set-password"
    expect_eq "$out" "password set for old@example.org; 0 sessions revoked"
    expect_no "$NEWPW"
    hash=$(sql "SELECT password_hash FROM users WHERE email = 'old@example.org'")
    case "$hash" in
    '$argon2id$'*) checks=$((checks + 1)) ;;
    *) status=-; out=$hash; err=; fail "$BACKEND: the stored hash is Argon2id" ;;
    esac
    login old@example.org "$NEWPW"
    expect_status 200 "$BACKEND: log-in with the new password"
    status=$(curl -s -o "$T/.b" -w '%{http_code}' -H "Authorization: Bearer $TOKEN" "$BASE/users/1/tasks")
    out=$(cat "$T/.b")
    expect_status 200 "$BACKEND: the old tasks, now private"
    expect_out '"title":"kept"'
    expect_no '"title":"theirs"'

    # a new password ends the user's sessions
    set_password old@example.org "another pass phrase\n"
    expect_status 0
    expect_eq "$out" "password set for old@example.org; 1 session revoked"
    status=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $TOKEN" "$BASE/me")
    expect_status 401 "$BACKEND: the old session is revoked"
    login old@example.org "$NEWPW"
    expect_status 401 "$BACKEND: the old password no longer works"
    login old@example.org "another pass phrase"
    expect_status 200

    if [ "$BACKEND" = sqlite ]; then
        # on a terminal (script(1) gives it one): asked twice, never echoed
        on_tty "third pass phrase" "third pass phrase"
        expect_status 0 "set-password on a terminal"
        expect_out 'New password for old@example.org: '
        expect_out 'Repeat it: '
        expect_out 'password set for old@example.org; 1 session revoked'
        expect_no 'third pass phrase'
        login old@example.org "third pass phrase"
        expect_status 200 "$BACKEND: the password typed on the terminal"
        on_tty "fourth pass phrase" "fifth pass phrase"
        expect_status 1 "two different passwords"
        expect_out 'the two passwords differ; nothing was changed'
        expect_no 'pass phrase'
        login old@example.org "third pass phrase"
        expect_status 200 "$BACKEND: unchanged"
    fi

    kill -TERM "$PID"
    wait "$PID"
    status=$?
    PID=
    expect_status 0 "$BACKEND: stops cleanly"
    checks=$((checks + 1))
    if grep -F -q -e "$NEWPW" -e 'another pass phrase' -e "$hash" "$T/serve.out" "$T/serve.err"; then
        status=-; out=; err=$(cat "$T/serve.err"); fail "$BACKEND: a secret in the server's output"
    fi
}

scenario sqlite
scenario postgresql
finish
