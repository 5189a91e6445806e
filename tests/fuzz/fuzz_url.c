/*
 * fuzz_url.c - database URLs and password masking.
 *
 * The input is a URL; after a NUL byte, a secret to mask in it (as server
 * messages are masked with the connection's password). The first byte
 * also picks a small output size, so masking into short buffers is tried.
 * Masked output always fits its buffer, and the password of a URL never
 * survives masking.
 */
#include <uriparser/Uri.h>

#include "db/url.h"
#include "fuzz.h"

/* The password of url's user-info ("user:password@"), or "" when none. */
static void uri_password(char *out, size_t n, const char *url)
{
    out[0] = '\0';
    UriUriA uri;
    const char *errpos;
    if (uriParseSingleUriA(&uri, url, &errpos) != URI_SUCCESS)
        return;
    const char *ui = uri.userInfo.first;
    if (ui) {
        size_t len = (size_t)(uri.userInfo.afterLast - ui);
        const char *colon = memchr(ui, ':', len);
        if (colon)
            snprintf(out, n, "%.*s", (int)(ui + len - colon - 1), colon + 1);
    }
    uriFreeUriMembersA(&uri);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *parts[2];
    size_t lens[2];
    size_t n = fuzz_split(parts, lens, 2, data, size, '\0');
    char *url = fuzz_strndup(parts[0], lens[0]);
    char *secret = n > 1 ? fuzz_strndup(parts[1], lens[1]) : NULL;

    struct db_url u;
    struct db_error err;
    int rc = db_url_parse(&u, url, &err);
    FUZZ_ASSERT(rc == 0 || rc == DB_ECONFIG);
    if (rc == 0) {
        FUZZ_ASSERT(strcmp(u.scheme, "sqlite") == 0 ||
                    strcmp(u.scheme, "postgresql") == 0);
        if (strcmp(u.scheme, "sqlite") == 0)
            FUZZ_ASSERT(u.path[0] != '\0');
    } else {
        FUZZ_ASSERT(err.message[0] != '\0');
    }

    /* Masking into a full-size buffer: the password is gone. */
    size_t big = strlen(url) + 64;
    char *masked = malloc(big);
    FUZZ_ASSERT(masked != NULL);
    db_url_mask(masked, big, url);
    FUZZ_ASSERT(strlen(masked) < big);
    char pw[1024];
    uri_password(pw, sizeof pw, url);
    /* (a password that also occurs elsewhere in the URL, or that "***"
     * could spell, cannot be told apart from the rest: not checked) */
    const char *once = pw[0] ? strstr(url, pw) : NULL;
    if (once && !strstr(once + 1, pw) && !strchr(pw, '*'))
        FUZZ_ASSERT(strstr(masked, pw) == NULL);

    /* Masking into a short buffer: cut, still terminated. */
    size_t small = size ? 1 + data[0] % 48 : 1;
    char shortbuf[48];
    db_url_mask(shortbuf, small, url);
    FUZZ_ASSERT(strlen(shortbuf) < small);

    if (secret) {
        char *text = fuzz_strndup((const uint8_t *)url, strlen(url));
        size_t before = strlen(text);
        db_mask_secret(text, secret);
        FUZZ_ASSERT(strlen(text) <= before);
        free(text);
    }
    free(masked);
    free(url);
    free(secret);
    return 0;
}
