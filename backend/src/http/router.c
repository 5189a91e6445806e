/*
 * router.c - path segments to routes.
 */
#include "router.h"

#include <string.h>

#define MAX_SEGMENTS 4

static const struct {
    enum http_route route;
    const char *allow;
    int public;
} allow_table[] = {
    {HTTP_ROUTE_HEALTH, "GET", 1},
    {HTTP_ROUTE_USERS, "GET", 0},
    {HTTP_ROUTE_USER, "GET, PATCH, DELETE", 0},
    {HTTP_ROUTE_USER_TASKS, "GET, POST", 0},
    {HTTP_ROUTE_TASK, "GET, PATCH, DELETE", 0},
    {HTTP_ROUTE_SIGNUP, "POST", 1},
    {HTTP_ROUTE_LOGIN, "POST", 1},
    {HTTP_ROUTE_LOGOUT, "POST", 0},
    {HTTP_ROUTE_ME, "GET", 0},
    {HTTP_ROUTE_USER_PROJECTS, "GET, POST", 0},
    {HTTP_ROUTE_PROJECT, "GET, DELETE", 0},
};

/* Splits "/a/b/c" into segments (pointers into path, with lengths).
 * Returns the count, or -1 for a path that is not absolute, has an empty
 * segment or too many segments. */
static int split(const char *path, const char **seg, size_t *len)
{
    if (path[0] != '/')
        return -1;
    int n = 0;
    const char *p = path + 1;
    for (;;) {
        const char *end = strchr(p, '/');
        size_t l = end ? (size_t)(end - p) : strlen(p);
        if (l == 0 || n == MAX_SEGMENTS)
            return -1;
        seg[n] = p;
        len[n] = l;
        n++;
        if (!end)
            return n;
        p = end + 1;
    }
}

static int seg_is(const char *seg, size_t len, const char *word)
{
    return strlen(word) == len && memcmp(seg, word, len) == 0;
}

/* A positive id: [1-9][0-9]*, at most 18 digits (fits in 63 bits). */
static int seg_id(long long *out, const char *seg, size_t len)
{
    if (len == 0 || len > 18 || seg[0] < '1' || seg[0] > '9')
        return -1;
    long long v = 0;
    for (size_t i = 0; i < len; i++) {
        if (seg[i] < '0' || seg[i] > '9')
            return -1;
        v = v * 10 + (seg[i] - '0');
    }
    *out = v;
    return 0;
}

int http_route_match(struct http_match *out, const char *path)
{
    const char *seg[MAX_SEGMENTS];
    size_t len[MAX_SEGMENTS];
    out->route = HTTP_ROUTE_NONE;
    out->id = 0;
    int n = path ? split(path, seg, len) : -1;
    if (n == 1 && seg_is(seg[0], len[0], "health"))
        out->route = HTTP_ROUTE_HEALTH;
    else if (n == 1 && seg_is(seg[0], len[0], "users"))
        out->route = HTTP_ROUTE_USERS;
    else if (n == 2 && seg_is(seg[0], len[0], "users") &&
             seg_id(&out->id, seg[1], len[1]) == 0)
        out->route = HTTP_ROUTE_USER;
    else if (n == 3 && seg_is(seg[0], len[0], "users") &&
             seg_is(seg[2], len[2], "tasks") &&
             seg_id(&out->id, seg[1], len[1]) == 0)
        out->route = HTTP_ROUTE_USER_TASKS;
    else if (n == 3 && seg_is(seg[0], len[0], "users") &&
             seg_is(seg[2], len[2], "projects") &&
             seg_id(&out->id, seg[1], len[1]) == 0)
        out->route = HTTP_ROUTE_USER_PROJECTS;
    else if (n == 2 && seg_is(seg[0], len[0], "tasks") &&
             seg_id(&out->id, seg[1], len[1]) == 0)
        out->route = HTTP_ROUTE_TASK;
    else if (n == 2 && seg_is(seg[0], len[0], "projects") &&
             seg_id(&out->id, seg[1], len[1]) == 0)
        out->route = HTTP_ROUTE_PROJECT;
    else if (n == 1 && seg_is(seg[0], len[0], "me"))
        out->route = HTTP_ROUTE_ME;
    else if (n == 2 && seg_is(seg[0], len[0], "auth")) {
        if (seg_is(seg[1], len[1], "signup"))
            out->route = HTTP_ROUTE_SIGNUP;
        else if (seg_is(seg[1], len[1], "login"))
            out->route = HTTP_ROUTE_LOGIN;
        else if (seg_is(seg[1], len[1], "logout"))
            out->route = HTTP_ROUTE_LOGOUT;
    }
    if (out->route == HTTP_ROUTE_NONE) {
        out->id = 0;
        return -1;
    }
    return 0;
}

const char *http_route_allow(enum http_route route)
{
    for (size_t i = 0; i < sizeof allow_table / sizeof allow_table[0]; i++)
        if (allow_table[i].route == route)
            return allow_table[i].allow;
    return "";
}

int http_route_allows(enum http_route route, const char *method)
{
    const char *allow = http_route_allow(route);
    size_t m = strlen(method);
    if (m == 0)
        return 0;
    for (const char *p = allow; (p = strstr(p, method)) != NULL; p += m) {
        int starts = p == allow || p[-1] == ' ';
        int ends = p[m] == '\0' || p[m] == ',';
        if (starts && ends)
            return 1;
    }
    return 0;
}

int http_route_public(enum http_route route)
{
    for (size_t i = 0; i < sizeof allow_table / sizeof allow_table[0]; i++)
        if (allow_table[i].route == route)
            return allow_table[i].public;
    return 0;
}
