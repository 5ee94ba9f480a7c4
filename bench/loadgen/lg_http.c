/*
 * lg_http.c - a blocking HTTP/1.1 client for loopback: connect, write the
 * request, read until the server closes, split status / headers / body.
 */
#include "lg_http.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#define MAX_RESPONSE (1 << 20)

int lg_url_parse(const char *s, lg_url_t *u)
{
    memset(u, 0, sizeof(*u));
    if (strncmp(s, "http://", 7) != 0)
        return -1;
    s += 7;
    const char *colon = strchr(s, ':'), *slash = strchr(s, '/');
    if (!colon || (slash && slash < colon) || (size_t)(colon - s) >= sizeof(u->host))
        return -1;
    memcpy(u->host, s, (size_t)(colon - s));
    char *end = NULL;
    long port = strtol(colon + 1, &end, 10);
    if (port < 1 || port > 65535 || (*end && *end != '/'))
        return -1;
    u->port = (int)port;
    snprintf(u->prefix, sizeof(u->prefix), "%s", *end ? end : "");
    size_t n = strlen(u->prefix);
    if (n && u->prefix[n - 1] == '/')
        u->prefix[n - 1] = 0;
    return 0;
}

static int dial(const lg_url_t *u, int timeout_ms)
{
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *ai = NULL;
    char port[8];
    snprintf(port, sizeof(port), "%d", u->port);
    if (getaddrinfo(u->host, port, &hints, &ai) != 0 || !ai)
        return -1;
    int fd = socket(ai->ai_family, SOCK_STREAM, 0);
    if (fd >= 0) {
        struct timeval tv = {.tv_sec = timeout_ms / 1000, .tv_usec = (timeout_ms % 1000) * 1000};
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
        if (connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
            close(fd);
            fd = -1;
        }
    }
    freeaddrinfo(ai);
    return fd;
}

static int write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w <= 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Reads until EOF (or MAX_RESPONSE); returns the heap buffer, NUL-terminated. */
static char *read_all(int fd, size_t *len)
{
    size_t cap = 8192, n = 0;
    char *buf = malloc(cap + 1);
    if (!buf)
        return NULL;
    for (;;) {
        if (n == cap) {
            if (cap >= MAX_RESPONSE)
                break;
            cap *= 2;
            char *nb = realloc(buf, cap + 1);
            if (!nb) {
                free(buf);
                return NULL;
            }
            buf = nb;
        }
        ssize_t r = read(fd, buf + n, cap - n);
        if (r < 0) {
            free(buf);
            return NULL; /* timeout or error */
        }
        if (r == 0)
            break;
        n += (size_t)r;
    }
    buf[n] = 0;
    *len = n;
    return buf;
}

/* Fills r from the raw response. */
static int split(char *raw, size_t len, lg_http_resp_t *r)
{
    char *hdr_end = strstr(raw, "\r\n\r\n");
    if (!hdr_end || sscanf(raw, "HTTP/1.%*d %d", &r->status) != 1)
        return -1;
    *hdr_end = 0;
    for (char *line = strstr(raw, "\r\n"); line; line = strstr(line, "\r\n")) {
        line += 2;
        if (strncasecmp(line, "Location:", 9) == 0) {
            const char *v = line + 9;
            while (*v == ' ')
                v++;
            size_t vl = strcspn(v, "\r\n");
            if (vl < sizeof(r->location)) {
                memcpy(r->location, v, vl);
                r->location[vl] = 0;
            }
        }
    }
    char *body = hdr_end + 4;
    size_t blen = len - (size_t)(body - raw);
    if (blen > 0) {
        r->body = malloc(blen + 1);
        if (!r->body)
            return -1;
        memcpy(r->body, body, blen);
        r->body[blen] = 0;
        r->body_len = blen;
    }
    return 0;
}

int lg_http_request(const lg_url_t *u, const char *method, const char *path,
                    const char *content_type, const char *body, size_t body_len, int timeout_ms,
                    lg_http_resp_t *r)
{
    return lg_http_request_session(u, method, path, NULL, content_type, body, body_len, timeout_ms,
                                   r);
}

int lg_http_request_session(const lg_url_t *u, const char *method, const char *path,
                            const char *session, const char *content_type, const char *body,
                            size_t body_len, int timeout_ms, lg_http_resp_t *r)
{
    memset(r, 0, sizeof(*r));
    int fd = dial(u, timeout_ms);
    if (fd < 0)
        return -1;
    char head[1024];
    int hl = snprintf(head, sizeof(head),
                      "%s %s%s HTTP/1.1\r\nHost: %s:%d\r\nConnection: close\r\n"
                      "Content-Length: %zu\r\n%s%s%s%s%s%s\r\n",
                      method, u->prefix, path, u->host, u->port, body ? body_len : 0,
                      content_type ? "Content-Type: " : "", content_type ? content_type : "",
                      content_type ? "\r\n" : "", session ? "Conclave-Session: " : "",
                      session ? session : "", session ? "\r\n" : "");
    int rc = -1;
    size_t len = 0;
    char *raw = NULL;
    if (hl > 0 && (size_t)hl < sizeof(head) && write_all(fd, head, (size_t)hl) == 0 &&
        (!body || write_all(fd, body, body_len) == 0) && (raw = read_all(fd, &len)))
        rc = split(raw, len, r);
    free(raw);
    close(fd);
    if (rc < 0) {
        lg_http_resp_free(r);
        r->status = 0;
    }
    return rc;
}

void lg_http_resp_free(lg_http_resp_t *r)
{
    free(r->body);
    r->body = NULL;
    r->body_len = 0;
}
