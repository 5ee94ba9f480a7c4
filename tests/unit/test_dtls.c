/*
 * test_dtls.c - the DTLS-SRTP handshake (transport/dtls.c) between two
 * in-memory sessions: key agreement, fingerprint checks, retransmission
 * after a lost flight, the handshake deadline, hostile input.
 *
 * No network: datagrams move between the two sessions in this process.
 * Only the retransmission test lets real time pass (OpenSSL's DTLS timer
 * reads the wall clock): about 50 ms, polled with a deadline.
 */
#include "check.h"
#include "dtls.h"
#include "err.h"
#include "srtp.h"

#include <stdint.h>
#include <string.h>
#include <time.h>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

static int64_t mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void nap_ms(long ms)
{
    struct timespec ts = {0, ms * 1000000L};
    nanosleep(&ts, NULL);
}

static size_t max_datagram; /* largest datagram seen, must stay <= CV_DTLS_MTU */

/* Moves (or with drop, discards) every queued datagram of from into to. */
static int pump(cv_dtls_t *from, cv_dtls_t *to, int64_t now, int drop)
{
    uint8_t buf[2048];
    int n, moved = 0;
    while ((n = cv_dtls_pop_output(from, buf, sizeof(buf))) > 0) {
        if ((size_t)n > max_datagram)
            max_datagram = (size_t)n;
        if (!drop)
            cv_dtls_input(to, buf, (size_t)n, now);
        moved++;
    }
    return moved;
}

/* Exchanges datagrams until both sides are quiet. */
static void run(cv_dtls_t *c, cv_dtls_t *s, int64_t now)
{
    for (int i = 0; i < 32; i++)
        if (pump(c, s, now, 0) + pump(s, c, now, 0) == 0)
            break;
}

struct pair {
    cv_dtls_cert_t *cc, *sc;
    cv_dtls_t *c, *s;
};

/* A client and a server, each told the other's fingerprint; bad_fp_for
 * 'c' or 's' gives that side a wrong fingerprint for its peer. */
static int pair_make(struct pair *p, char bad_fp_for)
{
    uint8_t cfp[CV_DTLS_FP_LEN], sfp[CV_DTLS_FP_LEN];
    memset(p, 0, sizeof(*p));
    p->cc = cv_dtls_cert_create();
    p->sc = cv_dtls_cert_create();
    if (!p->cc || !p->sc)
        return -1;
    memcpy(cfp, cv_dtls_cert_fingerprint(p->cc), sizeof(cfp));
    memcpy(sfp, cv_dtls_cert_fingerprint(p->sc), sizeof(sfp));
    if (bad_fp_for == 'c')
        sfp[31] ^= 0x01;
    if (bad_fp_for == 's')
        cfp[0] ^= 0x80;
    p->c = cv_dtls_create(p->cc, CV_DTLS_CLIENT, sfp, sizeof(sfp));
    p->s = cv_dtls_create(p->sc, CV_DTLS_SERVER, cfp, sizeof(cfp));
    return p->c && p->s ? 0 : -1;
}

static void pair_free(struct pair *p)
{
    cv_dtls_destroy(p->c);
    cv_dtls_destroy(p->s);
    cv_dtls_cert_destroy(p->cc);
    cv_dtls_cert_destroy(p->sc);
}

static int all_zero(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i])
            return 0;
    return 1;
}

/* SRTP set up from each side's keys interoperates in both directions. */
static void check_srtp_between(const cv_srtp_keys_t *ck, const cv_srtp_keys_t *sk)
{
    cv_srtp_t *a = cv_srtp_create(ck), *b = cv_srtp_create(sk);
    CHECK(a && b);
    if (a && b) {
        _Alignas(4) uint8_t pkt[256] = {0x80, 0x6f, 0x00, 0x01, 0, 0, 0, 1, 0xde, 0xad, 0xbe, 0xef};
        int n = cv_srtp_protect_rtp(a, pkt, 40, sizeof(pkt));
        CHECK_EQ(cv_srtp_unprotect_rtp(b, pkt, (size_t)n), 40);
        n = cv_srtp_protect_rtp(b, pkt, 40, sizeof(pkt));
        CHECK_EQ(cv_srtp_unprotect_rtp(a, pkt, (size_t)n), 40);
        /* a's own packet is not valid for a's inbound direction */
        pkt[3] = 2;
        n = cv_srtp_protect_rtp(a, pkt, 40, sizeof(pkt));
        CHECK_EQ(cv_srtp_unprotect_rtp(a, pkt, (size_t)n), CV_E_CRYPTO);
    }
    cv_srtp_destroy(a);
    cv_srtp_destroy(b);
}

