/*
 * driver.c - the driver registry and the checked wrappers around its ops.
 */
#include "driver.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "module.h"
#include "url.h"

extern const struct db_driver db_driver_sqlite;

/* Drivers built into the binary. */
const struct db_driver *const db_drivers[] = {
    &db_driver_sqlite,
    NULL,
};

/* Every dialect, whether or not its driver's module is loaded. */
const struct db_dialect_ops *const db_dialects[] = {
    &db_sqlite_dialect,
    &db_postgres_dialect,
    NULL,
};

const struct db_dialect_ops *db_dialect_get(enum db_dialect d)
{
    for (size_t i = 0; db_dialects[i]; i++)
        if (db_dialects[i]->id == d)
            return db_dialects[i];
    return NULL;
}

const struct db_dialect_ops *db_dialect_by_name(const char *name)
{
    for (size_t i = 0; db_dialects[i]; i++)
        if (strcmp(db_dialects[i]->name, name) == 0)
            return db_dialects[i];
    return NULL;
}

int db_config_dialect(enum db_dialect *out, const struct db_config *cfg,
                      struct db_error *err)
{
    struct db_url u;
    int rc = db_url_parse(&u, cfg->url, err);
    if (rc)
        return rc;
    const struct db_dialect_ops *x = db_dialect_by_name(u.scheme);
    if (!x)
        return db_error_set(err, DB_ECONFIG, "no SQL dialect for database "
                                             "url scheme '%s'", u.scheme);
    *out = x->id;
    return 0;
}

const char *db_dialect_name(enum db_dialect d)
{
    const struct db_dialect_ops *x = db_dialect_get(d);
    return x ? x->name : "?";
}

/* Drivers in modules (module.h): scheme, module, symbol. */
static const struct {
    const char *scheme;
    const char *module;
    const char *symbol;
} module_drivers[] = {
    {"postgresql", "postgresql", "db_driver_postgresql"},
};

int db_driver_load(const struct db_driver **out, const char *scheme,
                   struct db_error *err)
{
    for (size_t i = 0; db_drivers[i]; i++)
        if (strcmp(db_drivers[i]->scheme, scheme) == 0) {
            *out = db_drivers[i];
            return 0;
        }
    for (size_t i = 0; i < sizeof module_drivers / sizeof module_drivers[0];
         i++) {
        if (strcmp(module_drivers[i].scheme, scheme) != 0)
            continue;
        void *p;
        int rc = db_module_symbol(&p, module_drivers[i].module,
                                  module_drivers[i].symbol, err);
        if (rc == 0)
            *out = p;
        return rc;
    }
    return db_error_set(err, DB_ECONFIG, "no driver for '%s' databases",
                        scheme);
}

const struct db_driver *db_driver_find(const char *scheme)
{
    const struct db_driver *d;
    struct db_error err;
    return db_driver_load(&d, scheme, &err) == 0 ? d : NULL;
}

int db_connect(struct db_conn **out, const struct db_config *cfg,
               struct db_error *err)
{
    struct db_url u;
    *out = NULL;
    int rc = db_url_parse(&u, cfg->url, err);
    if (rc)
        return rc;
    const struct db_driver *drv;
    if ((rc = db_driver_load(&drv, u.scheme, err)))
        return rc;
    rc = drv->connect(out, cfg, err);
    if (rc == 0) {
        (*out)->driver = drv;
        (*out)->cfg = cfg;
        (*out)->in_tx = 0;
    }
    return rc;
}

void db_disconnect(struct db_conn *c)
{
    if (c)
        c->driver->close(c);
}

int db_conn_alive(struct db_conn *c)
{
    return c->driver->alive ? c->driver->alive(c) : 1;
}

int db_exec(struct db_conn *c, const char *sql, struct db_error *err)
{
    return c->driver->exec(c, sql, err);
}

int db_query(struct db_conn *c, const char *sql, int nparams,
             const char *const *params, db_row_fn fn, void *ctx,
             long *changes, struct db_error *err)
{
    return c->driver->query(c, sql, nparams, params, fn, ctx, changes, err);
}

