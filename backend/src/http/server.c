/*
 * server.c - libmicrohttpd glue: collect the request, call the API, answer.
 *
 * The listening socket is made here (so a failure has the system's reason)
 * and handed to the daemon with MHD_OPTION_LISTEN_SOCKET.
 */
#include "server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "../db/driver.h"
#include "api_internal.h"
#include "pool.h"
#include "writeq.h"

#define MAX_ARGS 32
#define REQUEST_ID_MAX 64

struct http_server {
    struct MHD_Daemon *daemon;
    struct http_api *api;
    int port;
    int drain_seconds;
    atomic_int in_flight;
    atomic_int stopping;
    struct http_pool *pool;    /* one connection per thread */
    /* With a writer slot (pool.h): the turns of the writes (writeq.h). */
    int combine;
    struct writeq writeq;
    /* The batch the turn holder has open (writeq.h group commit): only
     * that thread touches these. */
    struct db_conn *batch_conn;    /* NULL: none open */
    unsigned batch_slot;
    int batch_broken;              /* its transaction is gone */
    struct db_error batch_err;
    int log_requests;
    int color;
    char pid[24];              /* X-Instance */
    unsigned long id_base;     /* request ids: id_base-counter */
    atomic_ulong next_id;
    atomic_int open;           /* connections started and not closed */
    atomic_long started;       /* connections started, in all */
};

struct args {
    struct http_arg a[MAX_ARGS];
    size_t n;
    size_t total;
};

/* Per request, from the first call of on_request to on_completed. */
struct req_state {
    char *body;
    size_t len;
    size_t cap;
    int too_large;
    int answered;
    struct timespec start;
    const char *method;        /* libmicrohttpd's, valid for the request */
    const char *url;
    char id[REQUEST_ID_MAX + 1];
    /* kept for a write run by another thread */
    struct args args;
    struct http_request req;
    struct http_response resp;
    struct MHD_Connection *conn;
    struct writeq_item wq;
};

static struct req_state *state_of(struct writeq_item *it)
{
    return (struct req_state *)(void *)((char *)it -
                                        offsetof(struct req_state, wq));
}

/* The client's X-Request-Id when it is sane, else a new one. */
static void request_id(struct http_server *s, struct MHD_Connection *conn,
                       struct req_state *st)
{
    const char *given =
        MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-Request-Id");
    size_t n = given ? strlen(given) : 0;
    int ok = n > 0 && n <= REQUEST_ID_MAX;
    for (size_t i = 0; ok && i < n; i++) {
        char c = given[i];
        ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
             (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
    }
    if (ok)
        memcpy(st->id, given, n + 1);
    else
        snprintf(st->id, sizeof st->id, "%08lx-%lu", s->id_base,
                 atomic_fetch_add(&s->next_id, 1));
}

struct names {
    char *p;
    size_t left;
    int n;
};

/* Appends "?name&name" (the query's names, never its values). */
static enum MHD_Result add_name(void *cls, enum MHD_ValueKind kind,
                                const char *key, const char *value)
{
    (void)kind;
    (void)value;
    struct names *nm = cls;
    int w = snprintf(nm->p, nm->left, "%s%s", nm->n++ ? "&" : "?",
                     key ? key : "");
    if (w < 0 || (size_t)w >= nm->left)
        return MHD_NO;
    nm->p += w;
    nm->left -= (size_t)w;
    return MHD_YES;
}

/* Request paths are printable: anything else is shown as '?'. */
static void printable(char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            *s = '?';
}

/* One line per request: time, method, path (query names only), status,
 * duration, request id. */
static void log_request(struct http_server *s, struct MHD_Connection *conn,
                        const struct req_state *st, int status)
{
    if (!s->log_requests || !s->api->log)
        return;
    struct timespec now, wall;
    clock_gettime(CLOCK_MONOTONIC, &now);
    clock_gettime(CLOCK_REALTIME, &wall);
    double ms = (double)(now.tv_sec - st->start.tv_sec) * 1e3 +
                (double)(now.tv_nsec - st->start.tv_nsec) / 1e6;
    struct tm tm;
    gmtime_r(&wall.tv_sec, &tm);
    char when[32];
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", &tm);
    char path[512];
    const char *url = st->url ? st->url : "";
    snprintf(path, sizeof path, "%s", url);
    size_t used = strlen(path);
    struct names nm = {path + used, sizeof path - used, 0};
    MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, add_name, &nm);
    printable(path);
    const char *on = "", *off = "";
    if (s->color) {
        on = status >= 500 ? "\033[31m" : status >= 400 ? "\033[33m"
                                                         : "\033[32m";
        off = "\033[0m";
    }
    char line[1024];
    snprintf(line, sizeof line, "%s.%03ldZ %s %s %s%d%s %.2fms id=%s", when,
             wall.tv_nsec / 1000000, st->method, path, on, status, off, ms,
             st->id);
    s->api->log(s->api->log_ctx, line);
}

