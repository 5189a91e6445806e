/*
 * server.h - the HTTP listener: libmicrohttpd in front of the API.
 *
 * Threading: by default one internal polling thread
 * (MHD_USE_INTERNAL_POLLING_THREAD, epoll or poll) runs every request, so
 * the API's single database connection is only ever used from that thread.
 * With threads > 1, libmicrohttpd runs a pool of that many threads and the
 * caller passes as many connections: each request borrows one for its
 * duration, so no connection is ever used by two threads at once.
 *
 * Connections come from a pool (pool.h) that re-establishes a lost one on
 * its own: while it is down, requests answer 503 {"error":"database
 * unavailable"} at once.
 *
 * Bodies over HTTP_BODY_MAX get 413 (at once when Content-Length says so).
 *
 * Every response carries X-Request-Id (the client's, when it sent a sane
 * one: 1 to 64 of A-Z a-z 0-9 . _ -; otherwise one made here), and /health
 * also X-Instance: the server's pid, so a deploy can tell two processes
 * sharing a port apart. With log_requests, one line per request goes to
 * the api's log: time, method, path with the query's names but not its
 * values, status, duration, request id.
 */
#ifndef HTTP_SERVER_H
#define HTTP_SERVER_H

#include "../db/error.h"
#include "api.h"

struct http_server_options {
    const char *bind;          /* IPv4 or IPv6 address to listen on */
    int port;                  /* 0: any free port (see http_server_port) */
    unsigned max_connections;  /* 0: 512 */
    int drain_seconds;         /* stop waits this long for requests; 0: 10 */
    unsigned threads;          /* 0 or 1: one thread, api->conn */
    struct db_conn *const *conns;  /* with threads > 1: threads connections
                                      (api->conn may be one of them), one
                                      more with writer_slot */
    int writer_slot;           /* with threads > 1: conns[0] serves every
                                  request that writes, the others every
                                  other request (pool.h) */
    int reuse_port;            /* SO_REUSEPORT: several processes share the
                                  port (a deploy's old and new ones) */
    int log_requests;          /* one line per request to api->log */
    int log_debug;             /* also every failed reconnection attempt */
    int color;                 /* colour the status in request lines */
};

struct http_server;

/*
 * Binds, listens and starts serving api. The api (and its connection) must
 * outlive the server and is used only from the server's thread until
 * http_server_stop returns. Returns 0, DB_EUSAGE (bad address) or DB_EIO
 * (cannot listen, with the system's reason). The connections in
 * opt->conns are borrowed likewise; one found lost is replaced by a
 * connection the server owns, and the lost one is left, unused, for its
 * owner to close after http_server_stop.
 */
int http_server_start(struct http_server **out, struct http_api *api,
                      const struct http_server_options *opt,
                      struct db_error *err);

/* The port listened on (the one chosen when opt->port was 0). */
int http_server_port(const struct http_server *s);

/* Requests received and not yet completed. */
int http_server_in_flight(const struct http_server *s);

/*
 * Stops accepting connections, takes in those already waiting in the
 * listening socket's queue (so none is reset when it closes, which matters
 * when another process shares the port), lets requests in flight finish
 * (up to drain_seconds), then stops the thread and frees s. NULL-safe.
 * Returns the number of requests cut off by the deadline (normally 0).
 */
int http_server_stop(struct http_server *s);

#endif /* HTTP_SERVER_H */
