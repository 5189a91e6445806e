/*
 * revision.c - revision files: the parser (the statement splitter is
 * sql_split.c).
 */
#include "revision.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <nettle/sha2.h>

#include "buf.h"

/* src into dst (cap bytes), cut to fit and NUL-terminated: what
 * snprintf(dst, cap, "%s", src) does, without parsing a format (revision
 * files are parsed on every start-up). */
static void copy_text(char *dst, size_t cap, const char *src, size_t len)
{
    if (len >= cap)
        len = cap - 1;
    memcpy(dst, src, len);
    dst[len] = '\0';
}

/* ---- parsing ------------------------------------------------------------ */

static void trim(char *s)
{
    size_t n = strlen(s);
    while (n > 0 && isspace((unsigned char)s[n - 1]))
        s[--n] = '\0';
    size_t i = 0;
    while (isspace((unsigned char)s[i]))
        i++;
    memmove(s, s + i, n - i + 1);
}

static int parse_fail(struct db_error *err, const char *path, int line,
                      const char *hint, const char *fmt, const char *arg)
{
    db_error_set(err, DB_EPARSE, fmt, arg);
    db_error_at(err, path, line);
    if (hint)
        db_error_hint(err, "%s", hint);
    return DB_EPARSE;
}

static int valid_id(const char *id)
{
    if (!*id || strlen(id) >= DB_REVISION_ID_MAX)
        return 0;
    for (const char *p = id; *p; p++)
        if (!isalnum((unsigned char)*p) && *p != '_')
            return 0;
    return 1;
}

/* A section marker:
 * "-- +upgrade [dialect=...] [transaction=false] [foreign_keys=off]".
 * Returns 1 (up), -1 (down), 0 (not a marker) or DB_EPARSE. */
static int marker(struct db_revision_block *b, const char *line,
                  const char *path, int lineno, struct db_error *err)
{
    const char *p = line;
    while (isspace((unsigned char)*p))
        p++;
    if (strncmp(p, "--", 2) != 0)
        return 0;
    p += 2;
    while (*p == ' ' || *p == '\t')
        p++;
    int dir;
    if (strncmp(p, "+upgrade", 8) == 0 &&
        (!p[8] || isspace((unsigned char)p[8]))) {
        dir = 1;
        p += 8;
    } else if (strncmp(p, "+downgrade", 10) == 0 &&
               (!p[10] || isspace((unsigned char)p[10]))) {
        dir = -1;
        p += 10;
    } else {
        return 0;
    }
    b->direction = dir > 0 ? DB_UPGRADE : DB_DOWNGRADE;
    b->dialect = 0;
    b->transaction = true;
    b->fk_off = false;
    char opts[256];
    copy_text(opts, sizeof opts, p, strlen(p));
    char *save = NULL;
    for (char *tok = strtok_r(opts, " \t\r", &save); tok;
         tok = strtok_r(NULL, " \t\r", &save)) {
        if (strncmp(tok, "dialect=", 8) == 0 && db_dialect_by_name(tok + 8))
            b->dialect = (int)db_dialect_by_name(tok + 8)->id;
        else if (strcmp(tok, "transaction=false") == 0)
            b->transaction = false;
        else if (strcmp(tok, "transaction=true") == 0)
            b->transaction = true;
        else if (strcmp(tok, "foreign_keys=off") == 0)
            b->fk_off = true;
        else
            return parse_fail(err, path, lineno,
                              "accepted: dialect=sqlite, dialect=postgresql, "
                              "transaction=false, foreign_keys=off",
                              "unknown section option '%s'", tok);
    }
    return dir;
}

struct tx_check {
    const char *path;
    bool no_tx;   /* the block says transaction=false */
    struct db_error *err;
};

static int check_statement(void *ctx, const char *stmt, size_t len, int line)
{
    struct tx_check *tc = ctx;
    size_t n = 0;
    while (n < len && isalpha((unsigned char)stmt[n]))
        n++;
    static const char *const banned[] = {"BEGIN", "COMMIT", "ROLLBACK", "END",
                                         "START", "SAVEPOINT", "RELEASE",
                                         NULL};
    for (size_t i = 0; banned[i]; i++) {
        if (strlen(banned[i]) != n || strncasecmp(stmt, banned[i], n) != 0)
            continue;
        char what[16];
        snprintf(what, sizeof what, "%.*s", (int)n, stmt);
        for (char *w = what; *w; w++)
            *w = (char)toupper((unsigned char)*w);
        if (tc->no_tx)
            return parse_fail(tc->err, tc->path, line,
                              "this section already says transaction=false: "
                              "each of its statements commits on its own; "
                              "remove the statement, or move the statements "
                              "that must commit together to a section "
                              "without transaction=false",
                              "%s statement in a revision file", what);
        return parse_fail(tc->err, tc->path, line,
                          "the migration tool manages transactions: each "
                          "revision runs in its own; remove the statement "
                          "(a block that cannot run in a transaction takes "
                          "'transaction=false' on its section line)",
                          "%s statement in a revision file", what);
    }
    return 0;
}

