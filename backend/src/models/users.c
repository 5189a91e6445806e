/*
 * users.c - the people who own tasks.
 *
 * password_hash is an Argon2id string from libsodium's crypto_pwhash_str
 * ("$argon2id$v=19$m=...,t=...,p=1$salt$hash"), never shown. It is
 * nullable so that the pre-user sync can add it to a table with rows: a
 * user without one cannot log in until an operator runs
 * `app users set-password EMAIL`.
 */
#include "models.h"

static const struct db_column columns[] = {
    {.name = "id", .type = DB_TYPE_BIGINT, .primary_key = true,
     .autoincrement = true},
    {.name = "email", .type = DB_TYPE_VARCHAR, .length = 255},
    {.name = "name", .type = DB_TYPE_VARCHAR, .length = 120},
    {.name = "created_at", .type = DB_TYPE_TIMESTAMP,
     .def = DB_DEFAULT_CURRENT_TIME},
    {.name = "password_hash", .type = DB_TYPE_TEXT, .nullable = true},
    /* the user's preferences, a JSON object the API stores as given */
    {.name = "settings", .type = DB_TYPE_JSON, .def = DB_DEFAULT_STR("{}")},
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
