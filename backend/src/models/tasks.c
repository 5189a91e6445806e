/*
 * tasks.c - a user's tasks; deleting the user deletes them. A task may be
 * in one of the user's projects; deleting the project keeps the task,
 * without a project. status is an enumeration: the database refuses any
 * other value, and the HTTP API checks against the same list. public_id is
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
     .def = DB_DEFAULT_STR("todo"),
     .values = DB_VALUES("todo", "doing", "done")},
    {.name = "created_at", .type = DB_TYPE_TIMESTAMP,
     .def = DB_DEFAULT_CURRENT_TIME},
    {.name = "due_date", .type = DB_TYPE_DATE, .nullable = true},
    /* the id to show outside: not guessable, not a count of tasks */
    {.name = "public_id", .type = DB_TYPE_UUID,
     .def = DB_DEFAULT_RANDOM_UUID},
    {.name = "project_id", .type = DB_TYPE_BIGINT, .nullable = true},
};

static const struct db_index indexes[] = {
    {.columns = DB_COLS("user_id")},
    {.columns = DB_COLS("status")},
    {.columns = DB_COLS("title")},
    {.columns = DB_COLS("created_at")},
    {.columns = DB_COLS("user_id", "status")},
    {.columns = DB_COLS("project_id")},
    {.columns = DB_COLS("public_id"), .unique = true},
};

static const struct db_foreign_key foreign_keys[] = {
    {.column = "user_id", .ref_table = "users", .ref_column = "id",
     .on_delete = DB_FK_CASCADE},
    {.column = "project_id", .ref_table = "projects", .ref_column = "id",
     .on_delete = DB_FK_SET_NULL},
};

const struct db_table model_tasks = {
    .name = "tasks",
    DB_ARRAY(columns, columns),
    DB_ARRAY(indexes, indexes),
    DB_ARRAY(foreign_keys, foreign_keys),
};
