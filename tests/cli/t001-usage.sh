#!/bin/sh
# Help, unknown commands and options: exit codes and one-line errors.
. "$(dirname "$0")/lib.sh"

run "$APP" --help
expect_status 0; expect_out "usage: app"; expect_out "db <command>"

run "$APP" db --help
expect_status 0; expect_out "create-all"; expect_out "reset"; expect_out "info"

run "$APP" db reset --help
expect_status 0; expect_out "usage: app db reset \[--yes\] \[--sql\]"

run "$APP"
expect_status 2 "no command is a usage error"

run "$APP" frobnicate
expect_status 2; expect_err "unknown command 'frobnicate'"; expect_one_line_err

run "$APP" db frobnicate
expect_status 2; expect_err "unknown command 'db frobnicate'"; expect_one_line_err

run "$APP" db create-all --bogus
expect_status 2; expect_err "unknown or incomplete option '--bogus'"; expect_one_line_err

run "$APP" db info extra
expect_status 2; expect_err "unexpected argument 'extra'"; expect_one_line_err

run "$APP" --config
expect_status 2; expect_err "--config needs a file"

run "$APP" --version
expect_status 0; expect_out "^app "

# a prefix is not a command: destructive verbs match exactly
run "$APP" db res --yes
expect_status 2; expect_err "unknown command"

finish
