/*
 * lg_http.h - the load generator's minimal HTTP/1.1 client: one request per
 * TCP connection (Connection: close), blocking, with a time limit. Enough for
 * WHIP (POST an SDP offer, read 201 + Location + answer), DELETE and JSON
 * commands against the daemon on loopback. Not a general client: no TLS, no
 * chunked bodies (the daemon sends Content-Length or closes).
 */
#ifndef LG_HTTP_H
#define LG_HTTP_H

#include <stddef.h>

typedef struct {
    char host[64]; /* IP literal or "localhost" */
    int port;
    char prefix[128]; /* path before /rooms, usually "" */
} lg_url_t;

typedef struct {
    int status;         /* HTTP status, 0 if none was read */
    char location[256]; /* Location header, "" if none */
    char *body;         /* NUL-terminated, heap (free it), NULL if empty */
    size_t body_len;
} lg_http_resp_t;

/* Parses "http://HOST:PORT[/prefix]". 0 or -1. */
int lg_url_parse(const char *s, lg_url_t *u);

/* Sends one request (body may be NULL) and reads the whole response within
 * timeout_ms. Returns 0 (r filled; r->status may still be an error status) or
 * -1 when the connection or the exchange failed (r->status is then 0). */
int lg_http_request(const lg_url_t *u, const char *method, const char *path,
                    const char *content_type, const char *body, size_t body_len, int timeout_ms,
                    lg_http_resp_t *r);

/* The same with the session id in a Conclave-Session header (NULL: none). */
int lg_http_request_session(const lg_url_t *u, const char *method, const char *path,
                            const char *session, const char *content_type, const char *body,
                            size_t body_len, int timeout_ms, lg_http_resp_t *r);

void lg_http_resp_free(lg_http_resp_t *r);

#endif