static void test_handshake(unsigned client_mask, int want_profile)
{
    struct pair p;
    CHECK_EQ(pair_make(&p, 0), 0);
    if (!p.c || !p.s)
        goto out;
    cv_srtp_keys_t ck, sk;
    if (client_mask)
        CHECK_EQ(cv_dtls_set_srtp_profiles(p.c, client_mask), 0);
    CHECK_EQ(cv_dtls_get_srtp_keys(p.c, &ck), CV_E_STATE);
    CHECK_EQ(cv_dtls_start(p.s, 0), CV_DTLS_CONNECTING);
    CHECK_EQ(cv_dtls_start(p.c, 0), CV_DTLS_CONNECTING);
    run(p.c, p.s, 1000);
    CHECK_EQ(cv_dtls_state(p.c), CV_DTLS_CONNECTED);
    CHECK_EQ(cv_dtls_state(p.s), CV_DTLS_CONNECTED);
    CHECK_STR(cv_dtls_error(p.c), "");
    CHECK_EQ(cv_dtls_get_srtp_keys(p.c, &ck), 0);
    CHECK_EQ(cv_dtls_get_srtp_keys(p.s, &sk), 0);
    CHECK_EQ(ck.profile, want_profile);
    CHECK_EQ(sk.profile, want_profile);
    size_t sl = want_profile == CV_SRTP_AEAD_AES_128_GCM ? 12 : 14;
    CHECK_EQ(ck.key_len, 16);
    CHECK_EQ(ck.salt_len, sl);
    CHECK_EQ(sk.salt_len, sl);
    /* crosswise: what one side sends with, the other receives with */
    CHECK_MEM(ck.local_key, sk.remote_key, 16);
    CHECK_MEM(ck.remote_key, sk.local_key, 16);
    CHECK_MEM(ck.local_salt, sk.remote_salt, sl);
    CHECK_MEM(ck.remote_salt, sk.local_salt, sl);
    CHECK(memcmp(ck.local_key, ck.remote_key, 16) != 0);
    CHECK(!all_zero(ck.local_key, 16) && !all_zero(ck.local_salt, sl));
    check_srtp_between(&ck, &sk);
    CHECK_EQ(cv_dtls_next_timeout(p.c, 5000), -1);
    CHECK_EQ(cv_dtls_next_timeout(p.s, 5000), -1);
out:
    pair_free(&p);
}

/* The server's final flight (CCS, Finished) is lost: the server is
 * CONNECTED, the client is not. Exact copies of the client's flight are
 * discarded as replays (RFC 6347 §4.1.2.6) without harm; the client's timer
 * then retransmits with new record numbers and the server, already
 * connected, answers with its final flight again. Takes ~50 ms real time. */
static void test_lost_final_flight(void)
{
    struct pair p;
    uint8_t flight[8][2048];
    int lens[8], nf = 0, n;
    CHECK_EQ(pair_make(&p, 0), 0);
    if (!p.c || !p.s)
        goto out;
    int64_t t0 = mono_us(), now = t0;
    cv_dtls_start(p.c, t0);
    pump(p.c, p.s, t0, 0); /* ClientHello */
    pump(p.s, p.c, t0, 0); /* ServerHello ... ServerHelloDone */
    while (nf < 8 && (n = cv_dtls_pop_output(p.c, flight[nf], sizeof(flight[0]))) > 0)
        lens[nf++] = n; /* Certificate ... Finished */
    CHECK(nf >= 1);
    for (int i = 0; i < nf; i++)
        cv_dtls_input(p.s, flight[i], (size_t)lens[i], t0);
    CHECK_EQ(cv_dtls_state(p.s), CV_DTLS_CONNECTED);
    CHECK(pump(p.s, p.c, t0, 1) >= 1); /* the server's CCS + Finished are lost */
    CHECK_EQ(cv_dtls_state(p.c), CV_DTLS_CONNECTING);
    int harmed = 0;
    for (int i = 0; i < nf; i++)
        if (cv_dtls_input(p.s, flight[i], (size_t)lens[i], t0) != CV_DTLS_CONNECTED)
            harmed++;
    CHECK_EQ(harmed, 0);
    pump(p.s, p.c, t0, 0);
    while (now - t0 < 3000000 && cv_dtls_state(p.c) == CV_DTLS_CONNECTING) {
        nap_ms(5);
        now = mono_us();
        cv_dtls_on_timeout(p.c, now);
        run(p.c, p.s, now);
    }
    CHECK_EQ(cv_dtls_state(p.c), CV_DTLS_CONNECTED);
    CHECK_EQ(cv_dtls_state(p.s), CV_DTLS_CONNECTED);
    cv_srtp_keys_t ck, sk;
    CHECK_EQ(cv_dtls_get_srtp_keys(p.c, &ck), 0);
    CHECK_EQ(cv_dtls_get_srtp_keys(p.s, &sk), 0);
    CHECK_MEM(ck.local_key, sk.remote_key, 16);
out:
    pair_free(&p);
}

