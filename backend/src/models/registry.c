/*
 * registry.c - every model of the app, one line each.
 */
#include "models.h"

static const struct db_table *const registry[] = {
    &model_users,
    &model_projects,
    &model_tasks,
    &model_sessions,
    &model_login_failures,
};

static const struct db_schema schema = {
    .tables = registry,
    .ntables = sizeof registry / sizeof registry[0],
};

const struct db_schema *models_schema(void)
{
    return &schema;
}
