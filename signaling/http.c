/*
 * http.c - libmicrohttpd shell (RFC 9110 semantics; MHD does the parsing).
 * MHD's internal thread pool calls handler(); each connection's body is
 * collected into a buffer bounded by max_body, then the API answers. TLS
 * (GnuTLS inside MHD) when a certificate is configured; the joins of each
 * client address are counted by the rate limiter (ratelimit.h), its open
 * requests by the open-request count (clientaddr.h), each under a lock.
 * Every connection must bring a whole request within the request deadline
 * of its start or of the end of its previous answer: a watchdog thread
 * shuts down the socket of one that is late (slow or trickled headers and
 * bodies), which MHD then closes. While answering, a connection whose
 * client took none of the bytes queued for it for HTTP_STALL_US is shut
 * down too, and one whose client hung up is marked gone for the event
 * streams (a waiting stream is not polled by MHD: events.c asks).
 */
#include "http.h"

#include "access.h"
#include "clientaddr.h"
#include "clock.h"
#include "log.h"
#include "mem.h"
#include "netlist.h"
#include "ratelimit.h"
#include "stats.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/sockios.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>

#define HTTP_THREADS 4
#define HTTP_TIMEOUT_S 30
#define PEM_MAX (256 * 1024) /* a certificate chain or key larger than this is a mistake */
#define RATE_SLOTS 4096      /* client addresses tracked at once by the join limiter */
/* GnuTLS priorities: TLS 1.3, and TLS 1.2 with forward secret key exchange
 * (ECDHE) and AEAD ciphers only (GCM, ChaCha20-Poly1305): no CBC, no SHA-1
 * MAC, no RSA key transport (RFC 9325 §4.2). */
#define TLS_PRIORITIES                                                                             \
    "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2:-CIPHER-ALL:+AES-128-GCM:+AES-256-GCM:"            \
    "+CHACHA20-POLY1305:-MAC-ALL:+AEAD:-KX-ALL:+ECDHE-ECDSA:+ECDHE-RSA"
#define OPEN_COUNTERS 4096       /* counters in each row of the open-request count */
#define WATCH_MS 250             /* the request deadline watchdog's period */
#define HTTP_STALL_US 10000000LL /* an answer its client takes nothing of this long ends */
#define HSTS "max-age=31536000"

struct cv_http {
    struct MHD_Daemon *mhd;
    cv_api_t *api;
    long max_body;
    int tls;
    char *cert_pem, *key_pem; /* MHD keeps pointers to them while it runs */
    int trust_proxy;          /* [http] values at start: they change only on a restart */
    cv_netlist_t proxies;     /* [http] proxy_networks */
    int joins_per_minute;
    int requests_per_ip; /* open requests of one client address, 0 = any */
    int conns_per_ip;    /* connections of one peer address (IPv6: /64), 0 = any */
    int64_t request_timeout_us;
    pthread_mutex_t rl_lock;
    cv_ratelimit_t *rl;
    cv_openreq_t *open;       /* open requests, under rl_lock */
    cv_openreq_t *conns_open; /* connections by peer, under rl_lock */
    /* the connections and their deadlines, for the watchdog */
    pthread_mutex_t watch_lock;
    pthread_cond_t watch_wake;
    pthread_t watch_thread;
    int watch_started, watch_stop;
    struct conn *conns;
};

/* One connection, from MHD's start notification to its close notification
 * (its socket context). Under watch_lock. */
struct conn {
    struct conn *prev, *next;
    int fd;
    int64_t deadline_us; /* a whole request must be in by then; 0: answering */
    int64_t progress_us; /* answering: when the client last took some of it */
    int unsent;          /* answering: bytes in the socket's send queue at the last look */
    int gone;            /* the client hung up, or stalled and was cut */
    uint64_t counted;    /* token counted in conns_open, 0 = none */
};

/* Per-request state between handler calls. */
struct upload {
    char *buf;
    size_t len;
    long max_body; /* [http] max_body when the request arrived */
    int too_large;
    int too_many;     /* the client has too many requests open: 429 */
    uint64_t counted; /* token counted in the open-request count, 0 = none */
};

static void add_common_headers(const cv_http_t *h, struct MHD_Response *r, int no_store)
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
    if (h->tls)
        MHD_add_response_header(r, "Strict-Transport-Security", HSTS);
    if (no_store)
        MHD_add_response_header(r, "Cache-Control", "no-store");
}

