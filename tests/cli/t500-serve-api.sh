#!/bin/sh
# app serve: every endpoint and every bad input, through the real HTTP stack
# (libmicrohttpd) with curl, on an SQLite file, signed in as its users
# (t505 tests the accounts themselves).
. "$(dirname "$0")/lib.sh"
unset DATABASE_URL APP_PHASE APP_CONFIG
status=0 out= err=

cat >config/app.ini <<'EOF'
[app]
phase = pre-user
[database]
url = sqlite:///var/app.db
[auth]
; libsodium's minimum Argon2id limits: fast tests (see config/test.ini)
ops_limit = 1
mem_limit = 8KiB
EOF

PID=
trap '[ -n "$PID" ] && kill -9 "$PID" 2>/dev/null; rm -rf "$T"' EXIT

# start_server ARGS...: serve on a free port; sets PID and BASE.
start_server() {
    rm -f "$T/serve.out" # else the previous server's "listening on" line
    "$APP" --config config/app.ini serve --port 0 "$@" \
        >"$T/serve.out" 2>"$T/serve.err" &
    PID=$!
    i=0
    until grep -q 'listening on' "$T/serve.out" 2>/dev/null; do
        kill -0 "$PID" 2>/dev/null || { cat "$T/serve.err"; return 1; }
        i=$((i + 1))
        [ "$i" -lt 400 ] || return 1
        sleep 0.05
    done
    port=$(sed -n 's/.*listening on http:[/][/][^ ]*:\([0-9][0-9]*\) .*/\1/p' "$T/serve.out")
    BASE="http://127.0.0.1:$port"
}

