/*
 * dtls.c - the DTLS 1.2 handshake of DTLS-SRTP, on OpenSSL 3, without sockets.
 *
 * Reading: a memory BIO holds the one datagram being fed. Writing: a small
 * custom BIO whose write callback queues each write as one datagram. During
 * the handshake OpenSSL buffers the records of a flight (BIO_f_buffer) and
 * flushes them with one write per MTU-sized datagram, so one write is one
 * datagram and the queue keeps the boundaries. The BIO reports no pending
 * bytes and no MTU overhead, so OpenSSL packs datagrams up to CV_DTLS_MTU.
 *
 * The peer's certificate is accepted only if its SHA-256 equals the
 * fingerprint from the SDP: checked in the verify callback (so a mismatch
 * aborts the handshake with a bad_certificate alert) and again once the
 * handshake is done, before any key is exported.
 *
 * Thread: one owner thread per session; certificates are immutable and
 * shareable. The BIO method is made once per process (pthread_once).
 * RFCs: RFC 6347, RFC 5764 §4.1.2 and §4.2, RFC 7714 §14.2, RFC 8122 §5,
 * RFC 7983 §7 (DTLS is 20..63 on the wire; DTLS 1.2 uses the types 20..23).
 */
#include "dtls.h"

#include "bytes.h"
#include "err.h"
#include "log.h"
#include "mem.h"

#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/srtp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#define OUTQ_LEN 32        /* datagrams; one flight is a handful */
#define MAX_DATAGRAM 65536 /* larger input is not a UDP datagram */
#define RTO_INITIAL_US 50000u
#define RTO_MAX_US 3000000u
#define CERT_DAYS 30
#define SECONDS_PER_DAY 86400L

/* RFC 7714 §14.2 and RFC 5764 §4.1.2; GCM first: it is cheaper per packet
 * and, as server, OpenSSL picks by our order. */
#define PROFILES_ALL "SRTP_AEAD_AES_128_GCM:SRTP_AES128_CM_SHA1_80"
#define PROFILE_NAME_GCM "SRTP_AEAD_AES_128_GCM"
#define PROFILE_NAME_CM "SRTP_AES128_CM_SHA1_80"
#define KEY_LABEL "EXTRACTOR-dtls_srtp" /* RFC 5764 §4.2 */

/* ECDHE with AEAD only; the ECDSA suites are the ones WebRTC peers use, the
 * RSA ones only matter when we are the client of an RSA-keyed peer. */
#define CIPHERS                                                                                    \
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-CHACHA20-POLY1305:"                                 \
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES128-GCM-SHA256:"                                   \
    "ECDHE-RSA-CHACHA20-POLY1305:ECDHE-RSA-AES256-GCM-SHA384"
#define GROUPS "X25519:P-256:P-384"

struct cv_dtls_cert {
    EVP_PKEY *key;
    X509 *x509;
    SSL_CTX *ctx;
    uint8_t fp[CV_DTLS_FP_LEN];
};

struct datagram {
    uint8_t *p;
    size_t len;
};

struct cv_dtls {
    SSL *ssl;
    BIO *rbio; /* owned by ssl */
    int role;
    int state;
    int started;
    int armed; /* deadline_us is set */
    int fp_mismatch;
    int64_t deadline_us;
    uint8_t peer_fp[CV_DTLS_FP_LEN];
    struct datagram q[OUTQ_LEN];
    size_t q_head, q_count;
    cv_srtp_keys_t keys;
    uint64_t dropped_in;
    char err[160];
};

/* --- the output BIO ---------------------------------------------------- */

static BIO_METHOD *out_method;
static pthread_once_t out_method_once = PTHREAD_ONCE_INIT;

static void enqueue(cv_dtls_t *d, const void *p, size_t len)
{
    if (d->q_count == OUTQ_LEN)
        return; /* like a full socket buffer: the datagram is lost */
    struct datagram *g = &d->q[(d->q_head + d->q_count) % OUTQ_LEN];
    g->p = cv_xmalloc(len);
    memcpy(g->p, p, len);
    g->len = len;
    d->q_count++;
}

