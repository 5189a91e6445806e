/*
 * router.h - maps a request path to one of the API's resources.
 *
 * Paths are matched exactly, segment by segment (no trailing slash, no
 * empty segments). An {id} segment is a positive decimal integer without
 * sign or leading zeros that fits in 63 bits; anything else does not match.
 */
#ifndef HTTP_ROUTER_H
#define HTTP_ROUTER_H

enum http_route {
    HTTP_ROUTE_NONE = 0,    /* no resource at this path: 404 */
    HTTP_ROUTE_HEALTH,      /* /health */
    HTTP_ROUTE_USERS,       /* /users */
    HTTP_ROUTE_USER,        /* /users/{id} */
    HTTP_ROUTE_USER_TASKS,  /* /users/{id}/tasks */
    HTTP_ROUTE_TASK,        /* /tasks/{id} */
    HTTP_ROUTE_SIGNUP,      /* /auth/signup */
    HTTP_ROUTE_LOGIN,       /* /auth/login */
    HTTP_ROUTE_LOGOUT,      /* /auth/logout */
    HTTP_ROUTE_ME,          /* /me */
    HTTP_ROUTE_USER_PROJECTS, /* /users/{id}/projects */
    HTTP_ROUTE_PROJECT,     /* /projects/{id} */
};

struct http_match {
    enum http_route route;
    long long id;           /* the {id} segment, 0 when the route has none */
};

/* Fills out for path (decoded, without the query string). Returns 0 when a
 * route matched, -1 (route NONE) when none did. */
int http_route_match(struct http_match *out, const char *path);

/* The methods a route accepts, as an Allow header value ("GET, POST"). */
const char *http_route_allow(enum http_route route);

/* Whether route accepts method. */
int http_route_allows(enum http_route route, const char *method);

/* Whether route answers without a token: /health, /auth/signup and
 * /auth/login. Every other route needs Authorization: Bearer <token>. */
int http_route_public(enum http_route route);

#endif /* HTTP_ROUTER_H */
