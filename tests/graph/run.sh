#!/bin/sh
# The revision graph, differentially against Alembic (Debian's
# python3-alembic, importable only from /usr/bin/python3): random graphs,
# the same upgrade/downgrade steps on both, the outcome, the tables and the
# current revisions compared after every step.
# Usage: APP=build/app [SEEDS=1-100] [JOBS=2] tests/graph/run.sh [options]
# (options go to alembic_diff.py: -v, --summary, --keep, --steps N)
set -eu
cd "$(dirname "$0")/../.."
: "${APP:?APP must name the binary under test}"
PY=/usr/bin/python3
if ! "$PY" -c 'import alembic, sqlalchemy' 2>/dev/null; then
    echo "graph-diff: $PY cannot import alembic; install python3-alembic (scripts/install-deps.sh)" >&2
    exit 1
fi
exec "$PY" tests/graph/alembic_diff.py --app "$APP" --seeds "${SEEDS:-1-100}" \
    --jobs "${JOBS:-2}" "$@"