static int out_write(BIO *b, const char *buf, int len)
{
    cv_dtls_t *d = BIO_get_data(b);
    BIO_clear_retry_flags(b);
    if (len < 0)
        return -1;
    if (d && len > 0)
        enqueue(d, buf, (size_t)len);
    return len;
}

static long out_ctrl(BIO *b, int cmd, long num, void *ptr)
{
    switch (cmd) {
    case BIO_CTRL_FLUSH: return 1;
    case BIO_CTRL_PENDING:
    case BIO_CTRL_WPENDING: return 0; /* everything written is already "sent" */
    case BIO_CTRL_DGRAM_QUERY_MTU: return CV_DTLS_MTU;
    case BIO_CTRL_DGRAM_GET_MTU_OVERHEAD: return 0; /* our MTU counts UDP payload */
    default: return 0;
    }
}

static int out_create(BIO *b)
{
    BIO_set_data(b, NULL);
    BIO_set_init(b, 1);
    return 1;
}

static int out_destroy(BIO *b)
{
    BIO_set_data(b, NULL);
    return 1;
}

static void make_out_method(void)
{
    int idx = BIO_get_new_index();
    if (idx < 0)
        return;
    BIO_METHOD *m = BIO_meth_new(idx | BIO_TYPE_SOURCE_SINK, "conclave dtls datagrams");
    if (!m)
        return;
    if (!BIO_meth_set_write(m, out_write) || !BIO_meth_set_ctrl(m, out_ctrl) ||
        !BIO_meth_set_create(m, out_create) || !BIO_meth_set_destroy(m, out_destroy)) {
        BIO_meth_free(m);
        return;
    }
    out_method = m; /* lives until exit, shared by all sessions */
}

/* --- certificate ------------------------------------------------------- */

static int verify_cb(int ok, X509_STORE_CTX *xs);

static SSL_CTX *make_ctx(cv_dtls_cert_t *c)
{
    SSL_CTX *ctx = SSL_CTX_new(DTLS_method());
    if (!ctx)
        return NULL;
    if (!SSL_CTX_set_min_proto_version(ctx, DTLS1_2_VERSION) ||
        !SSL_CTX_set_max_proto_version(ctx, DTLS1_2_VERSION) ||
        SSL_CTX_use_certificate(ctx, c->x509) != 1 || SSL_CTX_use_PrivateKey(ctx, c->key) != 1 ||
        SSL_CTX_check_private_key(ctx) != 1 || SSL_CTX_set_cipher_list(ctx, CIPHERS) != 1 ||
        SSL_CTX_set1_groups_list(ctx, GROUPS) != 1 ||
        SSL_CTX_set_tlsext_use_srtp(ctx, PROFILES_ALL) != 0) { /* 0 is success here */
        SSL_CTX_free(ctx);
        return NULL;
    }
    /* RFC 5763 §5: both sides present a certificate; trust comes from the
     * SDP fingerprint, so the callback accepts any chain but checks the leaf. */
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, verify_cb);
    SSL_CTX_set_options(ctx, SSL_OP_NO_QUERY_MTU | SSL_OP_NO_TICKET | SSL_OP_NO_RENEGOTIATION |
                                 SSL_OP_CIPHER_SERVER_PREFERENCE);
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
    return ctx;
}

static int set_random_serial(X509 *x)
{
    uint8_t r[8];
    if (RAND_bytes(r, sizeof(r)) != 1)
        return 0;
    uint64_t v = 0;
    for (size_t i = 0; i < sizeof(r); i++)
        v = (v << 8) | r[i];
    v &= 0x7fffffffffffffffULL; /* a positive INTEGER (RFC 5280 §4.1.2.2) */
    if (v == 0)
        v = 1;
    return ASN1_INTEGER_set_uint64(X509_get_serialNumber(x), v);
}

