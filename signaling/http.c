/*
 * http.c - libmicrohttpd shell (RFC 9110 semantics; MHD does the parsing).
 * MHD's internal thread pool calls handler(); each connection's body is
 * collected into a buffer bounded by max_body, then the API answers. TLS
 * (GnuTLS inside MHD) when a certificate is configured; the joins of each
 * client address are counted by the rate limiter (ratelimit.h) under a lock.
 */
#include "http.h"

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
#include <sys/random.h>

#define HTTP_THREADS 4
#define HTTP_TIMEOUT_S 30
#define PEM_MAX (256 * 1024) /* a certificate chain or key larger than this is a mistake */
#define RATE_SLOTS 4096      /* client addresses tracked at once by the join limiter */
#define TLS_PRIORITIES "NORMAL:-VERS-SSL3.0:-VERS-TLS1.0:-VERS-TLS1.1"
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
    pthread_mutex_t rl_lock;
    cv_ratelimit_t *rl;
};

/* Per-request state between handler calls. */
struct upload {
    char *buf;
    size_t len;
    long max_body; /* [http] max_body when the request arrived */
    int too_large;
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

/* A one-line plain text answer; retry_after > 0 adds Retry-After (seconds). */
static enum MHD_Result send_text(const cv_http_t *h, struct MHD_Connection *c, int status,
                                 const char *text, int retry_after)
{
    struct MHD_Response *r =
        MHD_create_response_from_buffer(strlen(text), (void *)text, MHD_RESPMEM_MUST_COPY);
    if (!r)
        return MHD_NO;
    MHD_add_response_header(r, "Content-Type", "text/plain; charset=utf-8");
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
        MHD_add_response_header(r, "Access-Control-Expose-Headers", "Location");
    }
    if (rs->allow)
        MHD_add_response_header(r, "Allow", rs->allow);
    if (rs->www_authenticate)
        MHD_add_response_header(r, "WWW-Authenticate", rs->www_authenticate);
    if (rs->moderator_token[0])
        MHD_add_response_header(r, "Conclave-Moderator-Token", rs->moderator_token);
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
        return send_text(h, c, 500, "could not open the event stream\n", 0);
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

/* POST /rooms/{room}/whip|whep and /echo/whip: what makes a session. */
static int is_join(const char *method, const char *url)
{
    if (strcmp(method, "POST") != 0)
        return 0;
    size_t n = strlen(url);
    int tail = n > 5 && (strcmp(url + n - 5, "/whip") == 0 || strcmp(url + n - 5, "/whep") == 0);
    return tail && (strncmp(url, "/rooms/", 7) == 0 || strncmp(url, "/echo/", 6) == 0);
}

/* 0, or the seconds the client's address must wait before its next join. */
static int join_wait(cv_http_t *h, struct MHD_Connection *c)
{
    int limit = h->joins_per_minute;
    if (limit <= 0)
        return 0;
    char addr[INET6_ADDRSTRLEN + 8];
    if (!client_address(h, c, addr, sizeof(addr)))
        return 0;
    pthread_mutex_lock(&h->rl_lock);
    int wait = cv_ratelimit_hit(h->rl, addr, limit, cv_now_us());
    pthread_mutex_unlock(&h->rl_lock);
    return wait;
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
    if (up->too_large)
        return send_text(h, c, 413, "request body too large\n", 0);
    int wait = is_join(method, url) ? join_wait(h, c) : 0;
    if (wait > 0) {
        char why[128];
        snprintf(why, sizeof(why), "too many joins from your address: at most %d a minute\n",
                 h->joins_per_minute);
        return send_text(h, c, 429, why, wait);
    }
    cv_api_req_t rq = {
        .method = method,
        .path = url,
        .content_type = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Type"),
        .name = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "name"),
        .role = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "role"),
        .session = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Conclave-Session"),
        .token = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "token"),
        .authorization = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization"),
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
    cv_ratelimit_destroy(h->rl);
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
    pthread_mutex_init(&h->rl_lock, NULL);
    uint64_t seed = 0;
    if (getrandom(&seed, sizeof(seed), 0) != (ssize_t)sizeof(seed))
        seed = (uint64_t)cv_now_us();
    h->rl = cv_ratelimit_create(RATE_SLOTS, seed);
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
    /* without TLS every peer is this machine or a proxy: no per-address cap
     * then, nor behind a proxy */
    unsigned per_ip = h->tls && !cfg->trust_proxy ? (unsigned)cfg->conns_per_ip : 0;
    /* the logger first, so that MHD's own start-up messages go through it;
     * the TLS options last, ignored (MHD_OPTION_END) without TLS */
    h->mhd = MHD_start_daemon(
        flags, (uint16_t)cfg->port, accept_peer, h, handler, h, MHD_OPTION_EXTERNAL_LOGGER, mhd_log,
        h, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss, MHD_OPTION_THREAD_POOL_SIZE,
        (unsigned)HTTP_THREADS, MHD_OPTION_CONNECTION_LIMIT, (unsigned)cfg->max_conns,
        MHD_OPTION_PER_IP_CONNECTION_LIMIT, per_ip, MHD_OPTION_CONNECTION_TIMEOUT,
        (unsigned)HTTP_TIMEOUT_S, MHD_OPTION_NOTIFY_COMPLETED, completed, h,
        h->tls ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, h->cert_pem, MHD_OPTION_HTTPS_MEM_KEY,
        h->key_pem, MHD_OPTION_HTTPS_PRIORITIES, TLS_PRIORITIES, MHD_OPTION_END);
    if (!h->mhd) {
        snprintf(err, errcap, "cannot listen on %s port %d%s", cfg->listen, cfg->port,
                 h->tls ? " (or the TLS certificate and key were refused)" : "");
        goto fail;
    }
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
    MHD_stop_daemon(h->mhd);
    free_http(h);
}
