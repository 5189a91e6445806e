#!/bin/sh
# A throwaway PostgreSQL cluster for the tests, from Debian's postgresql
# packages: Unix socket only, trust authentication, durability off.
#
#   scripts/pg-test-server.sh start    initdb if needed, start, wait until it
#                                      accepts connections (idempotent)
#   scripts/pg-test-server.sh url      print the connection URL
#   scripts/pg-test-server.sh status   exit 0 if running, 1 if not
#   scripts/pg-test-server.sh restart  pg_ctl restart -m fast (sessions are
#                                      ended), wait until it accepts again
#   scripts/pg-test-server.sh stop     stop the server and remove the cluster
#
# PGTEST_DIR (default build/pgtest) holds the cluster (data/), its log
# (server.log) and the socket. PGTEST_PORT (default 5432) only names the
# socket file: nothing listens on TCP. As root, initdb and pg_ctl run as the
# `postgres` system user, which then owns PGTEST_DIR; when that user cannot
# reach PGTEST_DIR (a checkout in a private home directory), the cluster
# lives in /tmp/pgtest-<checksum of PGTEST_DIR> instead, and `url` says so.
#
# Besides the superuser `postgres`, the cluster has a role `pwtest` that must
# log in with a password (scram-sha-256): tests set its password and check
# that a wrong one is reported without echoing either.
set -eu

cd "$(dirname "$0")/.."
PGTEST_DIR=${PGTEST_DIR:-build/pgtest}
mkdir -p "$PGTEST_DIR"
PGTEST_DIR=$(cd "$PGTEST_DIR" && pwd)
PGTEST_PORT=${PGTEST_PORT:-5432}

die() {
    echo "pg-test-server: $*" >&2
    exit 1
}

# Debian installs the server programs under /usr/lib/postgresql/<major>/bin.
BIN=
for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V); do
    [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ] && BIN=$d
done
[ -n "$BIN" ] || die "no PostgreSQL server found under /usr/lib/postgresql/*/bin; run scripts/install-deps.sh"

# initdb refuses to run as root: run the server programs as `postgres`.
AS=
if [ "$(id -u)" -eq 0 ]; then
    id postgres >/dev/null 2>&1 || die "running as root but there is no 'postgres' system user to run the server"
    command -v runuser >/dev/null 2>&1 || die "running as root but runuser (util-linux) is missing"
    AS=postgres
fi

# as CMD...: runs a server program as the server's user.
as() {
    if [ -z "$AS" ]; then
        "$@"
    else
        runuser -u postgres -- "$@"
    fi
}

# DIR holds the cluster, its log and its socket: PGTEST_DIR, unless the
# server's user cannot reach it (a checkout under a private home directory,
# as root): then a directory of its own under /tmp, named after PGTEST_DIR
# so that start, url and stop agree.
DIR=$PGTEST_DIR
if [ -n "$AS" ] && ! as test -x "$PGTEST_DIR"; then
    DIR=/tmp/pgtest-$(printf '%s' "$PGTEST_DIR" | cksum | cut -d' ' -f1)
    mkdir -p "$DIR"
    chmod 755 "$DIR"
fi
DATA=$DIR/data
LOG=$DIR/server.log

socket=$DIR/.s.PGSQL.$PGTEST_PORT
[ "${#socket}" -lt 100 ] || die "socket path $socket is too long for a Unix socket; set PGTEST_DIR to a shorter path"

running() {
    [ -f "$DATA/PG_VERSION" ] && as "$BIN/pg_ctl" -D "$DATA" status >/dev/null 2>&1
}

accepting() {
    "$BIN/pg_isready" -q -h "$DIR" -p "$PGTEST_PORT" -U postgres -d postgres
}

show_log() {
    if [ -f "$LOG" ]; then
        echo "pg-test-server: last lines of $LOG:" >&2
        tail -n 20 "$LOG" >&2
    fi
}

init_cluster() {
    rm -rf "$DATA"
    if [ -n "$AS" ]; then
        chown postgres: "$DIR"
        as test -w "$DIR" ||
            die "user postgres cannot write to $DIR (check the permissions of its parent directories)"
    fi
    as "$BIN/initdb" -D "$DATA" -U postgres --auth=trust --encoding=UTF8 \
        --locale=C.UTF-8 >"$DIR/initdb.log" 2>&1 || {
        tail -n 20 "$DIR/initdb.log" >&2
        die "initdb failed (full output in $DIR/initdb.log)"
    }
    as sh -c "cat >>'$DATA/postgresql.conf'" <<EOF
# pg-test-server.sh: a throwaway cluster for tests
listen_addresses = ''
unix_socket_directories = '$DIR'
unix_socket_permissions = 0777
port = $PGTEST_PORT
max_connections = 100
shared_buffers = 32MB
fsync = off
synchronous_commit = off
full_page_writes = off
logging_collector = off
EOF
    as sh -c "cat >'$DATA/pg_hba.conf'" <<EOF
# pwtest must give its password; everyone else is trusted (socket only).
local   all   pwtest   scram-sha-256
local   all   all      trust
EOF
}

start() {
    if running && accepting; then
        return 0
    fi
    [ -f "$DATA/PG_VERSION" ] || init_cluster
    [ -z "$AS" ] || { touch "$LOG"; chown postgres: "$LOG"; }
    if ! running; then
        as "$BIN/pg_ctl" -D "$DATA" -l "$LOG" -w -t 60 start >/dev/null 2>&1 || {
            show_log
            die "the server in $DATA did not start"
        }
    fi
    i=0
    until accepting; do
        i=$((i + 1))
        if [ "$i" -gt 300 ]; then
            show_log
            die "the server in $DATA does not accept connections"
        fi
        sleep 0.1
    done
    "$BIN/psql" -X -q -h "$DIR" -p "$PGTEST_PORT" -U postgres -d postgres \
        -v ON_ERROR_STOP=1 >/dev/null 2>&1 <<'EOF' || die "cannot set up role pwtest"
DO $$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'pwtest') THEN
    CREATE ROLE pwtest LOGIN;
  END IF;
END $$;
EOF
}

stop() {
    if running; then
        as "$BIN/pg_ctl" -D "$DATA" -m fast -w -t 60 stop >/dev/null 2>&1 || {
            show_log
            die "the server in $DATA did not stop"
        }
    fi
    rm -rf "$DATA" "$LOG" "$DIR/initdb.log"
    [ "$DIR" = "$PGTEST_DIR" ] || rmdir "$DIR" 2>/dev/null || true
}

restart() {
    running || die "the server in $DATA is not running; use start"
    as "$BIN/pg_ctl" -D "$DATA" -l "$LOG" -m fast -w -t 60 restart >/dev/null 2>&1 || {
        show_log
        die "the server in $DATA did not restart"
    }
    i=0
    until accepting; do
        i=$((i + 1))
        if [ "$i" -gt 300 ]; then
            show_log
            die "the server in $DATA does not accept connections"
        fi
        sleep 0.02
    done
}

url() {
    if [ "$PGTEST_PORT" = 5432 ]; then
        echo "postgresql://postgres@/postgres?host=$DIR"
    else
        echo "postgresql://postgres@/postgres?host=$DIR&port=$PGTEST_PORT"
    fi
}

case "${1:-}" in
start) start ;;
stop) stop ;;
restart) restart ;;
url) url ;;
status)
    if running && accepting; then
        echo "running: $(url)"
    else
        echo "not running ($DATA)"
        exit 1
    fi
    ;;
*)
    echo "usage: scripts/pg-test-server.sh start|stop|restart|url|status" >&2
    exit 2
    ;;
esac
