/*
 * http.c - libmicrohttpd shell (RFC 9110 semantics; MHD does the parsing).
 * MHD's internal thread pool calls handler(); each connection's body is
 * collected into a buffer bounded by max_body, then the API answers.
 */
#include "http.h"

#include "log.h"
#include "mem.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <stdarg.h>
#include <stdio.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#define HTTP_THREADS 4
#define HTTP_MAX_CONNECTIONS 512
#define HTTP_TIMEOUT_S 30

struct cv_http {
    struct MHD_Daemon *mhd;
    cv_api_t *api;
    long max_body;
};

/* Per-request state between handler calls. */
struct upload {
    char *buf;
    size_t len;
    int too_large;
};

static void add_common_headers(struct MHD_Response *r, int no_store)
{
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
    MHD_add_response_header(r, "X-Frame-Options", "DENY");
    MHD_add_response_header(r, "Content-Security-Policy",
                            "default-src 'self'; connect-src 'self'; img-src 'self' data: blob:; "
                            "media-src 'self' blob: mediastream:; frame-ancestors 'none'; "
                            "base-uri 'none'; form-action 'self'");
    MHD_add_response_header(r, "Permissions-Policy",
                            "camera=(self), microphone=(self), "
                            "display-capture=(self)");
    if (no_store)
        MHD_add_response_header(r, "Cache-Control", "no-store");
}

static enum MHD_Result send_text(struct MHD_Connection *c, int status, const char *text)
{
    struct MHD_Response *r =
        MHD_create_response_from_buffer(strlen(text), (void *)text, MHD_RESPMEM_MUST_COPY);
    MHD_add_response_header(r, "Content-Type", "text/plain; charset=utf-8");
    add_common_headers(r, 1);
    enum MHD_Result ret = MHD_queue_response(c, (unsigned)status, r);
    MHD_destroy_response(r);
    return ret;
}

/* MHD itself leaves out the body of an answer to HEAD. */
static enum MHD_Result send_api(struct MHD_Connection *c, cv_api_resp_t *rs)
{
    struct MHD_Response *r;
    if (rs->fd >= 0) {
        r = MHD_create_response_from_fd(rs->fd_len, rs->fd);
        rs->fd = -1; /* MHD closes it */
    } else {
        r = MHD_create_response_from_buffer(rs->body_len, rs->body, MHD_RESPMEM_MUST_COPY);
    }
    if (!r)
        return MHD_NO;
    if (rs->content_type)
        MHD_add_response_header(r, "Content-Type", rs->content_type);
    if (rs->location[0]) {
        MHD_add_response_header(r, "Location", rs->location);
        MHD_add_response_header(r, "Access-Control-Expose-Headers", "Location");
    }
    if (rs->allow)
        MHD_add_response_header(r, "Allow", rs->allow);
    if (rs->www_authenticate)
        MHD_add_response_header(r, "WWW-Authenticate", rs->www_authenticate);
    if (rs->moderator_token[0])
        MHD_add_response_header(r, "Conclave-Moderator-Token", rs->moderator_token);
    add_common_headers(r, rs->no_store);
    enum MHD_Result ret = MHD_queue_response(c, (unsigned)rs->status, r);
    MHD_destroy_response(r);
    return ret;
}

