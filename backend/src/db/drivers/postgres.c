/*
 * postgres.c - the PostgreSQL driver, on libpq.
 *
 * The URL goes to libpq as it is (libpq parses its own URIs); an empty URL
 * means the libpq environment (PGHOST, PGPORT, PGDATABASE, PGUSER,
 * PGPASSWORD, PGSERVICE, PGSSLMODE, ~/.pgpass), as for psql.
 *
 * Every connection: notices are discarded (the library never prints), the
 * app's schema is created when missing and is the whole search_path, and
 * lock_timeout and statement_timeout are set from the config, all through
 * set_config() with bound values.
 *
 * Passwords never leave the driver: every message libpq or the server
 * produces is scrubbed of the connection's password (however it was given)
 * and of the raw URL before it is copied into the error object.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>
#include <uriparser/Uri.h>

#include "../buf.h"
#include "../driver.h"
#include "../reflect.h"
#include "../url.h"
#include "postgres_internal.h"

/* The session-level advisory lock key of the migration lock. */
#define PG_LOCK_KEY "7305537126001786723"

static void secret_add(struct pg_secrets *s, const char *text, size_t len)
{
    if (!text || len == 0 || s->n >= PG_MAX_SECRETS ||
        len >= sizeof s->pass[0])
        return;
    for (int i = 0; i < s->n; i++)
        if (strlen(s->pass[i]) == len && memcmp(s->pass[i], text, len) == 0)
            return;
    memcpy(s->pass[s->n], text, len);
    s->pass[s->n][len] = '\0';
    s->n++;
}

/* The raw (still percent-encoded) password of the URL's user info and of a
 * password= query parameter, as they appear in the URL text. */
static void secrets_from_raw_url(struct pg_secrets *s, const char *url)
{
    UriUriA uri;
    const char *errpos = NULL;
    if (!url[0] || uriParseSingleUriA(&uri, url, &errpos) != URI_SUCCESS)
        return;
    if (uri.userInfo.first) {
        const char *colon = memchr(uri.userInfo.first, ':',
                                   (size_t)(uri.userInfo.afterLast -
                                            uri.userInfo.first));
        if (colon)
            secret_add(s, colon + 1,
                       (size_t)(uri.userInfo.afterLast - colon - 1));
    }
    if (uri.query.first) {
        const char *p = uri.query.first, *end = uri.query.afterLast;
        while (p < end) {
            const char *amp = memchr(p, '&', (size_t)(end - p));
            const char *stop = amp ? amp : end;
            if ((size_t)(stop - p) > 9 && strncmp(p, "password=", 9) == 0)
                secret_add(s, p + 9, (size_t)(stop - p - 9));
            p = stop + 1;
        }
    }
    uriFreeUriMembersA(&uri);
}

/* Every form in which this connection's password may reach a message. */
static void secrets_collect(struct pg_secrets *s, const char *url, PGconn *pg)
{
    snprintf(s->url, sizeof s->url, "%s", url);
    db_url_mask(s->url_masked, sizeof s->url_masked, url);
    if (url[0]) {
        char *perr = NULL;
        PQconninfoOption *opts = PQconninfoParse(url, &perr);
        for (PQconninfoOption *o = opts; o && o->keyword; o++)
            if (strcmp(o->keyword, "password") == 0 && o->val)
                secret_add(s, o->val, strlen(o->val));
        PQconninfoFree(opts);
        PQfreemem(perr);
        secrets_from_raw_url(s, url);
    }
    const char *env = getenv("PGPASSWORD");
    if (env)
        secret_add(s, env, strlen(env));
    if (pg) {
        const char *used = PQpass(pg);
        if (used)
            secret_add(s, used, strlen(used));
    }
}

/* Replaces every occurrence of from in text (in place, size n) with to. */
static void replace_all(char *text, size_t n, const char *from, const char *to)
{
    size_t fl = strlen(from), tl = strlen(to);
    if (fl == 0)
        return;
    char *p = text;
    while ((p = strstr(p, from)) != NULL) {
        size_t rest = strlen(p + fl);
        size_t at = (size_t)(p - text);
        if (at + tl + rest + 1 > n) {
            /* no room: cut the text where the secret starts */
            *p = '\0';
            return;
        }
        memmove(p + tl, p + fl, rest + 1);
        memcpy(p, to, tl);
        p += tl;
    }
}

void db_pg__scrub(const struct pg_secrets *s, char *text, size_t n)
{
    if (s->url[0] && strcmp(s->url, s->url_masked) != 0)
        replace_all(text, n, s->url, s->url_masked);
    for (int i = 0; i < s->n; i++)
        db_mask_secret(text, s->pass[i]);
}

/* Copies libpq's multi-line text as one line: lines trimmed, joined by a
 * space. */