static void test_wrong_fingerprint(char who)
{
    struct pair p;
    cv_srtp_keys_t k;
    CHECK_EQ(pair_make(&p, who), 0);
    if (!p.c || !p.s)
        goto out;
    cv_dtls_start(p.c, 0);
    run(p.c, p.s, 0);
    cv_dtls_t *victim = who == 'c' ? p.c : p.s, *other = who == 'c' ? p.s : p.c;
    CHECK_EQ(cv_dtls_state(victim), CV_DTLS_FAILED);
    CHECK_STR(cv_dtls_error(victim), "peer certificate fingerprint mismatch");
    CHECK_EQ(cv_dtls_get_srtp_keys(victim, &k), CV_E_STATE);
    /* the victim sent an alert; the other side does not get keys either */
    CHECK_EQ(cv_dtls_state(other), CV_DTLS_FAILED);
    CHECK(strlen(cv_dtls_error(other)) > 0);
    CHECK_EQ(cv_dtls_get_srtp_keys(other, &k), CV_E_STATE);
    uint8_t rec[13] = {22, 0xfe, 0xfd};
    CHECK_EQ(cv_dtls_input(victim, rec, sizeof(rec), 0), CV_E_STATE);
    CHECK_EQ(cv_dtls_next_timeout(victim, 0), -1);
out:
    pair_free(&p);
}

/* The server's first flight is lost; the retransmission timer (50 ms, real
 * time) brings the handshake through. */
static void test_lost_flight(void)
{
    struct pair p;
    CHECK_EQ(pair_make(&p, 0), 0);
    if (!p.c || !p.s)
        goto out;
    int64_t t0 = mono_us();
    cv_dtls_start(p.s, t0);
    cv_dtls_start(p.c, t0);
    int64_t at = cv_dtls_next_timeout(p.c, t0);
    CHECK(at > t0 && at <= t0 + 50000); /* first retransmission after <= 50 ms */
    CHECK_EQ(pump(p.c, p.s, t0, 0), 1); /* ClientHello */
    CHECK(pump(p.s, p.c, t0, 1) >= 1);  /* the whole server flight is dropped */
    CHECK_EQ(cv_dtls_state(p.c), CV_DTLS_CONNECTING);
    int64_t deadline = t0 + 3000000, now = t0;
    int retransmitted = 0;
    while (now < deadline &&
           (cv_dtls_state(p.c) != CV_DTLS_CONNECTED || cv_dtls_state(p.s) != CV_DTLS_CONNECTED)) {
        nap_ms(5);
        now = mono_us();
        cv_dtls_on_timeout(p.c, now);
        cv_dtls_on_timeout(p.s, now);
        int moved = pump(p.c, p.s, now, 0) + pump(p.s, p.c, now, 0);
        if (moved)
            retransmitted = 1;
        run(p.c, p.s, now);
    }
    CHECK(retransmitted);
    CHECK_EQ(cv_dtls_state(p.c), CV_DTLS_CONNECTED);
    CHECK_EQ(cv_dtls_state(p.s), CV_DTLS_CONNECTED);
    CHECK(now - t0 < 2000000);
out:
    pair_free(&p);
}