static enum MHD_Result collect_arg(void *cls, enum MHD_ValueKind kind,
                                   const char *key, const char *value)
{
    (void)kind;
    struct args *args = cls;
    if (args->n < MAX_ARGS) {
        args->a[args->n].name = key ? key : "";
        args->a[args->n].value = value ? value : "";
        args->n++;
    }
    args->total++;
    return MHD_YES;
}

/* Queues resp (status, JSON body, headers). Takes the body. */
static enum MHD_Result answer(struct http_server *s,
                              struct MHD_Connection *conn,
                              const struct req_state *st,
                              struct http_response *resp)
{
    struct MHD_Response *r;
    if (resp->body) {
        r = MHD_create_response_from_buffer(strlen(resp->body), resp->body,
                                            MHD_RESPMEM_MUST_FREE);
        if (r)
            resp->body = NULL; /* the response frees it */
    } else {
        r = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
    }
    if (!r) {
        http_response_free(resp);
        return MHD_NO;
    }
    if (resp->status != 204)
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
                                "application/json");
    if (resp->allow[0])
        MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, resp->allow);
    if (resp->location[0])
        MHD_add_response_header(r, MHD_HTTP_HEADER_LOCATION, resp->location);
    if (resp->www_authenticate[0])
        MHD_add_response_header(r, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
                                resp->www_authenticate);
    if (resp->retry_after[0])
        MHD_add_response_header(r, MHD_HTTP_HEADER_RETRY_AFTER,
                                resp->retry_after);
    MHD_add_response_header(r, "X-Request-Id", st->id);
    if (st->url && strcmp(st->url, "/health") == 0)
        MHD_add_response_header(r, "X-Instance", s->pid);
    if (atomic_load(&s->stopping))
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONNECTION, "close");
    enum MHD_Result ok = MHD_queue_response(conn, (unsigned)resp->status, r);
    MHD_destroy_response(r);
    log_request(s, conn, st, resp->status);
    http_response_free(resp);
    return ok;
}

static enum MHD_Result answer_error(struct http_server *s,
                                    struct MHD_Connection *conn,
                                    const struct req_state *st, int status,
                                    const char *message)
{
    struct http_response resp = {0};
    http_response_error(&resp, status, message);
    return answer(s, conn, st, &resp);
}

static enum MHD_Result too_large(struct http_server *s,
                                 struct MHD_Connection *conn,
                                 const struct req_state *st)
{
    char msg[80];
    snprintf(msg, sizeof msg, "request body too large (limit %d bytes)",
             HTTP_BODY_MAX);
    return answer_error(s, conn, st, 413, msg);
}

/* The writes' turns (writeq.h): a write runs on the writer slot; one
 * parked waits with its connection suspended. Inside a batch, each write
 * is a savepoint of the batch's transaction, rolled back to when its
 * answer is a server error (as a write on its own would have been). */
static void wq_run(void *ctx, struct writeq_item *it)
{
    struct http_server *s = ctx;
    struct req_state *st = state_of(it);
    struct http_api api = *s->api;
    if (!s->batch_conn) {
        unsigned slot = http_pool_take(s->pool, 1, &api.conn);
        http_api_handle(&api, &st->req, &st->resp);
        http_pool_give(s->pool, slot);
        return;
    }
    api.conn = s->batch_conn;
    if (s->batch_broken || db_batch_item(api.conn, &s->batch_err)) {
        s->batch_broken = 1;
        http_api__db_failed(s->api, &st->req, &s->batch_err, &st->resp);
        return;
    }
    http_api_handle(&api, &st->req, &st->resp);
    if (db_batch_item_end(api.conn, st->resp.status >= 500, &s->batch_err))
        s->batch_broken = 1;
}