void db_pg__one_line(char *out, size_t n, const char *text)
{
    size_t len = 0;
    if (n == 0)
        return;
    out[0] = '\0';
    const char *p = text ? text : "";
    while (*p) {
        const char *eol = strchr(p, '\n');
        const char *end = eol ? eol : p + strlen(p);
        const char *a = p, *b = end;
        while (a < b && (*a == ' ' || *a == '\t' || *a == '\r'))
            a++;
        while (b > a && (b[-1] == ' ' || b[-1] == '\t' || b[-1] == '\r'))
            b--;
        if (b > a) {
            if (len > 0 && len + 1 < n)
                out[len++] = ' ';
            size_t k = (size_t)(b - a);
            if (len + k >= n)
                k = n - 1 - len;
            /* runs of blanks become one space ("FATAL:  x") */
            for (size_t i = 0; i < k; i++) {
                if ((a[i] == ' ' || a[i] == '\t') && len > 0 &&
                    out[len - 1] == ' ')
                    continue;
                out[len++] = a[i] == '\t' ? ' ' : a[i];
            }
            out[len] = '\0';
        }
        p = eol ? eol + 1 : end;
    }
}

static void quiet_notices(void *arg, const char *message)
{
    (void)arg;
    (void)message;
}

/* "5s", "250ms". */
void db_pg__duration_text(char *out, size_t n, int ms)
{
    if (ms > 0 && ms % 1000 == 0)
        snprintf(out, n, "%ds", ms / 1000);
    else
        snprintf(out, n, "%dms", ms);
}

/* Fills err from a failed result: SQLSTATE, position and message at once. */
static int result_error(struct pg_conn *c, PGresult *res, struct db_error *err)
{
    const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    const char *primary =
        res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    char line[1024];
    if (!primary) {
        /* no server error: the connection broke or libpq failed */
        db_pg__one_line(line, sizeof line, PQerrorMessage(c->pg));
        db_pg__scrub(&c->secrets, line, sizeof line);
        int code = PQstatus(c->pg) == CONNECTION_BAD ? DB_ECONNECT : DB_ESQL;
        return db_error_set(err, code, "%s",
                            line[0] ? line : "PostgreSQL request failed");
    }
    if (PQstatus(c->pg) == CONNECTION_BAD ||
        (state && (strncmp(state, "08", 2) == 0 ||
                   strcmp(state, "57P01") == 0 ||
                   strcmp(state, "57P02") == 0 ||
                   strcmp(state, "57P03") == 0))) {
        /* The server ended the session (pg_terminate_backend, a restart or
         * a shutdown: "terminating connection due to administrator
         * command"): the connection is lost, not the statement wrong. */
        db_pg__one_line(line, sizeof line, primary);
        db_pg__scrub(&c->secrets, line, sizeof line);
        db_error_set(err, DB_ECONNECT, "connection to PostgreSQL lost: %s",
                     line);
        if (err)
            snprintf(err->sqlstate, sizeof err->sqlstate, "%s",
                     state ? state : "");
        return DB_ECONNECT;
    }
    const char *detail = PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL);
    const char *hint = PQresultErrorField(res, PG_DIAG_MESSAGE_HINT);
    const char *pos = PQresultErrorField(res, PG_DIAG_STATEMENT_POSITION);
    const struct db_config *cfg = c->cfg;
    char d[32];
    int code = DB_ESQL;

    if (state && strcmp(state, "55P03") == 0 && strstr(primary, "lock timeout")) {
        db_pg__duration_text(d, sizeof d, cfg->lock_timeout_ms);
        code = DB_ELOCKED;
        db_error_set(err, code,
                     "%s: waited lock_timeout (%s) for a lock held by another "
                     "session", primary, d);
        db_error_hint(err, "find the blocking session in pg_stat_activity, or "
                           "raise [database] lock_timeout in %s (e.g. "
                           "lock_timeout = 30s; 0 waits forever)", cfg->path);
    } else if (state && strcmp(state, "57014") == 0 &&
               strstr(primary, "statement timeout")) {
        db_pg__duration_text(d, sizeof d, cfg->statement_timeout_ms);
        db_error_set(err, DB_ESQL, "%s: the statement ran longer than "
                                   "statement_timeout (%s)", primary, d);
        db_error_hint(err, "raise [database] statement_timeout in %s (e.g. "
                           "statement_timeout = 5min; 0 = no limit)",
                      cfg->path);
    } else {
        if (state && (strcmp(state, "55P03") == 0 ||
                      strcmp(state, "40P01") == 0))
            code = DB_ELOCKED;
        if (detail) {
            db_error_set(err, code, "%s (%s)", primary, detail);
            if (err)
                err->detail_at = (int)strlen(primary);
        } else
            db_error_set(err, code, "%s", primary);
        if (hint && err)
            db_pg__one_line(err->hint, sizeof err->hint, hint);
    }
    if (err) {
        db_pg__scrub(&c->secrets, err->message, sizeof err->message);
        if ((size_t)err->detail_at >= strlen(err->message))
            err->detail_at = 0;
        db_pg__scrub(&c->secrets, err->hint, sizeof err->hint);
        snprintf(err->sqlstate, sizeof err->sqlstate, "%s", state ? state : "");
        err->position = pos ? atoi(pos) : 0;
    }
    return code;
}

