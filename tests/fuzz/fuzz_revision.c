/*
 * fuzz_revision.c - the revision file parser and the statement splitter.
 *
 * The input is one revision file, byte for byte. It is parsed under a file
 * name that carries its "-- revision:" id (so the name check passes and the
 * blocks are split); every block is split as each dialect would run it.
 * The whole input is also split as plain SQL. The splitter must hand out
 * only non-empty statements inside the text, on lines in order.
 */
#include <ctype.h>

#include "db/revision.h"
#include "fuzz.h"

struct split_check {
    const char *sql;
    size_t len;
    int last_line;      /* first_line + newlines in sql */
    int prev_line;
    int count;
};

static int check_statement(void *ctx, const char *stmt, size_t len, int line)
{
    struct split_check *c = ctx;
    FUZZ_ASSERT(stmt >= c->sql && stmt + len <= c->sql + c->len);
    FUZZ_ASSERT(len > 0);
    FUZZ_ASSERT(line >= c->prev_line && line <= c->last_line);
    c->prev_line = line;
    c->count++;
    char excerpt[80];
    db_sql_excerpt(excerpt, sizeof excerpt, stmt, len);
    FUZZ_ASSERT(strlen(excerpt) < sizeof excerpt);
    return 0;
}

static int split(const char *sql, enum db_dialect dialect, int first_line,
                 int must_succeed)
{
    struct split_check c = {.sql = sql, .len = strlen(sql),
                            .last_line = first_line,
                            .prev_line = first_line};
    for (const char *p = sql; *p; p++)
        if (*p == '\n')
            c.last_line++;
    struct db_error err;
    int rc = db_sql_split(sql, dialect, first_line, check_statement, &c,
                          &err);
    FUZZ_ASSERT(rc == 0 || (rc == DB_EPARSE && !must_succeed));
    if (rc == DB_EPARSE)
        FUZZ_ASSERT(err.line >= first_line && err.line <= c.last_line);
    return rc;
}

/* "migrations/versions/<id>_fuzz.sql" for the first "-- revision: <id>". */
static void file_name(char *out, size_t n, const char *text)
{
    snprintf(out, n, "migrations/versions/fuzz.sql");
    const char *p = strstr(text, "revision:");
    if (!p)
        return;
    p += strlen("revision:");
    while (*p == ' ' || *p == '\t')
        p++;
    size_t k = 0;
    while (k < DB_REVISION_ID_MAX - 1 &&
           (isalnum((unsigned char)p[k]) || p[k] == '_'))
        k++;
    snprintf(out, n, "migrations/versions/%.*s_fuzz.sql", (int)k, p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_strndup(data, size);
    char path[200];
    file_name(path, sizeof path, text);

    struct db_revision r;
    struct db_error err;
    int rc = db_revision_parse(&r, path, (const char *)data, size, &err);
    FUZZ_ASSERT(rc == 0 || rc == DB_EPARSE || rc == DB_ENOMEM);
    if (rc == 0) {
        FUZZ_ASSERT(r.id[0] && strlen(r.checksum) == 64);
        for (size_t i = 0; i < r.ndown; i++)
            FUZZ_ASSERT(r.down[i][0] && strcmp(r.down[i], r.id) != 0);
        static const enum db_dialect dialects[] = {DB_DIALECT_SQLITE,
                                                   DB_DIALECT_POSTGRESQL};
        static const enum db_direction dirs[] = {DB_UPGRADE, DB_DOWNGRADE};
        for (size_t d = 0; d < 2; d++)
            for (size_t k = 0; k < 2; k++) {
                (void)db_revision_needs_fk_off(&r, dirs[k], dialects[d]);
                (void)db_revision_needs_no_tx(&r, dirs[k], dialects[d]);
            }
        /* The parser checked each block: one for a dialect splits with
         * that dialect's rules; one for every database with at least one
         * database's rules (the other refuses it before it runs). */
        for (size_t b = 0; b < r.nblocks; b++) {
            const struct db_revision_block *blk = &r.blocks[b];
            if (blk->dialect) {
                split(blk->sql, (enum db_dialect)blk->dialect, blk->line, 1);
                continue;
            }
            int ok = 0;
            for (size_t d = 0; d < 2; d++)
                ok |= split(blk->sql, dialects[d], blk->line, 0) == 0;
            FUZZ_ASSERT(ok);
        }
        db_revision_clear(&r);
    }
    split(text, DB_DIALECT_SQLITE, 1, 0);
    split(text, DB_DIALECT_POSTGRESQL, 1, 0);
    free(text);
    return 0;
}
