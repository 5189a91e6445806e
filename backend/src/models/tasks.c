/*
 * tasks.c - a user's tasks; deleting the user deletes them. public_id is
 * a random UUID made by the database for each new task.
 */
#include "models.h"

static const struct db_column columns[] = {
    {.name = "id", .type = DB_TYPE_BIGINT, .primary_key = true,
     .autoincrement = true},
    {.name = "user_id", .type = DB_TYPE_BIGINT},
    {.name = "title", .type = DB_TYPE_VARCHAR, .length = 200},
    {.name = "description", .type = DB_TYPE_TEXT, .nullable = true},
    {.name = "status", .type = DB_TYPE_VARCHAR, .length = 20,
     .def = DB_DEFAULT_STR("todo")},
    {.name = "created_at", .type = DB_TYPE_TIMESTAMP,
     .def = DB_DEFAULT_CURRENT_TIME},
    {.name = "due_date", .type = DB_TYPE_DATE, .nullable = true},
    /* the id to show outside: not guessable, not a count of tasks */
    {.name = "public_id", .type = DB_TYPE_UUID,
     .def = DB_DEFAULT_RANDOM_UUID},
};

static const struct db_index indexes[] = {
    {.columns = DB_COLS("user_id")},
    {.columns = DB_COLS("status")},
    {.columns = DB_COLS("title")},
    {.columns = DB_COLS("created_at")},
    {.columns = DB_COLS("user_id", "status")},
    {.columns = DB_COLS("public_id"), .unique = true},
};

static const struct db_foreign_key foreign_keys[] = {
    {.column = "user_id", .ref_table = "users", .ref_column = "id",
     .on_delete = DB_FK_CASCADE},
};

const struct db_table model_tasks = {
    .name = "tasks",
    DB_ARRAY(columns, columns),
    DB_ARRAY(indexes, indexes),
    DB_ARRAY(foreign_keys, foreign_keys),
};