/* Queues an answer and counts it by status class (GET /metrics). */
static enum MHD_Result queue(struct MHD_Connection *c, int status, struct MHD_Response *r)
{
    cv_stats_add(cv_stats_http_class(status), 1);
    return MHD_queue_response(c, (unsigned)status, r);
}

/* A one-line plain text error with its code (Conclave-Error); retry_after > 0
 * adds Retry-After (seconds). */
static enum MHD_Result send_text(const cv_http_t *h, struct MHD_Connection *c, int status,
                                 const char *code, const char *text, int retry_after)
{
    struct MHD_Response *r =
        MHD_create_response_from_buffer(strlen(text), (void *)text, MHD_RESPMEM_MUST_COPY);
    if (!r)
        return MHD_NO;
    MHD_add_response_header(r, "Content-Type", "text/plain; charset=utf-8");
    MHD_add_response_header(r, "Conclave-Error", code);
    if (retry_after > 0) {
        char secs[16];
        snprintf(secs, sizeof(secs), "%d", retry_after);
        MHD_add_response_header(r, "Retry-After", secs);
    }
    add_common_headers(h, r, 1);
    enum MHD_Result ret = queue(c, status, r);
    MHD_destroy_response(r);
    return ret;
}

/* 401 to a /metrics request without the right token. */
static enum MHD_Result send_metrics_challenge(const cv_http_t *h, struct MHD_Connection *c)
{
    static const char text[] = "metrics need Authorization: Bearer <[http] metrics_token>\n";
    struct MHD_Response *r =
        MHD_create_response_from_buffer(strlen(text), (void *)text, MHD_RESPMEM_PERSISTENT);
    if (!r)
        return MHD_NO;
    MHD_add_response_header(r, "Content-Type", "text/plain; charset=utf-8");
    MHD_add_response_header(r, "WWW-Authenticate", "Bearer realm=\"metrics\"");
    MHD_add_response_header(r, "Conclave-Error", "metrics-token");
    add_common_headers(h, r, 1);
    enum MHD_Result ret = queue(c, 401, r);
    MHD_destroy_response(r);
    return ret;
}

/* MHD itself leaves out the body of an answer to HEAD. */
static enum MHD_Result send_api(const cv_http_t *h, struct MHD_Connection *c, cv_api_resp_t *rs)
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
        MHD_add_response_header(r, "Access-Control-Expose-Headers",
                                rs->link ? "Location, Link, Conclave-Recording"
                                         : "Location, Conclave-Recording");
    }
    if (rs->link)
        MHD_add_response_header(r, "Link", rs->link);
    if (rs->allow)
        MHD_add_response_header(r, "Allow", rs->allow);
    if (rs->www_authenticate)
        MHD_add_response_header(r, "WWW-Authenticate", rs->www_authenticate);
    if (rs->retry_after > 0) {
        char secs[16];
        snprintf(secs, sizeof(secs), "%d", rs->retry_after);
        MHD_add_response_header(r, "Retry-After", secs);
    }
    if (rs->moderator_token[0])
        MHD_add_response_header(r, "Conclave-Moderator-Token", rs->moderator_token);
    if (rs->recording)
        MHD_add_response_header(r, "Conclave-Recording", rs->recording == 2 ? "on" : "off");
    if (rs->etag[0])
        MHD_add_response_header(r, "ETag", rs->etag);
    if (rs->cache_control)
        MHD_add_response_header(r, "Cache-Control", rs->cache_control);
    if (rs->vary_encoding)
        MHD_add_response_header(r, "Vary", "Accept-Encoding");
    if (rs->content_encoding)
        MHD_add_response_header(r, "Content-Encoding", rs->content_encoding);
    if (rs->error_code && rs->status >= 400)
        MHD_add_response_header(r, "Conclave-Error", rs->error_code);
    add_common_headers(h, r, rs->no_store);
    enum MHD_Result ret = queue(c, rs->status, r);
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
        return send_text(h, c, 500, "stream-failed", "could not open the event stream\n", 0);
    MHD_add_response_header(r, "Content-Type", "text/event-stream; charset=utf-8");
    MHD_add_response_header(r, "X-Accel-Buffering", "no"); /* for a reverse proxy */
    add_common_headers(h, r, 1);
    enum MHD_Result ret = queue(c, 200, r);
    MHD_destroy_response(r);
    return ret;
}

