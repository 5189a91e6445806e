#!/bin/sh
# The flip on PostgreSQL, in a schema of its own: the same journey as t601,
# and no scratch schema is left behind.
. "$(dirname "$0")/lib.sh"
. "$ROOT/tests/cli/pglib.sh"
SCHEMA=t6_$$_$(date +%s)
trap '[ -f "$T/var/app.pid" ] && kill -TERM "$(cat "$T/var/app.pid")" 2>/dev/null; sleep 0.2
psql -X -q "$TEST_PG_URL" -c "DROP SCHEMA IF EXISTS $SCHEMA CASCADE" >/dev/null 2>&1; rm -rf "$T"' EXIT

sql() { pg "$1"; }
ini() {
    printf '[app]\nphase = %s\n[database]\nurl = %s\nschema = %s\n' \
        "$1" "$TEST_PG_URL" "$SCHEMA" > config/app.ini
}
scratch_before=$(psql -X -At "$TEST_PG_URL" -c "SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'app\_scratch\_%'")
. "$ROOT/tests/cli/flipjourney.sh"
expect_eq "$(psql -X -At "$TEST_PG_URL" -c "SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'app\_scratch\_%'")" \
    "$scratch_before" "every scratch schema was dropped"

# a transaction=false revision is rehearsed in the rolled-back transaction
# in its transactional form (without CONCURRENTLY), and says so
cat > migrations/versions/0003_concurrently.sql <<'SQL'
-- revision: 0003
-- down_revision: 0002
-- message: index concurrently

-- +upgrade transaction=false
CREATE INDEX CONCURRENTLY "ix_audit_what" ON "audit" ("what");

-- +downgrade transaction=false
DROP INDEX CONCURRENTLY "ix_audit_what";
SQL
run "$APP" db upgrade --rehearse
expect_status 0 "a transaction=false revision is rehearsed"
expect_out '^    rehearsed as CREATE INDEX "ix_audit_what" ON "audit" ("what"); the live form, CONCURRENTLY, takes ShareUpdateExclusiveLock'
expect_out '^rehearse downgrade 0003: index concurrently'
expect_eq "$(sql "SELECT count(*) FROM pg_class WHERE relname = 'ix_audit_what'")" 0 "nothing of it stays"
finish