/* Group commit: the turn's writes in one transaction on the writer slot,
 * so that SQLite writes the pages they share (a table's and its indexes'
 * last leaves) once per batch instead of once per write. */
static int wq_batch_begin(void *ctx)
{
    struct http_server *s = ctx;
    struct db_conn *conn;
    unsigned slot = http_pool_take(s->pool, 1, &conn);
    struct db_error err;
    if (!conn || db_batch_begin(conn, &err)) {
        http_pool_give(s->pool, slot);
        return -1; /* each write then runs on its own */
    }
    s->batch_conn = conn;
    s->batch_slot = slot;
    s->batch_broken = 0;
    return 0;
}

static void wq_batch_end(void *ctx, struct writeq_item *const *items,
                         size_t n)
{
    struct http_server *s = ctx;
    /* a broken batch is rolled back whole: what its earlier writes did
     * must not stand once their answers say they failed */
    if (s->batch_broken)
        db_batch_rollback(s->batch_conn);
    else if (db_batch_commit(s->batch_conn, &s->batch_err))
        s->batch_broken = 1;
    if (s->batch_broken)
        /* none of the batch's writes stands: no answer may say so */
        for (size_t i = 0; i < n; i++) {
            struct req_state *st = state_of(items[i]);
            http_api__reset_headers(&st->resp);
            http_api__db_failed(s->api, &st->req, &s->batch_err, &st->resp);
        }
    s->batch_conn = NULL;
    http_pool_give(s->pool, s->batch_slot);
}

static void wq_suspend(void *ctx, struct writeq_item *it)
{
    (void)ctx;
    MHD_suspend_connection(state_of(it)->conn);
}

static void wq_resume(void *ctx, struct writeq_item *it)
{
    (void)ctx;
    MHD_resume_connection(state_of(it)->conn);
}

/* A write that waited in the queue as long as it may wait for the write
 * lock ([database] lock_timeout) is answered and logged as one that met
 * the lock. */
static void wq_refuse(void *ctx, struct writeq_item *it,
                      enum writeq_refusal why, long waited_ms)
{
    struct http_server *s = ctx;
    struct req_state *st = state_of(it);
    if (why == WRITEQ_CLOSED) {
        http_response_error(&st->resp, 503, "the server is stopping; retry");
        return;
    }
    struct db_error err;
    db_error_set(&err, DB_ELOCKED, "database is locked: waited %ld ms "
                                   "behind this process's other writes",
                 waited_ms);
    http_api__db_failed(s->api, &st->req, &err, &st->resp);
}