static int ok_status(PGresult *res)
{
    ExecStatusType st = PQresultStatus(res);
    return st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK ||
           st == PGRES_EMPTY_QUERY;
}

/* The cache entry of sql (added when new), its index in *idx; NULL when
 * the cache is full. */
static struct pg_stmt *stmt_of(struct pg_conn *c, const char *sql, int *idx)
{
    for (int i = 0; i < c->nstmts; i++)
        if (strcmp(c->stmts[i].sql, sql) == 0) {
            *idx = i;
            return &c->stmts[i];
        }
    if (c->nstmts == PG_STMT_CACHE)
        return NULL;
    char *copy = strdup(sql);
    if (!copy)
        return NULL;
    *idx = c->nstmts;
    c->stmts[c->nstmts] = (struct pg_stmt){.sql = copy};
    return &c->stmts[c->nstmts++];
}

static PGresult *run_first(struct pg_conn *c, const char *sql, int nparams,
                           const char *const *params, struct db_error *err);

/* The next result of a pipeline, and the end of that statement's results
 * (NULL) read past. */
static PGresult *pipeline_result(struct pg_conn *c)
{
    PGresult *res = PQgetResult(c->pg), *more;
    while ((more = PQgetResult(c->pg)))
        PQclear(more);
    return res;
}

/* One message of a pipeline: a statement with parameters, the statement
 * prepared as name, or the prepared name run with parameters. */
struct pipe_msg {
    enum { PIPE_PARAMS, PIPE_PREPARE, PIPE_PREPARED } kind;
    const char *sql, *name;
    int nparams;
    const char *const *params;
};

/* Sends the n messages and a sync in one round trip; res[i] gets each
 * one's result (all NULL when they could not be sent; the caller clears
 * them). Returns the index of the first that failed, n when none did. */
static int pipeline(struct pg_conn *c, const struct pipe_msg *m, int n,
                    PGresult **res)
{
    for (int i = 0; i < n; i++)
        res[i] = NULL;
    if (PQenterPipelineMode(c->pg)) {
        bool sent = true;
        for (int i = 0; sent && i < n; i++)
            sent = m[i].kind == PIPE_PREPARE
                       ? PQsendPrepare(c->pg, m[i].name, m[i].sql,
                                       m[i].nparams, NULL)
                   : m[i].kind == PIPE_PREPARED
                       ? PQsendQueryPrepared(c->pg, m[i].name, m[i].nparams,
                                             m[i].params, NULL, NULL, 0)
                       : PQsendQueryParams(c->pg, m[i].sql, m[i].nparams,
                                           NULL, m[i].params, NULL, NULL, 0);
        if (sent && PQpipelineSync(c->pg)) {
            for (int i = 0; i < n; i++)
                res[i] = pipeline_result(c);
            PQclear(PQgetResult(c->pg)); /* the sync */
        }
        PQexitPipelineMode(c->pg);
    }
    for (int i = 0; i < n; i++)
        if (!res[i] || !ok_status(res[i]))
            return i;
    return n;
}

/* The end of a pipeline whose first failure is bad (n: none): that one
 * said in err and its code returned, or 0. The results are cleared, but
 * for the last one when none failed and last is set: it goes to *last. */
static int pipeline_end(struct pg_conn *c, PGresult **res, int n, int bad,
                        PGresult **last, struct db_error *err)
{
    int rc = bad < n ? result_error(c, res[bad], err) : 0;
    bool keep = rc == 0 && last;
    if (keep)
        *last = res[n - 1];
    for (int i = 0; i < n - keep; i++)
        PQclear(res[i]);
    return rc;
}

static const struct pipe_msg begin_msg = {PIPE_PARAMS, "BEGIN", NULL, 0,
                                          NULL};

/* The session setup: search_path, lock_timeout and statement_timeout, and
 * whether the schema exists (to_regnamespace takes a name as SQL writes
 * it: the quoted one). */
static const char setup_sql[] =
    "SELECT pg_catalog.to_regnamespace($4) IS NOT NULL, "
    "pg_catalog.set_config('search_path', $1, false), "
    "pg_catalog.set_config('lock_timeout', $2, false), "
    "pg_catalog.set_config('statement_timeout', $3, false)";

