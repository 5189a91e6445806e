/*
 * server.c - libmicrohttpd glue: collect the request, call the API, answer.
 *
 * The listening socket is made here (so a failure has the system's reason)
 * and handed to the daemon with MHD_OPTION_LISTEN_SOCKET.
 */
#include "server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#define MAX_ARGS 32

struct http_server {
    struct MHD_Daemon *daemon;
    struct http_api *api;
    int port;
    int drain_seconds;
    atomic_int in_flight;
    atomic_int stopping;
    /* the connection pool, with more than one thread */
    struct db_conn *const *conns;
    unsigned nconns;
    unsigned char *busy;
    pthread_mutex_t lock;
    pthread_cond_t freed;
};

/* Borrows a free connection (one per thread: the wait is only for the
 * moment another thread takes longer to hand one back). */
static unsigned pool_take(struct http_server *s)
{
    pthread_mutex_lock(&s->lock);
    for (;;) {
        for (unsigned i = 0; i < s->nconns; i++) {
            if (!s->busy[i]) {
                s->busy[i] = 1;
                pthread_mutex_unlock(&s->lock);
                return i;
            }
        }
        pthread_cond_wait(&s->freed, &s->lock);
    }
}

static void pool_give(struct http_server *s, unsigned i)
{
    pthread_mutex_lock(&s->lock);
    s->busy[i] = 0;
    pthread_cond_signal(&s->freed);
    pthread_mutex_unlock(&s->lock);
}

/* Per request, from the first call of on_request to on_completed. */
struct req_state {
    char *body;
    size_t len;
    size_t cap;
    int too_large;
    int answered;
};

struct args {
    struct http_arg a[MAX_ARGS];
    size_t n;
    size_t total;
};

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
    if (atomic_load(&s->stopping))
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONNECTION, "close");
    enum MHD_Result ok = MHD_queue_response(conn, (unsigned)resp->status, r);
    MHD_destroy_response(r);
    http_response_free(resp);
    return ok;
}

static enum MHD_Result answer_error(struct http_server *s,
                                    struct MHD_Connection *conn, int status,
                                    const char *message)
{
    struct http_response resp = {0};
    http_response_error(&resp, status, message);
    return answer(s, conn, &resp);
}

static enum MHD_Result too_large(struct http_server *s,
                                 struct MHD_Connection *conn)
{
    char msg[80];
    snprintf(msg, sizeof msg, "request body too large (limit %d bytes)",
             HTTP_BODY_MAX);
    return answer_error(s, conn, 413, msg);
}

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
        const char *cl = MHD_lookup_connection_value(
            conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
        if (cl && strtoull(cl, NULL, 10) > HTTP_BODY_MAX) {
            /* Refuse before reading (and before 100-continue). */
            st->too_large = 1;
            st->answered = 1;
            return too_large(s, conn);
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

    if (st->answered)
        return MHD_YES;
    st->answered = 1;
    if (st->too_large)
        return too_large(s, conn);

    struct args args = {.n = 0};
    MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, collect_arg,
                              &args);
    if (args.total > MAX_ARGS)
        return answer_error(s, conn, 400, "too many query parameters");

    struct http_request req = {
        .method = method,
        .path = url,
        .args = args.a,
        .nargs = args.n,
        .content_type = MHD_lookup_connection_value(
            conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE),
        .authorization = MHD_lookup_connection_value(
            conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION),
        .body = st->body,
        .body_len = st->len,
    };
    struct http_response resp;
    if (s->nconns > 1) {
        struct http_api api = *s->api;
        unsigned slot = pool_take(s);
        api.conn = s->conns[slot];
        http_api_handle(&api, &req, &resp);
        pool_give(s, slot);
    } else {
        http_api_handle(s->api, &req, &resp);
    }
    return answer(s, conn, &resp);
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
    free(st->body);
    free(st);
    *con_cls = NULL;
    atomic_fetch_sub(&s->in_flight, 1);
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
                     struct db_error *err)
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
    struct http_server *s = calloc(1, sizeof *s);
    if (!s)
        return db_error_set(err, DB_ENOMEM, "out of memory");
    s->api = api;
    s->port = opt->port;
    s->drain_seconds = opt->drain_seconds > 0 ? opt->drain_seconds : 10;
    atomic_init(&s->in_flight, 0);
    atomic_init(&s->stopping, 0);

    unsigned threads = opt->threads > 1 ? opt->threads : 1;
    if (threads > 1) {
        if (!opt->conns) {
            free(s);
            return db_error_set(err, DB_EUSAGE, "%u threads need %u database "
                                                "connections", threads,
                                threads);
        }
        s->conns = opt->conns;
        s->nconns = threads;
        s->busy = calloc(threads, 1);
        if (!s->busy) {
            free(s);
            return db_error_set(err, DB_ENOMEM, "out of memory");
        }
    }
    pthread_mutex_init(&s->lock, NULL);
    pthread_cond_init(&s->freed, NULL);

    int fd = -1, ipv6 = 0;
    int rc = listen_on(&fd, &s->port, &ipv6, opt->bind, err);
    if (rc) {
        free(s->busy);
        free(s);
        return rc;
    }
    unsigned flags = MHD_USE_AUTO_INTERNAL_THREAD | MHD_USE_ITC |
                     MHD_USE_ERROR_LOG | (ipv6 ? MHD_USE_IPv6 : 0);
    s->daemon = MHD_start_daemon(
        flags, (uint16_t)s->port, NULL, NULL, on_request, s,
        MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, s,
        MHD_OPTION_LISTEN_SOCKET, fd,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
        MHD_OPTION_CONNECTION_LIMIT,
        opt->max_connections ? opt->max_connections : 512u,
        MHD_OPTION_CONNECTION_TIMEOUT, 30u,
        /* a pool only for several threads: a size of 0 draws a warning */
        threads > 1 ? MHD_OPTION_THREAD_POOL_SIZE : MHD_OPTION_END, threads,
        MHD_OPTION_END);
    if (!s->daemon) {
        close(fd);
        free(s->busy);
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

int http_server_stop(struct http_server *s)
{
    if (!s)
        return 0;
    atomic_store(&s->stopping, 1);
    MHD_socket fd = MHD_quiesce_daemon(s->daemon);
    if (fd != MHD_INVALID_SOCKET)
        close(fd);
    struct timespec tick = {.tv_sec = 0, .tv_nsec = 10 * 1000 * 1000};
    for (long waited = 0; atomic_load(&s->in_flight) > 0 &&
                          waited < s->drain_seconds * 100L;
         waited++)
        nanosleep(&tick, NULL);
    int cut = atomic_load(&s->in_flight);
    MHD_stop_daemon(s->daemon);
    pthread_cond_destroy(&s->freed);
    pthread_mutex_destroy(&s->lock);
    free(s->busy);
    free(s);
    return cut;
}
