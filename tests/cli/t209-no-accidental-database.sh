#!/bin/sh
# A production database is never created by accident. A SQLite URL whose
# directory does not exist is refused in every phase and by every command,
# naming the directory (only var/ of the default URL is created); in the
# production phase a missing file is refused, naming it, unless the command
# says --create-database; no backup is written for a database that did
# not exist.
. "$(dirname "$0")/lib.sh"
unset DATABASE_URL APP_PHASE APP_CONFIG
mkdir -p migrations/versions
cat > migrations/versions/0001_notes.sql <<'SQL'
-- revision: 0001
-- message: notes

-- +upgrade
CREATE TABLE "notes" ("id" INTEGER PRIMARY KEY, "body" TEXT NOT NULL);

-- +downgrade
DROP TABLE "notes";
SQL
nothing_made() {
    checks=$((checks + 1))
    [ ! -e "$1" ] || fail "$2: $1 should not exist"
}

# --- a directory that does not exist, in both phases, for every command
for phase in pre-user production; do
    printf '[app]\nphase = %s\n[database]\nurl = sqlite:///srv/dta/app.db\n[migrations]\nbackup_dir = bk\n' \
        "$phase" > config/app.ini
    for cmd in "info" "upgrade" "upgrade head --create-database" \
               "stamp 0001 --no-verify" "stamp base --create-database" \
               "current" "status" "history" "check" "backup" "wait" \
               "transition" "prepare" "create-all" "downgrade base --yes"; do
        # shellcheck disable=SC2086
        run "$APP" db $cmd
        expect_status 1 "$phase: db $cmd"
        expect_one_line_err
        expect_err "^app db ${cmd%% *}: the directory of SQLite database srv/dta/app.db does not exist: srv/dta; fix \[database\] url (set by config/app.ini)"
    done
    run timeout 20 "$APP" serve --port 0
    expect_status 1 "$phase: serve"
    expect_one_line_err
    expect_err "^app serve: the directory of SQLite database srv/dta/app.db does not exist: srv/dta"
    expect_no "listening"
    nothing_made srv "$phase"
    nothing_made bk "$phase"
done
# absolute paths and DATABASE_URL alike
DATABASE_URL="sqlite:///$T/srv/data/app.db" run "$APP" db info
expect_status 1
expect_err "does not exist: $T/srv/data; fix \[database\] url (set by DATABASE_URL)"
nothing_made srv "absolute"

# --- the default development URL: var/ is created for you (pre-user)
printf '[app]\nphase = pre-user\n[database]\nurl = sqlite:///var/app.db\n' > config/app.ini
run "$APP" db info
expect_status 0
checks=$((checks + 1)); [ -f var/app.db ] || fail "pre-user creates var/app.db"
rm -rf var
# any other directory, even one named var, is not
DATABASE_URL=sqlite:///var/other.db run "$APP" db info
expect_status 1; expect_err "does not exist: var;"
nothing_made var "var/other.db"
# pre-user: a missing file in an existing directory is created
mkdir dev
DATABASE_URL=sqlite:///dev/app.db run "$APP" db current
expect_status 0
checks=$((checks + 1)); [ -f dev/app.db ] || fail "pre-user creates dev/app.db"

# --- production: a missing file is refused, naming it
mkdir data
printf '[app]\nphase = production\n[database]\nurl = sqlite:///data/app.db\n[migrations]\nbackup_dir = bk\n' > config/app.ini
for cmd in "info" "upgrade" "upgrade head" "stamp 0001 --no-verify" \
           "current" "status" "check" "wait" "transition" "prepare" \
           "downgrade base --yes" "revision --autogenerate -m x"; do
    # shellcheck disable=SC2086
    run "$APP" db $cmd
    expect_status 1 "production: db $cmd"
    expect_one_line_err
    expect_err "^app db ${cmd%% *}: SQLite database data/app.db does not exist, and the production phase never creates one by accident; fix \[database\] url (set by config/app.ini); to start a new production database on purpose: 'app db upgrade --create-database'"
done
run timeout 20 "$APP" serve --port 0
expect_status 1 "production: serve"
expect_err "^app serve: SQLite database data/app.db does not exist"
expect_no "listening"
# the default URL too: not even var/ is made in production
DATABASE_URL=sqlite:///var/app.db run "$APP" db upgrade
expect_status 1; expect_err "SQLite database var/app.db does not exist"
nothing_made var "production, default URL"
nothing_made data/app.db "production refusals"
nothing_made bk "production refusals"
expect_eq "$(ls migrations/versions)" "0001_notes.sql" "no revision written"

# --- backup: never of a database that does not exist, in either phase
for phase in pre-user production; do
    APP_PHASE=$phase run "$APP" db backup
    expect_status 1 "$phase: backup of nothing"
    expect_one_line_err
    expect_err "^app db backup: SQLite database data/app.db does not exist; nothing to back up"
    nothing_made data/app.db "$phase backup"
    nothing_made bk "$phase backup"
done

# --- creating it is a deliberate act; no backup of what did not exist
run "$APP" db upgrade --create-database
expect_status 0
expect_out "upgrade 0001: notes"
expect_err "^backup: none: the database did not exist before this command"
nothing_made bk "--create-database"
expect_eq "$(sqlite3 data/app.db 'select revision from app_version')" 0001
# now it exists: the flag changes nothing, and backups are taken again
run "$APP" db downgrade base --yes
expect_status 0; expect_err "^backup: bk/app-"
run "$APP" db upgrade head --create-database
expect_status 0; expect_err "^backup: bk/app-"
expect_eq "$(ls bk | wc -l)" 2 "two backups of the existing database"
run "$APP" db backup
expect_status 0; expect_out "^bk/app-"
# stamp takes the flag too (the dispatcher connects before it runs)
run "$APP" db stamp base --create-database
expect_status 0; expect_err "^backup: bk/app-"
DATABASE_URL=sqlite:///data/two.db run "$APP" db stamp base --create-database
expect_status 0; expect_out "stamped base"
expect_err "^backup: none: the database did not exist before this command"
expect_eq "$(sqlite3 data/two.db 'select count(*) from app_version')" 0
# still a missing directory with the flag
DATABASE_URL=sqlite:///dta/app.db run "$APP" db upgrade --create-database
expect_status 1; expect_err "does not exist: dta;"
nothing_made dta "--create-database, missing directory"
# the pre-user phase ignores the flag's need: it creates as before
DATABASE_URL=sqlite:///dev/three.db APP_PHASE=pre-user run "$APP" db upgrade --create-database
expect_status 0; expect_no "backup"
finish
