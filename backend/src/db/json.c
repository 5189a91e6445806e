/*
 * json.c - the canonical spelling of JSON text (json.h): a small recursive
 * parser that writes as it reads, sorting each object's members.
 */
#include "json.h"

#include <stdlib.h>
#include <string.h>

struct parser {
    const char *s;
    int depth;
    int oom;
};

/* Results of the steps: 0 good, -1 not JSON, -2 out of memory. */
#define BAD (-1)
#define NOMEM (-2)

static void skip_ws(struct parser *p)
{
    while (*p->s == ' ' || *p->s == '\t' || *p->s == '\n' || *p->s == '\r')
        p->s++;
}

static int hex4(const char *s, unsigned *out)
{
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        char c = s[i];
        v <<= 4;
        if (c >= '0' && c <= '9')
            v |= (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f')
            v |= (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            v |= (unsigned)(c - 'A' + 10);
        else
            return BAD;
    }
    *out = v;
    return 0;
}

static void put_utf8(struct db_buf *b, unsigned cp)
{
    char u[4];
    size_t n;
    if (cp < 0x80) {
        u[0] = (char)cp;
        n = 1;
    } else if (cp < 0x800) {
        u[0] = (char)(0xc0 | (cp >> 6));
        u[1] = (char)(0x80 | (cp & 0x3f));
        n = 2;
    } else if (cp < 0x10000) {
        u[0] = (char)(0xe0 | (cp >> 12));
        u[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
        u[2] = (char)(0x80 | (cp & 0x3f));
        n = 3;
    } else {
        u[0] = (char)(0xf0 | (cp >> 18));
        u[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
        u[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
        u[3] = (char)(0x80 | (cp & 0x3f));
        n = 4;
    }
    db_buf_putn(b, u, n);
}

/* A string's bytes, escapes decoded, into dec (not NUL-safe: use len). */
static int read_string(struct parser *p, struct db_buf *dec)
{
    if (*p->s != '"')
        return BAD;
    p->s++;
    for (;;) {
        unsigned char c = (unsigned char)*p->s;
        if (c == '\0' || c < 0x20)
            return BAD;
        p->s++;
        if (c == '"')
            return db_buf_ok(dec) ? 0 : NOMEM;
        if (c != '\\') {
            db_buf_putn(dec, (const char *)&c, 1);
            continue;
        }
        char e = *p->s++;
        switch (e) {
        case '"': db_buf_putn(dec, "\"", 1); break;
        case '\\': db_buf_putn(dec, "\\", 1); break;
        case '/': db_buf_putn(dec, "/", 1); break;
        case 'b': db_buf_putn(dec, "\b", 1); break;
        case 'f': db_buf_putn(dec, "\f", 1); break;
        case 'n': db_buf_putn(dec, "\n", 1); break;
        case 'r': db_buf_putn(dec, "\r", 1); break;
        case 't': db_buf_putn(dec, "\t", 1); break;
        case 'u': {
            unsigned cp, lo;
            if (hex4(p->s, &cp))
                return BAD;
            p->s += 4;
            if (cp >= 0xdc00 && cp <= 0xdfff)
                return BAD; /* a low surrogate alone */
            if (cp >= 0xd800 && cp <= 0xdbff) {
                if (p->s[0] != '\\' || p->s[1] != 'u' || hex4(p->s + 2, &lo) ||
                    lo < 0xdc00 || lo > 0xdfff)
                    return BAD;
                p->s += 6;
                cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
            }
            put_utf8(dec, cp);
            break;
        }
        default:
            return BAD;
        }
    }
}

/* Bytes as a JSON string with only the escapes it needs. */
static void put_string(struct db_buf *out, const char *s, size_t n)
{
    db_buf_putn(out, "\"", 1);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        switch (c) {
        case '"': db_buf_putn(out, "\\\"", 2); break;
        case '\\': db_buf_putn(out, "\\\\", 2); break;
        case '\b': db_buf_putn(out, "\\b", 2); break;
        case '\f': db_buf_putn(out, "\\f", 2); break;
        case '\n': db_buf_putn(out, "\\n", 2); break;
        case '\r': db_buf_putn(out, "\\r", 2); break;
        case '\t': db_buf_putn(out, "\\t", 2); break;
        default:
            if (c < 0x20)
                db_buf_printf(out, "\\u%04x", c);
            else
                db_buf_putn(out, (const char *)&c, 1);
        }
    }
    db_buf_putn(out, "\"", 1);
}

static int digits(struct parser *p)
{
    const char *start = p->s;
    while (*p->s >= '0' && *p->s <= '9')
        p->s++;
    return p->s > start ? 0 : BAD;
}

static int number(struct parser *p, struct db_buf *out)
{
    const char *start = p->s;
    if (*p->s == '-')
        p->s++;
    if (*p->s == '0')
        p->s++;
    else if (digits(p))
        return BAD;
    if (*p->s == '.') {
        p->s++;
        if (digits(p))
            return BAD;
    }
    if (*p->s == 'e' || *p->s == 'E') {
        p->s++;
        if (*p->s == '+' || *p->s == '-')
            p->s++;
        if (digits(p))
            return BAD;
    }
    db_buf_putn(out, start, (size_t)(p->s - start));
    return 0;
}

struct member {
    struct db_buf key;   /* decoded bytes */
    struct db_buf value; /* canonical text */
    size_t order;        /* position in the text: the last of a key wins */
};

static int member_cmp(const void *a, const void *b)
{
    const struct member *x = a, *y = b;
    if (x->key.len != y->key.len)
        return x->key.len < y->key.len ? -1 : 1;
    int c = x->key.len ? memcmp(x->key.data, y->key.data, x->key.len) : 0;
    if (c)
        return c;
    return x->order < y->order ? -1 : x->order > y->order;
}

static int value(struct parser *p, struct db_buf *out);

static void free_members(struct member *m, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        db_buf_free(&m[i].key);
        db_buf_free(&m[i].value);
    }
    free(m);
}

static int object(struct parser *p, struct db_buf *out)
{
    struct member *m = NULL;
    size_t n = 0, cap = 0;
    int rc = 0;
    p->s++; /* { */
    skip_ws(p);
    if (*p->s == '}') {
        p->s++;
        db_buf_puts(out, "{}");
        return 0;
    }
    for (;;) {
        if (n == cap) {
            size_t c = cap ? cap * 2 : 8;
            struct member *grown = realloc(m, c * sizeof *m);
            if (!grown) {
                rc = NOMEM;
                break;
            }
            m = grown;
            cap = c;
        }
        struct member *e = &m[n++];
        e->key = (struct db_buf)DB_BUF_INIT;
        e->value = (struct db_buf)DB_BUF_INIT;
        e->order = n;
        skip_ws(p);
        if ((rc = read_string(p, &e->key)))
            break;
        skip_ws(p);
        if (*p->s++ != ':') {
            rc = BAD;
            break;
        }
        if ((rc = value(p, &e->value)))
            break;
        skip_ws(p);
        if (*p->s == ',') {
            p->s++;
            continue;
        }
        if (*p->s == '}') {
            p->s++;
            break;
        }
        rc = BAD;
        break;
    }
    if (rc == 0) {
        qsort(m, n, sizeof *m, member_cmp);
        int first = 1;
        db_buf_puts(out, "{");
        for (size_t i = 0; i < n; i++) {
            /* of several members with one key, the last */
            if (i + 1 < n && m[i].key.len == m[i + 1].key.len &&
                (m[i].key.len == 0 ||
                 memcmp(m[i].key.data, m[i + 1].key.data, m[i].key.len) == 0))
                continue;
            if (!first)
                db_buf_puts(out, ",");
            put_string(out, m[i].key.len ? m[i].key.data : "", m[i].key.len);
            db_buf_puts(out, ":");
            db_buf_putn(out, m[i].value.len ? m[i].value.data : "",
                        m[i].value.len);
            first = 0;
        }
        db_buf_puts(out, "}");
    }
    free_members(m, n);
    return rc;
}

static int array(struct parser *p, struct db_buf *out)
{
    p->s++; /* [ */
    skip_ws(p);
    db_buf_puts(out, "[");
    if (*p->s == ']') {
        p->s++;
        db_buf_puts(out, "]");
        return 0;
    }
    for (int first = 1;; first = 0) {
        if (!first)
            db_buf_puts(out, ",");
        int rc = value(p, out);
        if (rc)
            return rc;
        skip_ws(p);
        if (*p->s == ',') {
            p->s++;
            continue;
        }
        if (*p->s++ != ']')
            return BAD;
        db_buf_puts(out, "]");
        return 0;
    }
}

static int literal(struct parser *p, struct db_buf *out, const char *word)
{
    size_t n = strlen(word);
    if (strncmp(p->s, word, n) != 0)
        return BAD;
    p->s += n;
    db_buf_puts(out, word);
    return 0;
}

static int value(struct parser *p, struct db_buf *out)
{
    skip_ws(p);
    if (++p->depth > DB_JSON_DEPTH_MAX)
        return BAD;
    int rc;
    switch (*p->s) {
    case '{': rc = object(p, out); break;
    case '[': rc = array(p, out); break;
    case '"': {
        struct db_buf s = DB_BUF_INIT;
        rc = read_string(p, &s);
        if (rc == 0)
            put_string(out, s.len ? s.data : "", s.len);
        db_buf_free(&s);
        break;
    }
    case 't': rc = literal(p, out, "true"); break;
    case 'f': rc = literal(p, out, "false"); break;
    case 'n': rc = literal(p, out, "null"); break;
    default: rc = number(p, out); break;
    }
    p->depth--;
    if (rc == 0 && !db_buf_ok(out))
        rc = NOMEM;
    return rc;
}

int db_json_canonical(struct db_buf *out, const char *text)
{
    struct parser p = {.s = text};
    int rc = value(&p, out);
    if (rc)
        return rc;
    skip_ws(&p);
    return *p.s ? BAD : 0;
}

int db_json_equal(const char *a, const char *b)
{
    struct db_buf x = DB_BUF_INIT, y = DB_BUF_INIT;
    int eq;
    if (db_json_canonical(&x, a) == 0 && db_json_canonical(&y, b) == 0)
        eq = x.len == y.len && memcmp(x.data, y.data, x.len) == 0;
    else
        eq = strcmp(a, b) == 0;
    db_buf_free(&x);
    db_buf_free(&y);
    return eq;
}