/* With a reset sent: whether it held. Outside a transaction the pipeline
 * ran in one of its own, which a failure undid: due again; inside one, it
 * holds once the transaction commits (tx_ended). */
static void reset_sent(struct pg_conn *c, bool failed)
{
    if (PQtransactionStatus(c->pg) == PQTRANS_IDLE)
        c->reset_pending = c->reset_pending || failed;
    else
        c->reset_in_tx = true;
}

/* The open transaction ended, undone (rolled back, or a COMMIT that
 * failed) or not: a reset sent in it is due again when it was undone. */
static void tx_ended(struct pg_conn *c, bool undone)
{
    c->reset_pending = c->reset_pending || (undone && c->reset_in_tx);
    c->reset_in_tx = false;
}

/* What waits for the next statement, appended to m (room for three) in
 * the order it goes: a pending BEGIN, then a pending reset (RESET ALL,
 * the setup again). Nothing of it is pending afterwards. Returns how
 * many. */
static int lead(struct pg_conn *c, struct pipe_msg *m)
{
    int n = 0;
    if (c->begin_pending)
        m[n++] = begin_msg;
    if (c->reset_pending) {
        m[n++] = (struct pipe_msg){PIPE_PARAMS, "RESET ALL", NULL, 0, NULL};
        m[n++] = (struct pipe_msg){PIPE_PARAMS, setup_sql, NULL, 4,
                                   c->setup.params};
    }
    c->begin_pending = c->reset_pending = false;
    return n;
}

/* What is pending sent on its own, in one round trip: ahead of a string
 * of statements, which cannot join a pipeline. */
static int flush(struct pg_conn *c, struct db_error *err)
{
    struct pipe_msg m[3];
    PGresult *r[3];
    bool reset = c->reset_pending;
    int n = lead(c, m);
    if (n == 0)
        return 0;
    int bad = pipeline(c, m, n, r);
    if (reset)
        reset_sent(c, bad < n);
    return pipeline_end(c, r, n, bad, NULL, err);
}

static int exec_now(struct pg_conn *c, const char *sql, struct db_error *err);

/* A prepared statement the server refused as it stands: 'g' (gone:
 * DEALLOCATE ALL or DISCARD ALL ran, as a revision may), 'c' (changed:
 * "cached plan must not change result type", a table changed under a
 * prepared SELECT *), or 0. */
static int stale(PGresult *res)
{
    const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE)
                            : NULL;
    return !state                         ? 0
           : strcmp(state, "26000") == 0 ? 'g'
           : strcmp(state, "0A000") == 0 ? 'c'
                                         : 0;
}

/*
 * Every statement with parameters goes here: what is pending (lead), then
 * sql, then tail when set, and a sync, in one round trip. A statement is
 * prepared on its second use, in the same round trip. A BEGIN among them
 * leaves the transaction open whatever the rest did, as when BEGIN went
 * alone. A prepared statement the server refused as it stands (stale) is
 * prepared again, or never again when its result changed; when nothing
 * else ran in the transaction that failed (there was none, or it began
 * here) all of it is sent again at once. Returns the last message's
 * result, or NULL with the first failure in err.
 */
static PGresult *run_pipelined(struct pg_conn *c, const char *sql,
                               int nparams, const char *const *params,
                               const struct pipe_msg *tail,
                               struct db_error *err)
{
    int idx = 0;
    struct pg_stmt *s = stmt_of(c, sql, &idx);
    char name[16];
    snprintf(name, sizeof name, "_app_s%d", idx);
    bool prepare = s && !s->prepared && !s->never && s->uses > 0;
    bool named = prepare || (s && s->prepared);
    if (s)
        s->uses++;
    bool begin = c->begin_pending, reset = c->reset_pending;
    struct pipe_msg m[6];
    int n = lead(c, m), at = n;
    if (prepare)
        m[n++] = (struct pipe_msg){PIPE_PREPARE, sql, name, nparams, NULL};
    m[n++] = (struct pipe_msg){named ? PIPE_PREPARED : PIPE_PARAMS, sql, name,
                               nparams, params};
    if (tail)
        m[n++] = *tail;
    PGresult *r[6];
    int bad = pipeline(c, m, n, r);
    if (reset)
        reset_sent(c, bad < n);
    if (prepare && bad > at)
        s->prepared = 1;
    int why = named && !prepare && bad == at ? stale(r[at]) : 0;
    if (why) {
        s->prepared = 0;
        s->never = why == 'c';
        bool idle = PQtransactionStatus(c->pg) == PQTRANS_IDLE;
        if (idle || begin) {
            pipeline_end(c, r, n, n, NULL, NULL); /* clears them */
            if (!idle && exec_now(c, "ROLLBACK", err))
                return NULL;
            tx_ended(c, true);
            if (why == 'c') {
                char drop[48];
                snprintf(drop, sizeof drop, "DEALLOCATE \"%s\"", name);
                PQclear(PQexec(c->pg, drop));
            }
            c->begin_pending = begin;
            c->reset_pending = c->reset_pending || reset;
            return run_pipelined(c, sql, nparams, params, tail, err);
        }
    }
    PGresult *last = NULL;
    return pipeline_end(c, r, n, bad, &last, err) ? NULL : last;
}

