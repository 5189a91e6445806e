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
 * Bodies over HTTP_BODY_MAX get 413 (at once when Content-Length says so).
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
                                      (api->conn may be one of them) */
};

struct http_server;

/*
 * Binds, listens and starts serving api. The api (and its connection) must
 * outlive the server and is used only from the server's thread until
 * http_server_stop returns. Returns 0, DB_EUSAGE (bad address) or DB_EIO
 * (cannot listen, with the system's reason). The connections in
 * opt->conns are borrowed likewise.
 */
int http_server_start(struct http_server **out, struct http_api *api,
                      const struct http_server_options *opt,
                      struct db_error *err);

/* The port listened on (the one chosen when opt->port was 0). */
int http_server_port(const struct http_server *s);

/* Requests received and not yet completed. */
int http_server_in_flight(const struct http_server *s);

/*
 * Stops accepting connections, lets requests in flight finish (up to
 * drain_seconds), then stops the thread and frees s. NULL-safe.
 * Returns the number of requests cut off by the deadline (normally 0).
 */
int http_server_stop(struct http_server *s);

#endif /* HTTP_SERVER_H */
