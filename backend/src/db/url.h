/*
 * url.h - database URLs: which driver, which file, and masking for output.
 * Parsing is done by liburiparser.
 */
#ifndef DB_URL_H
#define DB_URL_H

#include <stddef.h>

#include "error.h"

struct db_url {
    char scheme[32];     /* "sqlite", "postgresql" (lower case) */
    char path[1024];     /* sqlite: the file path, ":memory:" for memory */
};

/*
 * Splits url into scheme and (for sqlite) path:
 *   sqlite:///relative/path.db   -> "relative/path.db" (from the working dir)
 *   sqlite:////absolute/path.db  -> "/absolute/path.db"
 *   sqlite:///:memory: or sqlite:// -> ":memory:"
 *   postgres://... and postgresql://... -> scheme "postgresql"; the rest is
 *   libpq's to read.
 * An empty url means the libpq environment: scheme "postgresql".
 * Returns 0 or DB_ECONFIG with the accepted forms in err.
 */
int db_url_parse(struct db_url *out, const char *url, struct db_error *err);

/*
 * Copies url into out with any password replaced by "***": the password of
 * the user-info part and a "password=" query parameter. A url that cannot
 * be parsed is replaced whole by "<unparsable url>".
 */
void db_url_mask(char *out, size_t n, const char *url);

/*
 * Replaces every occurrence of secret in text (in place) with "***".
 * Used on server messages that might echo a password.
 */
void db_mask_secret(char *text, const char *secret);

#endif /* DB_URL_H */