static int settle(struct pg_conn *c, struct db_error *err);

static PGresult *run(struct pg_conn *c, const char *sql, int nparams,
                     const char *const *params, struct db_error *err)
{
    if (c->setup_pending) {
        if (!c->begin_pending)
            return run_first(c, sql, nparams, params, err);
        if (settle(c, err))
            return NULL;
    }
    return run_pipelined(c, sql, nparams, params, NULL, err);
}

static int pg_query(struct db_conn *base, const char *sql, int nparams,
                    const char *const *params, db_row_fn fn, void *ctx,
                    long *changes, struct db_error *err)
{
    struct pg_conn *c = conn_of(base);
    PGresult *res = run(c, sql, nparams, params, err);
    if (!res)
        return err ? err->code : DB_ESQL;
    int rc = 0;
    int ncols = PQnfields(res), nrows = PQntuples(res);
    if (fn && nrows > 0) {
        const char *vals_small[16], *names_small[16];
        const char **vals = vals_small, **names = names_small;
        if (ncols > 16) {
            vals = malloc(sizeof *vals * (size_t)ncols);
            names = malloc(sizeof *names * (size_t)ncols);
            if (!vals || !names) {
                free(vals);
                free(names);
                PQclear(res);
                return db_error_set(err, DB_ENOMEM, "out of memory");
            }
        }
        for (int i = 0; i < ncols; i++)
            names[i] = PQfname(res, i);
        for (int r = 0; r < nrows && rc == 0; r++) {
            for (int i = 0; i < ncols; i++)
                vals[i] = PQgetisnull(res, r, i) ? NULL : PQgetvalue(res, r, i);
            rc = fn(ctx, ncols, vals, names);
        }
        if (vals != vals_small) {
            free(vals);
            free(names);
        }
    }
    if (changes) {
        const char *t = PQcmdTuples(res);
        *changes = t && *t ? strtol(t, NULL, 10) : 0;
    }
    PQclear(res);
    return rc;
}

/* PQexec: several statements in one string, no parameters, sent now. */
static int exec_now(struct pg_conn *c, const char *sql, struct db_error *err)
{
    PGresult *res = PQexec(c->pg, sql);
    int rc = 0;
    if (!res || !ok_status(res))
        rc = result_error(c, res, err);
    PQclear(res);
    return rc;
}

static int pg_exec(struct db_conn *base, const char *sql,
                   struct db_error *err)
{
    struct pg_conn *c = conn_of(base);
    int rc = settle(c, err);
    if (rc == 0)
        rc = flush(c, err);
    return rc ? rc : exec_now(c, sql, err);
}

static int setup_values(struct pg_setup *v, const struct db_config *cfg,
                        struct db_error *err)
{
    if (db_quote_ident(v->path, sizeof v->path, cfg->schema))
        return db_error_set(err, DB_ECONFIG, "bad [database] schema '%s'",
                            cfg->schema);
    snprintf(v->lock, sizeof v->lock, "%dms", cfg->lock_timeout_ms);
    snprintf(v->stmt, sizeof v->stmt, "%dms", cfg->statement_timeout_ms);
    v->params[0] = v->path;
    v->params[1] = v->lock;
    v->params[2] = v->stmt;
    v->params[3] = v->path;
    return 0;
}

static int create_schema(struct pg_conn *c, struct db_error *err)
{
    struct db_buf sql = DB_BUF_INIT;
    db_buf_puts(&sql, "CREATE SCHEMA IF NOT EXISTS ");
    db_buf_ident(&sql, c->cfg->schema);
    int rc = db_buf_ok(&sql) ? pg_exec(&c->base, db_buf_str(&sql), err)
                             : db_error_nomem(err);
    db_buf_free(&sql);
    /* Another session created it at the same moment: fine. */
    if (rc && err && (strcmp(err->sqlstate, "23505") == 0 ||
                      strcmp(err->sqlstate, "42P06") == 0))
        rc = 0;
    if (rc)
        db_error_prefix(err, "cannot create schema %s", c->setup.path);
    return rc;
}