static const struct writeq_ops wq_ops = {
    .suspend = wq_suspend,
    .resume = wq_resume,
    .run = wq_run,
    .refuse = wq_refuse,
    .batch_begin = wq_batch_begin,
    .batch_end = wq_batch_end,
};

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn,
                                  const char *url, const char *method,
                                  const char *version,
                                  const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
    (void)version;
    struct http_server *s = cls;
    struct req_state *st = *con_cls;

    if (!st) {
        st = calloc(1, sizeof *st);
        if (!st)
            return MHD_NO;
        *con_cls = st;
        atomic_fetch_add(&s->in_flight, 1);
        clock_gettime(CLOCK_MONOTONIC, &st->start);
        st->method = method;
        st->url = url;
        request_id(s, conn, st);
        const char *cl = MHD_lookup_connection_value(
            conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
        if (cl && strtoull(cl, NULL, 10) > HTTP_BODY_MAX) {
            /* Refuse before reading (and before 100-continue). */
            st->too_large = 1;
            st->answered = 1;
            return too_large(s, conn, st);
        }
        return MHD_YES;
    }

    if (*upload_data_size) {
        size_t n = *upload_data_size;
        *upload_data_size = 0;
        if (st->too_large || st->answered)
            return MHD_YES;
        if (st->len + n > HTTP_BODY_MAX) {
            st->too_large = 1; /* keep reading; answer at the end */
            free(st->body);
            st->body = NULL;
            st->len = st->cap = 0;
            return MHD_YES;
        }
        if (st->len + n > st->cap) {
            size_t cap = st->cap ? st->cap : 1024;
            while (cap < st->len + n)
                cap *= 2;
            char *p = realloc(st->body, cap);
            if (!p)
                return MHD_NO;
            st->body = p;
            st->cap = cap;
        }
        memcpy(st->body + st->len, upload_data, n);
        st->len += n;
        return MHD_YES;
    }

    if (st->wq.state == WRITEQ_DONE || st->wq.state == WRITEQ_LEAD) {
        /* resumed: answered by the writer, or the turn is this thread's */
        if (st->wq.state == WRITEQ_LEAD)
            writeq_run(&s->writeq, &st->wq);
        st->wq.state = WRITEQ_NONE;
        return answer(s, conn, st, &st->resp);
    }
    if (st->answered)
        return MHD_YES;
    st->answered = 1;
    if (st->too_large)
        return too_large(s, conn, st);

    struct args *args = &st->args;
    MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, collect_arg,
                              args);
    if (args->total > MAX_ARGS)
        return answer_error(s, conn, st, 400, "too many query parameters");

    st->req = (struct http_request){
        .method = method,
        .path = url,
        .args = args->a,
        .nargs = args->n,
        .content_type = MHD_lookup_connection_value(
            conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE),
        .authorization = MHD_lookup_connection_value(
            conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION),
        .body = st->body,
        .body_len = st->len,
    };
    int writes = strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0;
    if (writes && s->combine) {
        st->conn = conn;
        switch (writeq_enter(&s->writeq, &st->wq)) {
        case WRITEQ_PARKED:
            return MHD_YES;
        case WRITEQ_TURN:
            writeq_run(&s->writeq, &st->wq);
            break;
        case WRITEQ_REFUSED:
            break;
        }
        return answer(s, conn, st, &st->resp);
    }
    /* A free slot's connection, or none while the database is away: the
     * API then answers 503 without touching it. */
    struct http_api api = *s->api;
    unsigned slot = http_pool_take(s->pool, writes, &api.conn);
    http_api_handle(&api, &st->req, &st->resp);
    http_pool_give(s->pool, slot);
    return answer(s, conn, st, &st->resp);
}

static void on_completed(void *cls, struct MHD_Connection *conn,
                         void **con_cls, enum MHD_RequestTerminationCode toe)
{
    (void)conn;
    (void)toe;
    struct http_server *s = cls;
    struct req_state *st = *con_cls;
    if (!st)
        return;
    /* Resumed, then closed by the client before it was handled: the turn
     * it was given goes on; a response made for it is not sent. */
    if (st->wq.state == WRITEQ_LEAD)
        writeq_run(&s->writeq, NULL);
    else if (st->wq.state == WRITEQ_DONE)
        free(st->resp.body);
    free(st->body);
    free(st);
    *con_cls = NULL;
    atomic_fetch_sub(&s->in_flight, 1);
}

static void on_connection(void *cls, struct MHD_Connection *conn,
                          void **socket_context,
                          enum MHD_ConnectionNotificationCode toe)
{
    (void)conn;
    (void)socket_context;
    struct http_server *s = cls;
    if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
        atomic_fetch_add(&s->open, 1);
        atomic_fetch_add(&s->started, 1);
    } else if (toe == MHD_CONNECTION_NOTIFY_CLOSED) {
        atomic_fetch_sub(&s->open, 1);
    }
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
    struct http_server *s = cls;
    if (!s->api->log)
        return;
    char line[512];
    vsnprintf(line, sizeof line, fmt, ap);
    size_t n = strlen(line);
    while (n && line[n - 1] == '\n')
        line[--n] = '\0';
    s->api->log(s->api->log_ctx, line);
}

