/*
 * postgres_backup.c - the PostgreSQL driver's backup: the app's schema in
 * pg_dump's custom format. The password reaches pg_dump through its
 * environment, never its argv, and pg_dump's messages are scrubbed like
 * every other.
 */
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../buf.h"
#include "postgres_internal.h"

/* The newest Debian pg_dump (it dumps older servers too), else PATH's. */
static void find_pg_dump(char *out, size_t n)
{
    snprintf(out, n, "pg_dump");
    glob_t g;
    if (glob("/usr/lib/postgresql/*/bin/pg_dump", 0, NULL, &g) != 0)
        return;
    long best = -1;
    for (size_t i = 0; i < g.gl_pathc; i++) {
        long v = strtol(g.gl_pathv[i] + strlen("/usr/lib/postgresql/"), NULL,
                        10);
        if (v > best && access(g.gl_pathv[i], X_OK) == 0) {
            best = v;
            snprintf(out, n, "%s", g.gl_pathv[i]);
        }
    }
    globfree(&g);
}

/* This connection's settings as a conninfo string, without the password
 * (pg_dump gets that through its environment, out of sight of ps). */
static int dump_conninfo(struct db_buf *out, PGconn *pg)
{
    PQconninfoOption *opts = PQconninfo(pg);
    if (!opts)
        return DB_ENOMEM;
    for (PQconninfoOption *o = opts; o->keyword; o++) {
        if (!o->val || !o->val[0] || strcmp(o->keyword, "password") == 0)
            continue;
        db_buf_printf(out, "%s%s='", out->len ? " " : "", o->keyword);
        for (const char *p = o->val; *p; p++) {
            if (*p == '\'' || *p == '\\')
                db_buf_putn(out, "\\", 1);
            db_buf_putn(out, p, 1);
        }
        db_buf_puts(out, "'");
    }
    PQconninfoFree(opts);
    return db_buf_ok(out) ? 0 : DB_ENOMEM;
}

/* The app's schema in pg_dump's custom format, by pg_dump. */
int db_postgres__backup(struct db_conn *base, const char *path,
                        struct db_error *err)
{
    struct pg_conn *c = conn_of(base);
    char prog[512], schema[160], file_arg[1200], schema_arg[200];
    find_pg_dump(prog, sizeof prog);
    if (db_quote_ident(schema, sizeof schema, c->cfg->schema))
        return db_error_set(err, DB_ECONFIG, "bad [database] schema");
    snprintf(file_arg, sizeof file_arg, "--file=%s", path);
    snprintf(schema_arg, sizeof schema_arg, "--schema=%s", schema);
    /* A table locked by another session: fail after lock_timeout, as the
     * revisions would, instead of waiting behind it. */
    char lock_buf[64];
    char *lock_arg = NULL;
    if (c->cfg->lock_timeout_ms > 0) {
        snprintf(lock_buf, sizeof lock_buf, "--lock-wait-timeout=%dms",
                 c->cfg->lock_timeout_ms);
        lock_arg = lock_buf;
    }
    struct db_buf conninfo = DB_BUF_INIT;
    db_buf_puts(&conninfo, "--dbname=");
    if (dump_conninfo(&conninfo, c->pg)) {
        db_buf_free(&conninfo);
        return db_error_set(err, DB_ENOMEM, "out of memory");
    }
    int fds[2];
    if (pipe(fds)) {
        db_buf_free(&conninfo);
        return db_error_set(err, DB_EIO, "pipe: %s", strerror(errno));
    }
    const char *password = PQpass(c->pg);
    pid_t pid = fork();
    if (pid == 0) {
        int null = open("/dev/null", O_RDWR);
        dup2(null, 0);
        dup2(null, 1);
        dup2(fds[1], 2);
        close(fds[0]);
        if (password && password[0])
            setenv("PGPASSWORD", password, 1);
        else
            unsetenv("PGPASSWORD");
        char *argv[] = {prog, "--format=custom", "--no-password", file_arg,
                        schema_arg, (char *)db_buf_str(&conninfo), lock_arg,
                        NULL};
        execvp(prog, argv);
        _exit(errno == ENOENT ? 127 : 126);
    }
    close(fds[1]);
    db_buf_free(&conninfo);
    if (pid < 0) {
        close(fds[0]);
        return db_error_set(err, DB_EIO, "fork: %s", strerror(errno));
    }
    char text[2048];
    size_t len = 0;
    ssize_t k;
    while ((k = read(fds[0], text + len, sizeof text - 1 - len)) > 0 ||
           (k < 0 && errno == EINTR))
        if (k > 0)
            len += (size_t)k;
    text[len] = '\0';
    close(fds[0]);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return 0;
    unlink(path);
    if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
        return db_error_set(err, DB_ENOTFOUND, "pg_dump is not installed "
                                               "(Debian package "
                                               "postgresql-client)");
    char line[1024];
    db_pg__one_line(line, sizeof line, text);
    db_pg__scrub(&c->secrets, line, sizeof line);
    db_error_set(err, DB_EIO, "pg_dump failed: %s",
                 line[0] ? line : "no message");
    if (lock_arg && strstr(line, "LOCK TABLE")) {
        char d[32];
        db_pg__duration_text(d, sizeof d, c->cfg->lock_timeout_ms);
        db_error_hint(err, "another session holds a lock on a table and "
                           "pg_dump waited lock_timeout (%s); find it in "
                           "pg_stat_activity, or raise [database] "
                           "lock_timeout in %s", d, c->cfg->path);
    }
    return DB_EIO;
}