/* ---- the client's address ---- */

static int loopback_sa(const struct sockaddr *sa)
{
    if (sa->sa_family == AF_INET)
        return (ntohl(((const struct sockaddr_in *)sa)->sin_addr.s_addr) >> 24) == 127;
    if (sa->sa_family == AF_INET6) {
        const struct in6_addr *a = &((const struct sockaddr_in6 *)sa)->sin6_addr;
        if (IN6_IS_ADDR_LOOPBACK(a))
            return 1;
        return IN6_IS_ADDR_V4MAPPED(a) && a->s6_addr[12] == 127;
    }
    return 0;
}

int cv_http_is_loopback(const char *ip)
{
    struct sockaddr_in v4 = {.sin_family = AF_INET};
    struct sockaddr_in6 v6 = {.sin6_family = AF_INET6};
    if (inet_pton(AF_INET, ip, &v4.sin_addr) == 1)
        return loopback_sa((struct sockaddr *)&v4);
    if (inet_pton(AF_INET6, ip, &v6.sin6_addr) == 1)
        return loopback_sa((struct sockaddr *)&v6);
    return 0;
}

static void sa_text(const struct sockaddr *sa, char *out, size_t cap)
{
    snprintf(out, cap, "unknown");
    if (sa->sa_family == AF_INET) {
        inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, out, (socklen_t)cap);
    } else if (sa->sa_family == AF_INET6) {
        const struct in6_addr *a = &((const struct sockaddr_in6 *)sa)->sin6_addr;
        if (IN6_IS_ADDR_V4MAPPED(a))
            inet_ntop(AF_INET, &a->s6_addr[12], out, (socklen_t)cap);
        else
            inet_ntop(AF_INET6, a, out, (socklen_t)cap);
    }
}

static enum MHD_Result last_xff(void *cls, enum MHD_ValueKind kind, const char *key,
                                const char *value)
{
    if (strcasecmp(key, "X-Forwarded-For") == 0)
        *(const char **)cls = value;
    return MHD_YES;
}

/* The last hop of the last X-Forwarded-For header (the one our proxy
 * added), when it is an IP literal; else 0. */
static int forwarded_for(struct MHD_Connection *c, char *out, size_t cap)
{
    const char *xff = NULL;
    MHD_get_connection_values(c, MHD_HEADER_KIND, last_xff, &xff);
    if (!xff)
        return 0;
    const char *hop = strrchr(xff, ',');
    hop = hop ? hop + 1 : xff;
    while (*hop == ' ' || *hop == '\t')
        hop++;
    size_t n = strlen(hop);
    while (n && (hop[n - 1] == ' ' || hop[n - 1] == '\t'))
        n--;
    char ip[INET6_ADDRSTRLEN];
    unsigned char bin[16];
    if (n == 0 || n >= sizeof(ip))
        return 0;
    memcpy(ip, hop, n);
    ip[n] = 0;
    if (inet_pton(AF_INET, ip, bin) != 1 && inet_pton(AF_INET6, ip, bin) != 1)
        return 0;
    snprintf(out, cap, "%s", ip);
    return 1;
}

/* The client's address: the peer's, or with trust_proxy and a peer that is
 * loopback or in proxy_networks the last X-Forwarded-For hop. 0 when that is
 * a loopback address (this machine, or a proxy that does not say for whom it
 * asks): such clients are not rate limited. Kept in memory only, never
 * logged. */
static int client_address(cv_http_t *h, struct MHD_Connection *c, char *out, size_t cap)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    if (!ci || !ci->client_addr)
        return 0;
    int proxy = loopback_sa(ci->client_addr) || cv_netlist_has_sa(&h->proxies, ci->client_addr);
    if (h->trust_proxy && proxy && forwarded_for(c, out, cap))
        return !cv_http_is_loopback(out);
    if (loopback_sa(ci->client_addr))
        return 0;
    sa_text(ci->client_addr, out, cap);
    return 1;
}

/* Plain HTTP serves this machine and the proxies of [http] proxy_networks
 * only; HTTPS anyone. */
static enum MHD_Result accept_peer(void *cls, const struct sockaddr *addr, socklen_t len)
{
    cv_http_t *h = cls;
    if (h->tls || !addr || len < (socklen_t)sizeof(addr->sa_family))
        return MHD_YES;
    return loopback_sa(addr) || cv_netlist_has_sa(&h->proxies, addr) ? MHD_YES : MHD_NO;
}