/* Nothing ever answers: FAILED once 30 s of the caller's clock have passed. */
static void test_handshake_timeout(void)
{
    struct pair p;
    CHECK_EQ(pair_make(&p, 0), 0);
    if (!p.c || !p.s)
        goto out;
    const int64_t t0 = 1000000;
    CHECK_EQ(cv_dtls_start(p.s, t0), CV_DTLS_CONNECTING);
    CHECK_EQ(cv_dtls_next_timeout(p.s, t0), t0 + CV_DTLS_HANDSHAKE_TIMEOUT_US);
    CHECK_EQ(cv_dtls_start(p.c, t0), CV_DTLS_CONNECTING);
    pump(p.c, p.s, t0, 1);
    CHECK_EQ(cv_dtls_on_timeout(p.c, t0 + CV_DTLS_HANDSHAKE_TIMEOUT_US - 1), CV_DTLS_CONNECTING);
    CHECK_EQ(cv_dtls_on_timeout(p.c, t0 + CV_DTLS_HANDSHAKE_TIMEOUT_US), CV_DTLS_FAILED);
    CHECK_STR(cv_dtls_error(p.c), "handshake timed out");
    CHECK_EQ(cv_dtls_on_timeout(p.s, t0 + CV_DTLS_HANDSHAKE_TIMEOUT_US), CV_DTLS_FAILED);
    CHECK_EQ(cv_dtls_next_timeout(p.c, t0), -1);
out:
    pair_free(&p);
}

/* --- a client written directly on OpenSSL, not through dtls.c ----------- */

struct plain {
    SSL_CTX *ctx;
    SSL *ssl;
    BIO *in, *out;
    EVP_PKEY *key;
    X509 *cert;
    uint8_t fp[32];
};

static int plain_make(struct plain *c, const char *profile)
{
    unsigned int n = 0;
    memset(c, 0, sizeof(*c));
    c->key = EVP_EC_gen("P-256");
    c->cert = X509_new();
    if (!c->key || !c->cert)
        return -1;
    X509_NAME *name = X509_get_subject_name(c->cert);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"plain", -1, -1, 0);
    X509_set_issuer_name(c->cert, name);
    ASN1_INTEGER_set(X509_get_serialNumber(c->cert), 7);
    X509_gmtime_adj(X509_getm_notBefore(c->cert), 0);
    X509_gmtime_adj(X509_getm_notAfter(c->cert), 3600);
    X509_set_pubkey(c->cert, c->key);
    if (X509_sign(c->cert, c->key, EVP_sha256()) <= 0 ||
        !X509_digest(c->cert, EVP_sha256(), c->fp, &n) || n != 32)
        return -1;
    c->ctx = SSL_CTX_new(DTLS_client_method());
    if (!c->ctx || SSL_CTX_use_certificate(c->ctx, c->cert) != 1 ||
        SSL_CTX_use_PrivateKey(c->ctx, c->key) != 1 ||
        SSL_CTX_set_tlsext_use_srtp(c->ctx, profile) != 0)
        return -1;
    c->ssl = SSL_new(c->ctx);
    c->in = BIO_new(BIO_s_mem());
    c->out = BIO_new(BIO_s_mem());
    if (!c->ssl || !c->in || !c->out)
        return -1;
    BIO_set_mem_eof_return(c->in, -1);
    SSL_set_bio(c->ssl, c->in, c->out);
    SSL_set_connect_state(c->ssl);
    return 0;
}

static void plain_free(struct plain *c)
{
    SSL_free(c->ssl); /* frees the BIOs */
    SSL_CTX_free(c->ctx);
    X509_free(c->cert);
    EVP_PKEY_free(c->key);
}

/* Our server against the plain client: the client checks our certificate
 * against cv_dtls_cert_fingerprint() (so that is the SHA-256 of the DER we
 * send) and splits its exported keys per RFC 5764 §4.2 itself; our server's
 * local/remote keys must be its server/client halves. */
