/*
 * url.c - database URLs, parsed with liburiparser.
 */
#include "url.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include <uriparser/Uri.h>

static size_t range_len(const UriTextRangeA *r)
{
    return r->first ? (size_t)(r->afterLast - r->first) : 0;
}

static const char accepted[] =
    "accepted: sqlite:///relative/path.db, sqlite:////absolute/path.db, "
    "sqlite:///:memory:, postgresql://user:pass@host:port/db";

int db_url_parse(struct db_url *out, const char *url, struct db_error *err)
{
    memset(out, 0, sizeof *out);
    if (!url || !*url) {
        snprintf(out->scheme, sizeof out->scheme, "postgresql");
        return 0;
    }
    UriUriA uri;
    const char *errpos = NULL;
    if (uriParseSingleUriA(&uri, url, &errpos) != URI_SUCCESS)
        return db_error_set(err, DB_ECONFIG,
                            "bad database url (cannot parse at column %d); %s",
                            (int)(errpos ? errpos - url + 1 : 0), accepted);

    int rc = 0;
    size_t slen = range_len(&uri.scheme);
    if (slen == 0 || slen >= sizeof out->scheme) {
        rc = db_error_set(err, DB_ECONFIG, "bad database url (no scheme); %s",
                          accepted);
        goto done;
    }
    for (size_t i = 0; i < slen; i++)
        out->scheme[i] = (char)tolower((unsigned char)uri.scheme.first[i]);

    if (strcmp(out->scheme, "postgres") == 0)
        snprintf(out->scheme, sizeof out->scheme, "postgresql");
    if (strcmp(out->scheme, "postgresql") == 0)
        goto done;
    if (strcmp(out->scheme, "sqlite") != 0) {
        rc = db_error_set(err, DB_ECONFIG,
                          "unknown database url scheme '%s'; %s", out->scheme,
                          accepted);
        goto done;
    }
    if (range_len(&uri.hostText) || range_len(&uri.userInfo) ||
        range_len(&uri.portText)) {
        rc = db_error_set(err, DB_ECONFIG,
                          "a sqlite url has no host (use three slashes: "
                          "sqlite:///path.db); %s", accepted);
        goto done;
    }
    /* Join the path segments with '/'; an empty first one gives "////abs". */
    size_t len = 0;
    for (UriPathSegmentA *s = uri.pathHead; s; s = s->next) {
        size_t n = range_len(&s->text);
        if (len + n + 2 >= sizeof out->path)
            goto toolong;
        if (s != uri.pathHead)
            out->path[len++] = '/';
        memcpy(out->path + len, s->text.first, n);
        len += n;
    }
    out->path[len] = '\0';
    if (len == 0 || strcmp(out->path, ":memory:") == 0) {
        snprintf(out->path, sizeof out->path, ":memory:");
    } else {
        const char *stop = uriUnescapeInPlaceA(out->path);
        if (stop == NULL)
            rc = db_error_set(err, DB_ECONFIG, "bad sqlite path in url; %s",
                              accepted);
        else if (stop != out->path + strlen(out->path))
            /* "%00" would end the file name there, or leave none */
            rc = db_error_set(err, DB_ECONFIG,
                              "bad sqlite path in url: an encoded NUL byte "
                              "(%%00); %s", accepted);
    }
    goto done;
toolong:
    rc = db_error_set(err, DB_ECONFIG, "sqlite path in url is too long");
done:
    uriFreeUriMembersA(&uri);
    return rc;
}

void db_mask_secret(char *text, const char *secret)
{
    size_t sl = secret ? strlen(secret) : 0;
    if (sl == 0)
        return;
    char *from = text;
    char *p;
    while ((p = strstr(from, secret)) != NULL) {
        if (sl >= 3) {
            memcpy(p, "***", 3);
            memmove(p + 3, p + sl, strlen(p + sl) + 1);
            from = p + 3;
        } else {
            memset(p, '*', sl);
            from = p + sl;
        }
    }
}

static const char stars[] = "***";

/* Appends [from, to) to out. */
static void put(char *out, size_t n, size_t *len, const char *from,
                const char *to)
{
    size_t k = (size_t)(to - from);
    if (*len + k >= n)
        k = *len < n ? n - 1 - *len : 0;
    memcpy(out + *len, from, k);
    *len += k;
    out[*len] = '\0';
}

void db_url_mask(char *out, size_t n, const char *url)
{
    if (n == 0)
        return;
    out[0] = '\0';
    if (!url)
        return;
    UriUriA uri;
    const char *errpos = NULL;
    if (uriParseSingleUriA(&uri, url, &errpos) != URI_SUCCESS) {
        snprintf(out, n, "<unparsable url>");
        return;
    }
    const char *end = url + strlen(url);
    size_t len = 0;
    const char *cur = url;
    /* user:password@ -> user:***@ */
    if (range_len(&uri.userInfo)) {
        const char *colon = memchr(uri.userInfo.first, ':',
                                   range_len(&uri.userInfo));
        if (colon) {
            put(out, n, &len, cur, colon + 1);
            put(out, n, &len, stars, stars + 3);
            cur = uri.userInfo.afterLast;
        }
    }
    /* ?...password=secret... -> password=*** */
    if (range_len(&uri.query)) {
        const char *q = uri.query.first;
        while (q < uri.query.afterLast) {
            const char *amp = memchr(q, '&', (size_t)(uri.query.afterLast - q));
            const char *stop = amp ? amp : uri.query.afterLast;
            if ((size_t)(stop - q) >= 9 && strncmp(q, "password=", 9) == 0) {
                put(out, n, &len, cur, q + 9);
                put(out, n, &len, stars, stars + 3);
                cur = stop;
            }
            q = amp ? amp + 1 : uri.query.afterLast;
        }
    }
    put(out, n, &len, cur, end);
    uriFreeUriMembersA(&uri);
}
