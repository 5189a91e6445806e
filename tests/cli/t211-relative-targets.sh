#!/bin/sh
# Relative targets follow the graph: +N walks the child edges from the
# single current revision, -N the parent edges; a branch point, a merge,
# a head, base or several current revisions refuse with one line that
# names the revision, and nothing changes. Offline --sql walks the same.
. "$(dirname "$0")/lib.sh"

printf '[database]\nurl = sqlite:///var/app.db\n' > config/app.ini
mkdir -p migrations/versions
# rev ID PARENTS: a revision that creates the table "t<ID>"
rev() {
    {
        echo "-- revision: $1"
        [ -n "$2" ] && echo "-- down_revision: $2"
        printf -- '-- message: r%s\n\n-- +upgrade\nCREATE TABLE "t%s" ("id" INTEGER);\n\n' "$1" "$1"
        printf -- '-- +downgrade\nDROP TABLE "t%s";\n' "$1"
    } > "migrations/versions/$1_r.sql"
}
# 0120 - 0121 - 0122 (branch point) - 0124 - 0125 - 0126 - 0127   (branch A)
#                                  \- 0123                        (branch B)
rev 0120 ""; rev 0121 0120; rev 0122 0121; rev 0123 0122
rev 0124 0122; rev 0125 0124; rev 0126 0125; rev 0127 0126
tables() { sqlite3 var/app.db "select group_concat(name, ' ') from (select name from sqlite_master where type='table' and name like 't%' order by name)"; }
current() { "$APP" db current | sort | tr '\n' ' ' | sed 's/ $//'; }

run "$APP" db upgrade 0126
expect_status 0
# the issue's example: heads 0127 (A) and 0123 (B) pending, database at 0126
run "$APP" db upgrade +1
expect_status 0; expect_out "upgrade 0127: r0127"; expect_no "0123"
expect_eq "$(current)" "0127" "+1 follows the branch the database is on"
expect_eq "$(tables)" "t0120 t0121 t0122 t0124 t0125 t0126 t0127"

# past the head: one line, naming the head, nothing changed
run "$APP" db upgrade +1
expect_status 1; expect_one_line_err
expect_err "'+1' goes past the head: revision 0127 has no child; name the revision itself, e.g. 'app db upgrade 0127'; 'app db history' lists the revisions"
expect_eq "$(current)" "0127" "a refused upgrade changes nothing"

# -N walks the parent edges of the current revision
run "$APP" db downgrade -2 --yes
expect_status 0; expect_out "downgrade 0127"; expect_out "downgrade 0126"
expect_eq "$(current)" "0125"
run "$APP" db upgrade +3
expect_status 1; expect_one_line_err; expect_err "'+3' goes past the head: revision 0127 has no child"
expect_eq "$(current)" "0125"

# a branch point on the way
run "$APP" db downgrade 0121 --yes
expect_status 0; expect_eq "$(current)" "0121"
run "$APP" db upgrade +2
expect_status 1; expect_one_line_err
expect_err "'+2' is ambiguous: revision 0122 is a branch point with 2 children (0123, 0124); name the revision to go to, e.g. 'app db upgrade 0123'; 'app db history' shows the branches"
expect_eq "$(tables)" "t0120 t0121" "a refused walk applies nothing"
run "$APP" db upgrade +1
expect_status 0; expect_eq "$(current)" "0122"
run "$APP" db upgrade 0124+2
expect_status 0; expect_eq "$(current)" "0126" "REV+N walks from REV"
run "$APP" db upgrade 0122+1
expect_status 1; expect_err "revision 0122 is a branch point"; expect_one_line_err

# several current revisions: +N and -N name them and ask for a revision
run "$APP" db upgrade heads
expect_status 0; expect_eq "$(current)" "0123 0127"
run "$APP" db upgrade +1
expect_status 1; expect_one_line_err
expect_err "'+1' is ambiguous: the database has 2 current revisions (0123, 0127); name the revision to start from, e.g. 'app db upgrade 0123+1'"
run "$APP" db downgrade -1 --yes
expect_status 1; expect_one_line_err
expect_err "'-1' is ambiguous: the database has 2 current revisions (0123, 0127); name the revision to start from, e.g. 'app db downgrade 0123-1'"
expect_eq "$(current)" "0123 0127" "nothing changed"
run "$APP" db downgrade 0127-1 --yes
expect_status 0; expect_eq "$(current)" "0123 0126" "REV-N undoes what follows REV-N"

# a merge: -1 at the merge itself is ambiguous
rev 0128 "0123, 0127"
run "$APP" db upgrade +1
expect_status 1; expect_err "2 current revisions"
run "$APP" db upgrade head
expect_status 0; expect_eq "$(current)" "0128"
run "$APP" db downgrade -1 --yes
expect_status 1; expect_one_line_err
expect_err "'-1' is ambiguous: revision 0128 is a merge of 0123, 0127; name the revision to go back to, e.g. 'app db downgrade 0123'; 'app db history' shows the branches"
expect_eq "$(current)" "0128"
run "$APP" db downgrade 0127-2 --yes
expect_status 0; expect_eq "$(current)" "0123 0125" "the merge and what follows 0125 on both sides go"

# past base, and exactly to base
run "$APP" db downgrade 0121-3 --yes
expect_status 1; expect_one_line_err
expect_err "'0121-3' goes past base: base is 2 steps below 0121; 'app db downgrade base' undoes every revision"
run "$APP" db downgrade 0121-2 --yes
expect_status 0; expect_eq "$(current)" "" "a walk that ends at base undoes everything"
expect_eq "$(tables)" ""
run "$APP" db downgrade -1 --yes
expect_status 1; expect_err "'-1' goes past base: the database is at base"
# from base, +N walks from the first revision
run "$APP" db upgrade +2
expect_status 0; expect_eq "$(current)" "0121"
run "$APP" db upgrade -- -1
expect_status 1; expect_err "upgrade goes forward, '-1' goes back; 'app db downgrade -1'"
run "$APP" db downgrade +1 --yes
expect_status 1; expect_err "downgrade goes back, '+1' goes forward"
run "$APP" db upgrade +0
expect_status 1; expect_err "bad relative target '+0'"

# offline: FROM:TARGET walks from FROM as the database would
run "$APP" db upgrade --sql 0126:+1
expect_status 0; expect_out "^-- upgrade 0127"; expect_no "upgrade 0123"
run "$APP" db upgrade --sql 0121:+2
expect_status 1; expect_one_line_err; expect_err "revision 0122 is a branch point"
run "$APP" db downgrade --sql 0126:-2
expect_status 0; expect_out "^-- downgrade 0126"; expect_out "^-- downgrade 0125"; expect_no "downgrade 0124"
run "$APP" db downgrade --sql 0128:-1
expect_status 1; expect_err "revision 0128 is a merge"
expect_eq "$(current)" "0121" "--sql changes nothing"
finish
