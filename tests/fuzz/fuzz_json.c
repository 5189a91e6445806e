/*
 * fuzz_json.c - the canonical spelling of JSON text (db/json.h), which
 * reads JSON defaults from the models and from the database's catalog.
 *
 * The input is the text. What is accepted has a canonical spelling that
 * is its own canonical spelling, holds no whitespace outside strings, and
 * equals the input as a document.
 */
#include "db/json.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_strndup(data, size);
    struct db_buf a = DB_BUF_INIT, b = DB_BUF_INIT;
    int rc = db_json_canonical(&a, text);
    FUZZ_ASSERT(rc == 0 || rc == -1);
    if (rc == 0) {
        FUZZ_ASSERT(a.len > 0);
        FUZZ_ASSERT(db_json_canonical(&b, db_buf_str(&a)) == 0);
        FUZZ_ASSERT(b.len == a.len && memcmp(a.data, b.data, a.len) == 0);
        int in_str = 0;
        for (size_t i = 0; i < a.len; i++) {
            char c = a.data[i];
            if (in_str && c == '\\')
                i++;
            else if (c == '"')
                in_str = !in_str;
            else if (!in_str)
                FUZZ_ASSERT(c != ' ' && c != '\t' && c != '\n' && c != '\r');
        }
        FUZZ_ASSERT(db_json_equal(text, db_buf_str(&a)));
    }
    db_buf_free(&a);
    db_buf_free(&b);
    free(text);
    return 0;
}