# req METHOD PATH [BODY [CONTENT-TYPE]]: status = HTTP code, out = body,
# err = response headers. Sends $TOKEN as the bearer token when set.
TOKEN=
req() {
    auth=
    [ -n "$TOKEN" ] && auth="Authorization: Bearer $TOKEN"
    if [ $# -ge 3 ]; then
        status=$(curl -sS -o "$T/.body" -D "$T/.hdr" -w '%{http_code}' \
            -X "$1" -H "Content-Type: ${4:-application/json}" \
            ${auth:+-H "$auth"} --data-binary "$3" "$BASE$2")
    else
        status=$(curl -sS -o "$T/.body" -D "$T/.hdr" -w '%{http_code}' \
            -X "$1" ${auth:+-H "$auth"} "$BASE$2")
    fi
    out=$(cat "$T/.body")
    err=$(cat "$T/.hdr")
}

# login EMAIL: logs in with the test password; the token goes to $TOKEN
# and to the variable named by $2.
login() {
    TOKEN=
    req POST /auth/login "{\"email\":\"$1\",\"password\":\"pass word 1\"}"
    expect_status 200 "log in as $1"
    TOKEN=$(printf '%s' "$out" | sed -n 's/.*"token":"\([^"]*\)".*/\1/p')
    eval "$2=\$TOKEN"
}

start_server || { echo "not ok - server did not start"; exit 1; }

# health
req GET /health
expect_status 200 "GET /health"
expect_eq "$out" '{"status":"ok","phase":"pre-user","revision":null}' "health body"
expect_err 'Content-Type: application/json'

# users: sign up, conflict, get, list (the caller only)
req POST /auth/signup '{"email":"ann@example.org","name":"Ann","password":"pass word 1"}'
expect_status 201 "POST /auth/signup"
expect_out '"id":1,"email":"ann@example.org","name":"Ann","created_at":"20[0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9]Z","settings":{}}$'
expect_err 'Location: /users/1'
req POST /auth/signup '{"email":"ann@example.org","name":"Again","password":"pass word 1"}'
expect_status 409 "duplicate email"
expect_eq "$out" '{"error":"a user with this email already exists","field":"email"}'
req POST /auth/signup '{"email":"bob@example.org","name":"Bob","password":"pass word 1"}'
expect_status 201
req POST /auth/signup '{"email":"cy@example.org","name":"Cy","password":"pass word 1"}'
expect_status 201
login bob@example.org BOB
login ann@example.org ANN
TOKEN=$BOB
req GET /users/2
expect_status 200 "GET /users/2"
expect_out '"email":"bob@example.org"'
req GET /users/99
expect_status 404 "unknown user"
expect_eq "$out" '{"error":"user not found"}'
req GET /users/1
expect_status 404 "another user"
expect_eq "$out" '{"error":"user not found"}'
req GET '/users?limit=2'
expect_status 200 "GET /users?limit=2"
expect_out '^{"items":\[{"id":2,[^]]*\],"next_after":null}$'
req GET '/users?limit=2&after=2'
expect_status 200
expect_eq "$out" '{"items":[],"next_after":null}'
req GET '/users?limit=500'
expect_status 400 "limit over the maximum"
expect_out '"parameter":"limit"'
req GET '/users?page=2'
expect_status 400 "unknown query parameter"
expect_out '"parameter":"page"'
TOKEN=$ANN

# tasks: create (default status, explicit status), list, filter, update, delete
req POST /users/1/tasks '{"title":"write the API"}'
expect_status 201 "POST /users/1/tasks"
expect_out '"id":1,"user_id":1,"title":"write the API","description":null,"status":"todo"'
expect_err 'Location: /tasks/1'
req POST /users/1/tasks '{"title":"test it","description":"with curl","status":"doing"}'
expect_status 201
expect_out '"description":"with curl","status":"doing"'
TOKEN=$BOB
req POST /users/2/tasks '{"title":"Bob'"'"'s"}'
expect_status 201
TOKEN=$ANN
req POST /users/42/tasks '{"title":"orphan"}'
expect_status 404 "task for an unknown user"
expect_eq "$out" '{"error":"user not found"}'
req GET /users/1/tasks
expect_status 200 "GET /users/1/tasks"
expect_out '^{"items":\[{"id":1,.*{"id":2,[^]]*\],"next_after":null}$'
expect_no '"id":3'
req GET '/users/1/tasks?status=doing'
expect_status 200 "filter by status"
expect_out '^{"items":\[{"id":2,[^]]*\],"next_after":null}$'
req GET '/users/1/tasks?status=someday'
expect_status 400 "unknown status filter"
expect_out '"parameter":"status"'
req GET /users/42/tasks
expect_status 404 "tasks of an unknown user"
req PATCH /tasks/1 '{"status":"done"}'
expect_status 200 "PATCH /tasks/1"
expect_out '"id":1,.*"status":"done"'
req GET /tasks/1
expect_status 200 "GET /tasks/1"
expect_out '"status":"done"'
req PATCH /tasks/1 '{"status":"finished"}'
expect_status 400 "bad status"
expect_out '"field":"status"'
req PATCH /tasks/77 '{"status":"done"}'
expect_status 404 "PATCH unknown task"

# values typed by the model: a date, a UUID made by the database, JSON
req POST /users/1/tasks '{"title":"due","due_date":"2028-02-29"}'
expect_status 201 "a task with a due date"
expect_out '"due_date":"2028-02-29","public_id":"[0-9a-f]\{8\}-[0-9a-f]\{4\}-4[0-9a-f]\{3\}-[89ab][0-9a-f]\{3\}-[0-9a-f]\{12\}","project_id":null}$'
due_id=$(printf '%s' "$out" | sed -n 's/^{"id":\([0-9]*\),.*/\1/p')
req POST /users/1/tasks '{"title":"due","due_date":"2027-02-29"}'
expect_status 400 "a day that does not exist"
expect_out '"field":"due_date"'
expect_out 'must be a date like 2026-01-31'
req POST /users/1/tasks '{"title":"due","due_date":20270101}'
expect_status 400 "a date must be a string"
req PATCH "/tasks/$due_id" '{"due_date":null}'
expect_status 200 "PATCH clears the due date"
expect_out '"status":"todo",.*"due_date":null'
req PATCH "/tasks/$due_id" '{"due_date":"2030-01-15","status":"doing"}'
expect_status 200 "PATCH both"
expect_out '"status":"doing",.*"due_date":"2030-01-15"'
req PATCH "/tasks/$due_id" '{}'
expect_status 400 "PATCH nothing"
expect_out 'nothing to change'
req PATCH "/tasks/$due_id" '{"public_id":"00000000-0000-4000-8000-000000000000"}'
expect_status 400 "public_id is read-only"
expect_out '"field":"public_id"'
req GET /me
expect_status 200
expect_out '"settings":{}}$'
req PATCH /users/1 '{"settings":{"theme":"dark","sizes":[1, 2.5]}}'
expect_status 200 "PATCH settings"
expect_out '"name":"Ann",.*"settings":{.*"theme":"dark"'
expect_out '"sizes":\[1,2.5\]'
req PATCH /users/1 '{"name":"Ann B."}'
expect_status 200 "PATCH the name keeps the settings"
expect_out '"name":"Ann B.",.*"theme":"dark"'
req PATCH /users/1 '{"settings":"dark"}'
expect_status 400 "settings must be an object"
expect_out "field 'settings' must be a JSON object"
req PATCH /users/1 '{"name":""}'
expect_status 400 "an empty name"
expect_out '"field":"name"'
req PATCH /users/1 '{}'
expect_status 400 "PATCH a user with nothing"
req PATCH /users/2 '{"name":"X"}'
expect_status 404 "another user's record"
req PATCH /users/1 '{"name":"Ann","settings":{}}'
expect_status 200
req DELETE "/tasks/$due_id"
expect_status 204
req DELETE /tasks/2
expect_status 204 "DELETE /tasks/2"
expect_eq "$out" "" "204 has no body"
req DELETE /tasks/2
expect_status 404 "DELETE twice"

# deleting a user deletes their tasks and sessions (ON DELETE CASCADE)
req DELETE /users/1
expect_status 204 "DELETE /users/1"
expect_eq "$(sqlite3 var/app.db 'SELECT count(*) FROM tasks WHERE user_id = 1')" 0 "tasks gone with their user"
expect_eq "$(sqlite3 var/app.db 'SELECT count(*) FROM sessions WHERE user_id = 1')" 0 "sessions gone with their user"
req GET /me
expect_status 401 "the deleted user's token"
TOKEN=$BOB
req GET /tasks/1
expect_status 404 "task gone with its user"
req GET /users/1
expect_status 404
req GET /tasks/3
expect_status 200 "another user's task stays"

# bad input: JSON, fields, types, content type, size
req POST /auth/signup '{"email":"d@example.org",'
expect_status 400 "bad JSON"
expect_out '"error":"invalid JSON"'
req POST /auth/signup ''
expect_status 400 "empty body"
req POST /auth/signup '[]'
expect_status 400 "not an object"
req POST /auth/signup '{"email":"d@example.org"}'
expect_status 400 "missing field"
expect_eq "$out" '{"error":"missing field '"'"'name'"'"'","field":"name"}'
req POST /auth/signup '{"email":"d@example.org","name":"D","password":"pass word 1","role":"admin"}'
expect_status 400 "extra field"
expect_out '"field":"role"'
req POST /auth/signup '{"email":["d@example.org"],"name":"D","password":"pass word 1"}'
expect_status 400 "wrong type"
expect_out '"field":"email"'
req POST /users/2/tasks '{"title":"x","description":5}'
expect_status 400 "wrong type for description"
req POST /auth/signup 'email=d@example.org&name=D' application/x-www-form-urlencoded
expect_status 415 "form body"
head -c 70000 /dev/zero | tr '\0' x >"$T/big"
req POST /auth/signup "@$T/big"
expect_status 413 "oversize body"
expect_out 'too large'
# the same, streamed without Content-Length
status=$(curl -sS -o "$T/.body" -w '%{http_code}' -X POST \
    -H 'Content-Type: application/json' -H 'Transfer-Encoding: chunked' \
    --data-binary "@$T/big" "$BASE/auth/signup")
out=$(cat "$T/.body")
expect_status 413 "oversize chunked body"
# a body just under the cap is read (and then judged on content)
desc=$(head -c 60000 /dev/zero | tr '\0' d)
req POST /users/2/tasks "{\"title\":\"long\",\"description\":\"$desc\"}"
expect_status 201 "60 KB body accepted"

# routes and methods
req GET /nope
expect_status 404 "unknown path"
expect_out '"error"'
req PUT /tasks/3 '{}'
expect_status 405 "PUT"
expect_err 'Allow: GET, PATCH, DELETE'
req GET /users/abc
expect_status 404 "non-numeric id"
req POST /users '{"email":"e@example.org","name":"E"}'
expect_status 405 "POST /users is gone: accounts come from sign-up"
expect_err 'Allow: GET'

# a database error is a 500 that names no SQL; the log has the reason
sqlite3 var/app.db 'DROP TABLE tasks' 2>/dev/null || \
    echo "not ok - cannot drop the table with sqlite3"
req GET /users/2/tasks
expect_status 500 "database error"
expect_eq "$out" '{"error":"internal error"}' "500 body says nothing more"
req GET /health
expect_status 503 "health without a table"
expect_out '"status":"unavailable"'
checks=$((checks + 1))
grep -q 'GET /users/2/tasks: .*tasks' "$T/serve.err" || \
    { status=-; out=; err=$(cat "$T/serve.err"); fail "the log should name the failure"; }

kill -TERM "$PID"
wait "$PID"
status=$?
PID=
expect_status 0 "SIGTERM exits 0"
finish