static enum MHD_Result forwarding_header(void *cls, enum MHD_ValueKind kind, const char *key,
                                         const char *value)
{
    if (strcasecmp(key, "X-Forwarded-For") == 0 || strcasecmp(key, "Forwarded") == 0 ||
        strcasecmp(key, "X-Real-IP") == 0) {
        *(int *)cls = 1;
        return MHD_NO;
    }
    return MHD_YES;
}

/* GET /metrics is this machine's, or for whoever holds [http] metrics_token
 * (Authorization: Bearer, compared as SHA-256 digests in constant time).
 * This machine: a loopback peer whose request names no client it forwards
 * (X-Forwarded-For, Forwarded, X-Real-IP), whatever trust_proxy says: a
 * reverse proxy here is a loopback peer too, and what it forwards is from
 * outside. Returns 0 when allowed, else 401 (a token is set: ask for it) or
 * 403 (none is). */
static int metrics_refused(cv_http_t *h, struct MHD_Connection *c)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    int forwarded = 0;
    MHD_get_connection_values(c, MHD_HEADER_KIND, forwarding_header, &forwarded);
    if (ci && ci->client_addr && loopback_sa(ci->client_addr) && !forwarded)
        return 0;
    uint8_t want[CV_ACCESS_DIGEST_LEN], got[CV_ACCESS_DIGEST_LEN];
    int has_token = 0;
    cv_settings_t *st = cv_api_settings(h->api);
    if (st) {
        const cv_config_t *cfg = cv_settings_hold(st);
        has_token = cfg->http_metrics_token[0] != 0;
        if (has_token)
            cv_access_digest(cfg->http_metrics_token, want);
        cv_settings_release(cfg);
    }
    if (!has_token)
        return 403;
    char cred[CV_ACCESS_SECRET_MAX + 1];
    const char *auth = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
    if (cv_access_bearer(auth, cred, sizeof(cred)) != 1)
        return 401;
    cv_access_digest(cred, got);
    return cv_access_same(want, got) ? 0 : 401;
}

/* What the limits count the client by (clientaddr.h: an IPv6 client is its
 * /64); 0 when the client is not limited (client_address). */
static int client_key(cv_http_t *h, struct MHD_Connection *c, char *out, size_t cap)
{
    char addr[INET6_ADDRSTRLEN + 8];
    return client_address(h, c, addr, sizeof(addr)) && cv_client_key(addr, out, cap) == 0;
}

/* POST /rooms/{room}/whip|whep and /echo/whip: what makes a session; and
 * POST /rooms/{room}/lobby, a knock that waits to make one. */
static int is_join(const char *method, const char *url)
{
    if (strcmp(method, "POST") != 0)
        return 0;
    size_t n = strlen(url);
    int tail = n > 5 && (strcmp(url + n - 5, "/whip") == 0 || strcmp(url + n - 5, "/whep") == 0);
    tail = tail || (n > 6 && strcmp(url + n - 6, "/lobby") == 0);
    return tail && (strncmp(url, "/rooms/", 7) == 0 || strncmp(url, "/echo/", 6) == 0);
}

/* 0, or the seconds the client's address must wait before its next join. */
static int join_wait(cv_http_t *h, struct MHD_Connection *c)
{
    int limit = h->joins_per_minute;
    if (limit <= 0)
        return 0;
    char addr[CV_CLIENT_KEY_MAX];
    if (!client_key(h, c, addr, sizeof(addr)))
        return 0;
    pthread_mutex_lock(&h->rl_lock);
    int wait = cv_ratelimit_hit(h->rl, addr, limit, cv_now_us());
    pthread_mutex_unlock(&h->rl_lock);
    return wait;
}

/* 0 when the client may open one more request (then counted in up), else 1. */
static int too_many_open(cv_http_t *h, struct MHD_Connection *c, struct upload *up)
{
    char key[CV_CLIENT_KEY_MAX];
    if (h->requests_per_ip <= 0 || !client_key(h, c, key, sizeof(key)))
        return 0;
    pthread_mutex_lock(&h->rl_lock);
    uint64_t token = cv_openreq_token(h->open, key);
    int ok = cv_openreq_take(h->open, token, h->requests_per_ip);
    pthread_mutex_unlock(&h->rl_lock);
    if (ok)
        up->counted = token;
    return !ok;
}

