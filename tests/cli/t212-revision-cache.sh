#!/bin/sh
# The start-up check reads each revision file at most once, and not at all
# when migrations/.revision-cache holds it with the same device, inode,
# size, modification and status-change times; nor does it list the
# versions directory while the directory's own status is the one recorded
# (a file added, removed or renamed moves it). The checksum still
# guards every file that changed: an edited applied revision is refused,
# also when the edit keeps the size and `touch -d` restores the
# modification time. A damaged record only costs reading the files.
. "$(dirname "$0")/lib.sh"

printf '[database]\nurl = sqlite:///var/app.db\n' > config/app.ini
V=migrations/versions
mkdir -p $V
rev() { # rev ID PARENT
    {
        echo "-- revision: $1"
        [ -n "$2" ] && echo "-- down_revision: $2"
        printf -- '-- message: table %s\n\n-- +upgrade\nCREATE TABLE "t%s" ("id" INTEGER);\n\n' "$1" "$1"
        printf -- '-- +downgrade\nDROP TABLE "t%s";\n' "$1"
    } > "$V/$1_t.sql"
}
rev 0001 ""; rev 0002 0001; rev 0003 0002
R=migrations/.revision-cache
# sql_io CMD...: how many read(2) calls and opens of *.sql files CMD makes,
# and whether it lists the versions directory (getdents64: 1, else 0)
sql_io() {
    strace -f -y -e trace=openat,read,getdents64 -o "$T/.trace" "$@" >/dev/null 2>&1
    opens=$(grep -c 'openat(.*\.sql"' "$T/.trace")
    reads=$(grep -c '^[0-9]* *read([0-9]*<[^>]*\.sql>' "$T/.trace")
    lists=0
    grep -q 'getdents64([0-9]*<[^>]*/versions>' "$T/.trace" && lists=1
}

run "$APP" db upgrade head
expect_status 0; expect_out "upgrade 0003"
# files changed this very second are read every time, never recorded
sql_io "$APP" db current
expect_eq "$opens $reads" "3 3" "each new file is opened and read once"
expect_eq "$(ls -A migrations $V | grep -c revision-cache)" "0" "nothing settled to record yet"

# settled files are recorded, then not read again
sleep 2.2
run "$APP" db current
expect_status 0; expect_out "0003"
[ -s $R ] || fail "the record is written once the files have settled"
sql_io "$APP" db current
expect_eq "$opens $reads $lists" "0 0 0" "an unchanged directory reads no revision file, nor lists it"
sql_io "$APP" db upgrade head
expect_eq "$opens $reads" "0 0" "nor does a no-op upgrade"
run "$APP" db history
expect_status 0; expect_out "table 0002"

# an edit that changes the size is seen
cp $V/0002_t.sql "$T/orig"
echo "-- a comment" >> $V/0002_t.sql
run "$APP" db current
expect_status 1; expect_one_line_err
expect_err "revision 0002 was edited after it was applied"
run "$APP" db upgrade head
expect_status 1; expect_err "revision 0002 was edited after it was applied"

# the same size, the modification time put back: the status-change time moved
cp "$T/orig" $V/0002_t.sql
sleep 2.2
run "$APP" db current
expect_status 0
sql_io "$APP" db current
expect_eq "$opens" "0" "restored and settled: recorded again"
stamp=$(stat -c %y $V/0002_t.sql)
sed -i 's/"t0002"/"x0002"/' $V/0002_t.sql
touch -d "$stamp" $V/0002_t.sql
expect_eq "$(stat -c '%s %y' $V/0002_t.sql)" "$(stat -c '%s' "$T/orig") $stamp" \
    "the edit keeps the size and the modification time"
run "$APP" db current
expect_status 1; expect_one_line_err
expect_err "revision 0002 was edited after it was applied"
sleep 2.2
run "$APP" db current
expect_status 1; expect_err "revision 0002 was edited after it was applied"
cp "$T/orig" $V/0002_t.sql
sleep 2.2
run "$APP" db current
expect_status 0

# a damaged record: its text no longer matches its checksum, so the file
# is read; a truncated or foreign record is ignored
sql_io "$APP" db current
expect_eq "$opens" "0" "recorded"
sed -i 's/table 0002/tablX 0002/' $R
sql_io "$APP" db current
expect_eq "$opens $reads" "1 1" "the entry whose text fails its checksum is read from the file"
expect_eq "$lists" "1" "and the directory is listed: a damaged record names nothing"
run "$APP" db history
expect_status 0; expect_out "table 0002"; expect_no "tablX"
head -c 100 $R > "$T/cut" && cp "$T/cut" $R
run "$APP" db current
expect_status 0; expect_out "0003"
echo "not a record" > $R
run "$APP" db upgrade head
expect_status 0; expect_out "nothing to upgrade"

# revisions to apply from the record: a start-up reads only the headers of
# recorded files, and the blocks of the ones it applies come from the
# record too (no file opened), the checksums recorded with them
sleep 2.2
run "$APP" db current
expect_status 0
run "$APP" db downgrade 0001 --yes
expect_status 0
expect_eq "$(sqlite3 var/app.db "SELECT count(*) FROM sqlite_master WHERE name IN ('t0002', 't0003')")" "0" "downgraded"
sql_io "$APP" db upgrade head
expect_eq "$opens $reads" "0 0" "the pending revisions' SQL comes from the record"
expect_eq "$(sqlite3 var/app.db "SELECT count(*) FROM sqlite_master WHERE name IN ('t0002', 't0003')")" "2" "and runs"
run "$APP" db current
expect_status 0; expect_out "0003"
# a new file beside recorded ones: read once, applied with them
rev 0004 0003
run "$APP" db upgrade head
expect_status 0; expect_out "0004"
expect_eq "$(sqlite3 var/app.db "SELECT count(*) FROM sqlite_master WHERE name = 't0004'")" "1" "the new revision ran"
run "$APP" db show 0002
expect_status 0; expect_out 'CREATE TABLE "t0002"'

# the names come from the record while the directory is unchanged; a file
# added or removed moves the directory, which is listed again
sleep 2.2
run "$APP" db current
expect_status 0
sql_io "$APP" db heads
expect_eq "$lists" "0" "settled: the directory is not listed"
rev 0005 0004
sql_io "$APP" db heads
expect_eq "$lists" "1" "a file added: listed"
run "$APP" db heads
expect_status 0; expect_out "0005"
sleep 2.2
run "$APP" db heads
expect_status 0
sql_io "$APP" db heads
expect_eq "$lists" "0" "settled again"
rm $V/0005_t.sql
run "$APP" db heads
expect_status 0; expect_out "0004"; expect_no "0005"
# an edit in place leaves the directory's times alone: the file's own
# entry still catches it
sleep 2.2
run "$APP" db current
sql_io "$APP" db current
expect_eq "$lists" "0" "settled"
echo "-- a comment" >> $V/0003_t.sql
run "$APP" db current
expect_status 1; expect_err "revision 0003 was edited after it was applied"
sed -i '$d' $V/0003_t.sql

# a record an earlier version kept inside the versions directory is removed
cp $R $V/.revision-cache
run "$APP" db current
expect_status 0
[ ! -e $V/.revision-cache ] || fail "the old record in the versions directory is removed"

finish