/* An event stream: its first events are in the body. */
static enum MHD_Result send_stream(cv_http_t *h, struct MHD_Connection *c, cv_api_resp_t *rs)
{
    char *initial = cv_xmalloc(rs->body_len + 1);
    memcpy(initial, rs->body, rs->body_len);
    initial[rs->body_len] = 0;
    struct MHD_Response *r =
        cv_events_subscribe(cv_api_events(h->api), c, rs->sse_room, rs->sse_session, initial);
    free(initial);
    if (!r)
        return send_text(c, 500, "could not open the event stream\n");
    MHD_add_response_header(r, "Content-Type", "text/event-stream; charset=utf-8");
    MHD_add_response_header(r, "X-Accel-Buffering", "no"); /* for a reverse proxy */
    add_common_headers(r, 1);
    enum MHD_Result ret = MHD_queue_response(c, 200, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *c, const char *url,
                               const char *method, const char *version, const char *data,
                               size_t *data_size, void **con_cls)
{
    cv_http_t *h = cls;
    struct upload *up = *con_cls;
    if (!up) {
        up = cv_xcalloc(1, sizeof(*up));
        *con_cls = up;
        const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Length");
        if (cl && strtoll(cl, NULL, 10) > h->max_body)
            up->too_large = 1;
        return MHD_YES;
    }
    if (*data_size) {
        if (!up->too_large && up->len + *data_size <= (size_t)h->max_body) {
            up->buf = cv_xrealloc(up->buf, up->len + *data_size + 1);
            memcpy(up->buf + up->len, data, *data_size);
            up->len += *data_size;
        } else {
            up->too_large = 1;
        }
        *data_size = 0;
        return MHD_YES;
    }
    if (up->too_large)
        return send_text(c, 413, "request body too large\n");
    cv_api_req_t rq = {
        .method = method,
        .path = url,
        .content_type = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Type"),
        .name = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "name"),
        .role = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "role"),
        .session = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "session"),
        .authorization = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization"),
        .body = up->buf ? up->buf : "",
        .body_len = up->len,
    };
    cv_api_resp_t rs;
    cv_api_handle(h->api, &rq, &rs);
    enum MHD_Result ret = rs.sse ? send_stream(h, c, &rs) : send_api(c, &rs);
    cv_api_resp_cleanup(&rs);
    return ret;
}

static void completed(void *cls, struct MHD_Connection *c, void **con_cls,
                      enum MHD_RequestTerminationCode toe)
{
    struct upload *up = *con_cls;
    if (up) {
        free(up->buf);
        free(up);
        *con_cls = NULL;
    }
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    char line[512];
    vsnprintf(line, sizeof(line), fmt, ap);
    size_t n = strlen(line);
    while (n && line[n - 1] == '\n')
        line[--n] = 0;
    CV_DEBUG("http: %s", line);
}

cv_http_t *cv_http_start(cv_api_t *api, const char *listen, int port, long max_body)
{
    cv_http_t *h = cv_xcalloc(1, sizeof(*h));
    h->api = api;
    h->max_body = max_body;
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof(ss));
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG | MHD_USE_EPOLL |
                     MHD_ALLOW_SUSPEND_RESUME;
    struct sockaddr_in *v4 = (struct sockaddr_in *)&ss;
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&ss;
    if (inet_pton(AF_INET, listen, &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons((uint16_t)port);
    } else if (inet_pton(AF_INET6, listen, &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons((uint16_t)port);
        flags |= MHD_USE_IPv6;
    } else {
        CV_ERROR("http: bad listen address %s", listen);
        free(h);
        return NULL;
    }
    /* the logger first, so that MHD's own start-up messages go through it */
    h->mhd = MHD_start_daemon(
        flags, (uint16_t)port, NULL, NULL, handler, h, MHD_OPTION_EXTERNAL_LOGGER, mhd_log, h,
        MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss, MHD_OPTION_THREAD_POOL_SIZE,
        (unsigned)HTTP_THREADS, MHD_OPTION_CONNECTION_LIMIT, (unsigned)HTTP_MAX_CONNECTIONS,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)HTTP_TIMEOUT_S, MHD_OPTION_NOTIFY_COMPLETED,
        completed, h, MHD_OPTION_END);
    if (!h->mhd) {
        CV_ERROR("http: cannot listen on %s port %d", listen, port);
        free(h);
        return NULL;
    }
    return h;
}

void cv_http_stop(cv_http_t *h)
{
    if (!h)
        return;
    MHD_stop_daemon(h->mhd);
    free(h);
}