/* ---- the request deadline ---- */

static struct conn *conn_of(struct MHD_Connection *c)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    return ci ? ci->socket_context : NULL;
}

/* A new deadline (0: none) for the connection's request. */
static void set_deadline(cv_http_t *h, struct MHD_Connection *c, int64_t deadline_us)
{
    struct conn *k = conn_of(c);
    if (!k)
        return;
    pthread_mutex_lock(&h->watch_lock);
    k->deadline_us = deadline_us;
    if (!deadline_us) {
        k->progress_us = cv_now_us();
        k->unsent = 0;
    }
    pthread_mutex_unlock(&h->watch_lock);
}

/* Under watch_lock, for a connection answering: notes whether its client
 * hung up, and shuts it down if it took nothing queued for it for
 * HTTP_STALL_US (a reader that stopped reading holds a connection and its
 * buffers otherwise until the idle timeout, or for ever with pings). */
static void watch_answer(struct conn *k, int64_t now)
{
    struct pollfd p = {.fd = k->fd, .events = POLLRDHUP};
    if (poll(&p, 1, 0) == 1 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR)))
        k->gone = 1;
    int unsent = 0;
    if (ioctl(k->fd, SIOCOUTQ, &unsent) < 0)
        return;
    if (unsent == 0 || unsent < k->unsent)
        k->progress_us = now;
    k->unsent = unsent;
    if (unsent > 0 && now - k->progress_us >= HTTP_STALL_US && !k->gone) {
        k->gone = 1;
        shutdown(k->fd, SHUT_RDWR);
        CV_DEBUG("http: a client took nothing of its answer for 10 s: closed");
    }
}

/* A new connection from a peer that is neither loopback nor a proxy of
 * [http] proxy_networks: counted against
 * conns_per_ip by the peer's key (an IPv6 peer: its /64). 0 when within
 * it (then k counts it), else 1. */
static int peer_over_cap(cv_http_t *h, struct MHD_Connection *c, struct conn *k)
{
    const union MHD_ConnectionInfo *ai =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    if (h->conns_per_ip <= 0 || !ai || !ai->client_addr || loopback_sa(ai->client_addr) ||
        cv_netlist_has_sa(&h->proxies, ai->client_addr)) /* a proxy carries many clients */
        return 0;
    char addr[INET6_ADDRSTRLEN + 8], key[CV_CLIENT_KEY_MAX];
    sa_text(ai->client_addr, addr, sizeof(addr));
    if (cv_client_key(addr, key, sizeof(key)) < 0)
        return 0;
    pthread_mutex_lock(&h->rl_lock);
    uint64_t token = cv_openreq_token(h->conns_open, key);
    int ok = cv_openreq_take(h->conns_open, token, h->conns_per_ip);
    pthread_mutex_unlock(&h->rl_lock);
    if (ok)
        k->counted = token;
    return !ok;
}

static void notify_conn(void *cls, struct MHD_Connection *c, void **socket_context,
                        enum MHD_ConnectionNotificationCode toe)
{
    cv_http_t *h = cls;
    if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
        const union MHD_ConnectionInfo *ci =
            MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
        if (!ci)
            return;
        struct conn *k = cv_xcalloc(1, sizeof(*k));
        k->fd = ci->connect_fd;
        k->deadline_us = cv_now_us() + h->request_timeout_us;
        if (peer_over_cap(h, c, k)) {
            /* one past the cap is closed as soon as accepted */
            shutdown(k->fd, SHUT_RDWR);
            k->deadline_us = 0;
            k->gone = 1;
        }
        pthread_mutex_lock(&h->watch_lock);
        k->next = h->conns;
        if (h->conns)
            h->conns->prev = k;
        h->conns = k;
        pthread_mutex_unlock(&h->watch_lock);
        *socket_context = k;
        return;
    }
    struct conn *k = *socket_context;
    if (!k)
        return;
    /* MHD closes the socket after this: the watchdog must forget it first */
    pthread_mutex_lock(&h->watch_lock);
    if (k->prev)
        k->prev->next = k->next;
    else
        h->conns = k->next;
    if (k->next)
        k->next->prev = k->prev;
    pthread_mutex_unlock(&h->watch_lock);
    if (k->counted) {
        pthread_mutex_lock(&h->rl_lock);
        cv_openreq_give(h->conns_open, k->counted);
        pthread_mutex_unlock(&h->rl_lock);
    }
    free(k);
    *socket_context = NULL;
}