static void test_against_plain_openssl(const char *profile, int want, size_t salt_len)
{
    struct plain c;
    cv_dtls_cert_t *sc = cv_dtls_cert_create();
    cv_dtls_t *s = NULL;
    CHECK(sc != NULL);
    CHECK_EQ(plain_make(&c, profile), 0);
    if (!sc || !c.ssl)
        goto out;
    s = cv_dtls_create(sc, CV_DTLS_SERVER, c.fp, sizeof(c.fp));
    CHECK(s != NULL);
    if (!s)
        goto out;
    uint8_t buf[4096];
    int done = 0;
    for (int i = 0; i < 20 && !(done && cv_dtls_state(s) == CV_DTLS_CONNECTED); i++) {
        done = SSL_do_handshake(c.ssl) == 1;
        int n = BIO_read(c.out, buf, sizeof(buf)); /* whole records, maybe several */
        if (n > 0)
            cv_dtls_input(s, buf, (size_t)n, 0);
        while ((n = cv_dtls_pop_output(s, buf, sizeof(buf))) > 0)
            BIO_write(c.in, buf, n);
    }
    CHECK(done);
    CHECK_EQ(cv_dtls_state(s), CV_DTLS_CONNECTED);
    uint8_t md[32];
    unsigned int mdlen = 0;
    X509 *peer = SSL_get0_peer_certificate(c.ssl);
    CHECK(peer && X509_digest(peer, EVP_sha256(), md, &mdlen) && mdlen == 32);
    CHECK_MEM(md, cv_dtls_cert_fingerprint(sc), 32);

    uint8_t km[60];
    size_t total = 2 * (16 + salt_len);
    CHECK_EQ(SSL_export_keying_material(c.ssl, km, total, "EXTRACTOR-dtls_srtp", 19, NULL, 0, 0),
             1);
    const uint8_t *client_key = km, *server_key = km + 16;
    const uint8_t *client_salt = km + 32, *server_salt = km + 32 + salt_len;
    cv_srtp_keys_t k;
    CHECK_EQ(cv_dtls_get_srtp_keys(s, &k), 0);
    CHECK_EQ(k.profile, want);
    CHECK_EQ(k.salt_len, salt_len);
    CHECK_MEM(k.local_key, server_key, 16);
    CHECK_MEM(k.remote_key, client_key, 16);
    CHECK_MEM(k.local_salt, server_salt, salt_len);
    CHECK_MEM(k.remote_salt, client_salt, salt_len);
out:
    cv_dtls_destroy(s);
    cv_dtls_cert_destroy(sc);
    plain_free(&c);
}

static uint32_t rng = 0x12345678u;
static uint32_t next_rand(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 17;
    rng ^= rng << 5;
    return rng;
}

/* Garbage before, during and after the handshake is dropped (and counted
 * when it is not well-formed DTLS); the handshake still completes. */
static void test_garbage(void)
{
    struct pair p;
    CHECK_EQ(pair_make(&p, 0), 0);
    if (!p.c || !p.s)
        goto out;
    static const uint8_t short_rec[5] = {0x16, 0xfe, 0xfd, 0x00, 0x00}; /* < 13 bytes */
    static const uint8_t rtp[16] = {0x80, 0x60, 0x00, 0x01};            /* RTP, first byte 128 */
    static const uint8_t stun[20] = {0x00, 0x01, 0x00, 0x00};           /* STUN, first byte 0 */
    static const uint8_t long_len[20] = {
        0x16, 0xfe, 0xfd,                               /* handshake, DTLS 1.2 */
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* epoch 0, sequence 0 */
        0xff, 0xff,                                     /* length 65535: beyond the datagram */
        0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    };
    static const uint8_t bad_version[25] = {
        0x16, 0x12, 0x34,                               /* handshake, version 0x1234 */
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* epoch 0, sequence 0 */
        0x00, 0x0c,                                     /* length 12 */
        0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    };
    static const uint8_t epoch9[25] = {
        0x17, 0xfe, 0xfd,                               /* application data, DTLS 1.2 */
        0x00, 0x09, 0x00, 0x00, 0x00, 0x00, 0x00, 0x07, /* epoch 9: no such epoch */
        0x00, 0x0c,                                     /* length 12 */
        0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c,
    };
    uint8_t big[70000] = {0x16};
    CHECK_EQ(cv_dtls_input(p.s, short_rec, sizeof(short_rec), 0), CV_E_INVAL);
    CHECK_EQ(cv_dtls_input(p.s, rtp, sizeof(rtp), 0), CV_E_INVAL);
    CHECK_EQ(cv_dtls_input(p.s, stun, sizeof(stun), 0), CV_E_INVAL);
    CHECK_EQ(cv_dtls_input(p.s, big, sizeof(big), 0), CV_E_INVAL);
    CHECK_EQ(cv_dtls_input(p.s, NULL, 0, 0), CV_E_INVAL);
    CHECK_EQ(cv_dtls_input(p.s, long_len, sizeof(long_len), 0), CV_E_INVAL);
    CHECK_EQ(cv_dtls_input(p.s, bad_version, sizeof(bad_version), 0), CV_E_INVAL);
    CHECK_EQ(cv_dtls_dropped_in(p.s), 7);
    /* well-formed, but of an epoch that does not exist: OpenSSL discards it */
    CHECK_EQ(cv_dtls_input(p.s, epoch9, sizeof(epoch9), 0), CV_DTLS_CONNECTING);
    CHECK_EQ(cv_dtls_pop_output(p.s, big, sizeof(big)), 0); /* nothing answered */

    cv_dtls_start(p.c, 0);
    pump(p.c, p.s, 0, 0);
    /* mid-handshake garbage at the client, too */
    CHECK_EQ(cv_dtls_input(p.c, rtp, sizeof(rtp), 0), CV_E_INVAL);
    CHECK_EQ(cv_dtls_input(p.c, long_len, sizeof(long_len), 0), CV_E_INVAL);
    CHECK_EQ(cv_dtls_input(p.c, epoch9, sizeof(epoch9), 0), CV_DTLS_CONNECTING);
    run(p.c, p.s, 0);
    CHECK_EQ(cv_dtls_state(p.c), CV_DTLS_CONNECTED);
    CHECK_EQ(cv_dtls_state(p.s), CV_DTLS_CONNECTED);
    /* and after it */
    CHECK_EQ(cv_dtls_input(p.s, epoch9, sizeof(epoch9), 0), CV_DTLS_CONNECTED);
    CHECK_EQ(cv_dtls_input(p.s, long_len, sizeof(long_len), 0), CV_E_INVAL);
    CHECK_EQ(cv_dtls_input(p.s, stun, sizeof(stun), 0), CV_E_INVAL);
    CHECK_EQ(cv_dtls_state(p.s), CV_DTLS_CONNECTED);
    CHECK_EQ(cv_dtls_dropped_in(p.s), 9);
out:
    pair_free(&p);
}