/* A listening socket on bind:port; the port chosen goes to *port. */
static int listen_on(int *fd_out, int *port, int *ipv6, const char *addr,
                     int reuse_port, struct db_error *err)
{
    struct sockaddr_storage ss;
    socklen_t len;
    memset(&ss, 0, sizeof ss);
    struct sockaddr_in *v4 = (struct sockaddr_in *)&ss;
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&ss;
    if (inet_pton(AF_INET, addr, &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons((unsigned short)*port);
        len = sizeof *v4;
        *ipv6 = 0;
    } else if (inet_pton(AF_INET6, addr, &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons((unsigned short)*port);
        len = sizeof *v6;
        *ipv6 = 1;
    } else {
        return db_error_set(err, DB_EUSAGE,
                            "bad bind address '%s': not an IPv4 or IPv6 "
                            "address", addr);
    }
    int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return db_error_set(err, DB_EIO, "cannot create a socket: %s",
                            strerror(errno));
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (reuse_port &&
        setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0) {
        int e = errno;
        close(fd);
        return db_error_set(err, DB_EIO, "cannot share port %d "
                                         "(SO_REUSEPORT): %s", *port,
                            strerror(e));
    }
    if (*ipv6)
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
    if (bind(fd, (struct sockaddr *)&ss, len) != 0 || listen(fd, 128) != 0) {
        int e = errno;
        close(fd);
        return db_error_set(err, DB_EIO, "cannot listen on %s port %d: %s",
                            addr, *port, strerror(e));
    }
    if (getsockname(fd, (struct sockaddr *)&ss, &len) == 0)
        *port = ntohs(*ipv6 ? v6->sin6_port : v4->sin_port);
    *fd_out = fd;
    return 0;
}

int http_server_start(struct http_server **out, struct http_api *api,
                      const struct http_server_options *opt,
                      struct db_error *err)
{
    *out = NULL;
    unsigned threads = opt->threads > 1 ? opt->threads : 1;
    if (threads > 1 && !opt->conns)
        return db_error_set(err, DB_EUSAGE, "%u threads need %u database "
                                            "connections", threads, threads);
    struct http_server *s = calloc(1, sizeof *s);
    if (!s)
        return db_error_set(err, DB_ENOMEM, "out of memory");
    s->api = api;
    s->port = opt->port;
    s->drain_seconds = opt->drain_seconds > 0 ? opt->drain_seconds : 10;
    s->log_requests = opt->log_requests;
    s->color = opt->color;
    snprintf(s->pid, sizeof s->pid, "%ld", (long)getpid());
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    s->id_base = ((unsigned long)getpid() << 16 ^ (unsigned long)now.tv_sec ^
                  (unsigned long)now.tv_nsec) & 0xffffffffUL;
    atomic_init(&s->in_flight, 0);
    atomic_init(&s->stopping, 0);
    atomic_init(&s->next_id, 1);
    atomic_init(&s->open, 0);
    atomic_init(&s->started, 0);

    int writer = threads > 1 && opt->writer_slot;
    s->combine = writer;
    writeq_init(&s->writeq, db_config_lock_wait_ms(api->cfg), &wq_ops, s);
    int rc = http_pool_open(&s->pool, api->cfg,
                            threads > 1 ? opt->conns : &api->conn,
                            threads + (unsigned)writer, writer,
                            api->log, api->log_ctx, opt->log_debug, err);
    if (rc) {
        writeq_destroy(&s->writeq);
        free(s);
        return rc;
    }

    int fd = -1, ipv6 = 0;
    rc = listen_on(&fd, &s->port, &ipv6, opt->bind, opt->reuse_port, err);
    if (rc) {
        http_pool_close(s->pool);
        writeq_destroy(&s->writeq);
        free(s);
        return rc;
    }
    unsigned flags = MHD_USE_AUTO_INTERNAL_THREAD | MHD_USE_ITC |
                     MHD_USE_ERROR_LOG |
                     (writer ? MHD_ALLOW_SUSPEND_RESUME : 0) |
                     (ipv6 ? MHD_USE_IPv6 : 0);
    s->daemon = MHD_start_daemon(
        flags, (uint16_t)s->port, NULL, NULL, on_request, s,
        MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, s,
        MHD_OPTION_LISTEN_SOCKET, fd,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
        MHD_OPTION_NOTIFY_CONNECTION, on_connection, s,
        MHD_OPTION_CONNECTION_LIMIT,
        opt->max_connections ? opt->max_connections : 512u,
        MHD_OPTION_CONNECTION_TIMEOUT, 30u,
        /* a pool only for several threads: a size of 0 draws a warning */
        threads > 1 ? MHD_OPTION_THREAD_POOL_SIZE : MHD_OPTION_END, threads,
        MHD_OPTION_END);
    if (!s->daemon) {
        close(fd);
        http_pool_close(s->pool);
        writeq_destroy(&s->writeq);
        free(s);
        return db_error_set(err, DB_EIO, "cannot start the HTTP server on "
                                         "%s port %d", opt->bind, opt->port);
    }
    *out = s;
    return 0;
}

int http_server_port(const struct http_server *s)
{
    return s->port;
}

int http_server_in_flight(const struct http_server *s)
{
    return atomic_load(&((struct http_server *)s)->in_flight);
}

/* Hands every connection already waiting in the listening socket's queue
 * to the daemon, so that closing the socket resets none of them. */
static int take_waiting(struct http_server *s, int fd)
{
    int n = 0;
    for (;;) {
        struct sockaddr_storage ss;
        socklen_t len = sizeof ss;
        int c = accept(fd, (struct sockaddr *)&ss, &len);
        if (c < 0) {
            if (errno == EINTR || errno == ECONNABORTED)
                continue;
            return n; /* EAGAIN: the queue is empty */
        }
        fcntl(c, F_SETFD, FD_CLOEXEC);
        int fl = fcntl(c, F_GETFL);
        if (fl >= 0)
            fcntl(c, F_SETFL, fl | O_NONBLOCK);
        if (MHD_add_connection(s->daemon, c, (struct sockaddr *)&ss, len) !=
            MHD_YES)
            close(c);
        else
            n++;
    }
}

int http_server_stop(struct http_server *s)
{
    if (!s)
        return 0;
    atomic_store(&s->stopping, 1);
    MHD_socket fd = MHD_quiesce_daemon(s->daemon);
    long started0 = atomic_load(&s->started);
    int taken = 0;
    if (fd != MHD_INVALID_SOCKET) {
        int fl = fcntl(fd, F_GETFL);
        if (fl >= 0)
            fcntl(fd, F_SETFL, fl | O_NONBLOCK);
        taken = take_waiting(s, fd);
        /* handshakes under way when quiescing land in a moment */
        struct timespec settle = {.tv_sec = 0, .tv_nsec = 20 * 1000 * 1000};
        nanosleep(&settle, NULL);
        taken += take_waiting(s, fd);
        close(fd);
        if (taken && s->api->log) {
            char line[120];
            snprintf(line, sizeof line, "stopping: took in %d connection%s "
                     "waiting in the queue", taken, taken == 1 ? "" : "s");
            s->api->log(s->api->log_ctx, line);
        }
    }
    /* Wait for the requests in flight and for the connections still open,
     * those just taken in included (the daemon's thread starts them a
     * moment later; until then they may not have sent their request). A
     * connection that stays idle (a client's keep-alive) is not waited for
     * longer than IDLE_GRACE ticks without a request in flight. */
    enum { TICK_MS = 10, IDLE_GRACE = 100 };
    struct timespec tick = {.tv_sec = 0, .tv_nsec = TICK_MS * 1000 * 1000};
    long idle = 0;
    for (long waited = 0; waited < s->drain_seconds * (1000L / TICK_MS);
         waited++) {
        int handed = atomic_load(&s->started) - started0 >= taken;
        if (atomic_load(&s->in_flight) > 0 || !handed)
            idle = 0;
        else if (atomic_load(&s->open) == 0 || ++idle > IDLE_GRACE)
            break;
        nanosleep(&tick, NULL);
    }
    int cut = atomic_load(&s->in_flight);
    if (s->combine && cut) {
        writeq_close(&s->writeq);
        nanosleep(&tick, NULL); /* the daemon's threads send those 503s */
    }
    MHD_stop_daemon(s->daemon);
    http_pool_close(s->pool);
    writeq_destroy(&s->writeq);
    free(s);
    return cut;
}
