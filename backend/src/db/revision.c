/*
 * revision.c - revision files: parse, split, graph, write.
 */
#include "revision.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "buf.h"

const char db_revision_default_template[] =
    "-- revision: ${revision}\n"
    "-- down_revision: ${down_revision}\n"
    "-- message: ${message}\n"
    "-- created: ${created}\n"
    "\n"
    "-- migrate:up\n"
    "${up}\n"
    "-- migrate:down\n"
    "${down}\n";

/* ---- statement splitting ---------------------------------------------- */

static int is_word_start(int ch)
{
    return isalpha(ch) || ch == '_';
}

static int is_word_char(int ch)
{
    return isalnum(ch) || ch == '_' || ch == '$';
}

static int word_is(const char *w, size_t n, const char *kw)
{
    return strlen(kw) == n && strncasecmp(w, kw, n) == 0;
}

static int unterminated(struct db_error *err, const char *what, int line)
{
    db_error_set(err, DB_EPARSE, "unterminated %s", what);
    db_error_at(err, "", line);
    db_error_hint(err, "close it; a quote or comment runs to the end of the "
                       "section");
    return DB_EPARSE;
}

int db_sql_split(const char *sql, int first_line, db_statement_fn fn,
                 void *ctx, struct db_error *err)
{
    const char *p = sql;
    int line = first_line;
    const char *start = NULL;  /* first byte of the statement's content */
    const char *last = NULL;   /* one past its last content byte */
    int start_line = 0;
    int nwords = 0, block = 0, depth = 0;

    for (;;) {
        char ch = *p;
        if (ch == '\0' || (ch == ';' && depth == 0)) {
            if (start) {
                int rc = fn(ctx, start, (size_t)(last - start), start_line);
                if (rc)
                    return rc;
            }
            if (ch == '\0')
                return 0;
            p++;
            start = last = NULL;
            nwords = block = depth = 0;
            continue;
        }
        if (ch == '\n') {
            line++;
            p++;
            continue;
        }
        if (isspace((unsigned char)ch)) {
            p++;
            continue;
        }
        if (ch == '-' && p[1] == '-') {
            while (*p && *p != '\n')
                p++;
            continue;
        }
        if (ch == '/' && p[1] == '*') {
            int at = line, nest = 1;
            p += 2;
            while (*p && nest > 0) {
                if (*p == '\n')
                    line++;
                if (p[0] == '/' && p[1] == '*') {
                    nest++;
                    p += 2;
                } else if (p[0] == '*' && p[1] == '/') {
                    nest--;
                    p += 2;
                } else {
                    p++;
                }
            }
            if (nest > 0)
                return unterminated(err, "block comment", at);
            continue;
        }
        /* Content from here on. */
        if (!start) {
            start = p;
            start_line = line;
        }
        if (ch == '\'' || ch == '"') {
            int at = line;
            int backslash = ch == '\'' && p > sql &&
                            (p[-1] == 'E' || p[-1] == 'e') &&
                            (p - 1 == sql || !is_word_char((unsigned char)p[-2]));
            p++;
            for (;;) {
                if (*p == '\0')
                    return unterminated(err, ch == '\'' ? "string"
                                                        : "quoted identifier",
                                        at);
                if (*p == '\n')
                    line++;
                if (backslash && *p == '\\' && p[1]) {
                    if (p[1] == '\n')
                        line++;
                    p += 2;
                    continue;
                }
                if (*p == ch) {
                    if (p[1] == ch) {
                        p += 2;
                        continue;
                    }
                    p++;
                    break;
                }
                p++;
            }
            last = p;
            continue;
        }
        if (ch == '$' && (p[1] == '$' || is_word_start((unsigned char)p[1]))) {
            const char *t = p + 1;
            while (isalnum((unsigned char)*t) || *t == '_')
                t++;
            if (*t == '$') {
                size_t taglen = (size_t)(t - p) + 1;
                int at = line;
                const char *q = t + 1;
                for (;;) {
                    if (*q == '\0')
                        return unterminated(err, "dollar-quoted string", at);
                    if (*q == '\n')
                        line++;
                    if (*q == '$' && strncmp(q, p, taglen) == 0)
                        break;
                    q++;
                }
                p = q + taglen;
                last = p;
                continue;
            }
        }
        if (is_word_start((unsigned char)ch)) {
            const char *w = p;
            while (is_word_char((unsigned char)*p))
                p++;
            size_t n = (size_t)(p - w);
            nwords++;
            if (nwords == 1 && !word_is(w, n, "CREATE"))
                nwords = 100; /* not a CREATE: no block bodies */
            if (nwords <= 6 && (word_is(w, n, "TRIGGER") ||
                                word_is(w, n, "FUNCTION") ||
                                word_is(w, n, "PROCEDURE")))
                block = 1;
            if (block && (word_is(w, n, "BEGIN") || word_is(w, n, "CASE")))
                depth++;
            else if (block && word_is(w, n, "END") && depth > 0)
                depth--;
            last = p;
            continue;
        }
        p++; /* an operator, a digit, or ';' inside a BEGIN ... END body */
        last = p;
    }
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
        if (!isalnum((unsigned char)*p))
            return 0;
    return 1;
}

