/*
 * sqlite_internal.h - what the tests read of the SQLite driver's state.
 */
#ifndef DB_SQLITE_INTERNAL_H
#define DB_SQLITE_INTERNAL_H

#include "../driver.h"

/* The passes with the writes held that the checkpointer of c's file has
 * run since it started; 0 when it has none. */
long db_sqlite__held_passes(struct db_conn *c);

#endif /* DB_SQLITE_INTERNAL_H */
