/*
 * types.c - the lookups that DB_TYPE_MAP generates.
 */
#include "types.h"

#include <stdlib.h>
#include <string.h>

struct type_row {
    const char *name;
    unsigned flags;
    int bits;
    unsigned widens_to;
    const char *const *aliases;
};

static const struct type_row rows[DB_TYPE_COUNT_] = {
#define ROW_(id, nm, fl, bt, wd, al)                                    \
    [DB_TYPE_##id] = {.name = nm, .flags = fl, .bits = bt,             \
                      .widens_to = wd, .aliases = al},
    DB_TYPE_MAP(ROW_)
#undef ROW_
};

int db_type_valid(int t)
{
    return t > DB_TYPE_NONE_ && t < DB_TYPE_COUNT_;
}

const char *db_type_name(enum db_type t)
{
    return db_type_valid((int)t) ? rows[t].name : "?";
}

unsigned db_type_flags(enum db_type t)
{
    return db_type_valid((int)t) ? rows[t].flags : 0;
}

int db_type_bits(enum db_type t)
{
    return db_type_valid((int)t) ? rows[t].bits : 0;
}

int db_type_same(const struct db_type_spec *a, const struct db_type_spec *b)
{
    if (a->type != b->type)
        return 0;
    unsigned f = db_type_flags(a->type);
    if ((f & DB_TYPEF_LENGTH) && a->length != b->length)
        return 0;
    if ((f & DB_TYPEF_PRECISION) &&
        (a->precision != b->precision || a->scale != b->scale))
        return 0;
    return 1;
}

/* Decimal digits of the largest value of an integer of so many bits. */
static int int_digits(int bits)
{
    return bits == 16 ? 5 : bits == 32 ? 10 : 19;
}

int db_type_widens(const struct db_type_spec *from,
                   const struct db_type_spec *to)
{
    if (!db_type_valid((int)from->type) || !db_type_valid((int)to->type))
        return 0;
    unsigned f = rows[from->type].flags;
    if (from->type == to->type) {
        if (f & DB_TYPEF_LENGTH)
            return to->length >= from->length;
        if (f & DB_TYPEF_PRECISION)
            return to->precision == 0 ||
                   (from->precision != 0 && to->scale >= from->scale &&
                    to->precision - to->scale >=
                        from->precision - from->scale);
        return 0;
    }
    if (!(rows[from->type].widens_to & (1u << to->type)))
        return 0;
    if ((rows[to->type].flags & DB_TYPEF_PRECISION) && rows[from->type].bits)
        return to->precision == 0 ||
               to->precision - to->scale >= int_digits(rows[from->type].bits);
    return 1;
}

/* Reads "(n)" or "(p,s)" / "(p)" after an alias. */
static int sizes(const char *p, int *a, int *b)
{
    char *end;
    *a = 0;
    *b = 0;
    while (*p == ' ')
        p++;
    if (*p++ != '(')
        return 0;
    long x = strtol(p, &end, 10);
    if (end == p || x <= 0 || x > 1000000)
        return 0;
    *a = (int)x;
    p = end;
    while (*p == ' ')
        p++;
    if (*p == ',') {
        p++;
        long y = strtol(p, &end, 10);
        if (end == p || y < 0 || y > 1000000)
            return 0;
        *b = (int)y;
        p = end;
        while (*p == ' ')
            p++;
    }
    return *p == ')' && p[1] == '\0';
}

int db_type_from_alias(struct db_type_spec *out, const char *t)
{
    memset(out, 0, sizeof *out);
    /* "varchar(20)", "numeric(10,2)": a sized type's alias, then sizes */
    const char *paren = strchr(t, '(');
    if (paren) {
        size_t n = (size_t)(paren - t);
        while (n > 0 && t[n - 1] == ' ')
            n--;
        for (int i = DB_TYPE_NONE_ + 1; i < DB_TYPE_COUNT_; i++) {
            unsigned f = rows[i].flags;
            if (!(f & (DB_TYPEF_LENGTH | DB_TYPEF_PRECISION)))
                continue;
            for (const char *const *a = rows[i].aliases; *a; a++) {
                int x, y;
                if (strlen(*a) != n || strncmp(t, *a, n) != 0 ||
                    !sizes(paren, &x, &y))
                    continue;
                if ((f & DB_TYPEF_LENGTH) && y)
                    continue;
                out->type = (enum db_type)i;
                if (f & DB_TYPEF_LENGTH)
                    out->length = x;
                else {
                    out->precision = x;
                    out->scale = y;
                }
                return 1;
            }
        }
        return 0;
    }
    for (int i = DB_TYPE_NONE_ + 1; i < DB_TYPE_COUNT_; i++) {
        if (rows[i].flags & DB_TYPEF_LENGTH)
            continue;
        for (const char *const *a = rows[i].aliases; *a; a++)
            if (strcmp(t, *a) == 0) {
                out->type = (enum db_type)i;
                return 1;
            }
    }
    return 0;
}