/* The session setup on its own, one round trip when the schema exists:
 * before a statement that does not go through run() (an exec), or before
 * a transaction's first statement. */
static int settle(struct pg_conn *c, struct db_error *err)
{
    if (!c->setup_pending)
        return 0;
    c->setup_pending = false;
    /* ahead of a BEGIN still to go, outside the transaction: a rollback
     * must not take the settings with it */
    bool begin = c->begin_pending;
    c->begin_pending = false;
    char exists[8];
    int rc = db_query_value(&c->base, setup_sql, 4, c->setup.params, exists,
                            sizeof exists, err);
    if (rc == 0 && strcmp(exists, "t") != 0)
        rc = create_schema(c, err);
    c->begin_pending = begin;
    return rc;
}

/*
 * The first statement of a session goes with the session setup in one
 * round trip: a pipeline of the setup, the statement and a sync, sent at
 * once. The two run in one implicit transaction, so a statement that fails
 * takes the settings with it: the setup then runs again on its own. When
 * the schema turns out to be missing it is created, and a statement that
 * failed for want of it (3F000: no schema to create in) runs again; one
 * that failed otherwise, or succeeded, stands (without the schema,
 * search_path names nothing, so it read nothing there). The first
 * statements of the tool's sessions are reads, never one that refuses to
 * run in a transaction block.
 */
static PGresult *run_first(struct pg_conn *c, const char *sql, int nparams,
                           const char *const *params, struct db_error *err)
{
    c->setup_pending = false;
    const struct pipe_msg m[] = {
        {PIPE_PARAMS, setup_sql, NULL, 4, c->setup.params},
        {PIPE_PARAMS, sql, NULL, nparams, params},
    };
    PGresult *r[2];
    pipeline(c, m, 2, r);
    PGresult *setup = r[0], *res = r[1];
    bool set = setup && PQresultStatus(setup) == PGRES_TUPLES_OK &&
               PQntuples(setup) == 1;
    bool exists = set && strcmp(PQgetvalue(setup, 0, 0), "t") == 0;
    bool ok = res && ok_status(res);
    const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    bool no_schema = state && strcmp(state, "3F000") == 0;
    PQclear(setup);
    if (!set || !ok) {
        /* the settings did not hold: set up on its own (which creates a
         * missing schema), then the statement again when it failed for
         * want of one, or when it never ran */
        c->setup_pending = true;
        if (settle(c, err)) {
            PQclear(res);
            return NULL;
        }
        if (!set || no_schema) {
            PQclear(res);
            return run(c, sql, nparams, params, err);
        }
    } else if (!exists && create_schema(c, err)) {
        PQclear(res);
        return NULL;
    }
    if (ok)
        return res;
    result_error(c, res, err);
    PQclear(res);
    return NULL;
}

/* RESET ALL undoes every SET of the session (back to the values it
 * started with), then the connection's own settings are made again. Both
 * go with the next statement, in its round trip (run_pipelined), or just
 * ahead of one that cannot take them along (pg_exec); until they have
 * run outside a transaction or in one that committed, they stay due. */
static int pg_reset_session(struct db_conn *base, struct db_error *err)
{
    (void)err;
    struct pg_conn *c = conn_of(base);
    /* while nothing has run, the setup still comes first */
    c->reset_pending = !c->setup_pending;
    return 0;
}

/*
 * A connection that failed: the code that says whether db_connect_wait
 * retries, which it does only when the server was not there (or is
 * starting up); refused logins and bad settings fail now, with their
 * line in err. A server that answers a ping has either refused this login
 * or finished starting up since the attempt (which met "the database
 * system is starting up"): one more attempt tells which, and when it
 * connects, c->pg is that connection and the result 0.
 */
static int connect_failed(struct pg_conn *c, const char *const *keys,
                          const char *const *vals, struct db_error *err)
{
    int code = DB_ECONNECT;
    if (PQconnectionNeedsPassword(c->pg))
        code = DB_EREFUSED;
    else {
        PGPing ping = PQpingParams(keys, vals, 1);
        if (ping == PQPING_OK) {
            PGconn *again = PQconnectdbParams(keys, vals, 1);
            if (again && PQstatus(again) == CONNECTION_OK) {
                PQfinish(c->pg);
                c->pg = again;
                return 0;
            }
            if (again) {
                PQfinish(c->pg);
                c->pg = again;
            }
            code = DB_EREFUSED;
        } else if (ping == PQPING_NO_ATTEMPT)
            code = DB_ECONFIG;
    }
    char line[900];
    db_pg__one_line(line, sizeof line, PQerrorMessage(c->pg));
    db_pg__scrub(&c->secrets, line, sizeof line);
    db_error_set(err, code, "cannot connect to PostgreSQL: %s",
                 line[0] ? line : "unknown error");
    if (err)
        db_pg__scrub(&c->secrets, err->message, sizeof err->message);
    return code;
}

