/*
 * users.c - the people who own tasks.
 */
#include "models.h"

static const struct db_column columns[] = {
    {.name = "id", .type = DB_TYPE_INTEGER, .primary_key = true,
     .autoincrement = true},
    {.name = "email", .type = DB_TYPE_VARCHAR, .length = 255},
    {.name = "name", .type = DB_TYPE_VARCHAR, .length = 120},
    {.name = "created_at", .type = DB_TYPE_TIMESTAMP,
     .def = DB_DEFAULT_CURRENT_TIME},
};

static const struct db_index indexes[] = {
    /* unique and indexed: one unique index, uq_users_email */
    {.columns = DB_COLS("email"), .unique = true},
};

const struct db_table model_users = {
    .name = "users",
    DB_ARRAY(columns, columns),
    DB_ARRAY(indexes, indexes),
};