static int fill_cert(cv_dtls_cert_t *c)
{
    X509 *x = c->x509;
    if (!X509_set_version(x, X509_VERSION_3) || !set_random_serial(x))
        return 0;
    if (!X509_gmtime_adj(X509_getm_notBefore(x), -SECONDS_PER_DAY) ||
        !X509_gmtime_adj(X509_getm_notAfter(x), CERT_DAYS * SECONDS_PER_DAY))
        return 0;
    X509_NAME *name = X509_get_subject_name(x);
    if (!X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"conclave", -1,
                                    -1, 0) ||
        !X509_set_issuer_name(x, name) || !X509_set_pubkey(x, c->key))
        return 0;
    if (X509_sign(x, c->key, EVP_sha256()) <= 0)
        return 0;
    unsigned int n = 0;
    uint8_t md[EVP_MAX_MD_SIZE];
    if (!X509_digest(x, EVP_sha256(), md, &n) || n != CV_DTLS_FP_LEN)
        return 0;
    memcpy(c->fp, md, CV_DTLS_FP_LEN);
    return 1;
}

cv_dtls_cert_t *cv_dtls_cert_create(void)
{
    cv_dtls_cert_t *c = cv_xcalloc(1, sizeof(*c));
    c->key = EVP_EC_gen("P-256");
    if (!c->key)
        goto fail;
    c->x509 = X509_new();
    if (!c->x509 || !fill_cert(c))
        goto fail;
    c->ctx = make_ctx(c);
    if (!c->ctx)
        goto fail;
    return c;
fail:
    CV_ERROR("dtls: cannot create the certificate: %s", ERR_reason_error_string(ERR_get_error()));
    ERR_clear_error();
    cv_dtls_cert_destroy(c);
    return NULL;
}

void cv_dtls_cert_destroy(cv_dtls_cert_t *c)
{
    if (!c)
        return;
    SSL_CTX_free(c->ctx);
    X509_free(c->x509);
    EVP_PKEY_free(c->key);
    free(c);
}

const uint8_t *cv_dtls_cert_fingerprint(const cv_dtls_cert_t *c)
{
    return c ? c->fp : NULL;
}

int cv_dtls_fingerprint_str(const uint8_t *fp, size_t len, char *out, size_t cap)
{
    static const char hex[] = "0123456789ABCDEF";
    if (!out || (!fp && len) || len > (size_t)INT_MAX / 3)
        return CV_E_INVAL;
    if (cap < (len ? 3 * len : 1))
        return CV_E_NOSPACE;
    if (len == 0) {
        out[0] = '\0';
        return 0;
    }
    for (size_t i = 0; i < len; i++) {
        out[3 * i] = hex[fp[i] >> 4];
        out[3 * i + 1] = hex[fp[i] & 0x0f];
        out[3 * i + 2] = i + 1 < len ? ':' : '\0';
    }
    return (int)(3 * len - 1);
}

static int hexval(char ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    if (ch >= 'a' && ch <= 'f')
        return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F')
        return ch - 'A' + 10;
    return -1;
}

int cv_dtls_fingerprint_parse(const char *s, uint8_t *out, size_t cap)
{
    if (!s || !out)
        return CV_E_INVAL;
    size_t n = 0;
    for (;;) {
        int hi = hexval(s[0]);
        int lo = hi < 0 ? -1 : hexval(s[1]);
        if (hi < 0 || lo < 0)
            return CV_E_INVAL;
        if (n == cap)
            return CV_E_NOSPACE;
        if (n == (size_t)INT_MAX)
            return CV_E_INVAL;
        out[n++] = (uint8_t)(hi << 4 | lo);
        s += 2;
        if (*s == '\0')
            return (int)n;
        if (*s != ':')
            return CV_E_INVAL;
        s++;
    }
}

/* --- session ----------------------------------------------------------- */

static void fail(cv_dtls_t *d, const char *why)
{
    if (d->state == CV_DTLS_FAILED)
        return;
    d->state = CV_DTLS_FAILED;
    snprintf(d->err, sizeof(d->err), "%s", why);
    CV_DEBUG("dtls: failed: %s", why);
}

