#!/bin/sh
# SQLite under serve --threads 4 commits the writes that queued up behind
# each other together (group commit), each one a savepoint of the batch's
# transaction. A write that fails inside a batch fails alone: its answer
# is a 500 and the writes around it in the same batch stand, answered 201
# (a batch is rolled back whole only when its commit fails). One trigger
# makes every fifth task fail at run time (an integer overflow, a plain
# SQL error), another makes every write take a few milliseconds, so that
# the 200 tasks posted 32 at a time queue up and share batches (of 8 or
# 9 writes); then exactly the other 160 are in the table, each once.
. "$(dirname "$0")/lib.sh"
unset DATABASE_URL APP_PHASE APP_CONFIG
status=0 out= err=
PID=
trap '[ -n "$PID" ] && kill "$PID" 2>/dev/null
      [ -n "${KEEP_TEST_DIR:-}" ] || rm -rf "$T"' EXIT

printf '[app]\nphase = pre-user\n[database]\nurl = sqlite:///var/app.db\n%s\n' \
    "$FAST_AUTH" >config/app.ini
serve_start --threads 4 || { cat "$T/serve.err"; fail "the server starts"; finish; }
TOKEN=$(api_token "$BASE" u0@example.org)
AUTH="Authorization: Bearer $TOKEN"
sqlite3 var/app.db "CREATE TRIGGER boom AFTER INSERT ON tasks
    WHEN NEW.title LIKE 'boom%' BEGIN SELECT abs(-9223372036854775808); END;
  CREATE TRIGGER slow AFTER INSERT ON tasks BEGIN
    SELECT count(*) FROM (WITH RECURSIVE c(x) AS
        (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 20000) SELECT x FROM c);
  END"

# titles t1 .. t200, every fifth one boomN, in one curl 32 at a time (the
# token in its config file, out of every argv); "TITLE CODE" lines into
# $T/codes
seq 1 200 | AUTH=$AUTH awk -v base="$BASE" '{
    t = ($1 % 5 ? "t" : "boom") $1
    printf "url = \"%s/users/1/tasks\"\nheader = \"%s\"\n", base, ENVIRON["AUTH"]
    printf "header = \"Content-Type: application/json\"\n"
    printf "data = \"{\\\"title\\\":\\\"%s\\\"}\"\n", t
    printf "output = \"/dev/null\"\nwrite-out = \"%s %%{http_code} %%{errormsg}\\n\"\n", t
    printf "max-time = 30\n%s", NR < 200 ? "next\n" : ""
}' >"$T/posts.curl"
curl -s --no-progress-meter -Z --parallel-max 32 -K "$T/posts.curl" >"$T/codes"
expect_eq "$(grep -c '^t[0-9]* 201 $' "$T/codes")" "160" "the good writes are answered 201"
expect_eq "$(grep -c '^boom[0-9]* 500 $' "$T/codes")" "40" "the failing writes are answered 500"
expect_eq "$(grep -c . "$T/codes")" "200" "every write is answered"
expect_eq "$(sqlite3 var/app.db "SELECT count(*), count(DISTINCT title) FROM tasks WHERE title LIKE 't%'")" \
    "160|160" "each good write is in the table once"
expect_eq "$(sqlite3 var/app.db "SELECT count(*) FROM tasks WHERE title LIKE 'boom%'")" \
    "0" "no failing write stays"
expect_eq "$(grep -c 'POST /users/1/tasks: .*integer overflow' "$T/serve.err" "$T/serve.out" |
    awk -F: '{ n += $2 } END { print n }')" "40" "each failure is logged"

kill -TERM "$PID"; wait "$PID"
status=$?
PID=
expect_status 0 "the server stops cleanly"
finish
