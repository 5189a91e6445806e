/*
 * postgres_internal.h - what the PostgreSQL driver's files share: the
 * connection behind struct db_conn and the scrubbing of its secrets.
 */
#ifndef DB_POSTGRES_INTERNAL_H
#define DB_POSTGRES_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include <libpq-fe.h>

#include "../driver.h"

#define PG_MAX_SECRETS 6

extern const struct db_driver db_driver_postgresql;

/* Passwords and the raw URL: scrubbed from every message. */
struct pg_secrets {
    char pass[PG_MAX_SECRETS][512];
    int n;
    char url[2048];         /* the URL as configured */
    char url_masked[2048];  /* the same, password masked */
};

#define PG_STMT_CACHE 32

/*
 * A statement run a second time on a connection is prepared (PQprepare)
 * and from then on executed by name: the server parses and plans it once.
 * Migrations run the same version-table statements for every revision.
 */
struct pg_stmt {
    char *sql;
    int uses;
    int prepared;
    int never;      /* its result type changed: not prepared again */
};

/* The session setup's parameters (postgres.c, setup_sql): search_path
 * (the quoted schema), lock_timeout, statement_timeout, and the schema
 * again for to_regnamespace; params point into the struct. */
struct pg_setup {
    char path[160], lock[32], stmt[32];
    const char *params[4];
};

struct pg_conn {
    struct db_conn base;   /* first: recovered with DB_CONTAINER_OF */
    PGconn *pg;
    const struct db_config *cfg;
    struct pg_secrets secrets;
    struct pg_stmt stmts[PG_STMT_CACHE];
    int nstmts;
    struct pg_setup setup; /* made once, at connect */
    bool setup_pending;    /* the session setup travels with the first
                              statement (postgres.c, run_first) */
    bool begin_pending;    /* BEGIN travels with the transaction's first
                              statement (postgres.c, pg_begin) */
    bool reset_pending;    /* so does the reset before a revision
                              (postgres.c, pg_reset_session) */
    bool reset_in_tx;      /* it went in the open transaction: a rollback
                              makes it pending again */
};

static inline struct pg_conn *conn_of(struct db_conn *c)
{
    return DB_CONTAINER_OF(c, struct pg_conn, base);
}

/* Copies libpq's multi-line text as one line (lines trimmed, joined). */
void db_pg__one_line(char *out, size_t n, const char *text);

/* Replaces every secret of s in text (in place, size n) with its mask. */
void db_pg__scrub(const struct pg_secrets *s, char *text, size_t n);

/* "5s", "250ms". */
void db_pg__duration_text(char *out, size_t n, int ms);

/* The driver's backup op (postgres_backup.c). */
int db_postgres__backup(struct db_conn *base, const char *path,
                        struct db_error *err);

#endif /* DB_POSTGRES_INTERNAL_H */