/* Fails with the reason on this thread's OpenSSL error queue, then empties
 * it: the queue is per thread and would confuse the next session's calls. */
static void fail_ssl(cv_dtls_t *d, const char *what)
{
    unsigned long e = ERR_get_error();
    const char *r = e ? ERR_reason_error_string(e) : NULL;
    char why[sizeof(d->err)];
    if (d->fp_mismatch)
        snprintf(why, sizeof(why), "peer certificate fingerprint mismatch");
    else if (r)
        snprintf(why, sizeof(why), "%s: %s", what, r);
    else
        snprintf(why, sizeof(why), "%s", what);
    ERR_clear_error();
    fail(d, why);
}

static int leaf_matches(const cv_dtls_t *d, X509 *cert)
{
    uint8_t md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    if (!cert || !X509_digest(cert, EVP_sha256(), md, &n) || n != CV_DTLS_FP_LEN)
        return 0;
    return CRYPTO_memcmp(md, d->peer_fp, CV_DTLS_FP_LEN) == 0;
}

static int verify_cb(int ok, X509_STORE_CTX *xs)
{
    SSL *ssl = X509_STORE_CTX_get_ex_data(xs, SSL_get_ex_data_X509_STORE_CTX_idx());
    cv_dtls_t *d = ssl ? SSL_get_app_data(ssl) : NULL;
    if (!d)
        return 0;
    /* No CA is involved: whatever X.509 says about the chain (self-signed,
     * unknown issuer), only the leaf's fingerprint decides. */
    if (X509_STORE_CTX_get_error_depth(xs) != 0)
        return 1;
    if (!leaf_matches(d, X509_STORE_CTX_get_current_cert(xs))) {
        d->fp_mismatch = 1;
        X509_STORE_CTX_set_error(xs, X509_V_ERR_CERT_REJECTED);
        return 0;
    }
    return 1;
}

static unsigned int timer_cb(SSL *ssl, unsigned int timer_us)
{
    if (timer_us == 0)
        return RTO_INITIAL_US;
    return timer_us >= RTO_MAX_US / 2 ? RTO_MAX_US : timer_us * 2;
}

cv_dtls_t *cv_dtls_create(const cv_dtls_cert_t *cert, int role, const uint8_t *peer_fp,
                          size_t fp_len)
{
    if (!cert || !cert->ctx || !peer_fp || fp_len != CV_DTLS_FP_LEN ||
        (role != CV_DTLS_SERVER && role != CV_DTLS_CLIENT))
        return NULL;
    if (pthread_once(&out_method_once, make_out_method) != 0 || !out_method)
        return NULL;

    cv_dtls_t *d = cv_xcalloc(1, sizeof(*d));
    d->role = role;
    d->state = CV_DTLS_CONNECTING;
    memcpy(d->peer_fp, peer_fp, CV_DTLS_FP_LEN);
    d->ssl = SSL_new(cert->ctx);
    if (!d->ssl)
        goto fail;
    SSL_set_app_data(d->ssl, d);
    BIO *rbio = BIO_new(BIO_s_mem());
    BIO *wbio = BIO_new(out_method);
    if (!rbio || !wbio) {
        BIO_free(rbio);
        BIO_free(wbio);
        goto fail;
    }
    BIO_set_mem_eof_return(rbio, -1); /* empty means "would block", not EOF */
    BIO_set_data(wbio, d);
    SSL_set_bio(d->ssl, rbio, wbio);
    d->rbio = rbio;
    /* The link MTU needs the BIO in place (it asks it for the overhead). */
    if (!DTLS_set_link_mtu(d->ssl, CV_DTLS_MTU))
        goto fail;
    DTLS_set_timer_cb(d->ssl, timer_cb);
    if (role == CV_DTLS_CLIENT)
        SSL_set_connect_state(d->ssl);
    else
        SSL_set_accept_state(d->ssl);
    return d;
fail:
    ERR_clear_error();
    cv_dtls_destroy(d);
    return NULL;
}

