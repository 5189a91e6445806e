/*
 * models.h - the app's schema, declared in C: the single source of truth.
 *
 * Adding a model: write backend/src/models/<name>.c defining
 * `const struct db_table model_<name>`, declare it below, and add one line
 * to the registry in registry.c.
 */
#ifndef APP_MODELS_H
#define APP_MODELS_H

#include "../db/schema.h"

extern const struct db_table model_users;
extern const struct db_table model_projects;
extern const struct db_table model_tasks;
extern const struct db_table model_sessions;
extern const struct db_table model_login_failures;

/* Every model, in the registry's order. */
const struct db_schema *models_schema(void);

#endif /* APP_MODELS_H */