/* Shuts down the sockets of the connections past their request deadline:
 * MHD sees the end of the stream and closes them. */
static void *watchdog(void *arg)
{
    cv_http_t *h = arg;
    pthread_mutex_lock(&h->watch_lock);
    while (!h->watch_stop) {
        int64_t now = cv_now_us();
        for (struct conn *k = h->conns; k; k = k->next) {
            if (!k->deadline_us)
                watch_answer(k, now);
            else if (now >= k->deadline_us) {
                k->deadline_us = 0;
                shutdown(k->fd, SHUT_RDWR);
                CV_DEBUG("http: a connection sent no whole request in time: closed");
            }
        }
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_nsec += WATCH_MS * 1000000L;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&h->watch_wake, &h->watch_lock, &until);
    }
    pthread_mutex_unlock(&h->watch_lock);
    return NULL;
}

/* An event stream was dropped: its connection goes at the watchdog's next
 * round, whether or not its reader takes the end of the stream. */
static void cut_stream(void *ud, struct MHD_Connection *c)
{
    set_deadline(ud, c, cv_now_us());
}

/* 1 when the client of an event stream hung up or stalled (watch_answer). */
static int stream_gone(void *ud, struct MHD_Connection *c)
{
    cv_http_t *h = ud;
    struct conn *k = conn_of(c);
    if (!k)
        return 0;
    pthread_mutex_lock(&h->watch_lock);
    int gone = k->gone;
    pthread_mutex_unlock(&h->watch_lock);
    return gone;
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
        up->max_body = h->max_body;
        cv_settings_t *st = cv_api_settings(h->api);
        if (st) { /* a reload may have changed it */
            const cv_config_t *cfg = cv_settings_hold(st);
            up->max_body = cfg->http_max_body;
            cv_settings_release(cfg);
        }
        const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Length");
        if (cl && strtoll(cl, NULL, 10) > up->max_body)
            up->too_large = 1;
        up->too_many = too_many_open(h, c, up);
        return MHD_YES;
    }
    if (*data_size) {
        if (!up->too_large && up->len + *data_size <= (size_t)up->max_body) {
            up->buf = cv_xrealloc(up->buf, up->len + *data_size + 1);
            memcpy(up->buf + up->len, data, *data_size);
            up->len += *data_size;
        } else {
            up->too_large = 1;
        }
        *data_size = 0;
        return MHD_YES;
    }
    set_deadline(h, c, 0); /* the request is in: the answer may take its time */
    if (up->too_large)
        return send_text(h, c, 413, "too-large", "request body too large\n", 0);
    if (up->too_many)
        return send_text(h, c, 429, "rate-limited", "too many requests open from your address\n",
                         5);
    int wait = is_join(method, url) ? join_wait(h, c) : 0;
    if (wait > 0) {
        char why[128];
        snprintf(why, sizeof(why), "too many joins from your address: at most %d a minute\n",
                 h->joins_per_minute);
        return send_text(h, c, 429, "rate-limited", why, wait);
    }
    int refused = strcmp(url, "/metrics") == 0 ? metrics_refused(h, c) : 0;
    if (refused == 403)
        return send_text(h, c, 403, "metrics-local",
                         "metrics are served to this machine only (set [http] metrics_token to "
                         "scrape from elsewhere)\n",
                         0);
    if (refused)
        return send_metrics_challenge(h, c);
    char client[CV_CLIENT_KEY_MAX];
    int limited = client_key(h, c, client, sizeof(client));
    cv_api_req_t rq = {
        .method = method,
        .path = url,
        .content_type = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Type"),
        .name = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "name"),
        .role = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "role"),
        .session = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Conclave-Session"),
        .token = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "token"),
        .authorization = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization"),
        .ticket = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Conclave-Ticket"),
        .accept_encoding = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Accept-Encoding"),
        .if_none_match = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "If-None-Match"),
        .client = limited ? client : NULL,
        .body = up->buf ? up->buf : "",
        .body_len = up->len,
    };
    cv_api_resp_t rs;
    cv_api_handle(h->api, &rq, &rs);
    enum MHD_Result ret = rs.sse ? send_stream(h, c, &rs) : send_api(h, c, &rs);
    cv_api_resp_cleanup(&rs);
    return ret;
}