/* "-- migrate:up [transaction:false]" -> 1 up, 2 down, 0 not a marker,
 * -1 a marker with a bad option. */
static int marker(const char *line, bool *transaction)
{
    const char *p = line;
    while (isspace((unsigned char)*p))
        p++;
    if (strncmp(p, "--", 2) != 0)
        return 0;
    p += 2;
    while (*p == ' ' || *p == '\t')
        p++;
    int kind;
    if (strncmp(p, "migrate:up", 10) == 0) {
        kind = 1;
        p += 10;
    } else if (strncmp(p, "migrate:down", 12) == 0) {
        kind = 2;
        p += 12;
    } else {
        return 0;
    }
    if (*p && !isspace((unsigned char)*p))
        return 0;
    *transaction = true;
    while (isspace((unsigned char)*p))
        p++;
    if (!*p)
        return kind;
    char opt[64];
    snprintf(opt, sizeof opt, "%s", p);
    trim(opt);
    if (strcmp(opt, "transaction:false") == 0)
        *transaction = false;
    else if (strcmp(opt, "transaction:true") != 0)
        return -1;
    return kind;
}

struct tx_check {
    const char *path;
    const char *section;
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
        if (!word_is(stmt, n, banned[i]))
            continue;
        char what[16];
        snprintf(what, sizeof what, "%.*s", (int)n, stmt);
        char hint[160];
        snprintf(hint, sizeof hint,
                 "each revision runs in its own transaction: remove it, or "
                 "mark the section '-- migrate:%s transaction:false'",
                 tc->section);
        return parse_fail(tc->err, tc->path, line, hint,
                          "%s statement in a transactional revision", what);
    }
    return 0;
}

static int any_statement(void *ctx, const char *stmt, size_t len, int line)
{
    (void)ctx;
    (void)stmt;
    (void)len;
    (void)line;
    return 0;
}

static int check_section(const struct db_revision_section *s, const char *path,
                         const char *name, struct db_error *err)
{
    struct tx_check tc = {path, name, err};
    int rc = db_sql_split(s->sql, s->line,
                          s->transaction ? check_statement : any_statement,
                          &tc, err);
    if (rc == DB_EPARSE && err && !err->file[0])
        snprintf(err->file, sizeof err->file, "%s", path);
    return rc;
}

static void sha256_hex(char out[65], const char *text)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    if (!EVP_Digest(text, strlen(text), md, &len, EVP_sha256(), NULL))
        len = 0;
    for (unsigned int i = 0; i < len && i < 32; i++)
        snprintf(out + 2 * i, 3, "%02x", md[i]);
    out[2 * (len < 32 ? len : 32)] = '\0';
}

static char *dup_range(const char *from, const char *to)
{
    size_t n = (size_t)(to - from);
    char *s = malloc(n + 1);
    if (s) {
        memcpy(s, from, n);
        s[n] = '\0';
    }
    return s;
}

static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

