/*
 * serve_run.h - the body of `app serve`, built into the http module so that
 * only `serve` loads libmicrohttpd (see db/module.h).
 */
#ifndef HTTP_SERVE_RUN_H
#define HTTP_SERVE_RUN_H

#include <signal.h>
#include <stdio.h>

#include "../db/config.h"
#include "../db/driver.h"
#include "../db/error.h"
#include "../db/schema.h"
#include "../settings.h"

#define HTTP_SERVE_MAX_THREADS 64

struct http_serve_opts {
    const char *bind;
    int port;
    const char *pidfile;
    int threads;    /* 1 to HTTP_SERVE_MAX_THREADS */
    int reuse_port; /* share the port with another process (SO_REUSEPORT) */
};

/* What the command hands the server: its connection, configuration and
 * models, and how it reports. */
struct http_serve_env {
    struct db_conn *conn;               /* the first thread's connection */
    const struct db_config *cfg;
    const struct app_settings *settings;
    const struct db_schema *models;
    FILE *out;                          /* listening and stopping lines */
    FILE *err;                          /* start-up steps, the request log */
    /* A failure, reported by the command; its return is http_serve_run's. */
    int (*fail)(void *ctx, const struct db_error *err);
    /* A warning line, reported by the command. */
    void (*warn)(void *ctx, const char *line);
    void *ctx;                          /* for fail and warn */
};

/* Serves until one of stop_signals (blocked by the caller) arrives.
 * Returns 0, or what env->fail returned. */
int http_serve_run(const struct http_serve_env *env,
                   const struct http_serve_opts *o,
                   const sigset_t *stop_signals);

typedef int (*http_serve_run_fn)(const struct http_serve_env *env,
                                 const struct http_serve_opts *o,
                                 const sigset_t *stop_signals);

#endif /* HTTP_SERVE_RUN_H */
