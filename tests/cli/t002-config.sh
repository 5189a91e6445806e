#!/bin/sh
# Bad config files: one line naming file, line and accepted values; exit 1.
. "$(dirname "$0")/lib.sh"

printf '[app]\nphase = beta\n' > config/app.ini
run "$APP" db info
expect_status 1
expect_err "config/app.ini:2: bad \[app\] phase 'beta'; accepted: pre-user, production"
expect_one_line_err
[ ! -e var ] || fail "nothing should be created on a bad config"

printf '[database]\nurl = sqlite:///a.db\nuser = me\n' > other.ini
run "$APP" --config other.ini db info
expect_status 1; expect_err "other.ini:3: unknown key 'user' in \[database\]; accepted: url,"
expect_one_line_err

printf '[databse]\nurl = sqlite:///a.db\n' > config/app.ini
run "$APP" db create-all
expect_status 1; expect_err "config/app.ini:2: unknown section \[databse\]"

printf '[database]\nurl = mysql://localhost/x\n' > config/app.ini
run "$APP" db create-all
expect_status 1; expect_err "unknown database url scheme 'mysql'; accepted: sqlite:///"

run "$APP" --config missing.ini db info
expect_status 1; expect_err "missing.ini: cannot read config file"; expect_one_line_err

# APP_CONFIG and --config=FILE pick the file; the environment overrides keys
printf '[app]\nphase = pre-user\n[database]\nurl = sqlite:///from-file.db\n' > env.ini
APP_CONFIG=env.ini run "$APP" db create-all
expect_status 0
[ -f from-file.db ] || fail "APP_CONFIG should pick env.ini"
DATABASE_URL=sqlite:///from-env.db run "$APP" --config=env.ini db create-all
expect_status 0
[ -f from-env.db ] || fail "DATABASE_URL should override the file's url"
APP_PHASE=later run "$APP" --config=env.ini db info
expect_status 1; expect_err "bad APP_PHASE 'later'"

finish
