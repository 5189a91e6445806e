#!/bin/sh
# Drops the models' tables in the configured database and recreates them empty.
# What `make db-reset` runs. Refused in the production phase.
# Usage: scripts/reset_database.sh [--yes]    (or YES=1 in the environment)
# CONFIG=file picks the INI file (default config/app.ini); BUILD=dir the build.
set -eu
cd "$(dirname "$0")/.."
app="${BUILD:-build}/app"
config="${CONFIG:-config/app.ini}"
if [ ! -x "$app" ]; then
    echo "reset_database: $app is missing; run 'make' first" >&2
    exit 1
fi
yes=""
if [ "${1:-}" = "--yes" ] || [ "${YES:-}" = "1" ]; then
    yes="--yes"
fi
if [ -z "$yes" ] && [ ! -t 0 ]; then
    echo "reset_database: refusing to reset without confirmation: stdin is not a terminal; use 'make db-reset YES=1' or --yes" >&2
    exit 1
fi
exec "$app" --config "$config" db reset $yes
