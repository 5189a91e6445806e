#!/bin/sh
# SQLite's WAL frames reach the file in one write each (the driver's VFS,
# db/drivers/sqlite_vfs.c): a frame's 24-byte header goes out with its
# page, never alone, and what is written reads back whole.
. "$(dirname "$0")/lib.sh"

printf '[database]\nurl = sqlite:///var/app.db\n' > config/app.ini
V=migrations/versions
mkdir -p $V
cat > $V/0001_t.sql <<'SQL'
-- revision: 0001
-- message: a table and three indexes

-- +upgrade
CREATE TABLE "t" ("id" INTEGER PRIMARY KEY, "a" TEXT, "b" TEXT, "c" TEXT);
CREATE INDEX "ix_t_a" ON "t" ("a");
CREATE INDEX "ix_t_b" ON "t" ("b");
CREATE INDEX "ix_t_c" ON "t" ("c");
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000)
INSERT INTO "t" ("a", "b", "c") SELECT 'a' || i, 'b' || i, 'c' || i FROM n;

-- +downgrade
DROP TABLE "t";
SQL
# (a leak check under strace cannot attach: off for this run only)
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
    strace -f -y -e trace=pwrite64,pwritev,write -o "$T/.trace" \
    "$APP" db upgrade head >"$T/.out" 2>"$T/.err"
status=$?
out=$(cat "$T/.out")
err=$(cat "$T/.err")
expect_status 0 "the upgrade runs under strace"
# pwrite64(FD</path/var/app.db-wal>, "..."..., SIZE, OFFSET) = SIZE
wal_writes() { grep -E "^[0-9]+ +pwrite64\([0-9]+<[^>]*app\.db-wal>, .*, $1, [0-9]+\) = $1\$" "$T/.trace" | wc -l; }
expect_eq "$(wal_writes 24)" "0" "no frame header written alone"
frames=$(wal_writes 4120)
[ "$frames" -ge 10 ] || { out="$frames"; err="expected: 10 or more"; fail "frames written whole, header and page at once"; }
checks=$((checks + 1))
run "$APP" db current
expect_status 0; expect_out "0001"
expect_eq "$(sqlite3 var/app.db 'PRAGMA integrity_check')" "ok" "the database reads back whole"
expect_eq "$(sqlite3 var/app.db "SELECT count(*), max(c) FROM t")" "2000|c999" "with every row"

run "$APP" db downgrade base --yes
expect_status 0
expect_eq "$(sqlite3 var/app.db "SELECT count(*) FROM sqlite_master WHERE name = 't'")" "0" "downgraded"
finish
