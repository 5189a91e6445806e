#!/bin/sh
# Accounts through the real server, on SQLite and on PostgreSQL: sign-up,
# log-in, every route with and without a token, malformed, unknown,
# expired and revoked tokens, two users who see only their own data, wrong
# passwords and unknown emails, the failed log-in lock (across two server
# processes on PostgreSQL), and no password, hash or token in any response,
# log line or error.
. "$(dirname "$0")/lib.sh"
. "$ROOT/tests/cli/pglib.sh"
unset DATABASE_URL APP_PHASE APP_CONFIG
status=0 out= err=
PIDS=
trap 'for p in $PIDS; do kill -9 "$p" 2>/dev/null; done
      psql -X -q "$TEST_PG_URL" -c "DROP SCHEMA IF EXISTS $SCHEMA CASCADE" >/dev/null 2>&1
      rm -rf "$T"' EXIT

PW_ANN='ann secret 1'
PW_BOB='bob secret 2'

# ini BACKEND: config/app.ini for sqlite or postgresql, with fast Argon2id
# limits and a lock after 3 failures.
ini() {
    {
        printf '[app]\nphase = pre-user\n[database]\n'
        if [ "$1" = sqlite ]; then
            printf 'url = sqlite:///var/app.db\n'
        else
            printf 'url = %s\nschema = %s\n' "$TEST_PG_URL" "$SCHEMA"
        fi
        printf '[auth]\nops_limit = 1\nmem_limit = 8KiB\nmax_failures = 3\n'
        printf 'failure_window = 10min\n'
    } >config/app.ini
}

# sql QUERY: one value from the backend's database.
sql() {
    if [ "$BACKEND" = sqlite ]; then sqlite3 var/app.db "$1"; else pg "$1"; fi
}

# start NAME: serve on a free port; sets PID_<NAME> and PORT_<NAME>.
start() {
    rm -f "$T/$1.out" # the previous scenario's "listening on" line
    "$APP" serve --port 0 --pidfile "var/$1.pid" >"$T/$1.out" 2>"$T/$1.err" &
    p=$!
    PIDS="$PIDS $p"
    i=0
    until grep -q 'listening on' "$T/$1.out" 2>/dev/null; do
        kill -0 "$p" 2>/dev/null || { cat "$T/$1.err"; return 1; }
        i=$((i + 1))
        [ "$i" -lt 400 ] || return 1
        sleep 0.05
    done
    eval "PID_$1=$p"
    eval "PORT_$1=$(sed -n 's/.*listening on http:[/][/][^ ]*:\([0-9][0-9]*\) .*/\1/p' "$T/$1.out")"
}

stop() {
    eval "p=\$PID_$1"
    kill -TERM "$p"
    wait "$p"
    status=$?
    expect_status 0 "$BACKEND: server $1 stops cleanly"
}

# req METHOD PATH [BODY]: on server $ON with $TOKEN (when set); status,
# out = body, err = headers. Every response but a log-in's is kept in
# $T/responses, to be searched for secrets.
ON=a
TOKEN=
req() {
    eval "port=\$PORT_$ON"
    set -- "$1" "$2" "${3-}" "$#"
    if [ -n "$TOKEN" ]; then
        set -- "$1" "$2" "$3" "$4" -H "Authorization: Bearer $TOKEN"
    fi
    m=$1 path=$2 body=$3 n=$4
    shift 4
    if [ "$n" -ge 3 ]; then
        status=$(curl -sS -o "$T/.body" -D "$T/.hdr" -w '%{http_code}' \
            -X "$m" "$@" -H 'Content-Type: application/json' \
            --data-binary "$body" "http://127.0.0.1:$port$path")
    else
        status=$(curl -sS -o "$T/.body" -D "$T/.hdr" -w '%{http_code}' \
            -X "$m" "$@" "http://127.0.0.1:$port$path")
    fi
    out=$(cat "$T/.body")
    err=$(cat "$T/.hdr")
    if [ "$path" != /auth/login ] || [ "$status" != 200 ]; then
        { cat "$T/.hdr"; cat "$T/.body"; echo; } >>"$T/responses"
    fi
}