/* Parses "a, b c" into r->down. "none" or "" is a base. */
static int parse_down(struct db_revision *r, const char *value,
                      const char *path, int line, struct db_error *err)
{
    if (strcmp(value, "none") == 0 || strcmp(value, "") == 0)
        return 0;
    char copy[1024];
    snprintf(copy, sizeof copy, "%s", value);
    size_t cap = 1;
    for (const char *p = copy; *p; p++)
        if (*p == ',' || *p == ' ')
            cap++;
    r->down = calloc(cap, sizeof *r->down);
    if (!r->down)
        return db_error_set(err, DB_ENOMEM, "out of memory");
    char *save = NULL;
    for (char *tok = strtok_r(copy, ", \t", &save); tok;
         tok = strtok_r(NULL, ", \t", &save)) {
        if (!valid_id(tok))
            return parse_fail(err, path, line,
                              "ids are letters and digits; write 'none' for "
                              "a first revision",
                              "bad down_revision '%s'", tok);
        for (size_t i = 0; i < r->ndown; i++)
            if (strcmp(r->down[i], tok) == 0)
                return parse_fail(err, path, line, "name each parent once",
                                  "down_revision names '%s' twice", tok);
        snprintf(r->down[r->ndown++], DB_REVISION_ID_MAX, "%s", tok);
    }
    return 0;
}

int db_revision_parse(struct db_revision *out, const char *path,
                      const char *text, struct db_error *err)
{
    struct db_revision *r = out;
    memset(r, 0, sizeof *r);
    snprintf(r->path, sizeof r->path, "%s", path);
    int seen_rev = 0, seen_down = 0, seen_msg = 0;
    int state = 0; /* 0 header, 1 up, 2 down */
    const char *section_start = NULL;
    int line = 0, rc = 0;
    const char *p = text;
    while (*p) {
        const char *eol = strchr(p, '\n');
        const char *next = eol ? eol + 1 : p + strlen(p);
        line++;
        char buf[1200];
        size_t n = (size_t)((eol ? eol : next) - p);
        snprintf(buf, sizeof buf, "%.*s", (int)(n < sizeof buf ? n : 0), p);
        bool tx = true;
        int m = n < sizeof buf ? marker(buf, &tx) : 0;
        if (m < 0) {
            rc = parse_fail(err, path, line,
                            "the only option is 'transaction:false'",
                            "unknown option on '%s'", buf);
            goto fail;
        }
        if (m == 1 || m == 2) {
            if (m == 1 && state != 0) {
                rc = parse_fail(err, path, line, "keep one up section",
                                "second '%s'", "-- migrate:up");
                goto fail;
            }
            if (m == 2 && state != 1) {
                rc = parse_fail(err, path, line,
                                "put '-- migrate:up' first, then "
                                "'-- migrate:down'",
                                "'%s' before '-- migrate:up'",
                                state == 2 ? "second -- migrate:down"
                                           : "-- migrate:down");
                goto fail;
            }
            if (state == 1 && !(r->up.sql = dup_range(section_start, p))) {
                rc = db_error_set(err, DB_ENOMEM, "out of memory");
                goto fail;
            }
            struct db_revision_section *s = m == 1 ? &r->up : &r->down_sql;
            s->line = line + 1;
            s->transaction = tx;
            if (m == 2)
                r->has_down = true;
            state = m;
            section_start = next;
            p = next;
            continue;
        }
        if (state == 0) {
            char t[1200];
            snprintf(t, sizeof t, "%s", buf);
            trim(t);
            if (t[0] == '\0') {
                p = next;
                continue;
            }
            if (strncmp(t, "--", 2) != 0) {
                rc = parse_fail(err, path, line,
                                "put SQL after a '-- migrate:up' line",
                                "SQL before '%s'", "-- migrate:up");
                goto fail;
            }
            char *kv = t + 2;
            char *colon = strchr(kv, ':');
            if (colon) {
                *colon = '\0';
                char *key = kv, *value = colon + 1;
                trim(key);
                trim(value);
                if (strcmp(key, "revision") == 0) {
                    if (seen_rev++) {
                        rc = parse_fail(err, path, line, "keep one",
                                        "second '%s' line", "revision");
                        goto fail;
                    }
                    if (!valid_id(value)) {
                        rc = parse_fail(err, path, line,
                                        "ids are 1-63 letters and digits",
                                        "bad revision id '%s'", value);
                        goto fail;
                    }
                    snprintf(r->id, sizeof r->id, "%s", value);
                } else if (strcmp(key, "down_revision") == 0) {
                    if (seen_down++) {
                        rc = parse_fail(err, path, line,
                                        "a merge lists its parents on one "
                                        "line, separated by commas",
                                        "second '%s' line", "down_revision");
                        goto fail;
                    }
                    if ((rc = parse_down(r, value, path, line, err)))
                        goto fail;
                } else if (strcmp(key, "message") == 0) {
                    seen_msg = 1;
                    snprintf(r->message, sizeof r->message, "%s", value);
                }
            }
        }
        p = next;
    }
    if (state == 1 && !(r->up.sql = dup_range(section_start, p))) {
        rc = db_error_set(err, DB_ENOMEM, "out of memory");
        goto fail;
    }
    if (state == 2 && !(r->down_sql.sql = dup_range(section_start, p))) {
        rc = db_error_set(err, DB_ENOMEM, "out of memory");
        goto fail;
    }
    (void)seen_msg;
    if (!seen_rev) {
        rc = parse_fail(err, path, 1, "add '-- revision: <id>' at the top",
                        "no '%s' line", "-- revision:");
        goto fail;
    }
    if (!seen_down) {
        rc = parse_fail(err, path, 1,
                        "add '-- down_revision: <parent id>' ('none' for the "
                        "first revision)",
                        "no '%s' line", "-- down_revision:");
        goto fail;
    }
    if (state == 0) {
        rc = parse_fail(err, path, line > 0 ? line : 1,
                        "add a '-- migrate:up' line before the SQL",
                        "no '%s' section", "-- migrate:up");
        goto fail;
    }
    const char *base = base_name(path);
    size_t idlen = strlen(r->id);
    if (strncmp(base, r->id, idlen) != 0 ||
        (base[idlen] != '_' && base[idlen] != '.')) {
        char hint[200];
        snprintf(hint, sizeof hint, "rename the file to %s_<name>.sql",
                 r->id);
        rc = parse_fail(err, path, 1, hint,
                        "file name does not start with its revision id '%s'",
                        r->id);
        goto fail;
    }
    for (size_t i = 0; i < r->ndown; i++)
        if (strcmp(r->down[i], r->id) == 0) {
            rc = parse_fail(err, path, 1, "name the revision this one follows",
                            "revision '%s' names itself as down_revision",
                            r->id);
            goto fail;
        }
    if ((rc = check_section(&r->up, path, "up", err)))
        goto fail;
    if (r->has_down && (rc = check_section(&r->down_sql, path, "down", err)))
        goto fail;
    sha256_hex(r->checksum, r->up.sql);
    return 0;
fail:
    db_revision_clear(r);
    return rc;
}

