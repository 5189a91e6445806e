/*
 * serve_run.h - the body of `app serve`, built into the http module so that
 * only `serve` loads libmicrohttpd (see db/module.h).
 */
#ifndef HTTP_SERVE_RUN_H
#define HTTP_SERVE_RUN_H

#include <signal.h>

#include "../cmd/cmd.h"

#define HTTP_SERVE_MAX_THREADS 64

struct http_serve_opts {
    const char *bind;
    int port;
    const char *pidfile;
    int threads;    /* 1 to HTTP_SERVE_MAX_THREADS */
    int reuse_port; /* share the port with another process (SO_REUSEPORT) */
};

/* Serves until one of stop_signals (blocked by the caller) arrives.
 * Returns a command status (cmd.h). */
int http_serve_run(struct cmd_ctx *ctx, const struct http_serve_opts *o,
                   const sigset_t *stop_signals);

typedef int (*http_serve_run_fn)(struct cmd_ctx *ctx,
                                 const struct http_serve_opts *o,
                                 const sigset_t *stop_signals);

#endif /* HTTP_SERVE_RUN_H */