/* Datagrams that look like DTLS but are malformed are dropped and counted
 * (OpenSSL would fail the handshake on the plaintext CCS and alert ones). */
static void test_malformed_records(void)
{
    struct pair p;
    CHECK_EQ(pair_make(&p, 0), 0);
    if (!p.c || !p.s)
        goto out;
    static const uint8_t bad_ccs[15] = {
        0x14, 0xfe, 0xfd,                               /* CCS */
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, /* epoch 0, sequence 1 */
        0x00, 0x02,                                     /* length 2 (must be 1) */
        0x01, 0x01,
    };
    static const uint8_t bad_alert[16] = {
        0x15, 0xfe, 0xfd,                               /* alert */
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, /* epoch 0, sequence 2 */
        0x00, 0x03,                                     /* length 3 (must be 2) */
        0x02, 0x28, 0x00,
    };
    static const uint8_t bad_level[15] = {
        0x15, 0xfe, 0xfd,                               /* alert */
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03, /* epoch 0, sequence 3 */
        0x00, 0x02,                                     /* length 2 */
        0x07, 0x28,                                     /* level 7: no such level */
    };
    static const uint8_t bad_fragment[25] = {
        0x16, 0xfe, 0xfd,                               /* handshake */
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, /* epoch 0, sequence 4 */
        0x00, 0x0c,                                     /* length 12: one fragment header */
        0x01, 0x00, 0x00, 0x10,                         /* ClientHello of 16 bytes */
        0x00, 0x00,                                     /* message_seq 0 */
        0x00, 0x00, 0x08,                               /* fragment_offset 8 */
        0x00, 0x00, 0x0c,                               /* fragment_length 12: past the record */
    };
    static const uint8_t heartbeat[14] = {
        0x18, 0xfe, 0xfd,                               /* type 24: not used by us */
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05, /* epoch 0, sequence 5 */
        0x00, 0x01, 0x01,
    };
    static const uint8_t trailing[16] = {
        0x14, 0xfe, 0xfd,                               /* a valid CCS record ... */
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x06, /* epoch 0, sequence 6 */
        0x00, 0x01, 0x01,                               /* */
        0x16, 0xfe,                                     /* ... then half a record header */
    };
    static const uint8_t fatal_alert[15] = {
        0x15, 0xfe, 0xfd,                               /* alert */
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x07, /* epoch 0, sequence 7 */
        0x00, 0x02,                                     /* length 2 */
        0x02, 0x28,                                     /* fatal, handshake_failure */
    };
    cv_dtls_start(p.s, 0);
    CHECK_EQ(cv_dtls_input(p.s, bad_ccs, sizeof(bad_ccs), 0), CV_E_INVAL);
    CHECK_EQ(cv_dtls_input(p.s, bad_alert, sizeof(bad_alert), 0), CV_E_INVAL);
    CHECK_EQ(cv_dtls_input(p.s, bad_level, sizeof(bad_level), 0), CV_E_INVAL);
    CHECK_EQ(cv_dtls_input(p.s, bad_fragment, sizeof(bad_fragment), 0), CV_E_INVAL);
    CHECK_EQ(cv_dtls_input(p.s, heartbeat, sizeof(heartbeat), 0), CV_E_INVAL);
    CHECK_EQ(cv_dtls_input(p.s, trailing, sizeof(trailing), 0), CV_E_INVAL);
    CHECK_EQ(cv_dtls_dropped_in(p.s), 6);
    cv_dtls_start(p.c, 0);
    run(p.c, p.s, 0);
    CHECK_EQ(cv_dtls_state(p.c), CV_DTLS_CONNECTED);
    CHECK_EQ(cv_dtls_state(p.s), CV_DTLS_CONNECTED);
    pair_free(&p);

    /* A well-formed fatal alert during the handshake ends it: that is the
     * protocol, not garbage. */
    CHECK_EQ(pair_make(&p, 0), 0);
    if (!p.c || !p.s)
        goto out;
    cv_dtls_start(p.c, 0);
    CHECK_EQ(cv_dtls_input(p.c, fatal_alert, sizeof(fatal_alert), 0), CV_DTLS_FAILED);
    CHECK(strstr(cv_dtls_error(p.c), "alert") != NULL);
out:
    pair_free(&p);
}