/* Splits b with d's rules and refuses transaction statements. */
static int check_block_as(const struct db_revision_block *b,
                          enum db_dialect d, const char *path,
                          struct db_error *err)
{
    struct tx_check tc = {path, !b->transaction, err};
    int rc = db_sql_split(b->sql, d, b->line, check_statement, &tc, err);
    if (rc == DB_EPARSE && err && !err->file[0])
        snprintf(err->file, sizeof err->file, "%s", path);
    return rc;
}

/* At parse time the database is not known: a block for one dialect is
 * checked with its rules; a block for every database is refused only when
 * it is wrong for both (db_revision_check refuses it, before anything
 * runs, on the database where it is wrong). */
static int check_block(const struct db_revision_block *b, const char *path,
                       struct db_error *err)
{
    if (b->dialect)
        return check_block_as(b, (enum db_dialect)b->dialect, path, err);
    int rc = 0;
    for (size_t i = 0; db_dialects[i]; i++)
        if ((rc = check_block_as(b, db_dialects[i]->id, path, err)) == 0)
            return 0;
    return rc; /* the last dialect's reason */
}

int db_revision_check(const struct db_revision *r, enum db_direction dir,
                      enum db_dialect d, struct db_error *err)
{
    for (size_t i = 0; i < r->nblocks; i++) {
        const struct db_revision_block *b = &r->blocks[i];
        if (b->direction != dir || (b->dialect && b->dialect != (int)d))
            continue;
        int rc = check_block_as(b, d, r->path, err);
        if (rc)
            return rc;
    }
    return 0;
}

static void sha256_hex(char out[65], const char *text, size_t len)
{
    struct sha256_ctx ctx;
    uint8_t md[SHA256_DIGEST_SIZE];
    sha256_init(&ctx);
    sha256_update(&ctx, len, (const uint8_t *)text);
    sha256_digest(&ctx, sizeof md, md);
    static const char hex[] = "0123456789abcdef";
    for (size_t i = 0; i < sizeof md; i++) {
        out[2 * i] = hex[md[i] >> 4];
        out[2 * i + 1] = hex[md[i] & 15];
    }
    out[64] = '\0';
}

static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

/* Between down_revision ids: commas and any white space. The list is
 * sized and split with this one predicate, so the two cannot disagree. */
static int is_down_sep(char c)
{
    return c == ',' || isspace((unsigned char)c);
}

/* The next id of s from *pos: its start and length (0 at the end). */
static size_t next_down_id(const char *s, size_t *pos, const char **tok)
{
    size_t i = *pos;
    while (s[i] && is_down_sep(s[i]))
        i++;
    size_t start = i;
    while (s[i] && !is_down_sep(s[i]))
        i++;
    *tok = s + start;
    *pos = i;
    return i - start;
}

/* Parses "a, b" (or "a b", "a<TAB>b") into r->down. */
static int parse_down(struct db_revision *r, const char *value,
                      const char *path, int line, struct db_error *err)
{
    size_t cap = 0, pos = 0, n;
    const char *tok;
    while (next_down_id(value, &pos, &tok) > 0)
        cap++;
    free(r->down);
    r->down = calloc(cap ? cap : 1, sizeof *r->down);
    r->ndown = 0;
    if (!r->down)
        return db_error_set(err, DB_ENOMEM, "out of memory");
    pos = 0;
    while ((n = next_down_id(value, &pos, &tok)) > 0) {
        char id[1024];
        copy_text(id, sizeof id, tok, n < sizeof id ? n : 0);
        if (n >= sizeof id || !valid_id(id))
            return parse_fail(err, path, line,
                              "ids are letters, digits and '_'; leave "
                              "the line out for the first revision",
                              "bad down_revision '%s'", id);
        for (size_t i = 0; i < r->ndown; i++)
            if (strcmp(r->down[i], id) == 0)
                return parse_fail(err, path, line, "name each parent once",
                                  "down_revision names '%s' twice", id);
        copy_text(r->down[r->ndown++], DB_REVISION_ID_MAX, id, strlen(id));
    }
    if (r->ndown == 0)
        return parse_fail(err, path, line,
                          "name the parent, or leave the line out for the "
                          "first revision",
                          "empty %s", "down_revision");
    return 0;
}

