/*
 * arena.c - bump allocator.
 */
#include "arena.h"

#include <stdalign.h>
#include <stdlib.h>
#include <string.h>

#define ARENA_BLOCK 16384

struct db_arena_block {
    struct db_arena_block *next;
    alignas(max_align_t) unsigned char data[];
};

void *db_arena_alloc(struct db_arena *a, size_t n)
{
    const size_t align = alignof(max_align_t);
    n = (n + align - 1) & ~(align - 1);
    if (n == 0)
        n = align;
    if (!a->head || a->cap - a->used < n) {
        size_t size = n > ARENA_BLOCK ? n : ARENA_BLOCK;
        struct db_arena_block *b = malloc(sizeof *b + size);
        if (!b) {
            a->oom = true;
            return NULL;
        }
        b->next = a->head;
        a->head = b;
        a->used = 0;
        a->cap = size;
    }
    void *p = a->head->data + a->used;
    a->used += n;
    memset(p, 0, n);
    return p;
}

char *db_arena_strndup(struct db_arena *a, const char *s, size_t n)
{
    if (!s)
        return NULL;
    char *p = db_arena_alloc(a, n + 1);
    if (p)
        memcpy(p, s, n);
    return p;
}

char *db_arena_strdup(struct db_arena *a, const char *s)
{
    return s ? db_arena_strndup(a, s, strlen(s)) : NULL;
}

void *db_arena_memdup(struct db_arena *a, const void *p, size_t n)
{
    if (n == 0)
        return NULL;
    void *q = db_arena_alloc(a, n);
    if (q)
        memcpy(q, p, n);
    return q;
}

bool db_arena_ok(const struct db_arena *a)
{
    return !a->oom;
}

void db_arena_free(struct db_arena *a)
{
    if (!a)
        return;
    struct db_arena_block *b = a->head;
    while (b) {
        struct db_arena_block *next = b->next;
        free(b);
        b = next;
    }
    a->head = NULL;
    a->used = a->cap = 0;
    a->oom = false;
}