/* Random DTLS-shaped datagrams at a fresh server: dropped or discarded, no
 * crash; then a real handshake still completes. */
static void test_random_records(void)
{
    struct pair p;
    CHECK_EQ(pair_make(&p, 0), 0);
    if (!p.c || !p.s)
        goto out;
    uint8_t buf[512];
    int bad_state = 0;
    for (int i = 0; i < 500; i++) {
        size_t len = 13 + next_rand() % (sizeof(buf) - 13);
        for (size_t j = 0; j < len; j++)
            buf[j] = (uint8_t)next_rand();
        buf[0] = (uint8_t)(20 + next_rand() % 4); /* CCS, alert, handshake, data */
        buf[1] = 0xfe;
        buf[2] = 0xfd;
        if (next_rand() & 1) { /* often one record of consistent length */
            buf[11] = (uint8_t)((len - 13) >> 8);
            buf[12] = (uint8_t)(len - 13);
        }
        int r = cv_dtls_input(p.s, buf, len, 0);
        if (r != CV_E_INVAL && r != CV_DTLS_CONNECTING)
            bad_state++;
        while (cv_dtls_pop_output(p.s, buf, sizeof(buf)) > 0)
            bad_state++; /* nothing to answer */
    }
    CHECK_EQ(bad_state, 0);
    CHECK(cv_dtls_dropped_in(p.s) > 0);
    cv_dtls_start(p.c, 0);
    run(p.c, p.s, 0);
    CHECK_EQ(cv_dtls_state(p.c), CV_DTLS_CONNECTED);
    CHECK_EQ(cv_dtls_state(p.s), CV_DTLS_CONNECTED);
out:
    pair_free(&p);
}

static void test_args(void)
{
    cv_dtls_cert_t *c = cv_dtls_cert_create();
    CHECK(c != NULL);
    if (!c)
        return;
    const uint8_t *fp = cv_dtls_cert_fingerprint(c);
    CHECK(fp && !all_zero(fp, CV_DTLS_FP_LEN));
    cv_dtls_cert_t *c2 = cv_dtls_cert_create();
    CHECK(c2 && memcmp(cv_dtls_cert_fingerprint(c2), fp, CV_DTLS_FP_LEN) != 0);
    cv_dtls_cert_destroy(c2);

    CHECK(cv_dtls_create(NULL, CV_DTLS_CLIENT, fp, 32) == NULL);
    CHECK(cv_dtls_create(c, CV_DTLS_CLIENT, fp, 20) == NULL);
    CHECK(cv_dtls_create(c, CV_DTLS_CLIENT, NULL, 32) == NULL);
    CHECK(cv_dtls_create(c, 7, fp, 32) == NULL);

    cv_dtls_t *d = cv_dtls_create(c, CV_DTLS_CLIENT, fp, 32);
    CHECK(d != NULL);
    if (d) {
        CHECK_EQ(cv_dtls_set_srtp_profiles(d, 0), CV_E_INVAL);
        CHECK_EQ(cv_dtls_set_srtp_profiles(d, 1u << 5), CV_E_INVAL);
        CHECK_EQ(cv_dtls_next_timeout(d, 0), -1); /* not started: nothing pending */
        CHECK_EQ(cv_dtls_start(d, 0), CV_DTLS_CONNECTING);
        CHECK_EQ(cv_dtls_start(d, 0), CV_E_STATE);
        CHECK_EQ(cv_dtls_set_srtp_profiles(d, 1u << CV_SRTP_AES128_CM_SHA1_80), CV_E_STATE);
        uint8_t small[16], out[CV_DTLS_MTU];
        CHECK_EQ(cv_dtls_pop_output(d, small, sizeof(small)), CV_E_NOSPACE);
        int n = cv_dtls_pop_output(d, out, sizeof(out));
        CHECK(n > 13 && out[0] == 22); /* the ClientHello record */
        CHECK_EQ(cv_dtls_pop_output(d, out, sizeof(out)), 0);
    }
    cv_dtls_destroy(d);
    cv_dtls_destroy(NULL);
    cv_dtls_cert_destroy(NULL);
    cv_dtls_cert_destroy(c);
}