void db_revision_clear(struct db_revision *r)
{
    if (!r)
        return;
    free(r->down);
    free(r->parents);
    free(r->up.sql);
    free(r->down_sql.sql);
    memset(r, 0, sizeof *r);
}

/* ---- the graph ---------------------------------------------------------- */

static int read_text(char **out, const char *path, struct db_error *err)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return db_error_set(err, DB_EIO, "cannot read %s: %s", path,
                            strerror(errno));
    struct db_buf b = DB_BUF_INIT;
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        db_buf_putn(&b, chunk, n);
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        db_buf_free(&b);
        return db_error_set(err, DB_EIO, "cannot read %s", path);
    }
    if (!db_buf_ok(&b)) {
        db_buf_free(&b);
        return db_error_set(err, DB_ENOMEM, "out of memory");
    }
    if (memchr(db_buf_str(&b), '\0', b.len)) {
        db_buf_free(&b);
        db_error_set(err, DB_EPARSE, "NUL byte in a revision file");
        db_error_at(err, path, 0);
        return DB_EPARSE;
    }
    *out = b.data ? b.data : strdup("");
    return *out ? 0 : db_error_set(err, DB_ENOMEM, "out of memory");
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int list_sql_files(char ***out, size_t *n, const char *dir,
                          struct db_error *err)
{
    *out = NULL;
    *n = 0;
    DIR *d = opendir(dir);
    if (!d) {
        if (errno == ENOENT)
            return 0;
        return db_error_set(err, DB_EIO, "cannot open directory %s: %s", dir,
                            strerror(errno));
    }
    char **names = NULL;
    size_t cap = 0;
    struct dirent *e;
    int rc = 0;
    while ((e = readdir(d))) {
        size_t len = strlen(e->d_name);
        if (e->d_name[0] == '.' || e->d_name[0] == '_' || len < 5 ||
            strcmp(e->d_name + len - 4, ".sql") != 0)
            continue;
        if (*n == cap) {
            cap = cap ? cap * 2 : 16;
            char **p = realloc(names, cap * sizeof *names);
            if (!p) {
                rc = db_error_set(err, DB_ENOMEM, "out of memory");
                break;
            }
            names = p;
        }
        if (!(names[*n] = strdup(e->d_name))) {
            rc = db_error_set(err, DB_ENOMEM, "out of memory");
            break;
        }
        (*n)++;
    }
    closedir(d);
    if (rc) {
        for (size_t i = 0; i < *n; i++)
            free(names[i]);
        free(names);
        *n = 0;
        return rc;
    }
    if (*n)
        qsort(names, *n, sizeof *names, cmp_str);
    *out = names;
    return 0;
}