static int pg_connect(struct db_conn **out, const struct db_config *cfg,
                      struct db_error *err)
{
    struct pg_conn *c = calloc(1, sizeof *c);
    if (!c)
        return db_error_set(err, DB_ENOMEM, "out of memory");
    c->cfg = cfg;
    c->base.driver = &db_driver_postgresql;
    c->base.cfg = cfg;

    /* The URL (if any) is expanded by libpq in place of dbname; without
     * one, libpq reads the PG* environment. */
    const char *keys[] = {"fallback_application_name", "dbname", NULL};
    const char *vals[] = {"app", cfg->url, NULL};
    if (!cfg->url[0])
        keys[1] = NULL;
    c->pg = PQconnectdbParams(keys, vals, 1);
    secrets_collect(&c->secrets, cfg->url, c->pg);
    if (!c->pg) {
        free(c);
        return db_error_set(err, DB_ENOMEM, "out of memory");
    }
    if (PQstatus(c->pg) != CONNECTION_OK) {
        int code = connect_failed(c, keys, vals, err);
        if (code) {
            PQfinish(c->pg);
            free(c);
            return code;
        }
    }
    PQsetNoticeProcessor(c->pg, quiet_notices, NULL);
    int rc = setup_values(&c->setup, cfg, err);
    if (rc) {
        PQfinish(c->pg);
        free(c);
        return rc;
    }
    c->setup_pending = true;
    *out = &c->base;
    return 0;
}

static void pg_close(struct db_conn *base)
{
    struct pg_conn *c = conn_of(base);
    PQfinish(c->pg);
    for (int i = 0; i < c->nstmts; i++)
        free(c->stmts[i].sql);
    free(c);
}

/* Reads whatever the server sent while the connection was idle (without
 * blocking: libpq's socket is non-blocking). A session the server ended
 * has sent its FATAL message and closed: the first read takes the
 * message, the second meets the end of the stream, and the status turns
 * CONNECTION_BAD. On a live idle connection both reads find nothing. */
static int pg_alive(struct db_conn *base)
{
    struct pg_conn *c = conn_of(base);
    if (PQstatus(c->pg) != CONNECTION_OK)
        return 0;
    if (PQtransactionStatus(c->pg) == PQTRANS_IDLE) {
        for (int i = 0; i < 2; i++)
            if (!PQconsumeInput(c->pg))
                return 0;
        PQisBusy(c->pg); /* parses what arrived (notices, parameter changes) */
    }
    return PQstatus(c->pg) == CONNECTION_OK;
}

/* BEGIN is not sent on its own: it goes with the transaction's first
 * statement, in the same round trip (run_pipelined, with a pending reset
 * after it), or just before one that cannot take it along (pg_exec,
 * flush). A transaction that
 * ends before anything was sent in it sends nothing. Inside a
 * transaction, BEGIN goes at once, and the server says what it thinks
 * of it. */
static int pg_begin(struct db_conn *base, struct db_error *err)
{
    struct pg_conn *c = conn_of(base);
    if (c->begin_pending || PQtransactionStatus(c->pg) != PQTRANS_IDLE)
        return pg_exec(base, "BEGIN", err);
    c->begin_pending = true;
    return 0;
}

/* COMMIT's result: a failed transaction's COMMIT rolls back without an
 * error. A reset that went in the transaction stays done only when it
 * committed. */
static int committed(struct pg_conn *c, PGresult *res, struct db_error *err)
{
    int rc = 0;
    if (!res || !ok_status(res))
        rc = result_error(c, res, err);
    else if (strcmp(PQcmdStatus(res), "ROLLBACK") == 0)
        rc = db_error_set(err, DB_ESQL, "the transaction was rolled back "
                                        "because a statement in it failed");
    tx_ended(c, rc != 0);
    return rc;
}

static int pg_commit(struct db_conn *base, struct db_error *err)
{
    struct pg_conn *c = conn_of(base);
    if (c->begin_pending) {
        c->begin_pending = false; /* nothing was sent: nothing to end */
        return 0;
    }
    PGresult *res = PQexec(c->pg, "COMMIT");
    int rc = committed(c, res, err);
    PQclear(res);
    return rc;
}

/* The transaction's last statement and its COMMIT in one round trip
 * (with whatever is pending ahead of them). When the statement fails,
 * the transaction is left failed, for the caller to roll back. */
