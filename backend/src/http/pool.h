/*
 * pool.h - the server's database connections, one per server thread, each
 * re-established on its own after the database went away.
 *
 * A request borrows a slot (http_pool_take) for its whole duration and
 * gives it back (http_pool_give). Before the slot is handed out, its
 * connection is checked without a round trip (db_conn_alive: a session the
 * server ended has said so on the socket); a lost connection is closed and
 * re-established at once, then, while that fails, at most once per backoff
 * delay (connect_wait.h's schedule: 50 ms doubling, here up to
 * HTTP_POOL_BACKOFF_MAX). Between attempts the slot is handed out with no
 * connection, and the request answers 503 at once instead of waiting.
 * A new connection starts with an empty statement cache, so statements are
 * prepared again on it.
 *
 * A pool may keep one slot for the requests that write (a writer slot),
 * for an engine that runs one write at a time anyway (SQLite): writes
 * then queue on that one connection, whose page cache stays valid from
 * one write to the next, where writes spread over several connections
 * would each find its cache out of date after another's write and read
 * the pages again. Reads use the other slots and never wait for a write.
 */
#ifndef HTTP_POOL_H
#define HTTP_POOL_H

#include "../db/config.h"
#include "../db/error.h"
#include "api.h"

/* The ceiling of the reconnection backoff, in seconds: it bounds how long
 * serving lags behind a database that has come back. */
#define HTTP_POOL_BACKOFF_MAX 0.5

struct db_conn;
struct http_pool;

/*
 * A pool of n slots (1 or more) on cfg (borrowed; outlives the pool).
 * With writer_slot, slot 0 serves only the requests that write and the
 * others only those that do not (n must then be 2 or more); without,
 * every slot serves any request. conns: n open connections, borrowed: one found lost is no longer used
 * but left for its owner to close after http_pool_close. The connections
 * the pool makes in their place are its own. log (may be NULL) receives
 * one line when a connection is lost, one at the first failed attempt and
 * one when it is back; with debug, one per failed attempt. Returns 0 or
 * DB_ENOMEM.
 */
int http_pool_open(struct http_pool **out, const struct db_config *cfg,
                   struct db_conn *const *conns, unsigned n, int writer_slot,
                   http_log_fn log, void *log_ctx, int debug,
                   struct db_error *err);

/*
 * Borrows a free slot for a request that writes (writes non-zero) or not,
 * and returns its index: with a writer slot, slot 0 (waiting while another
 * write has it) or one of the others; without, any free one. It waits
 * only while every slot it may use is in use. *conn is its connection, or
 * NULL while the database is unavailable. The slot is the caller's until
 * http_pool_give.
 */
unsigned http_pool_take(struct http_pool *p, int writes,
                        struct db_conn **conn);

/* Gives the slot back; a connection found lost is closed now and
 * re-established on the slot's next use. */
void http_pool_give(struct http_pool *p, unsigned slot);

/* Closes the connections the pool made and frees p. NULL-safe. */
void http_pool_close(struct http_pool *p);

#endif /* HTTP_POOL_H */
