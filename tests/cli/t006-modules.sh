#!/bin/sh
# libpq and libmicrohttpd live in modules loaded on first use: a binary
# without its modules says which module, where it looked and what to do;
# APP_MODULE_DIR points it at them; SQLite commands never need them.
. "$(dirname "$0")/lib.sh"

: "${TEST_PG_URL:?make check sets TEST_PG_URL}"
mods=$(dirname "$APP")/modules
mkdir -p bin
cp "$APP" bin/app
printf '[database]\nurl = sqlite:///app.db\n' > config/app.ini

run bin/app db create-all
expect_status 0 "SQLite needs no module"

DATABASE_URL="$TEST_PG_URL" run bin/app db wait --seconds 0
expect_status 1
expect_err "cannot load the postgresql module: not found; looked in $T/bin/modules/postgresql.so"
expect_err "set APP_MODULE_DIR"
expect_one_line_err

run bin/app serve --port 0
expect_status 1; expect_err "cannot load the http module"; expect_one_line_err

APP_MODULE_DIR=$mods DATABASE_URL="$TEST_PG_URL" run bin/app db wait --seconds 0
expect_status 0; expect_out "database ready"

# the binary in place finds its modules beside it
DATABASE_URL="$TEST_PG_URL" run "$APP" db wait --seconds 0
expect_status 0

# GnuTLS, loaded beneath libpq, asks the binary whether to initialise
# itself on load, and the binary says no (module.c)
DATABASE_URL="$TEST_PG_URL" run env LD_DEBUG=bindings "$APP" db wait --seconds 0
expect_status 0
expect_err "libgnutls[^ ]* \[0\] to [^ ]*/app \[0\]: normal symbol .\?_gnutls_global_init_skip"
finish