static int graph_fail(struct db_error *err, const struct db_revision *r,
                      const char *hint, const char *fmt, const char *a,
                      const char *b)
{
    db_error_set(err, DB_EGRAPH, fmt, a, b);
    db_error_at(err, r->path, 0);
    if (hint)
        db_error_hint(err, "%s", hint);
    return DB_EGRAPH;
}

static int index_of(const struct db_revision *revs, size_t n, const char *id)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(revs[i].id, id) == 0)
            return (int)i;
    return -1;
}

/* Resolves parents and orders revs topologically (Kahn, smallest id first). */
static int build_graph(struct db_revision_graph *g, struct db_error *err)
{
    size_t n = g->n;
    struct db_revision *revs = g->revs;
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++)
            if (strcmp(revs[i].id, revs[j].id) == 0)
                return graph_fail(err, &revs[j],
                                  "give one of them a new id (file name and "
                                  "'-- revision:' line)",
                                  "revision id '%s' is also used by %s",
                                  revs[j].id, revs[i].path);
    size_t *indeg = calloc(n ? n : 1, sizeof *indeg);
    size_t *order = calloc(n ? n : 1, sizeof *order);
    unsigned char *done = calloc(n ? n : 1, 1);
    int rc = 0;
    if (!indeg || !order || !done) {
        rc = db_error_set(err, DB_ENOMEM, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        for (size_t k = 0; k < revs[i].ndown; k++) {
            if (index_of(revs, n, revs[i].down[k]) < 0) {
                rc = graph_fail(err, &revs[i],
                                "restore that revision's file, or correct "
                                "'-- down_revision:'",
                                "down_revision '%s' of '%s' is not in the "
                                "versions directory",
                                revs[i].down[k], revs[i].id);
                goto out;
            }
        }
        indeg[i] = revs[i].ndown;
    }
    for (size_t placed = 0; placed < n; placed++) {
        size_t best = n;
        for (size_t i = 0; i < n; i++)
            if (!done[i] && indeg[i] == 0 &&
                (best == n || strcmp(revs[i].id, revs[best].id) < 0))
                best = i;
        if (best == n) {
            size_t i = 0;
            while (done[i])
                i++;
            rc = graph_fail(err, &revs[i],
                            "a revision cannot follow its own descendant: "
                            "correct '-- down_revision:'",
                            "revisions form a cycle through '%s'%s",
                            revs[i].id, "");
            goto out;
        }
        done[best] = 1;
        order[placed] = best;
        for (size_t i = 0; i < n; i++)
            for (size_t k = 0; k < revs[i].ndown; k++)
                if (strcmp(revs[i].down[k], revs[best].id) == 0)
                    indeg[i]--;
    }
    struct db_revision *sorted = malloc((n ? n : 1) * sizeof *sorted);
    if (!sorted) {
        rc = db_error_set(err, DB_ENOMEM, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < n; i++)
        sorted[i] = revs[order[i]];
    free(g->revs);
    g->revs = revs = sorted;
    for (size_t i = 0; i < n; i++) {
        if (!revs[i].ndown)
            continue;
        revs[i].parents = calloc(revs[i].ndown, sizeof *revs[i].parents);
        if (!revs[i].parents) {
            rc = db_error_set(err, DB_ENOMEM, "out of memory");
            goto out;
        }
        for (size_t k = 0; k < revs[i].ndown; k++)
            revs[i].parents[k] = (size_t)index_of(revs, n, revs[i].down[k]);
    }
out:
    free(indeg);
    free(order);
    free(done);
    return rc;
}

int db_revision_graph_load(struct db_revision_graph **out, const char *dir,
                           struct db_error *err)
{
    *out = NULL;
    struct db_revision_graph *g = calloc(1, sizeof *g);
    if (!g)
        return db_error_set(err, DB_ENOMEM, "out of memory");
    snprintf(g->dir, sizeof g->dir, "%s", dir);
    char **names = NULL;
    size_t nnames = 0;
    int rc = list_sql_files(&names, &nnames, dir, err);
    if (rc)
        goto fail;
    g->revs = calloc(nnames ? nnames : 1, sizeof *g->revs);
    if (!g->revs) {
        rc = db_error_set(err, DB_ENOMEM, "out of memory");
        goto fail;
    }
    for (size_t i = 0; i < nnames; i++) {
        char path[2048];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        char *text = NULL;
        if ((rc = read_text(&text, path, err)))
            goto fail;
        rc = db_revision_parse(&g->revs[g->n], path, text, err);
        free(text);
        if (rc)
            goto fail;
        g->n++;
    }
    if ((rc = build_graph(g, err)))
        goto fail;
    for (size_t i = 0; i < nnames; i++)
        free(names[i]);
    free(names);
    *out = g;
    return 0;
fail:
    for (size_t i = 0; i < nnames; i++)
        free(names[i]);
    free(names);
    db_revision_graph_free(g);
    return rc;
}

void db_revision_graph_free(struct db_revision_graph *g)
{
    if (!g)
        return;
    for (size_t i = 0; i < g->n; i++)
        db_revision_clear(&g->revs[i]);
    free(g->revs);
    free(g);
}

int db_revision_find(size_t *out, const struct db_revision_graph *g,
                     const char *id, struct db_error *err)
{
    for (size_t i = 0; i < g->n; i++)
        if (strcmp(g->revs[i].id, id) == 0) {
            *out = i;
            return 0;
        }
    size_t len = strlen(id), found = 0, at = 0;
    if (len >= 4)
        for (size_t i = 0; i < g->n; i++)
            if (strncmp(g->revs[i].id, id, len) == 0) {
                found++;
                at = i;
            }
    if (found == 1) {
        *out = at;
        return 0;
    }
    if (found > 1) {
        db_error_set(err, DB_EUSAGE, "revision prefix '%s' is ambiguous (%zu "
                                     "revisions start with it)", id, found);
        db_error_hint(err, "give more characters of the id; 'app db history' "
                           "lists them");
        return DB_EUSAGE;
    }
    db_error_set(err, DB_ENOTFOUND, "no revision '%s' in %s", id, g->dir);
    db_error_hint(err, "'app db history' lists the revisions");
    return DB_ENOTFOUND;
}

size_t db_revision_heads(size_t *out, const struct db_revision_graph *g)
{
    size_t n = 0;
    for (size_t i = 0; i < g->n; i++) {
        int child = 0;
        for (size_t j = i + 1; j < g->n && !child; j++)
            for (size_t k = 0; k < g->revs[j].ndown; k++)
                if (g->revs[j].parents[k] == i)
                    child = 1;
        if (!child)
            out[n++] = i;
    }
    return n;
}

void db_revision_ancestors(unsigned char *mark,
                           const struct db_revision_graph *g, size_t i)
{
    mark[i] = 1;
    /* Parents come before children: one backward pass closes the set. */
    for (size_t j = i + 1; j-- > 0;)
        if (mark[j])
            for (size_t k = 0; k < g->revs[j].ndown; k++)
                mark[g->revs[j].parents[k]] = 1;
}

/* ---- writing ------------------------------------------------------------ */

static void slug(char *out, size_t n, const char *message)
{
    size_t len = 0;
    int gap = 0;
    for (const char *p = message; *p && len + 2 < n && len < 40; p++) {
        if (isalnum((unsigned char)*p)) {
            if (gap && len > 0)
                out[len++] = '_';
            out[len++] = (char)tolower((unsigned char)*p);
            gap = 0;
        } else {
            gap = 1;
        }
    }
    out[len] = '\0';
    if (len == 0)
        snprintf(out, n, "revision");
}

static int id_taken(const char *dir, const char *id)
{
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    size_t len = strlen(id);
    struct dirent *e;
    int taken = 0;
    while ((e = readdir(d)) && !taken)
        if (strncmp(e->d_name, id, len) == 0 &&
            (e->d_name[len] == '_' || e->d_name[len] == '.'))
            taken = 1;
    closedir(d);
    return taken;
}

static int make_dirs(const char *dir, struct db_error *err)
{
    char path[1024];
    snprintf(path, sizeof path, "%s", dir);
    for (char *p = path + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(path, 0775) && errno != EEXIST)
            goto fail;
        *p = '/';
    }
    if (mkdir(path, 0775) && errno != EEXIST)
        goto fail;
    return 0;
fail:
    return db_error_set(err, DB_EIO, "cannot create directory %s: %s", path,
                        strerror(errno));
}