void cv_dtls_destroy(cv_dtls_t *d)
{
    if (!d)
        return;
    if (d->ssl) {
        BIO *w = SSL_get_wbio(d->ssl);
        if (w)
            BIO_set_data(w, NULL); /* nothing may be queued into d from now on */
        SSL_free(d->ssl);
    }
    for (size_t i = 0; i < d->q_count; i++)
        free(d->q[(d->q_head + i) % OUTQ_LEN].p);
    OPENSSL_cleanse(&d->keys, sizeof(d->keys));
    free(d);
}

int cv_dtls_set_srtp_profiles(cv_dtls_t *d, unsigned mask)
{
    const unsigned cm = 1u << CV_SRTP_AES128_CM_SHA1_80, gcm = 1u << CV_SRTP_AEAD_AES_128_GCM;
    if (!d || mask == 0 || (mask & ~(cm | gcm)))
        return CV_E_INVAL;
    if (d->started)
        return CV_E_STATE;
    const char *list = (mask & cm) && (mask & gcm) ? PROFILES_ALL
                       : (mask & gcm)              ? PROFILE_NAME_GCM
                                                   : PROFILE_NAME_CM;
    if (SSL_set_tlsext_use_srtp(d->ssl, list) != 0) { /* 0 is success here */
        ERR_clear_error();
        return CV_E_CRYPTO;
    }
    return CV_OK;
}

/* Plaintext handshake record body (RFC 6347 §4.2.2): one or more fragments,
 * each a 12-byte header and fragment_length bytes inside the message. */
static int handshake_body_ok(const uint8_t *p, size_t len)
{
    while (len > 0) {
        if (len < 12)
            return 0;
        uint32_t msg_len = rd24(p + 1), off = rd24(p + 6), frag = rd24(p + 9);
        if ((size_t)frag > len - 12 || (uint64_t)off + frag > msg_len)
            return 0;
        p += 12 + frag;
        len -= 12 + frag;
    }
    return 1;
}

/*
 * Structure of a datagram before OpenSSL sees it (RFC 6347 §4.1): records of
 * type 20..23, version 0xfe??, each length inside the datagram. Epoch 0
 * records are plaintext, so their bodies are checked too: a CCS is the byte
 * 1, an alert is 2 bytes of level 1 or 2, a handshake record holds whole
 * fragment headers. OpenSSL treats a malformed plaintext CCS or alert as
 * fatal; this keeps garbage from ending a handshake. (A well-formed fatal
 * alert still ends it: that is the protocol.) Encrypted records are left
 * to OpenSSL, which silently drops those that fail authentication.
 */
static int records_ok(const uint8_t *p, size_t len)
{
    if (len == 0)
        return 0;
    while (len > 0) {
        if (len < 13)
            return 0;
        uint8_t type = p[0];
        uint16_t epoch = rd16(p + 3), rlen = rd16(p + 11);
        if (type < 20 || type > 23 || p[1] != 0xfe || (size_t)rlen > len - 13)
            return 0;
        const uint8_t *body = p + 13;
        if (epoch == 0) {
            if (type == 20 && (rlen != 1 || body[0] != 1))
                return 0;
            if (type == 21 && (rlen != 2 || (body[0] != 1 && body[0] != 2)))
                return 0;
            if (type == 22 && !handshake_body_ok(body, rlen))
                return 0;
        }
        p += 13 + rlen;
        len -= 13 + (size_t)rlen;
    }
    return 1;
}

static void arm(cv_dtls_t *d, int64_t now_us)
{
    if (d->armed)
        return;
    d->armed = 1;
    d->deadline_us = now_us + CV_DTLS_HANDSHAKE_TIMEOUT_US;
}