static int pg_query_commit(struct db_conn *base, const char *sql,
                           int nparams, const char *const *params,
                           struct db_error *err)
{
    static const struct pipe_msg commit_msg = {PIPE_PARAMS, "COMMIT", NULL,
                                               0, NULL};
    struct pg_conn *c = conn_of(base);
    int rc = settle(c, err);
    if (rc)
        return rc;
    PGresult *res = run_pipelined(c, sql, nparams, params, &commit_msg, err);
    if (!res) {
        /* COMMIT ended the transaction when it was COMMIT that failed */
        if (PQtransactionStatus(c->pg) == PQTRANS_IDLE)
            tx_ended(c, true);
        return err ? err->code : DB_ESQL;
    }
    rc = committed(c, res, err);
    PQclear(res);
    return rc;
}

/* A reset sent in the transaction is undone with it: due again. */
static int pg_rollback(struct db_conn *base, struct db_error *err)
{
    struct pg_conn *c = conn_of(base);
    c->begin_pending = false;
    tx_ended(c, true);
    if (PQtransactionStatus(c->pg) == PQTRANS_IDLE)
        return 0;
    return exec_now(c, "ROLLBACK", err);
}

/*
 * The migration lock: a session-level advisory lock, released by unlock or
 * when the connection ends (even if the process dies). Uncontended, it
 * costs one round trip.
 *
 * A busy lock is polled with pg_try_advisory_lock (5 ms, doubling to
 * 100 ms) rather than waited for inside pg_advisory_lock: a session
 * blocked in a statement keeps a transaction open, and the holder's
 * CREATE INDEX CONCURRENTLY (a transaction=false revision) waits for every
 * open transaction to end: a deadlock. Polling holds nothing between
 * tries. The wait is not bounded by lock_timeout: another instance holding
 * the lock is applying revisions, and this one must wait for it to finish.
 */
static int pg_lock(struct db_conn *base, struct db_error *err)
{
    const char *key[] = {PG_LOCK_KEY};
    long delay_us = 5000;
    for (;;) {
        char got[8];
        int rc = db_query_value(base,
                                "SELECT pg_catalog.pg_try_advisory_lock("
                                "$1::bigint)",
                                1, key, got, sizeof got, err);
        if (rc) {
            db_error_prefix(err, "cannot take the migration lock");
            return rc;
        }
        if (strcmp(got, "t") == 0)
            return 0;
        struct timespec ts = {0, delay_us * 1000};
        while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
            ;
        delay_us = delay_us * 2 > 100000 ? 100000 : delay_us * 2;
    }
}

static int pg_unlock(struct db_conn *base, struct db_error *err)
{
    const char *key[] = {PG_LOCK_KEY};
    char v[8];
    int rc = db_query_value(base,
                            "SELECT pg_catalog.pg_advisory_unlock($1::bigint)",
                            1, key, v, sizeof v, err);
    if (rc)
        return rc;
    if (strcmp(v, "t") != 0)
        return db_error_set(err, DB_ELOCKED,
                            "the migration lock was not held by this session");
    return 0;
}

static int pg_version(struct db_conn *base, char *out, size_t n,
                      struct db_error *err)
{
    struct pg_conn *c = conn_of(base);
    const char *v = PQparameterStatus(c->pg, "server_version");
    if (v) {
        snprintf(out, n, "PostgreSQL %s", v);
        return 0;
    }
    char text[200];
    int rc = db_query_value(base, "SHOW server_version", 0, NULL, text,
                            sizeof text, err);
    if (rc == 0)
        snprintf(out, n, "PostgreSQL %s", text);
    return rc;
}

static int pg_table_exists(struct db_conn *base, const char *table,
                           struct db_error *err)
{
    struct pg_conn *c = conn_of(base);
    const char *params[] = {c->cfg->schema, table};
    char v[8];
    int rc = db_query_value(base,
                            "SELECT 1 FROM pg_catalog.pg_class c "
                            "JOIN pg_catalog.pg_namespace n "
                            "ON n.oid = c.relnamespace "
                            "WHERE n.nspname = $1 AND c.relname = $2 "
                            "AND c.relkind IN ('r', 'p')",
                            2, params, v, sizeof v, err);
    if (rc == DB_ENOTFOUND)
        return 0;
    return rc < 0 ? rc : 1;
}

const struct db_driver db_driver_postgresql = {
    .name = "postgresql",
    .scheme = "postgresql",
    .dialect = DB_DIALECT_POSTGRESQL,
    .connect = pg_connect,
    .close = pg_close,
    .exec = pg_exec,
    .query = pg_query,
    .begin = pg_begin,
    .commit = pg_commit,
    .rollback = pg_rollback,
    .lock = pg_lock,
    .unlock = pg_unlock,
    .reset_session = pg_reset_session,
    .query_commit = pg_query_commit,
    .version = pg_version,
    .table_exists = pg_table_exists,
    .backup = db_postgres__backup,
    .reflect = db_postgres__reflect,
    .alive = pg_alive,
};
