/*
 * fuzz_intx.c - the rehearsal's transactional form of a statement
 * (drivers/pgparse.c: the bytes of CONCURRENTLY taken out where
 * libpg_query's parse tree and scanner put them).
 *
 * The input is SQL, as a transaction=false section holds it. When a form
 * comes back it is not empty, and it has nothing left to remove: asked
 * again, it runs as it is.
 */
#include "fuzz.h"

int db_pg_in_transaction(const char *sql, char **out, char *live, size_t n);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *sql = fuzz_strndup(data, size);
    char *out = NULL, live[200];
    int rc = db_pg_in_transaction(sql, &out, live, sizeof live);
    FUZZ_ASSERT(rc == 0 || rc == 1);
    FUZZ_ASSERT((rc == 1) == (out != NULL));
    if (out) {
        FUZZ_ASSERT(out[0] != '\0' && live[0] != '\0');
        char *again = NULL;
        FUZZ_ASSERT(db_pg_in_transaction(out, &again, live, sizeof live) == 0);
        FUZZ_ASSERT(again == NULL);
    }
    free(out);
    free(sql);
    return 0;
}