static int add_block(struct db_revision *r, const struct db_revision_block *b)
{
    struct db_revision_block *p =
        realloc(r->blocks, (r->nblocks + 1) * sizeof *p);
    if (!p)
        return DB_ENOMEM;
    r->blocks = p;
    r->blocks[r->nblocks++] = *b;
    return 0;
}

/* Ends the open block at text position end. */
static int close_block(struct db_revision *r, struct db_revision_block *open,
                       const char *start, const char *end,
                       struct db_error *err)
{
    size_t n = (size_t)(end - start);
    open->sql = malloc(n + 1);
    if (!open->sql)
        return db_error_set(err, DB_ENOMEM, "out of memory");
    memcpy(open->sql, start, n);
    open->sql[n] = '\0';
    if (add_block(r, open)) {
        free(open->sql);
        return db_error_set(err, DB_ENOMEM, "out of memory");
    }
    return 0;
}

static int header_line(struct db_revision *r, char *t, int line,
                       int *seen_rev, int *seen_down, const char *path,
                       struct db_error *err)
{
    if (strncmp(t, "--", 2) != 0)
        return parse_fail(err, path, line,
                          "put SQL after a '-- +upgrade' line",
                          "SQL before the first section ('%s')",
                          "-- +upgrade");
    char *kv = t + 2;
    char *colon = strchr(kv, ':');
    if (!colon)
        return 0;
    *colon = '\0';
    char *key = kv, *value = colon + 1;
    trim(key);
    trim(value);
    if (strcmp(key, "revision") == 0) {
        if ((*seen_rev)++)
            return parse_fail(err, path, line, "keep one",
                              "second '%s' line", "-- revision:");
        if (!valid_id(value))
            return parse_fail(err, path, line,
                              "ids are 1-63 letters, digits or '_'",
                              "bad revision id '%s'", value);
        copy_text(r->id, sizeof r->id, value, strlen(value));
        r->header_line = line;
    } else if (strcmp(key, "down_revision") == 0) {
        if ((*seen_down)++)
            return parse_fail(err, path, line,
                              "a merge lists its parents on one line, "
                              "separated by commas",
                              "second '%s' line", "-- down_revision:");
        r->down_line = line;
        return parse_down(r, value, path, line, err);
    } else if (strcmp(key, "message") == 0) {
        copy_text(r->message, sizeof r->message, value, strlen(value));
    }
    return 0;
}

/* The parse; recorded: the checksum of text as recorded when it last
 * parsed (the splitting checks and the hash are then skipped), or NULL. */
