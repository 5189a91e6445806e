/*
 * json.h - JSON text in one canonical spelling, for comparing documents.
 *
 * A JSON default is written one way in a model ('{"theme": "light", "a":
 * 1}') and read back another from PostgreSQL's jsonb ('{"a": 1, "theme":
 * "light"}'): jsonb keeps no whitespace of its own, one member per key
 * (the last), keys ordered shorter first and then by their bytes, and
 * strings with only the escapes they need. The canonical spelling is that
 * order without any whitespace, so two texts of the same jsonb document
 * compare equal byte for byte. Numbers are kept as written.
 */
#ifndef DB_JSON_H
#define DB_JSON_H

#include "buf.h"

/* Nesting deeper than this is refused (the parser recurses). */
#define DB_JSON_DEPTH_MAX 64

/*
 * Appends the canonical spelling of text (one JSON value, surrounding
 * whitespace allowed) to out. Returns 0; -1 when text is not JSON (or
 * nests deeper than DB_JSON_DEPTH_MAX), out then holding a partial text;
 * -2 when out of memory.
 */
int db_json_canonical(struct db_buf *out, const char *text);

/* Whether a and b are the same JSON document (both canonical spellings
 * equal); when either is not JSON, whether the texts are equal. */
int db_json_equal(const char *a, const char *b);

#endif /* DB_JSON_H */