int db_begin(struct db_conn *c, struct db_error *err)
{
    int rc = c->batch ? db_exec(c, "SAVEPOINT \"app_tx\"", err)
                      : c->driver->begin(c, err);
    if (rc == 0)
        c->in_tx = 1;
    return rc;
}

int db_commit(struct db_conn *c, struct db_error *err)
{
    int rc = c->batch ? db_exec(c, "RELEASE \"app_tx\"", err)
                      : c->driver->commit(c, err);
    if (rc == 0)
        c->in_tx = 0;
    return rc;
}

int db_reset_session(struct db_conn *c, struct db_error *err)
{
    return c->driver->reset_session ? c->driver->reset_session(c, err) : 0;
}

int db_query_commit(struct db_conn *c, const char *sql, int nparams,
                    const char *const *params, struct db_error *err)
{
    if (c->batch || !c->driver->query_commit) {
        int rc = db_query(c, sql, nparams, params, NULL, NULL, NULL, err);
        return rc ? rc : db_commit(c, err);
    }
    int rc = c->driver->query_commit(c, sql, nparams, params, err);
    if (rc == 0)
        c->in_tx = 0;
    return rc;
}

int db_rollback(struct db_conn *c, struct db_error *err)
{
    if (!c->in_tx)
        return 0;
    int rc = c->batch ? db_exec(c, "ROLLBACK TO \"app_tx\"; "
                                   "RELEASE \"app_tx\"", err)
                      : c->driver->rollback(c, err);
    c->in_tx = 0;
    return rc;
}

int db_batch_begin(struct db_conn *c, struct db_error *err)
{
    if (c->batch || c->in_tx)
        return db_error_set(err, DB_EUSAGE, "a batch needs a connection "
                                            "outside any transaction");
    int rc = c->driver->begin(c, err);
    if (rc == 0)
        c->batch = 1;
    return rc;
}

int db_batch_item(struct db_conn *c, struct db_error *err)
{
    return db_exec(c, "SAVEPOINT \"app_item\"", err);
}

int db_batch_item_end(struct db_conn *c, int undo, struct db_error *err)
{
    c->in_tx = 0; /* an item's own transaction left open ends with it */
    return db_exec(c, undo ? "ROLLBACK TO \"app_item\"; "
                             "RELEASE \"app_item\""
                           : "RELEASE \"app_item\"",
                   err);
}

int db_batch_commit(struct db_conn *c, struct db_error *err)
{
    c->batch = 0;
    c->in_tx = 0;
    int rc = c->driver->commit(c, err);
    if (rc)
        db_batch_rollback(c);
    return rc;
}

void db_batch_rollback(struct db_conn *c)
{
    struct db_error ignored;
    c->batch = 0;
    c->in_tx = 0;
    c->driver->rollback(c, &ignored);
}

int db_lock(struct db_conn *c, struct db_error *err)
{
    return c->driver->lock ? c->driver->lock(c, err) : 0;
}

int db_unlock(struct db_conn *c, struct db_error *err)
{
    return c->driver->unlock ? c->driver->unlock(c, err) : 0;
}

int db_checkpoint_aside(struct db_conn *c, struct db_error *err)
{
    return c->driver->checkpoint_aside ? c->driver->checkpoint_aside(c, err)
                                       : 0;
}

int db_unlock_after(struct db_conn *c, int rc, struct db_error *err)
{
    struct db_error ignored;
    int urc = db_unlock(c, rc ? &ignored : err);
    return rc ? rc : urc;
}

struct value_ctx {
    char *out;
    size_t n;
    int found;
};

static int take_value(void *ctx, int ncols, const char *const *vals,
                      const char *const *names)
{
    (void)names;
    struct value_ctx *v = ctx;
    snprintf(v->out, v->n, "%s", ncols > 0 && vals[0] ? vals[0] : "");
    v->found = 1;
    return 1; /* first row only */
}

int db_query_value(struct db_conn *c, const char *sql, int nparams,
                   const char *const *params, char *out, size_t n,
                   struct db_error *err)
{
    struct value_ctx v = {out, n, 0};
    if (n)
        out[0] = '\0';
    int rc = db_query(c, sql, nparams, params, take_value, &v, NULL, err);
    if (rc < 0)
        return rc;
    return v.found ? 0 : DB_ENOTFOUND;
}