/* RFC 5764 §4.2: client key | server key | client salt | server salt. */
static int export_keys(cv_dtls_t *d)
{
    const SRTP_PROTECTION_PROFILE *prof = SSL_get_selected_srtp_profile(d->ssl);
    cv_srtp_keys_t *k = &d->keys;
    if (!prof) {
        fail(d, "peer negotiated no SRTP profile");
        return -1;
    }
    if (prof->id == SRTP_AEAD_AES_128_GCM) {
        k->profile = CV_SRTP_AEAD_AES_128_GCM;
        k->salt_len = CV_SRTP_GCM_SALT_LEN;
    } else if (prof->id == SRTP_AES128_CM_SHA1_80) {
        k->profile = CV_SRTP_AES128_CM_SHA1_80;
        k->salt_len = CV_SRTP_CM_SALT_LEN;
    } else {
        fail(d, "unexpected SRTP profile");
        return -1;
    }
    k->key_len = CV_SRTP_KEY_LEN;
    uint8_t km[2 * (CV_SRTP_KEY_LEN + CV_SRTP_CM_SALT_LEN)];
    size_t kl = k->key_len, sl = k->salt_len, total = 2 * (kl + sl);
    if (SSL_export_keying_material(d->ssl, km, total, KEY_LABEL, strlen(KEY_LABEL), NULL, 0, 0) !=
        1) {
        fail_ssl(d, "keying material export failed");
        return -1;
    }
    const uint8_t *ckey = km, *skey = km + kl, *csalt = km + 2 * kl, *ssalt = km + 2 * kl + sl;
    int client = d->role == CV_DTLS_CLIENT;
    memcpy(k->local_key, client ? ckey : skey, kl);
    memcpy(k->remote_key, client ? skey : ckey, kl);
    memcpy(k->local_salt, client ? csalt : ssalt, sl);
    memcpy(k->remote_salt, client ? ssalt : csalt, sl);
    OPENSSL_cleanse(km, sizeof(km));
    return 0;
}

static void on_handshake_done(cv_dtls_t *d)
{
    /* The verify callback has checked the leaf already; check again here so
     * no key leaves this function unless the fingerprint matched. */
    if (!leaf_matches(d, SSL_get0_peer_certificate(d->ssl))) {
        fail(d, "peer certificate fingerprint mismatch");
        return;
    }
    if (export_keys(d) < 0)
        return;
    d->state = CV_DTLS_CONNECTED;
    CV_DEBUG("dtls: connected, profile %d", d->keys.profile);
}

static void handshake(cv_dtls_t *d)
{
    ERR_clear_error();
    int r = SSL_do_handshake(d->ssl);
    if (r == 1) {
        on_handshake_done(d);
        return;
    }
    int e = SSL_get_error(d->ssl, r);
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
        ERR_clear_error();
        return;
    }
    fail_ssl(d, "handshake failed");
}

/* After the handshake: lets OpenSSL answer a retransmitted final flight and
 * notice alerts. We run no data channel, so application data is dropped. */
static void read_records(cv_dtls_t *d)
{
    uint8_t buf[2048];
    for (int i = 0; i < 64; i++) {
        ERR_clear_error();
        int r = SSL_read(d->ssl, buf, sizeof(buf));
        if (r > 0)
            continue;
        int e = SSL_get_error(d->ssl, r);
        if (e == SSL_ERROR_ZERO_RETURN) {
            d->state = CV_DTLS_CLOSED;
            snprintf(d->err, sizeof(d->err), "closed by peer");
        } else if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) {
            fail_ssl(d, "connection failed");
        }
        break;
    }
    ERR_clear_error();
    OPENSSL_cleanse(buf, sizeof(buf));
}

int cv_dtls_set_peer_fingerprint(cv_dtls_t *d, const uint8_t *peer_fp, size_t fp_len)
{
    if (!d || !peer_fp || fp_len != CV_DTLS_FP_LEN)
        return CV_E_INVAL;
    if (d->started)
        return CV_E_STATE;
    memcpy(d->peer_fp, peer_fp, CV_DTLS_FP_LEN);
    return 0;
}

