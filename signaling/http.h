/*
 * http.h - the libmicrohttpd shell: listens, reads requests whole (bounded
 * by max_body), hands them to the API and writes its answers with the
 * security headers every page carries; HTTPS when given a certificate; 429
 * for too many joins from one address. Owns the HTTP threads.
 */
#ifndef CV_HTTP_H
#define CV_HTTP_H

#include "api.h"

typedef struct cv_http cv_http_t;

/* Borrowed until cv_http_start returns. */
typedef struct {
    const char *listen; /* IPv4 or IPv6 literal */
    int port;
    long max_body;    /* larger request bodies get 413 */
    const char *cert; /* PEM certificate chain file, NULL or "" = plain HTTP */
    const char *key;  /* its PEM private key file (with cert) */
    int trust_proxy;  /* client address from X-Forwarded-For when the peer is loopback or in
                         proxy_networks */
    /* "" or a list of networks (netlist.h): peers trusted as proxies; without
     * cert, the only non-loopback peers served (plain HTTP to a backend network) */
    const char *proxy_networks;
    int max_conns;        /* connections at once */
    int conns_per_ip;     /* connections at once from one peer address, and requests
                           * open at once from one client address, 0 = any */
    int request_timeout;  /* s for a whole request from the connection or the last answer */
    int joins_per_minute; /* WHIP/WHEP offers per client address a minute, 0 = any */
} cv_http_cfg_t;

/* Reads and checks cert and key (OpenSSL: a certificate, an unencrypted key,
 * the key of that certificate), then listens. NULL on failure with one line
 * in err (no newline) naming the file or the address:
 *   /etc/conclave/key.pem: cannot open: No such file or directory
 *   cannot listen on 127.0.0.1 port 8080
 * Without cert, a connection from a peer that is neither loopback nor in
 * proxy_networks is closed at once. */
cv_http_t *cv_http_start(cv_api_t *api, const cv_http_cfg_t *cfg, char *err, size_t errcap);
void cv_http_stop(cv_http_t *h); /* NULL ok */
/* 1 when serving HTTPS. */
int cv_http_tls(const cv_http_t *h);
/* 1 when ip (a literal) is in 127.0.0.0/8, ::1 or ::ffff:127.0.0.0/104. Pure. */
int cv_http_is_loopback(const char *ip);

#endif