const char *db_conn_schema(const struct db_conn *c)
{
    const struct db_dialect_ops *x = db_dialect_get(c->driver->dialect);
    return x && x->schema ? x->schema : c->cfg->schema;
}

int db_qualify(char *out, size_t n, const struct db_conn *c,
               const char *table)
{
    char schema[160], name[160];
    if (db_quote_ident(schema, sizeof schema, db_conn_schema(c)) ||
        db_quote_ident(name, sizeof name, table) ||
        (size_t)snprintf(out, n, "%s.%s", schema, name) >= n)
        return DB_EUSAGE;
    return 0;
}

int db_quote_ident(char *out, size_t n, const char *ident)
{
    size_t len = 0;
    if (n < 3)
        return DB_EUSAGE;
    out[len++] = '"';
    for (const char *p = ident; *p; p++) {
        if (len + (*p == '"' ? 2 : 1) + 2 > n)
            return DB_EUSAGE;
        if (*p == '"')
            out[len++] = '"';
        out[len++] = *p;
    }
    out[len++] = '"';
    out[len] = '\0';
    return 0;
}

int db_fk_enforcement(struct db_conn *c, int on, struct db_error *err)
{
    const struct db_dialect_ops *x = db_dialect_get(c->driver->dialect);
    const char *sql = x ? (on ? x->fk_on_sql : x->fk_off_sql) : NULL;
    return sql ? db_exec(c, sql, err) : 0;
}

static int count_row(void *ctx, int ncols, const char *const *vals,
                     const char *const *names)
{
    (void)ncols;
    (void)vals;
    (void)names;
    ++*(long *)ctx;
    return 0;
}

int db_fk_violations(struct db_conn *c, long *out, struct db_error *err)
{
    const struct db_dialect_ops *x = db_dialect_get(c->driver->dialect);
    *out = 0;
    return x && x->fk_check_sql
               ? db_query(c, x->fk_check_sql, 0, NULL, count_row, out, NULL,
                          err)
               : 0;
}

const struct db_split_rules *db_dialect_split_rules(enum db_dialect d)
{
    static const struct db_split_rules none = {0};
    const struct db_dialect_ops *x = db_dialect_get(d);
    return x ? &x->split : &none;
}

int db_error_lost_create_race(const struct db_conn *c,
                              const struct db_error *e)
{
    const struct db_dialect_ops *x = db_dialect_get(c->driver->dialect);
    for (const char *const *s = x ? x->create_race_sqlstates : NULL; s && *s;
         s++)
        if (strcmp(e->sqlstate, *s) == 0)
            return 1;
    return 0;
}

enum db_dialect db_conn_dialect(const struct db_conn *c)
{
    return c->driver->dialect;
}

int db_version(struct db_conn *c, char *out, size_t n, struct db_error *err)
{
    if (!c->driver->version) {
        snprintf(out, n, "%s", c->driver->name);
        return 0;
    }
    return c->driver->version(c, out, n, err);
}

int db_table_exists(struct db_conn *c, const char *table,
                    struct db_error *err)
{
    return c->driver->table_exists(c, table, err);
}

int db_table_rows(long *out, struct db_conn *c, const char *table,
                  struct db_error *err)
{
    int rc = db_table_exists(c, table, err);
    if (rc < 0)
        return rc;
    if (rc == 0)
        return db_error_set(err, DB_ENOTFOUND, "table %s does not exist",
                            table);
    struct db_buf sql = DB_BUF_INIT;
    char name[400];
    if (db_qualify(name, sizeof name, c, table))
        return db_error_set(err, DB_EUSAGE, "table name too long: %s", table);
    db_buf_puts(&sql, "SELECT count(*) FROM ");
    db_buf_puts(&sql, name);
    char v[32];
    rc = db_buf_ok(&sql) ? db_query_value(c, db_buf_str(&sql), 0, NULL, v,
                                          sizeof v, err)
                         : db_error_set(err, DB_ENOMEM, "out of memory");
    db_buf_free(&sql);
    if (rc == 0)
        *out = strtol(v, NULL, 10);
    return rc;
}
