/*
 * fuzz_revcache.c - the record of revision files as last read
 * (migrations/.revision-cache), fed whole.
 *
 * The input is the record's bytes. A record that parses has entries that
 * lie inside the input, with a non-empty name, a text as long as the
 * recorded size, a header (id, parents, message) right after its text, a
 * checksum of 64 hex digits, and is marked ok exactly
 * when its check matches its bytes; lookups in name order find each ok
 * entry with its own key and never one that failed its check. Its names
 * stand for a directory's listing only when every entry is ok and the
 * names are revision file names (no '/', ending in .sql), in strictly
 * increasing order, and only for the directory status it recorded. A
 * record that does not parse has no entries.
 */
#include "db/revcache.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* an exact-size copy, so reading past the end is caught */
    char *copy = malloc(size ? size : 1);
    FUZZ_ASSERT(copy != NULL);
    memcpy(copy, data, size);
    struct db_revcache c;
    memset(&c, 0, sizeof c);
    int rc = db_revcache_parse(&c, copy, size);
    FUZZ_ASSERT(rc == 0 || rc == -1);
    if (rc != 0)
        FUZZ_ASSERT(c.n == 0 && c.v == NULL);
    for (size_t i = 0; i < c.n; i++) {
        const struct db_revcache_entry *e = &c.v[i];
        FUZZ_ASSERT(e->namelen > 0);
        FUZZ_ASSERT(e->name >= copy && e->name + e->namelen <= copy + size);
        FUZZ_ASSERT(e->text >= copy && e->text + e->len <= copy + size);
        FUZZ_ASSERT(e->len == e->key.size);
        FUZZ_ASSERT(strlen(e->checksum) == 64);
        const struct db_revision_head *h = &e->head;
        FUZZ_ASSERT(h->id == e->text + e->len);
        FUZZ_ASSERT(h->down == h->id + h->idlen);
        FUZZ_ASSERT(h->message == h->down + h->downlen);
        FUZZ_ASSERT(h->message + h->msglen <= copy + size);
        FUZZ_ASSERT(h->header_line >= 0 && h->down_line >= 0);
        /* the entry's bytes: from the numbers after its check to its end */
        const char *start = e->name - 64 - 15 * 8;
        uint64_t check;
        memcpy(&check, start - 8, 8);
        size_t n = (size_t)(h->message + h->msglen - start);
        FUZZ_ASSERT(e->ok == (db_revcache_check(start, n) == check));
    }
    /* in a record of distinct names in order (as the loader writes it),
     * each name asked in order finds its own entry */
    int ordered = 1;
    for (size_t i = 0; i < c.n && ordered; i++) {
        const struct db_revcache_entry *e = &c.v[i];
        if (memchr(e->name, '\0', e->namelen) || e->namelen > 4096)
            ordered = 0;
        if (i > 0) {
            const struct db_revcache_entry *p = &c.v[i - 1];
            size_t m = p->namelen < e->namelen ? p->namelen : e->namelen;
            int cmp = memcmp(p->name, e->name, m);
            if (cmp > 0 || (cmp == 0 && p->namelen >= e->namelen))
                ordered = 0;
        }
    }
    if (c.names_ok)
        for (size_t i = 0; i < c.n; i++) {
            const struct db_revcache_entry *e = &c.v[i];
            FUZZ_ASSERT(e->ok && ordered);
            FUZZ_ASSERT(e->namelen >= 5 && e->namelen <= 255);
            FUZZ_ASSERT(!memchr(e->name, '/', e->namelen));
            FUZZ_ASSERT(memcmp(e->name + e->namelen - 4, ".sql", 4) == 0);
        }
    FUZZ_ASSERT(db_revcache_names_stand(&c, &c.dir) ==
                (c.listing && c.names_ok));
    struct db_revcache_key other = c.dir;
    other.ino++;
    FUZZ_ASSERT(!db_revcache_names_stand(&c, &other));
    c.cursor = 0;
    for (size_t i = 0; i < c.n && ordered; i++) {
        const struct db_revcache_entry *e = &c.v[i];
        char name[4097];
        memcpy(name, e->name, e->namelen);
        name[e->namelen] = '\0';
        const struct db_revcache_entry *f = db_revcache_find(&c, name, &e->key);
        FUZZ_ASSERT(f == (e->ok ? e : NULL));
    }
    free(c.v);
    free(copy);
    return 0;
}