int cv_dtls_start(cv_dtls_t *d, int64_t now_us)
{
    if (!d)
        return CV_E_INVAL;
    if (d->started)
        return CV_E_STATE;
    d->started = 1;
    arm(d, now_us);
    if (d->role == CV_DTLS_CLIENT)
        handshake(d); /* queues the ClientHello */
    return d->state == CV_DTLS_FAILED ? CV_E_CRYPTO : d->state;
}

int cv_dtls_input(cv_dtls_t *d, const uint8_t *p, size_t len, int64_t now_us)
{
    if (!d || (!p && len))
        return CV_E_INVAL;
    if (d->state == CV_DTLS_FAILED || d->state == CV_DTLS_CLOSED)
        return CV_E_STATE;
    if (len > MAX_DATAGRAM || !records_ok(p, len)) {
        d->dropped_in++;
        return CV_E_INVAL;
    }
    d->started = 1;
    arm(d, now_us);
    /* One datagram at a time: whatever OpenSSL left unread of an earlier
     * datagram must not be glued to this one. */
    if (BIO_ctrl_pending(d->rbio) > 0)
        (void)BIO_reset(d->rbio);
    if (BIO_write(d->rbio, p, (int)len) != (int)len) {
        ERR_clear_error();
        d->dropped_in++;
        return CV_E_NOMEM;
    }
    if (d->state == CV_DTLS_CONNECTING)
        handshake(d);
    else
        read_records(d);
    return d->state;
}

int cv_dtls_pop_output(cv_dtls_t *d, uint8_t *out, size_t cap)
{
    if (!d || !out)
        return CV_E_INVAL;
    if (d->q_count == 0)
        return 0;
    struct datagram *g = &d->q[d->q_head];
    if (g->len > cap)
        return CV_E_NOSPACE;
    size_t n = g->len;
    memcpy(out, g->p, n);
    free(g->p);
    g->p = NULL;
    d->q_head = (d->q_head + 1) % OUTQ_LEN;
    d->q_count--;
    return (int)n;
}

int64_t cv_dtls_next_timeout(cv_dtls_t *d, int64_t now_us)
{
    if (!d || (d->state != CV_DTLS_CONNECTING && d->state != CV_DTLS_CONNECTED))
        return -1;
    int64_t at = -1;
    struct timeval tv;
    if (DTLSv1_get_timeout(d->ssl, &tv) == 1)
        at = now_us + (int64_t)tv.tv_sec * 1000000 + (int64_t)tv.tv_usec;
    if (d->state == CV_DTLS_CONNECTING && d->armed && (at < 0 || d->deadline_us < at))
        at = d->deadline_us;
    return at;
}

int cv_dtls_on_timeout(cv_dtls_t *d, int64_t now_us)
{
    if (!d)
        return CV_E_INVAL;
    if (d->state != CV_DTLS_CONNECTING && d->state != CV_DTLS_CONNECTED)
        return d->state;
    if (d->state == CV_DTLS_CONNECTING && d->armed && now_us >= d->deadline_us) {
        fail(d, "handshake timed out");
        return d->state;
    }
    ERR_clear_error();
    /* Does nothing unless OpenSSL's own (wall-clock) timer has expired. */
    if (DTLSv1_handle_timeout(d->ssl) < 0) {
        ERR_clear_error();
        fail(d, "handshake timed out: no answer to retransmissions");
    }
    ERR_clear_error();
    return d->state;
}

int cv_dtls_state(const cv_dtls_t *d)
{
    return d ? d->state : CV_E_INVAL;
}

int cv_dtls_get_srtp_keys(const cv_dtls_t *d, cv_srtp_keys_t *k)
{
    if (!d || !k)
        return CV_E_INVAL;
    if (d->state != CV_DTLS_CONNECTED)
        return CV_E_STATE;
    *k = d->keys;
    return CV_OK;
}

const char *cv_dtls_error(const cv_dtls_t *d)
{
    return d ? d->err : "no session";
}

uint64_t cv_dtls_dropped_in(const cv_dtls_t *d)
{
    return d ? d->dropped_in : 0;
}
