/*
 * sessions.c - log-in tokens. The token itself is shown once, at log-in,
 * and never stored: token_hash is the hex SHA-256 of it. A session ends at
 * expires_at or when revoked_at is set (log-out, a new password); deleting
 * the user deletes their sessions.
 */
#include "models.h"

static const struct db_column columns[] = {
    {.name = "id", .type = DB_TYPE_BIGINT, .primary_key = true,
     .autoincrement = true},
    {.name = "user_id", .type = DB_TYPE_BIGINT},
    {.name = "token_hash", .type = DB_TYPE_VARCHAR, .length = 64},
    {.name = "created_at", .type = DB_TYPE_TIMESTAMP,
     .def = DB_DEFAULT_CURRENT_TIME},
    {.name = "expires_at", .type = DB_TYPE_TIMESTAMP},
    {.name = "last_used_at", .type = DB_TYPE_TIMESTAMP},
    {.name = "revoked_at", .type = DB_TYPE_TIMESTAMP, .nullable = true},
};

static const struct db_index indexes[] = {
    {.columns = DB_COLS("token_hash"), .unique = true},
    {.columns = DB_COLS("user_id")},
};

static const struct db_foreign_key foreign_keys[] = {
    {.column = "user_id", .ref_table = "users", .ref_column = "id",
     .on_delete = DB_FK_CASCADE},
};

const struct db_table model_sessions = {
    .name = "sessions",
    DB_ARRAY(columns, columns),
    DB_ARRAY(indexes, indexes),
    DB_ARRAY(foreign_keys, foreign_keys),
};
