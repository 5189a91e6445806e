/*
 * arena.h - a bump allocator: many small allocations, freed at once.
 *
 * Reflected metadata (tables, columns, names) lives in one arena per call
 * and is released with one db_arena_free. Allocation failure returns NULL
 * and marks the arena (db_arena_ok), so callers may check once at the end.
 */
#ifndef DB_ARENA_H
#define DB_ARENA_H

#include <stdbool.h>
#include <stddef.h>

struct db_arena_block;

struct db_arena {
    struct db_arena_block *head;  /* newest block first */
    size_t used;                  /* bytes used in head */
    size_t cap;                   /* bytes available in head */
    bool oom;                     /* an allocation failed */
};

#define DB_ARENA_INIT {NULL, 0, 0, false}

/* n zeroed bytes, aligned for any type; NULL (and oom set) on failure. */
void *db_arena_alloc(struct db_arena *a, size_t n);

/* A copy of s (NULL for NULL s, or on failure). */
char *db_arena_strdup(struct db_arena *a, const char *s);

/* A copy of the first n bytes of s, NUL-terminated. */
char *db_arena_strndup(struct db_arena *a, const char *s, size_t n);

/* A copy of n bytes from p (NULL for n == 0). */
void *db_arena_memdup(struct db_arena *a, const void *p, size_t n);

/* Whether every allocation so far succeeded. */
bool db_arena_ok(const struct db_arena *a);

/* Frees every block; NULL-safe; the arena can be used again. */
void db_arena_free(struct db_arena *a);

#endif /* DB_ARENA_H */