# login EMAIL PASSWORD: sets $status and $TOKEN (empty unless 200).
login() {
    TOKEN=
    req POST /auth/login "{\"email\":\"$1\",\"password\":\"$2\"}"
    TOKEN=$(printf '%s' "$out" | sed -n 's/.*"token":"\([^"]*\)".*/\1/p')
}

scenario() {
    BACKEND=$1
    rm -rf var "$T/responses"
    ini "$BACKEND"
    start a || { echo "not ok - $BACKEND: server did not start"; finish; }
    ON=a

    # sign-up: the user, never the password or its hash
    TOKEN=
    req POST /auth/signup "{\"email\":\"ann@example.org\",\"name\":\"Ann\",\"password\":\"$PW_ANN\"}"
    expect_status 201 "$BACKEND: sign-up"
    expect_out '^{"id":[0-9]*,"email":"ann@example.org","name":"Ann","created_at":"[^"]*","settings":{}}$'
    A=$(printf '%s' "$out" | sed -n 's/^{"id":\([0-9]*\),.*/\1/p')
    req POST /auth/signup "{\"email\":\"bob@example.org\",\"name\":\"Bob\",\"password\":\"$PW_BOB\"}"
    expect_status 201
    B=$(printf '%s' "$out" | sed -n 's/^{"id":\([0-9]*\),.*/\1/p')
    req POST /auth/signup '{"email":"cy@example.org","name":"Cy","password":"short"}'
    expect_status 400 "$BACKEND: a short password"
    expect_eq "$out" '{"error":"field '"'"'password'"'"' must be at least 8 characters","field":"password"}'
    HASH_A=$(sql "SELECT password_hash FROM users WHERE email = 'ann@example.org'")
    case "$HASH_A" in
    '$argon2id$'*) checks=$((checks + 1)) ;;
    *) status=-; out=$HASH_A; err=; fail "$BACKEND: the stored hash is Argon2id" ;;
    esac

    # log-in: a token and its expiry
    login ann@example.org "$PW_ANN"
    expect_status 200 "$BACKEND: log-in"
    expect_out '^{"token":"[A-Za-z0-9_-]\{43\}","expires_at":"20[0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9]Z"}$'
    TA=$TOKEN
    expect_eq "$(sql "SELECT count(*) FROM sessions WHERE token_hash = '$TA'")" 0 \
        "$BACKEND: the token is not stored as it is"
    expect_eq "$(sql 'SELECT length(token_hash) FROM sessions')" 64 "$BACKEND: a SHA-256 is"
    login bob@example.org "$PW_BOB"
    TB=$TOKEN

    # every route but the public ones: 401 without a token, and with
    # malformed or unknown ones; nothing changes
    for route in "GET /me" "POST /auth/logout" "GET /users" "GET /users/$A" \
        "PATCH /users/$A" "DELETE /users/$A" "GET /users/$A/tasks" "POST /users/$A/tasks" \
        "GET /tasks/1" "PATCH /tasks/1" "DELETE /tasks/1"; do
        set -- $route
        for tok in "" "abc" "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" "$TA$TA"; do
            TOKEN=$tok
            case "$1" in
            POST|PATCH) req "$1" "$2" '{"title":"x","status":"done"}' ;;
            *) req "$1" "$2" ;;
            esac
            expect_status 401 "$BACKEND: $route with token '$tok'"
            if [ -z "$tok" ]; then
                expect_err 'WWW-Authenticate: Bearer'
            else
                expect_err 'WWW-Authenticate: Bearer error="invalid_token"'
            fi
        done
    done
    status=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Basic YW5uOng=" \
        "http://127.0.0.1:$PORT_a/me")
    expect_status 401 "$BACKEND: another scheme"
    expect_eq "$(sql 'SELECT count(*) FROM users')" 2 "$BACKEND: nothing deleted"
    expect_eq "$(sql 'SELECT count(*) FROM tasks')" 0 "$BACKEND: nothing created"

    # with the token, every route works
    TOKEN=$TA
    req GET /me
    expect_status 200 "$BACKEND: GET /me"
    expect_out '"email":"ann@example.org"'
    req GET /users
    expect_status 200 "$BACKEND: GET /users"
    expect_out "^{\"items\":\[{\"id\":$A,[^]]*\],\"next_after\":null}\$"
    req GET "/users/$A"
    expect_status 200 "$BACKEND: GET /users/$A"
    req POST "/users/$A/tasks" '{"title":"ann private"}'
    expect_status 201 "$BACKEND: POST /users/$A/tasks"
    TASK_A=$(printf '%s' "$out" | sed -n 's/^{"id":\([0-9]*\),.*/\1/p')
    req POST "/users/$A/tasks" '{"title":"ann second"}'
    TASK_A2=$(printf '%s' "$out" | sed -n 's/^{"id":\([0-9]*\),.*/\1/p')
    req GET "/users/$A/tasks"
    expect_status 200 "$BACKEND: GET /users/$A/tasks"
    req GET "/tasks/$TASK_A"
    expect_status 200 "$BACKEND: GET /tasks/$TASK_A"
    req PATCH "/tasks/$TASK_A" '{"status":"doing"}'
    expect_status 200 "$BACKEND: PATCH /tasks/$TASK_A"
    # values typed by the model on each engine: a DATE, a UUID, JSON
    req PATCH "/tasks/$TASK_A" '{"due_date":"2028-02-29"}'
    expect_status 200 "$BACKEND: PATCH a due date"
    expect_out '"status":"doing",.*"due_date":"2028-02-29","public_id":"[0-9a-f-]\{36\}","project_id":null}$'
    expect_eq "$(sql "SELECT due_date FROM tasks WHERE id = $TASK_A")" 2028-02-29 "$BACKEND: the date stored"
    req PATCH "/users/$A" '{"settings":{"lang":"fr","n":[1,2]}}'
    expect_status 200 "$BACKEND: PATCH settings"
    expect_out '"settings":{"n":\[1,2\],"lang":"fr"}}$\|"settings":{"lang":"fr","n":\[1,2\]}}$'
    req GET /me
    expect_out '"lang":"fr"'
    req DELETE "/tasks/$TASK_A2"
    expect_status 204 "$BACKEND: DELETE /tasks/$TASK_A2"

    # Bob sees none of it: 404 on Ann's ids, nothing of hers in a list
    TOKEN=$TB
    req POST "/users/$B/tasks" '{"title":"bob task"}'
    TASK_B=$(printf '%s' "$out" | sed -n 's/^{"id":\([0-9]*\),.*/\1/p')
    for route in "GET /users/$A" "PATCH /users/$A" "DELETE /users/$A" "GET /users/$A/tasks" \
        "POST /users/$A/tasks" "GET /tasks/$TASK_A" "PATCH /tasks/$TASK_A" \
        "DELETE /tasks/$TASK_A"; do
        set -- $route
        case "$1" in
        POST) req "$1" "$2" '{"title":"planted"}' ;;
        PATCH) req "$1" "$2" '{"status":"done"}' ;;
        *) req "$1" "$2" ;;
        esac
        expect_status 404 "$BACKEND: Bob: $route"
    done
    req GET /users
    expect_no 'ann@example.org'
    req GET "/users/$B/tasks"
    expect_no 'ann private'
    expect_out 'bob task'
    expect_eq "$(sql "SELECT status FROM tasks WHERE id = $TASK_A")" doing "$BACKEND: Ann's task unchanged"
    expect_eq "$(sql "SELECT count(*) FROM tasks WHERE user_id = $A")" 1 "$BACKEND: nothing planted"
    TOKEN=$TA
    req GET "/tasks/$TASK_B"
    expect_status 404 "$BACKEND: Ann on Bob's task"

    # expired and revoked tokens
    login ann@example.org "$PW_ANN"
    TX=$TOKEN
    sql "UPDATE sessions SET expires_at = '2000-01-01 00:00:00Z' WHERE id = (SELECT max(id) FROM sessions)" >/dev/null
    req GET /me
    expect_status 401 "$BACKEND: an expired token"
    expect_err 'invalid_token'
    login ann@example.org "$PW_ANN"
    TY=$TOKEN
    req POST /auth/logout
    expect_status 204 "$BACKEND: log-out"
    req GET /me
    expect_status 401 "$BACKEND: a revoked token"
    req POST /auth/logout
    expect_status 401 "$BACKEND: log-out twice"
    TOKEN=$TA
    req GET /me
    expect_status 200 "$BACKEND: Ann's other session lives on"

    # wrong passwords and unknown emails: the same answer
    login ann@example.org 'wrong password'
    expect_status 401 "$BACKEND: wrong password"
    wrong=$out
    login nobody@example.org "$PW_ANN"
    expect_status 401 "$BACKEND: unknown email"
    expect_eq "$out" "$wrong" "$BACKEND: the same body for both"
    expect_eq "$wrong" '{"error":"wrong email or password"}'

    # three failures lock the email; the right password too gets 429
    login ann@example.org 'wrong again'
    expect_status 401
    login ann@example.org 'wrong thrice'
    expect_status 401
    login ann@example.org "$PW_ANN"
    expect_status 429 "$BACKEND: locked after 3 failures"
    expect_err 'Retry-After: [0-9]'
    expect_out '"retry_after":[0-9]'
    login bob@example.org "$PW_BOB"
    expect_status 200 "$BACKEND: another email is not locked"
    expect_eq "$(sql "SELECT count(*) FROM login_failures WHERE email = 'ann@example.org'")" 3

    if [ "$BACKEND" = postgresql ]; then
        # a second process on the same database counts the same failures
        start b || { echo "not ok - second server did not start"; finish; }
        ON=b
        login ann@example.org "$PW_ANN"
        expect_status 429 "$BACKEND: locked on the other instance too"
        login bob@example.org 'wrong 1'
        ON=a
        login bob@example.org 'wrong 2'
        ON=b
        login bob@example.org 'wrong 3'
        expect_status 401
        ON=a
        login bob@example.org "$PW_BOB"
        expect_status 429 "$BACKEND: failures on two instances add up"
        ON=b
        login bob@example.org "$PW_BOB"
        expect_status 429
        ON=a
    fi

    # the window passes (the failures age): log-in works, failures forgotten
    sql "UPDATE login_failures SET failed_at = failed_at - 601" >/dev/null
    login ann@example.org "$PW_ANN"
    expect_status 200 "$BACKEND: unlocked once the failures leave the window"
    expect_eq "$(sql "SELECT count(*) FROM login_failures WHERE email = 'ann@example.org'")" 0
    TZ_=$TOKEN

    # deleting one's account deletes its tasks and sessions
    TOKEN=$TA
    req DELETE "/users/$A"
    expect_status 204 "$BACKEND: DELETE /users/$A"
    expect_eq "$(sql "SELECT count(*) FROM tasks WHERE user_id = $A")" 0 "$BACKEND: tasks cascade"
    expect_eq "$(sql "SELECT count(*) FROM sessions WHERE user_id = $A")" 0 "$BACKEND: sessions cascade"
    req GET /me
    expect_status 401 "$BACKEND: the deleted account's token"
    TOKEN=$TB
    req GET "/tasks/$TASK_B"
    expect_status 200 "$BACKEND: Bob's data stays"

    # a database failure is logged, and the log names no secret
    sql "DROP TABLE tasks" >/dev/null
    req GET "/users/$B/tasks"
    expect_status 500 "$BACKEND: a database error"
    if [ "$BACKEND" = postgresql ]; then stop b; fi
    stop a

    # no password, hash or token in a response, log line or error
    HASH_B=$(sql "SELECT password_hash FROM users WHERE email = 'bob@example.org'")
    for secret in "$PW_ANN" "$PW_BOB" "$HASH_A" "$HASH_B" "$TA" "$TB" "$TX" "$TY" "$TZ_" argon2; do
        checks=$((checks + 1))
        if grep -F -q -- "$secret" "$T/responses" "$T"/a.out "$T"/a.err \
            $( [ "$BACKEND" = postgresql ] && echo "$T/b.out $T/b.err" ); then
            status=-; out=$(grep -F -l -- "$secret" "$T"/responses "$T"/*.out "$T"/*.err)
            err=; fail "$BACKEND: a secret appears in a response or the log"
        fi
    done
    checks=$((checks + 1))
    grep -q 'GET /users/[0-9]*/tasks: .*tasks' "$T/a.err" || \
        { status=-; out=; err=$(cat "$T/a.err"); fail "$BACKEND: the log names the failure"; }
}

scenario sqlite
scenario postgresql
finish
