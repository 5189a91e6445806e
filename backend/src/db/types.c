/*
 * types.c - the lookups that DB_TYPE_MAP generates.
 */
#include "types.h"

#include <stdlib.h>
#include <string.h>

struct type_row {
    const char *name;
    unsigned flags;
    unsigned widens_to;
    const char *const *aliases;
};

static const struct type_row rows[DB_TYPE_COUNT_] = {
#define ROW_(id, nm, fl, wd, al) \
    [DB_TYPE_##id] = {.name = nm, .flags = fl, .widens_to = wd, .aliases = al},
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

int db_type_widens(enum db_type from, int from_len, enum db_type to,
                   int to_len)
{
    if (!db_type_valid((int)from) || !db_type_valid((int)to))
        return 0;
    if (from == to)
        return (rows[from].flags & DB_TYPEF_LENGTH) && to_len >= from_len;
    return (rows[from].widens_to & (1u << to)) != 0;
}

int db_type_from_alias(enum db_type *type, int *length, const char *t)
{
    *length = 0;
    /* "varchar(20)": a length type's alias, then a positive length */
    const char *paren = strchr(t, '(');
    if (paren && atoi(paren + 1) > 0) {
        for (int i = DB_TYPE_NONE_ + 1; i < DB_TYPE_COUNT_; i++) {
            if (!(rows[i].flags & DB_TYPEF_LENGTH))
                continue;
            for (const char *const *a = rows[i].aliases; *a; a++)
                if (strncmp(t, *a, strlen(*a)) == 0) {
                    *length = atoi(paren + 1);
                    *type = (enum db_type)i;
                    return 1;
                }
        }
    }
    for (int i = DB_TYPE_NONE_ + 1; i < DB_TYPE_COUNT_; i++) {
        if (rows[i].flags & DB_TYPEF_LENGTH)
            continue;
        for (const char *const *a = rows[i].aliases; *a; a++)
            if (strcmp(t, *a) == 0) {
                *type = (enum db_type)i;
                return 1;
            }
    }
    return 0;
}
