#!/bin/sh
# systemd: app serve tells a listening NOTIFY_SOCKET READY=1 (with its pid)
# once the schema step has succeeded and the socket listens, STOPPING=1 on
# SIGTERM, nothing when start-up fails; without NOTIFY_SOCKET nothing
# changes. make install stages app.service and app@.service under DESTDIR
# naming the PREFIX paths, and systemd-analyze verify passes on the units
# as installed (systemd-analyze wants ExecStart's binary to exist, so that
# install is a real one, into a PREFIX under the test's directory).
. "$(dirname "$0")/lib.sh"
unset DATABASE_URL APP_PHASE APP_CONFIG MAKEFLAGS MFLAGS MAKELEVEL NOTIFY_SOCKET
status=0 out= err=
PID= LISTENER=
trap '[ -n "$PID" ] && kill -9 "$PID" 2>/dev/null
      [ -n "$LISTENER" ] && kill "$LISTENER" 2>/dev/null
      [ -n "${KEEP_TEST_DIR:-}" ] || rm -rf "$T"' EXIT

cat >config/app.ini <<'EOF2'
[app]
phase = pre-user
[database]
url = sqlite:///var/app.db
EOF2

# A datagram socket as systemd's: each message on one line of notify.log.
cat >listener.py <<'EOF2'
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
with open(sys.argv[2], "a") as log:
    while True:
        msg = s.recv(4096).decode()
        log.write(msg.replace("\n", ";") + "\n")
        log.flush()
EOF2
/usr/bin/python3 listener.py "$T/notify.sock" "$T/notify.log" &
LISTENER=$!
i=0
while [ ! -S "$T/notify.sock" ] && [ "$i" -lt 100 ]; do sleep 0.05; i=$((i + 1)); done

wait_for() { # FILE PATTERN: until the pattern shows in the file (10 s)
    i=0
    until grep -q "$2" "$1" 2>/dev/null; do
        i=$((i + 1))
        [ "$i" -lt 200 ] || return 1
        sleep 0.05
    done
}

# 1. Readiness, once listening; STOPPING=1 on SIGTERM.
NOTIFY_SOCKET="$T/notify.sock" "$APP" serve --port 0 --pidfile var/app.pid \
    >"$T/serve.out" 2>"$T/serve.err" &
PID=$!
wait_for "$T/notify.log" 'READY=1'
checks=$((checks + 1))
grep -q "^READY=1;MAINPID=$PID;STATUS=listening on port [0-9]*$" "$T/notify.log" ||
    { out=$(cat "$T/notify.log"); err=""; fail "READY=1 with MAINPID=$PID"; }
port=$(sed -n 's/.*STATUS=listening on port \([0-9]*\)$/\1/p' "$T/notify.log")
# ready means ready: the first request after READY=1 is answered
status=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/health")
expect_status 200 "/health right after READY=1"
err=$(cat "$T/serve.err")
expect_err 'start-up: readiness sent to systemd'
kill -TERM "$PID"
wait "$PID"
status=$?
PID=
expect_status 0 "stops on SIGTERM"
wait_for "$T/notify.log" 'STOPPING=1'
expect_eq "$(grep -c . "$T/notify.log")" 2 "two messages: READY=1, STOPPING=1"

# 2. A start-up that fails sends nothing.
: >"$T/notify.log"
run env NOTIFY_SOCKET="$T/notify.sock" "$APP" serve --port 0 \
    --pidfile var/app.pid --bind 192.0.2.1
expect_status 1 "cannot listen on an address this host lacks"
sleep 0.2
expect_eq "$(grep -c . "$T/notify.log")" 0 "no readiness when start-up fails"

# 3. Without NOTIFY_SOCKET, nothing changes.
"$APP" serve --port 0 --pidfile var/app.pid >"$T/plain.out" 2>"$T/plain.err" &
PID=$!
wait_for "$T/plain.out" 'listening on'
kill -TERM "$PID"
wait "$PID"
status=$?
PID=
expect_status 0 "serves and stops without systemd"
err=$(cat "$T/plain.err")
expect_no 'systemd'
expect_eq "$(grep -c . "$T/notify.log")" 0 "nothing sent without NOTIFY_SOCKET"

# 4. make install: staged under DESTDIR, naming the PREFIX paths.
run make -s -C "$ROOT" BUILD="${BUILD:-build}" install DESTDIR="$T/stage" PREFIX=/usr/local
expect_status 0 "make install DESTDIR=..."
unit="$T/stage/usr/local/lib/systemd/system/app.service"
checks=$((checks + 1))
[ -x "$T/stage/usr/local/bin/app" ] && [ -f "$unit" ] &&
    [ -f "$T/stage/usr/local/lib/systemd/system/app@.service" ] &&
    [ -f "$T/stage/usr/local/lib/app/http.so" ] ||
    fail "binary, modules and units under DESTDIR"
out=$(cat "$unit")
expect_out '^Type=notify$'
expect_out '^ExecStart=/usr/local/bin/app --config /etc/app/app.ini serve --reuse-port --pidfile /run/app/app.pid$'
expect_out '^Restart=on-failure$'
expect_out '^NoNewPrivileges=yes$'
expect_out '^ProtectSystem=strict$'
expect_out '^PrivateTmp=yes$'
expect_out '^ReadWritePaths=/var/lib/app /var/backups/app$'
expect_out '^EnvironmentFile=-/etc/app/app.env$'
expect_no "$T/stage"
expect_no '@[A-Z]*@'

# 5. systemd-analyze verify on the units as installed.
P="$T/prefix"
run make -s -C "$ROOT" BUILD="${BUILD:-build}" install PREFIX="$P" \
    SYSCONFDIR="$P/etc" DBDIR="$P/var/lib/app" BACKUPDIR="$P/var/backups/app"
expect_status 0 "make install PREFIX=..."
run systemd-analyze verify "$P/lib/systemd/system/app.service"
expect_status 0 "systemd-analyze verify app.service"
expect_no 'app.service:'
(cd "$P/lib/systemd/system" && systemd-analyze verify ./app@blue.service) \
    >"$T/.out" 2>"$T/.err"
status=$?
out=$(cat "$T/.out") err=$(cat "$T/.err")
expect_status 0 "systemd-analyze verify app@blue.service"
# and it would say so: a unit with a mistake fails
sed 's/^Type=notify$/Type=notifyy/' "$P/lib/systemd/system/app.service" >"$T/bad.service"
run systemd-analyze verify "$T/bad.service"
expect_err "Failed to parse service type"
finish