static void test_fingerprint_str(void)
{
    static const uint8_t fp[4] = {0x00, 0xab, 0x7f, 0xff};
    char s[CV_DTLS_FP_STR_LEN];
    CHECK_EQ(cv_dtls_fingerprint_str(fp, 4, s, sizeof(s)), 11);
    CHECK_STR(s, "00:AB:7F:FF");
    CHECK_EQ(cv_dtls_fingerprint_str(fp, 4, s, 12), 11); /* exactly enough */
    CHECK_EQ(cv_dtls_fingerprint_str(fp, 4, s, 11), CV_E_NOSPACE);
    CHECK_EQ(cv_dtls_fingerprint_str(fp, 1, s, 3), 2);
    CHECK_STR(s, "00");
    CHECK_EQ(cv_dtls_fingerprint_str(fp, 0, s, 1), 0);
    CHECK_STR(s, "");
    CHECK_EQ(cv_dtls_fingerprint_str(NULL, 4, s, sizeof(s)), CV_E_INVAL);

    uint8_t full[32], back[32];
    for (int i = 0; i < 32; i++)
        full[i] = (uint8_t)(i * 37 + 5);
    CHECK_EQ(cv_dtls_fingerprint_str(full, 32, s, sizeof(s)), 95);
    CHECK_EQ(cv_dtls_fingerprint_parse(s, back, sizeof(back)), 32);
    CHECK_MEM(back, full, 32);

    CHECK_EQ(cv_dtls_fingerprint_parse("0a:Bc:fF", back, sizeof(back)), 3);
    CHECK(back[0] == 0x0a && back[1] == 0xbc && back[2] == 0xff);
    CHECK_EQ(cv_dtls_fingerprint_parse("", back, sizeof(back)), CV_E_INVAL);
    CHECK_EQ(cv_dtls_fingerprint_parse("0", back, sizeof(back)), CV_E_INVAL);
    CHECK_EQ(cv_dtls_fingerprint_parse("000", back, sizeof(back)), CV_E_INVAL);
    CHECK_EQ(cv_dtls_fingerprint_parse("00:", back, sizeof(back)), CV_E_INVAL);
    CHECK_EQ(cv_dtls_fingerprint_parse(":00", back, sizeof(back)), CV_E_INVAL);
    CHECK_EQ(cv_dtls_fingerprint_parse("0g", back, sizeof(back)), CV_E_INVAL);
    CHECK_EQ(cv_dtls_fingerprint_parse("00 01", back, sizeof(back)), CV_E_INVAL);
    CHECK_EQ(cv_dtls_fingerprint_parse("00:01:02", back, 2), CV_E_NOSPACE);
}

int main(void)
{
    test_fingerprint_str();
    test_args();
    test_handshake(0, CV_SRTP_AEAD_AES_128_GCM);
    test_handshake(1u << CV_SRTP_AES128_CM_SHA1_80, CV_SRTP_AES128_CM_SHA1_80);
    test_handshake(1u << CV_SRTP_AEAD_AES_128_GCM, CV_SRTP_AEAD_AES_128_GCM);
    test_against_plain_openssl("SRTP_AES128_CM_SHA1_80", CV_SRTP_AES128_CM_SHA1_80, 14);
    test_against_plain_openssl("SRTP_AEAD_AES_128_GCM", CV_SRTP_AEAD_AES_128_GCM, 12);
    test_lost_final_flight();
    test_wrong_fingerprint('c');
    test_wrong_fingerprint('s');
    test_handshake_timeout();
    test_lost_flight();
    test_garbage();
    test_malformed_records();
    test_random_records();
    CHECK(max_datagram > 0 && max_datagram <= CV_DTLS_MTU);
    return CHECK_DONE("test_dtls");
}
