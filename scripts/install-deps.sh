#!/bin/sh
# Installs the Debian packages the project builds, tests and benchmarks with.
# As root it runs apt-get; otherwise it prints the exact command to run.
# Usage: scripts/install-deps.sh [--check]   (--check: exit 1 if anything is missing)
set -eu

PACKAGES="gcc make pkg-config libsqlite3-dev sqlite3 libpq-dev postgresql \
libinih-dev check liburiparser-dev nettle-dev libjansson-dev \
libmicrohttpd-dev libsodium-dev libsystemd-dev curl postgresql-client \
hyperfine wrk systemd bsdutils python3-alembic python3-psycopg2 clang \
libclang-rt-dev llvm libpg-query-dev libprotobuf-c-dev strace"

missing=""
for p in $PACKAGES; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
        missing="$missing $p"
    fi
done

if [ -z "$missing" ]; then
    exit 0
fi
if [ "${1:-}" = "--check" ]; then
    echo "missing packages:$missing" >&2
    exit 1
fi

if [ "$(id -u)" -ne 0 ]; then
    echo "install-deps: missing Debian packages:$missing" >&2
    echo "install-deps: run: sudo apt-get update && sudo apt-get install -y$missing" >&2
    exit 1
fi

echo "install-deps: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -q >/dev/null
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing >/dev/null
