/*
 * login_failures.c - one row per failed log-in, by the email tried (known
 * or not), so that every instance of the app counts the same failures.
 * Rows older than [auth] failure_window are deleted as new ones arrive;
 * a successful log-in deletes the email's rows.
 */
#include "models.h"

static const struct db_column columns[] = {
    {.name = "id", .type = DB_TYPE_BIGINT, .primary_key = true,
     .autoincrement = true},
    {.name = "email", .type = DB_TYPE_VARCHAR, .length = 255},
    /* Unix time in seconds: compared as a number on every database */
    {.name = "failed_at", .type = DB_TYPE_BIGINT},
};

static const struct db_index indexes[] = {
    {.columns = DB_COLS("email", "failed_at")},
    {.columns = DB_COLS("failed_at")},
};

const struct db_table model_login_failures = {
    .name = "login_failures",
    DB_ARRAY(columns, columns),
    DB_ARRAY(indexes, indexes),
};
