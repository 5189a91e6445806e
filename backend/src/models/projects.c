/*
 * projects.c - a user's projects, which group tasks. A user's project
 * names are unique (a composite unique index on user_id and name);
 * deleting the user deletes them, and deleting a project leaves its tasks
 * without a project (tasks.project_id ON DELETE SET NULL).
 */
#include "models.h"

static const struct db_column columns[] = {
    {.name = "id", .type = DB_TYPE_BIGINT, .primary_key = true,
     .autoincrement = true},
    {.name = "user_id", .type = DB_TYPE_BIGINT},
    {.name = "name", .type = DB_TYPE_VARCHAR, .length = 120},
    {.name = "created_at", .type = DB_TYPE_TIMESTAMP,
     .def = DB_DEFAULT_CURRENT_TIME},
};

static const struct db_index indexes[] = {
    /* uq_projects_user_id_name; it serves lookups by user_id too */
    {.columns = DB_COLS("user_id", "name"), .unique = true},
};

static const struct db_foreign_key foreign_keys[] = {
    {.column = "user_id", .ref_table = "users", .ref_column = "id",
     .on_delete = DB_FK_CASCADE},
};

const struct db_table model_projects = {
    .name = "projects",
    DB_ARRAY(columns, columns),
    DB_ARRAY(indexes, indexes),
    DB_ARRAY(foreign_keys, foreign_keys),
};