static int parse(struct db_revision *out, const char *path, const char *text,
                 size_t len, const char *recorded, struct db_error *err)
{
    bool has_up = false;
    struct db_revision *r = out;
    memset(r, 0, sizeof *r);
    int seen_rev = 0, seen_down = 0, in_block = 0, line = 0, rc = 0;
    struct db_revision_block open = {0};
    const char *block_start = NULL;
    if (!(r->path = strdup(path))) {
        rc = db_error_set(err, DB_ENOMEM, "out of memory");
        goto fail;
    }
    if (memchr(text, '\0', len)) {
        rc = parse_fail(err, path, 0, "revision files are text",
                        "a NUL byte in %s", "the file");
        goto fail;
    }
    const char *p = text, *end = text + len;
    while (p < end) {
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        const char *next = eol ? eol + 1 : end;
        size_t n = (size_t)((eol ? eol : end) - p);
        line++;
        /* Inside a block only a comment line can be the next marker. */
        const char *q = p;
        while (q < next && (*q == ' ' || *q == '\t'))
            q++;
        if (in_block && !(next - q >= 2 && q[0] == '-' && q[1] == '-')) {
            p = next;
            continue;
        }
        char buf[1024];
        size_t k = n < sizeof buf ? n : 0;
        memcpy(buf, p, k);
        buf[k] = '\0';
        struct db_revision_block b = {0};
        int m = n < sizeof buf ? marker(&b, buf, path, line, err) : 0;
        if (m < -1 || m > 1) {
            rc = m;
            goto fail;
        }
        if (m != 0) {
            if (in_block &&
                (rc = close_block(r, &open, block_start, p, err)))
                goto fail;
            if (b.direction == DB_UPGRADE)
                has_up = true;
            open = b;
            open.line = line + 1;
            in_block = 1;
            block_start = next;
            if (b.direction == DB_DOWNGRADE)
                r->has_downgrade = true;
        } else if (!in_block) {
            char t[1024];
            memcpy(t, buf, k + 1);
            trim(t);
            if (t[0] && (rc = header_line(r, t, line, &seen_rev, &seen_down,
                                          path, err)))
                goto fail;
        }
        p = next;
    }
    if (in_block &&
        (rc = close_block(r, &open, block_start, end, err)))
        goto fail;
    if (!seen_rev) {
        rc = parse_fail(err, path, 1, "add '-- revision: <id>' at the top",
                        "no '%s' line", "-- revision:");
        goto fail;
    }
    if (!has_up) {
        rc = parse_fail(err, path, line > 0 ? line : 1,
                        "add a '-- +upgrade' line before the SQL",
                        "no '%s' section", "-- +upgrade");
        goto fail;
    }
    const char *base = base_name(path);
    size_t idlen = strlen(r->id);
    if (strncmp(base, r->id, idlen) != 0 ||
        (base[idlen] != '_' && base[idlen] != '.')) {
        char hint[200];
        snprintf(hint, sizeof hint, "rename the file to %s_<name>.sql",
                 r->id);
        rc = parse_fail(err, path, r->header_line, hint,
                        "file name does not start with its revision id '%s'",
                        r->id);
        goto fail;
    }
    for (size_t i = 0; i < r->ndown; i++)
        if (strcmp(r->down[i], r->id) == 0) {
            rc = parse_fail(err, path, r->header_line,
                            "name the revision this one follows",
                            "revision '%s' names itself as down_revision",
                            r->id);
            goto fail;
        }
    if (recorded) {
        memcpy(r->checksum, recorded, 64);
        r->checksum[64] = '\0';
        return 0;
    }
    for (size_t i = 0; i < r->nblocks; i++)
        if ((rc = check_block(&r->blocks[i], path, err)))
            goto fail;
    sha256_hex(r->checksum, text, len);
    return 0;
fail:
    db_revision_clear(r);
    return rc;
}

int db_revision_parse(struct db_revision *out, const char *path,
                      const char *text, size_t len, struct db_error *err)
{
    return parse(out, path, text, len, NULL, err);
}

int db_revision_parse_recorded(struct db_revision *out, const char *path,
                               const char *text, size_t len,
                               const char *checksum, struct db_error *err)
{
    if (strlen(checksum) != 64)
        return parse(out, path, text, len, NULL, err);
    return parse(out, path, text, len, checksum, err);
}

int db_revision_head_of(struct db_revision_head *h, const struct db_revision *r,
                        char *buf, size_t n)
{
    size_t used = 0;
    for (size_t i = 0; i < r->ndown; i++) {
        size_t l = strlen(r->down[i]);
        if (used + l + 1 > n)
            return -1;
        if (i)
            buf[used++] = ',';
        memcpy(buf + used, r->down[i], l);
        used += l;
    }
    h->id = r->id;
    h->idlen = strlen(r->id);
    h->down = buf;
    h->downlen = used;
    h->message = r->message;
    h->msglen = strlen(r->message);
    h->header_line = r->header_line;
    h->down_line = r->down_line;
    h->has_downgrade = r->has_downgrade;
    return 0;
}

/* Whether id (n bytes) is one valid_id accepts. */
static int valid_idn(const char *id, size_t n)
{
    if (n == 0 || n >= DB_REVISION_ID_MAX)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)id[i]) && id[i] != '_')
            return 0;
    return 1;
}