static void put_var(struct db_buf *b, const char *name, const char *message,
                    const char *id, const char *down, const char *created,
                    const char *up, const char *down_sql)
{
    if (strcmp(name, "revision") == 0)
        db_buf_puts(b, id);
    else if (strcmp(name, "down_revision") == 0)
        db_buf_puts(b, down);
    else if (strcmp(name, "message") == 0)
        db_buf_puts(b, message);
    else if (strcmp(name, "created") == 0)
        db_buf_puts(b, created);
    else if (strcmp(name, "up") == 0)
        db_buf_puts(b, up ? up : "");
    else if (strcmp(name, "down") == 0)
        db_buf_puts(b, down_sql ? down_sql : "");
    else
        db_buf_printf(b, "${%s}", name);
}

int db_revision_write(char *out_path, size_t n, const char *dir,
                      const char *tmpl, const char *message,
                      const char *const *down, size_t ndown, const char *up,
                      const char *down_sql, struct db_error *err)
{
    char msg[256];
    snprintf(msg, sizeof msg, "%s", message ? message : "");
    for (char *p = msg; *p; p++)
        if (*p == '\n' || *p == '\r' || *p == '\t')
            *p = ' ';
    trim(msg);
    if (!msg[0]) {
        db_error_set(err, DB_EUSAGE, "a revision needs a message");
        db_error_hint(err, "pass -m \"what the revision does\"");
        return DB_EUSAGE;
    }
    int rc = make_dirs(dir, err);
    if (rc)
        return rc;

    time_t now = time(NULL);
    char id[DB_REVISION_ID_MAX], created[32];
    for (int tries = 0;; tries++) {
        struct tm tm;
        time_t t = now + tries;
        gmtime_r(&t, &tm);
        strftime(id, sizeof id, "%Y%m%d%H%M%S", &tm);
        if (tries == 0)
            strftime(created, sizeof created, "%Y-%m-%d %H:%M:%S UTC", &tm);
        if (!id_taken(dir, id))
            break;
        if (tries > 1000)
            return db_error_set(err, DB_EEXISTS, "no free revision id in %s",
                                dir);
    }
    struct db_buf parents = DB_BUF_INIT;
    for (size_t i = 0; i < ndown; i++)
        db_buf_printf(&parents, "%s%s", i ? ", " : "", down[i]);
    if (ndown == 0)
        db_buf_puts(&parents, "none");

    struct db_buf text = DB_BUF_INIT;
    for (const char *p = tmpl; *p;) {
        const char *end;
        if (p[0] == '$' && p[1] == '{' && (end = strchr(p + 2, '}'))) {
            char name[64];
            snprintf(name, sizeof name, "%.*s", (int)(end - p - 2), p + 2);
            put_var(&text, name, msg, id, db_buf_str(&parents), created, up,
                    down_sql);
            p = end + 1;
        } else {
            db_buf_putn(&text, p, 1);
            p++;
        }
    }
    char name[64];
    slug(name, sizeof name, msg);
    snprintf(out_path, n, "%s/%s_%s.sql", dir, id, name);
    if (!db_buf_ok(&text) || !db_buf_ok(&parents)) {
        rc = db_error_set(err, DB_ENOMEM, "out of memory");
        goto out;
    }
    int fd = open(out_path, O_WRONLY | O_CREAT | O_EXCL, 0644);
    if (fd < 0) {
        rc = db_error_set(err, DB_EIO, "cannot create %s: %s", out_path,
                          strerror(errno));
        goto out;
    }
    size_t len = strlen(db_buf_str(&text));
    ssize_t w = write(fd, db_buf_str(&text), len);
    if (close(fd) != 0 || w < 0 || (size_t)w != len) {
        unlink(out_path);
        rc = db_error_set(err, DB_EIO, "cannot write %s", out_path);
    }
out:
    db_buf_free(&text);
    db_buf_free(&parents);
    return rc;
}