static void completed(void *cls, struct MHD_Connection *c, void **con_cls,
                      enum MHD_RequestTerminationCode toe)
{
    cv_http_t *h = cls;
    struct upload *up = *con_cls;
    /* the next request on this connection has its own deadline */
    set_deadline(h, c, cv_now_us() + h->request_timeout_us);
    if (up) {
        if (up->counted) {
            pthread_mutex_lock(&h->rl_lock);
            cv_openreq_give(h->open, up->counted);
            pthread_mutex_unlock(&h->rl_lock);
        }
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

/* Reads a whole PEM file into a NUL-terminated heap string; NULL with a
 * one-line reason naming the file. */
static char *read_pem(const char *path, char *err, size_t errcap)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errcap, "%s: cannot open: %s", path, strerror(errno));
        return NULL;
    }
    char *buf = cv_xmalloc(PEM_MAX + 1);
    size_t len = fread(buf, 1, PEM_MAX + 1, f);
    int rd_errno = ferror(f) ? errno : 0;
    fclose(f);
    if (rd_errno || len > PEM_MAX || len == 0) {
        if (rd_errno)
            snprintf(err, errcap, "%s: cannot read: %s", path, strerror(rd_errno));
        else
            snprintf(err, errcap, "%s: %s", path,
                     len ? "larger than 256 KiB, not a PEM file" : "empty file");
        free(buf);
        return NULL;
    }
    buf[len] = 0;
    return buf;
}

static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
    return 0; /* an encrypted key cannot be read at start-up without a terminal */
}

/* Checks with OpenSSL that cert holds a certificate, key an unencrypted
 * private key, and that they belong together. 0 or -1 with err set. */
static int check_pair(const cv_http_cfg_t *cfg, const char *cert, const char *key, char *err,
                      size_t errcap)
{
    BIO *cb = BIO_new_mem_buf(cert, -1), *kb = BIO_new_mem_buf(key, -1);
    X509 *x = cb ? PEM_read_bio_X509(cb, NULL, no_passphrase, NULL) : NULL;
    EVP_PKEY *k = kb ? PEM_read_bio_PrivateKey(kb, NULL, no_passphrase, NULL) : NULL;
    int rc = -1;
    if (!x)
        snprintf(err, errcap, "%s: no PEM certificate in the file", cfg->cert);
    else if (!k)
        snprintf(err, errcap, "%s: no unencrypted PEM private key in the file", cfg->key);
    else if (X509_check_private_key(x, k) != 1)
        snprintf(err, errcap, "%s: not the private key of the certificate in %s", cfg->key,
                 cfg->cert);
    else
        rc = 0;
    ERR_clear_error();
    X509_free(x);
    EVP_PKEY_free(k);
    BIO_free(cb);
    BIO_free(kb);
    return rc;
}

static int load_tls(cv_http_t *h, const cv_http_cfg_t *cfg, char *err, size_t errcap)
{
    if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
        snprintf(err, errcap,
                 "[http] cert: this libmicrohttpd is built without TLS; remove cert and key "
                 "and put a TLS reverse proxy in front (see conclave(8))");
        return -1;
    }
    h->cert_pem = read_pem(cfg->cert, err, errcap);
    if (!h->cert_pem)
        return -1;
    h->key_pem = read_pem(cfg->key, err, errcap);
    if (!h->key_pem)
        return -1;
    if (check_pair(cfg, h->cert_pem, h->key_pem, err, errcap) < 0)
        return -1;
    h->tls = 1;
    return 0;
}

