/*
 * module.h - parts of the app loaded only when used.
 *
 * libpq and libmicrohttpd bring dozens of shared libraries whose loading
 * costs milliseconds on every start of the binary, although most commands
 * on a SQLite database need neither. So the PostgreSQL driver and the HTTP
 * server are built as modules (postgresql.so, http.so) and loaded on first
 * use. A symbol already linked into the program (the test binaries link
 * everything) is used as it is.
 *
 * Modules are looked for in $APP_MODULE_DIR, then <dir of the binary>/modules
 * (the build tree), then <dir of the binary>/../lib/app (make install).
 */
#ifndef DB_MODULE_H
#define DB_MODULE_H

#include "error.h"

/*
 * Finds symbol, in the program or in module <name>.so, into *out. The
 * module stays loaded for the life of the process. Returns 0, or
 * DB_ENOTFOUND with the places looked in and the loader's message.
 */
int db_module_symbol(void **out, const char *name, const char *symbol,
                     struct db_error *err);

#endif /* DB_MODULE_H */