int db_revision_from_head(struct db_revision *out, const char *path,
                          const struct db_revision_head *h, const char *text,
                          size_t len, const char *checksum)
{
    struct db_revision *r = out;
    memset(r, 0, sizeof *r);
    if (!valid_idn(h->id, h->idlen) || h->msglen >= sizeof r->message ||
        memchr(h->message, '\0', h->msglen) || h->header_line < 1 ||
        (h->downlen > 0) != (h->down_line > 0) || h->down_line < 0 ||
        strlen(checksum) != 64)
        return -1;
    if (!(r->path = strdup(path)))
        return -1;
    memcpy(r->id, h->id, h->idlen);
    r->id[h->idlen] = '\0';
    const char *base = base_name(path);
    if (strncmp(base, r->id, h->idlen) != 0 ||
        (base[h->idlen] != '_' && base[h->idlen] != '.'))
        goto bad;
    size_t ndown = 0;
    for (size_t i = 0; h->downlen && i <= h->downlen; i++)
        if (i == h->downlen || h->down[i] == ',')
            ndown++;
    if (ndown) {
        r->down = calloc(ndown, sizeof *r->down);
        if (!r->down)
            goto bad;
        size_t start = 0;
        for (size_t i = 0; i <= h->downlen; i++) {
            if (i < h->downlen && h->down[i] != ',')
                continue;
            const char *d = h->down + start;
            size_t dl = i - start;
            if (!valid_idn(d, dl) ||
                (dl == h->idlen && memcmp(d, r->id, dl) == 0))
                goto bad;
            for (size_t k = 0; k < r->ndown; k++)
                if (strlen(r->down[k]) == dl && memcmp(r->down[k], d, dl) == 0)
                    goto bad;
            memcpy(r->down[r->ndown], d, dl);
            r->down[r->ndown][dl] = '\0';
            r->ndown++;
            start = i + 1;
        }
    }
    memcpy(r->message, h->message, h->msglen);
    r->message[h->msglen] = '\0';
    r->header_line = h->header_line;
    r->down_line = h->down_line;
    r->has_downgrade = h->has_downgrade;
    memcpy(r->checksum, checksum, 65);
    r->pending = text;
    r->pending_len = len;
    return 0;
bad:
    db_revision_clear(r);
    return -1;
}

int db_revision_complete(struct db_revision *r, struct db_error *err)
{
    if (!r->pending)
        return 0;
    struct db_revision full;
    int rc = parse(&full, r->path, r->pending, r->pending_len, r->checksum,
                   err);
    if (rc)
        return rc;
    bool same = strcmp(full.id, r->id) == 0 && full.ndown == r->ndown &&
                full.has_downgrade == r->has_downgrade;
    for (size_t i = 0; same && i < r->ndown; i++)
        same = strcmp(full.down[i], r->down[i]) == 0;
    if (!same) {
        db_revision_clear(&full);
        return parse_fail(err, r->path, 0,
                          "delete it; it is rebuilt on the next start",
                          "the revision record disagrees with its own text "
                          "of this file (%s)", "migrations/versions/"
                          ".revision-cache");
    }
    r->blocks = full.blocks;
    r->nblocks = full.nblocks;
    r->has_downgrade = full.has_downgrade;
    r->pending = NULL;
    r->pending_len = 0;
    full.blocks = NULL;
    full.nblocks = 0;
    db_revision_clear(&full);
    return 0;
}

int db_revision_load(struct db_revision *out, const char *path,
                     struct db_error *err)
{
    memset(out, 0, sizeof *out);
    FILE *f = fopen(path, "rb");
    if (!f)
        return db_error_set(err, DB_EIO, "cannot read %s: %s", path,
                            strerror(errno));
    struct db_buf b = DB_BUF_INIT;
    char chunk[8192];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        db_buf_putn(&b, chunk, n);
    int bad = ferror(f);
    fclose(f);
    int rc;
    if (bad)
        rc = db_error_set(err, DB_EIO, "cannot read %s", path);
    else if (!db_buf_ok(&b))
        rc = db_error_set(err, DB_ENOMEM, "out of memory");
    else
        rc = db_revision_parse(out, path, db_buf_str(&b), b.len, err);
    db_buf_free(&b);
    return rc;
}

void db_revision_clear(struct db_revision *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->nblocks; i++)
        free(r->blocks[i].sql);
    free(r->blocks);
    free(r->down);
    free(r->parents);
    free(r->path);
    memset(r, 0, sizeof *r);
}

bool db_revision_needs_fk_off(const struct db_revision *r,
                              enum db_direction dir, enum db_dialect d)
{
    for (size_t i = 0; i < r->nblocks; i++) {
        const struct db_revision_block *b = &r->blocks[i];
        if (b->direction == dir && (b->dialect == 0 || b->dialect == (int)d) &&
            b->fk_off)
            return true;
    }
    return false;
}

bool db_revision_needs_no_tx(const struct db_revision *r,
                             enum db_direction dir, enum db_dialect d)
{
    for (size_t i = 0; i < r->nblocks; i++) {
        const struct db_revision_block *b = &r->blocks[i];
        if (b->direction == dir && (b->dialect == 0 || b->dialect == (int)d) &&
            !b->transaction)
            return true;
    }
    return false;
}