static int fill_addr(const char *listen, int port, struct sockaddr_storage *ss, unsigned *flags)
{
    struct sockaddr_in *v4 = (struct sockaddr_in *)ss;
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)ss;
    memset(ss, 0, sizeof(*ss));
    if (inet_pton(AF_INET, listen, &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons((uint16_t)port);
        return 0;
    }
    if (inet_pton(AF_INET6, listen, &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons((uint16_t)port);
        *flags |= MHD_USE_IPv6;
        return 0;
    }
    return -1;
}

static void free_http(cv_http_t *h)
{
    if (h->watch_started) {
        pthread_mutex_lock(&h->watch_lock);
        h->watch_stop = 1;
        pthread_cond_signal(&h->watch_wake);
        pthread_mutex_unlock(&h->watch_lock);
        pthread_join(h->watch_thread, NULL);
    }
    pthread_cond_destroy(&h->watch_wake);
    pthread_mutex_destroy(&h->watch_lock);
    cv_ratelimit_destroy(h->rl);
    cv_openreq_destroy(h->open);
    cv_openreq_destroy(h->conns_open);
    pthread_mutex_destroy(&h->rl_lock);
    free(h->cert_pem);
    free(h->key_pem);
    free(h);
}

cv_http_t *cv_http_start(cv_api_t *api, const cv_http_cfg_t *cfg, char *err, size_t errcap)
{
    cv_http_t *h = cv_xcalloc(1, sizeof(*h));
    h->api = api;
    h->max_body = cfg->max_body;
    h->trust_proxy = cfg->trust_proxy;
    h->joins_per_minute = cfg->joins_per_minute;
    h->requests_per_ip = cfg->conns_per_ip;
    h->conns_per_ip = cfg->conns_per_ip;
    h->request_timeout_us =
        (int64_t)(cfg->request_timeout > 0 ? cfg->request_timeout : 10) * 1000000;
    pthread_mutex_init(&h->rl_lock, NULL);
    pthread_mutex_init(&h->watch_lock, NULL);
    pthread_cond_init(&h->watch_wake, NULL);
    uint64_t seed = 0;
    if (getrandom(&seed, sizeof(seed), 0) != (ssize_t)sizeof(seed))
        seed = (uint64_t)cv_now_us();
    h->rl = cv_ratelimit_create(RATE_SLOTS, seed);
    h->open = cv_openreq_create(OPEN_COUNTERS, seed ^ 0x9e3779b97f4a7c15ULL);
    h->conns_open = cv_openreq_create(OPEN_COUNTERS, seed ^ 0xc2b2ae3d27d4eb4fULL);
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG | MHD_USE_EPOLL |
                     MHD_ALLOW_SUSPEND_RESUME;
    if (cv_netlist_parse(cfg->proxy_networks ? cfg->proxy_networks : "", &h->proxies, err, errcap) <
        0)
        goto fail;
    struct sockaddr_storage ss;
    if (fill_addr(cfg->listen, cfg->port, &ss, &flags) < 0) {
        snprintf(err, errcap, "[http] listen: bad address %s", cfg->listen);
        goto fail;
    }
    if (cfg->cert && cfg->cert[0] && load_tls(h, cfg, err, errcap) < 0)
        goto fail;
    if (h->tls)
        flags |= MHD_USE_TLS;
    /* the logger first, so that MHD's own start-up messages go through it;
     * the TLS options last, ignored (MHD_OPTION_END) without TLS */
    h->mhd = MHD_start_daemon(
        flags, (uint16_t)cfg->port, accept_peer, h, handler, h, MHD_OPTION_EXTERNAL_LOGGER, mhd_log,
        h, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss, MHD_OPTION_THREAD_POOL_SIZE,
        (unsigned)HTTP_THREADS, MHD_OPTION_CONNECTION_LIMIT, (unsigned)cfg->max_conns,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)HTTP_TIMEOUT_S, MHD_OPTION_NOTIFY_COMPLETED,
        completed, h, MHD_OPTION_NOTIFY_CONNECTION, notify_conn, h,
        h->tls ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, h->cert_pem, MHD_OPTION_HTTPS_MEM_KEY,
        h->key_pem, MHD_OPTION_HTTPS_PRIORITIES, TLS_PRIORITIES, MHD_OPTION_END);
    if (!h->mhd) {
        snprintf(err, errcap, "cannot listen on %s port %d%s", cfg->listen, cfg->port,
                 h->tls ? " (or the TLS certificate and key were refused)" : "");
        goto fail;
    }
    if (pthread_create(&h->watch_thread, NULL, watchdog, h) != 0) {
        snprintf(err, errcap, "cannot start the HTTP request watchdog");
        MHD_stop_daemon(h->mhd);
        goto fail;
    }
    h->watch_started = 1;
    cv_events_set_conn_hooks(cv_api_events(api), cut_stream, stream_gone, h);
    return h;
fail:
    free_http(h);
    return NULL;
}

int cv_http_tls(const cv_http_t *h)
{
    return h->tls;
}

void cv_http_stop(cv_http_t *h)
{
    if (!h)
        return;
    cv_events_set_conn_hooks(cv_api_events(h->api), NULL, NULL, NULL);
    MHD_stop_daemon(h->mhd);
    free_http(h);
}
