/*
 * srtp.c - SRTP/SRTCP protection of one DTLS-SRTP association, on OpenSSL's
 * ciphers and MACs (srtp.h).
 *
 * The session keys are derived once (RFC 3711 §4.3, key derivation rate 0);
 * each direction keeps its cipher contexts keyed and its HMAC context keyed,
 * so a packet only sets an IV (and re-initialises the MAC with the key it
 * holds): no per-packet key schedule, context or lock. (Debian's libsrtp2 is
 * built on NSS, which set up a PKCS#11 context for every packet: about six
 * times the cost of the AES and HMAC themselves.)
 *
 * Each direction tracks its SSRCs in a small table (CV_SRTP_STREAMS, the
 * least recently used one making room): per SSRC the highest RTP index and
 * replay window, and the SRTCP index. An inbound SSRC enters the table only
 * with a packet that authenticated. Lengths are checked before any byte is
 * read (version, CSRC count, extension length, room for the tag and index).
 *
 * Thread: one owner thread per object; cv_srtp_global_init() is thread safe.
 * RFCs: RFC 3711, RFC 7714, RFC 5764 §4.1.2.
 */
#include "srtp.h"

#include "bytes.h"
#include "err.h"
#include "log.h"
#include "mem.h"

#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#define STREAMS 32      /* SSRCs tracked a direction */
#define RTP_WINDOW 1024 /* inbound replay window, packets (video reorders far under loss) */
#define RTCP_WINDOW 128 /* inbound SRTCP replay window */
#define CM_TAG 10       /* HMAC-SHA1 cut to 80 bits (RFC 3711 §5.2) */
#define GCM_TAG 16      /* RFC 7714 §14.2 */
#define SHA1_LEN 20
#define E_FLAG 0x80000000u /* SRTCP: the packet is encrypted */

typedef struct {
    uint32_t ssrc;
    int used;
    uint64_t touched;                   /* for the least recently used */
    int rtp_started;                    /* an RTP packet was protected / authenticated */
    uint64_t rtp_top;                   /* highest RTP index (ROC << 16 | seq) */
    uint64_t rtp_seen[RTP_WINDOW / 64]; /* index i: bit i % RTP_WINDOW, below rtp_top */
    int rtcp_started;
    uint32_t rtcp_top; /* outbound: the last index sent; inbound: the highest seen */
    uint64_t rtcp_seen[RTCP_WINDOW / 64];
} stream_t;

typedef struct {
    EVP_CIPHER_CTX *rtp, *rtcp;      /* keyed: AES-128-CTR, or AES-128-GCM */
    EVP_MAC_CTX *rtp_mac, *rtcp_mac; /* keyed HMAC-SHA1 (AES-CM profile only) */
    uint8_t rtp_salt[14], rtcp_salt[14];
    stream_t st[STREAMS];
    uint64_t clock;
} dir_t;

struct cv_srtp {
    int profile, tag_len;
    dir_t out, in;
};

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static EVP_MAC *hmac;
static int init_result = CV_E_CRYPTO;

static void init_library(void)
{
    hmac = EVP_MAC_fetch(NULL, "HMAC", NULL);
    if (!hmac) {
        CV_ERROR("srtp: OpenSSL has no HMAC");
        return;
    }
    init_result = CV_OK;
}

int cv_srtp_global_init(void)
{
    if (pthread_once(&init_once, init_library) != 0)
        return CV_E_CRYPTO;
    return init_result;
}

int cv_srtp_tag_len(int profile)
{
    switch (profile) {
    case CV_SRTP_AES128_CM_SHA1_80: return CM_TAG;
    case CV_SRTP_AEAD_AES_128_GCM: return GCM_TAG;
    default: return CV_E_INVAL;
    }
}

/* ---- keys ---- */

/* RFC 3711 §4.3.1 and §4.3.3 (key derivation rate 0): the AES-CM keystream
 * of the master key from IV = (master salt XOR label << 48) << 16; a 96-bit
 * master salt (AEAD, RFC 7714 §11) takes zeros on the right. */
static int derive(const uint8_t *mkey, const uint8_t *msalt, size_t salt_len, uint8_t label,
                  uint8_t *out, int n)
{
    uint8_t iv[16] = {0}, zero[32] = {0};
    memcpy(iv, msalt, salt_len);
    iv[7] ^= label;
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    int len = 0, ok = c && EVP_EncryptInit_ex(c, EVP_aes_128_ctr(), NULL, mkey, iv) == 1 &&
                      EVP_EncryptUpdate(c, out, &len, zero, n) == 1 && len == n;
    EVP_CIPHER_CTX_free(c);
    return ok ? CV_OK : CV_E_CRYPTO;
}

static EVP_CIPHER_CTX *keyed_cipher(int gcm, int decrypt, const uint8_t *key)
{
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    const EVP_CIPHER *ciph = gcm ? EVP_aes_128_gcm() : EVP_aes_128_ctr();
    int ok = c && EVP_CipherInit_ex(c, ciph, NULL, NULL, NULL, !decrypt) == 1 &&
             (!gcm || EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_IVLEN, 12, NULL) == 1) &&
             EVP_CipherInit_ex(c, NULL, NULL, key, NULL, -1) == 1;
    if (!ok) {
        EVP_CIPHER_CTX_free(c);
        return NULL;
    }
    return c;
}

static EVP_MAC_CTX *keyed_hmac(const uint8_t *key)
{
    EVP_MAC_CTX *m = EVP_MAC_CTX_new(hmac);
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"SHA1", 0),
        OSSL_PARAM_construct_end(),
    };
    if (!m || EVP_MAC_init(m, key, SHA1_LEN, params) != 1) {
        EVP_MAC_CTX_free(m);
        return NULL;
    }
    return m;
}

/* The session keys of one direction from its master key and salt. */
static int dir_init(dir_t *d, int profile, const uint8_t *mkey, const uint8_t *msalt,
                    size_t salt_len, int inbound)
{
    int gcm = profile == CV_SRTP_AEAD_AES_128_GCM;
    int slen = gcm ? CV_SRTP_GCM_SALT_LEN : CV_SRTP_CM_SALT_LEN;
    uint8_t k[2][16], a[2][SHA1_LEN];
    int rc = CV_OK;
    for (int rtcp = 0; rtcp <= 1 && rc == CV_OK; rtcp++) {
        uint8_t base = rtcp ? 3 : 0; /* labels: encryption, authentication, salt */
        rc = derive(mkey, msalt, salt_len, base, k[rtcp], 16);
        if (rc == CV_OK && !gcm)
            rc = derive(mkey, msalt, salt_len, (uint8_t)(base + 1), a[rtcp], SHA1_LEN);
        if (rc == CV_OK)
            rc = derive(mkey, msalt, salt_len, (uint8_t)(base + 2),
                        rtcp ? d->rtcp_salt : d->rtp_salt, slen);
    }
    if (rc == CV_OK) {
        d->rtp = keyed_cipher(gcm, inbound, k[0]);
        d->rtcp = keyed_cipher(gcm, inbound, k[1]);
        if (!gcm) {
            d->rtp_mac = keyed_hmac(a[0]);
            d->rtcp_mac = keyed_hmac(a[1]);
        }
        if (!d->rtp || !d->rtcp || (!gcm && (!d->rtp_mac || !d->rtcp_mac)))
            rc = CV_E_CRYPTO;
    }
    OPENSSL_cleanse(k, sizeof(k));
    OPENSSL_cleanse(a, sizeof(a));
    return rc;
}

static void dir_free(dir_t *d)
{
    EVP_CIPHER_CTX_free(d->rtp);
    EVP_CIPHER_CTX_free(d->rtcp);
    EVP_MAC_CTX_free(d->rtp_mac);
    EVP_MAC_CTX_free(d->rtcp_mac);
}

cv_srtp_t *cv_srtp_create(const cv_srtp_keys_t *k)
{
    if (!k || k->key_len != CV_SRTP_KEY_LEN)
        return NULL;
    if (!(k->profile == CV_SRTP_AES128_CM_SHA1_80 && k->salt_len == CV_SRTP_CM_SALT_LEN) &&
        !(k->profile == CV_SRTP_AEAD_AES_128_GCM && k->salt_len == CV_SRTP_GCM_SALT_LEN))
        return NULL;
    if (cv_srtp_global_init() < 0)
        return NULL;
    cv_srtp_t *s = cv_xcalloc(1, sizeof(*s));
    s->profile = k->profile;
    s->tag_len = cv_srtp_tag_len(k->profile);
    if (dir_init(&s->out, k->profile, k->local_key, k->local_salt, k->salt_len, 0) < 0 ||
        dir_init(&s->in, k->profile, k->remote_key, k->remote_salt, k->salt_len, 1) < 0) {
        CV_WARN("srtp: could not set up the session keys");
        cv_srtp_destroy(s);
        return NULL;
    }
    return s;
}

void cv_srtp_destroy(cv_srtp_t *s)
{
    if (!s)
        return;
    dir_free(&s->out);
    dir_free(&s->in);
    OPENSSL_cleanse(s, sizeof(*s));
    free(s);
}

/* ---- streams (one SSRC, one direction) ---- */

static stream_t *find(dir_t *d, uint32_t ssrc)
{
    for (int i = 0; i < STREAMS; i++)
        if (d->st[i].used && d->st[i].ssrc == ssrc) {
            d->st[i].touched = ++d->clock;
            return &d->st[i];
        }
    return NULL;
}

/* A new entry for ssrc, in a free slot or the least recently used one. */
static stream_t *add(dir_t *d, uint32_t ssrc)
{
    stream_t *v = &d->st[0];
    for (int i = 0; i < STREAMS && v->used; i++)
        if (!d->st[i].used || d->st[i].touched < v->touched)
            v = &d->st[i];
    memset(v, 0, sizeof(*v));
    v->used = 1;
    v->ssrc = ssrc;
    v->touched = ++d->clock;
    return v;
}

static int bit(const uint64_t *w, uint64_t i, int size)
{
    i %= (uint64_t)size;
    return (int)(w[i / 64] >> (i % 64)) & 1;
}

static void set_bit(uint64_t *w, uint64_t i, int size)
{
    i %= (uint64_t)size;
    w[i / 64] |= 1ull << (i % 64);
}

/* Moves a replay window's top from *top to to (higher): the bits of the
 * indices it passes are cleared, so they read as not seen. */
static void advance(uint64_t *w, int size, uint64_t top, uint64_t to)
{
    if (to - top >= (uint64_t)size) {
        memset(w, 0, (size_t)size / 8);
        return;
    }
    for (uint64_t i = top + 1; i <= to; i++)
        w[(i % (uint64_t)size) / 64] &= ~(1ull << (i % 64));
}

/* RFC 3711 §3.3.1: the index of seq is the one nearest the highest so far. */
static uint64_t rtp_index(const stream_t *st, uint16_t seq)
{
    if (!st || !st->rtp_started)
        return seq; /* ROC 0 */
    int64_t i = (int64_t)st->rtp_top + (int16_t)(uint16_t)(seq - (uint16_t)st->rtp_top);
    return i < 0 ? seq : (uint64_t)i;
}

static void rtp_done(stream_t *st, uint64_t index)
{
    if (!st->rtp_started) {
        st->rtp_started = 1;
        st->rtp_top = index;
        memset(st->rtp_seen, 0, sizeof(st->rtp_seen));
    } else if (index > st->rtp_top) {
        advance(st->rtp_seen, RTP_WINDOW, st->rtp_top, index);
        st->rtp_top = index;
    }
    set_bit(st->rtp_seen, index, RTP_WINDOW);
}

/* ---- the transforms ---- */

/* RFC 3550 §5.1 fixed header + CSRCs + RFC 8285 extension block: its length,
 * or CV_E_INVAL if it does not fit in len bytes. */
static int rtp_header_len(const uint8_t *p, size_t len)
{
    if (len < 12 || (p[0] >> 6) != 2)
        return CV_E_INVAL;
    size_t hl = 12 + 4 * (size_t)(p[0] & 0x0f);
    if (p[0] & 0x10) {
        if (hl + 4 > len)
            return CV_E_INVAL;
        hl += 4 + 4 * (size_t)rd16(p + hl + 2);
    }
    if (hl > len)
        return CV_E_INVAL;
    return (int)hl;
}

/* RFC 3711 §4.1.1: IV = (salt << 16) XOR (SSRC << 64) XOR (index << 16). */
static void cm_iv(uint8_t iv[16], const uint8_t *salt, uint32_t ssrc, uint64_t index)
{
    memcpy(iv, salt, 14);
    iv[14] = iv[15] = 0;
    for (int i = 0; i < 4; i++)
        iv[4 + i] ^= (uint8_t)(ssrc >> (24 - 8 * i));
    for (int i = 0; i < 6; i++)
        iv[8 + i] ^= (uint8_t)(index >> (40 - 8 * i));
}

/* RFC 7714 §8.1 and §9.1: IV = (00 00 | SSRC | hi | lo) XOR salt, with
 * hi:lo the ROC and sequence number (SRTP) or 0 and the SRTCP index. */
static void gcm_iv(uint8_t iv[12], const uint8_t *salt, uint32_t ssrc, uint32_t hi, uint16_t lo,
                   int rtcp)
{
    uint8_t b[12] = {0};
    wr32(b + 2, ssrc);
    if (rtcp) {
        wr32(b + 8, hi);
    } else {
        wr32(b + 6, hi);
        wr16(b + 10, lo);
    }
    for (int i = 0; i < 12; i++)
        iv[i] = b[i] ^ salt[i];
}

/* AES-CTR over n bytes in place from iv. */
static int ctr(EVP_CIPHER_CTX *c, const uint8_t iv[16], uint8_t *p, size_t n)
{
    int len = 0;
    if (EVP_CipherInit_ex(c, NULL, NULL, NULL, iv, -1) != 1)
        return CV_E_CRYPTO;
    return n == 0 || (EVP_CipherUpdate(c, p, &len, p, (int)n) == 1 && (size_t)len == n)
               ? CV_OK
               : CV_E_CRYPTO;
}

/* HMAC-SHA1 of a and then b (nb bytes, may be 0), into mac (20 bytes). */
static int hmac_sha1(EVP_MAC_CTX *m, const uint8_t *a, size_t na, const uint8_t *b, size_t nb,
                     uint8_t mac[SHA1_LEN])
{
    size_t out = 0;
    return EVP_MAC_init(m, NULL, 0, NULL) == 1 && EVP_MAC_update(m, a, na) == 1 &&
                   (nb == 0 || EVP_MAC_update(m, b, nb) == 1) &&
                   EVP_MAC_final(m, mac, &out, SHA1_LEN) == 1 && out == SHA1_LEN
               ? CV_OK
               : CV_E_CRYPTO;
}

/* AES-GCM in place: aad (two parts), n bytes at p, the tag (16) at tag:
 * written when encrypting, checked when decrypting. */
static int aead(EVP_CIPHER_CTX *c, const uint8_t iv[12], const uint8_t *aad, size_t naad,
                const uint8_t *aad2, size_t naad2, uint8_t *p, size_t n, uint8_t *tag, int decrypt)
{
    int len = 0;
    if (EVP_CipherInit_ex(c, NULL, NULL, NULL, iv, -1) != 1 ||
        EVP_CipherUpdate(c, NULL, &len, aad, (int)naad) != 1 ||
        (naad2 && EVP_CipherUpdate(c, NULL, &len, aad2, (int)naad2) != 1) ||
        (n && (EVP_CipherUpdate(c, p, &len, p, (int)n) != 1 || (size_t)len != n)))
        return CV_E_CRYPTO;
    if (decrypt && EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, GCM_TAG, tag) != 1)
        return CV_E_CRYPTO;
    if (EVP_CipherFinal_ex(c, p + n, &len) != 1)
        return CV_E_CRYPTO; /* decrypting: the tag did not match */
    if (!decrypt && EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, GCM_TAG, tag) != 1)
        return CV_E_CRYPTO;
    return CV_OK;
}

static int protect_rtp(cv_srtp_t *s, uint8_t *buf, size_t len, size_t hl)
{
    uint32_t ssrc = rd32(buf + 8);
    dir_t *d = &s->out;
    stream_t *st = find(d, ssrc);
    if (!st)
        st = add(d, ssrc);
    /* a sequence number sent again (a retransmission) takes the same index */
    uint64_t index = rtp_index(st, rd16(buf + 2));
    uint32_t roc = (uint32_t)(index >> 16);
    int rc;
    if (s->profile == CV_SRTP_AEAD_AES_128_GCM) {
        uint8_t iv[12];
        gcm_iv(iv, d->rtp_salt, ssrc, roc, (uint16_t)index, 0);
        rc = aead(d->rtp, iv, buf, hl, NULL, 0, buf + hl, len - hl, buf + len, 0);
    } else {
        uint8_t iv[16], mac[SHA1_LEN], rocb[4];
        cm_iv(iv, d->rtp_salt, ssrc, index);
        wr32(rocb, roc);
        rc = ctr(d->rtp, iv, buf + hl, len - hl);
        if (rc == CV_OK)
            rc = hmac_sha1(d->rtp_mac, buf, len, rocb, 4, mac);
        if (rc == CV_OK)
            memcpy(buf + len, mac, CM_TAG);
    }
    if (rc < 0)
        return rc;
    rtp_done(st, index);
    return (int)len + s->tag_len;
}

static int unprotect_rtp(cv_srtp_t *s, uint8_t *buf, size_t len, size_t hl)
{
    uint32_t ssrc = rd32(buf + 8);
    dir_t *d = &s->in;
    stream_t *st = find(d, ssrc);
    uint64_t index = rtp_index(st, rd16(buf + 2));
    if (st && st->rtp_started && index <= st->rtp_top &&
        (st->rtp_top - index >= RTP_WINDOW || bit(st->rtp_seen, index, RTP_WINDOW)))
        return CV_E_REPLAY;
    uint32_t roc = (uint32_t)(index >> 16);
    size_t n = len - (size_t)s->tag_len - hl; /* the encrypted payload */
    int rc;
    if (s->profile == CV_SRTP_AEAD_AES_128_GCM) {
        uint8_t iv[12];
        gcm_iv(iv, d->rtp_salt, ssrc, roc, (uint16_t)index, 0);
        rc = aead(d->rtp, iv, buf, hl, NULL, 0, buf + hl, n, buf + hl + n, 1);
    } else {
        uint8_t iv[16], mac[SHA1_LEN], rocb[4];
        wr32(rocb, roc);
        rc = hmac_sha1(d->rtp_mac, buf, hl + n, rocb, 4, mac);
        if (rc == CV_OK && CRYPTO_memcmp(mac, buf + hl + n, CM_TAG) != 0)
            rc = CV_E_CRYPTO;
        cm_iv(iv, d->rtp_salt, ssrc, index);
        if (rc == CV_OK)
            rc = ctr(d->rtp, iv, buf + hl, n);
    }
    if (rc < 0)
        return rc;
    rtp_done(st ? st : add(d, ssrc), index);
    return (int)(hl + n);
}

static int protect_rtcp(cv_srtp_t *s, uint8_t *buf, size_t len)
{
    uint32_t ssrc = rd32(buf + 4);
    dir_t *d = &s->out;
    stream_t *st = find(d, ssrc);
    if (!st)
        st = add(d, ssrc);
    uint32_t index = st->rtcp_started ? (st->rtcp_top + 1) & ~E_FLAG : 0;
    uint8_t word[4];
    wr32(word, E_FLAG | index);
    int rc;
    size_t n;
    if (s->profile == CV_SRTP_AEAD_AES_128_GCM) { /* header | ct | tag | E+index */
        uint8_t iv[12];
        gcm_iv(iv, d->rtcp_salt, ssrc, index, 0, 1);
        rc = aead(d->rtcp, iv, buf, 8, word, 4, buf + 8, len - 8, buf + len, 0);
        memcpy(buf + len + GCM_TAG, word, 4);
        n = len + GCM_TAG + 4;
    } else { /* header | ct | E+index | tag */
        uint8_t iv[16], mac[SHA1_LEN];
        cm_iv(iv, d->rtcp_salt, ssrc, index);
        rc = ctr(d->rtcp, iv, buf + 8, len - 8);
        memcpy(buf + len, word, 4);
        if (rc == CV_OK)
            rc = hmac_sha1(d->rtcp_mac, buf, len + 4, NULL, 0, mac);
        if (rc == CV_OK)
            memcpy(buf + len + 4, mac, CM_TAG);
        n = len + 4 + CM_TAG;
    }
    if (rc < 0)
        return rc;
    st->rtcp_started = 1;
    st->rtcp_top = index;
    return (int)n;
}

static int unprotect_rtcp(cv_srtp_t *s, uint8_t *buf, size_t len)
{
    uint32_t ssrc = rd32(buf + 4);
    dir_t *d = &s->in;
    int gcm = s->profile == CV_SRTP_AEAD_AES_128_GCM;
    size_t at = gcm ? len - 4 : len - 4 - CM_TAG; /* E + index */
    uint32_t word = rd32(buf + at), index = word & ~E_FLAG;
    stream_t *st = find(d, ssrc);
    if (st && st->rtcp_started && index <= st->rtcp_top &&
        (st->rtcp_top - index >= RTCP_WINDOW || bit(st->rtcp_seen, index, RTCP_WINDOW)))
        return CV_E_REPLAY;
    size_t n; /* the plaintext's length */
    int rc;
    if (gcm) {
        if (!(word & E_FLAG))
            return CV_E_CRYPTO; /* unencrypted SRTCP: never sent by browsers */
        uint8_t iv[12];
        n = len - 4 - GCM_TAG;
        gcm_iv(iv, d->rtcp_salt, ssrc, index, 0, 1);
        rc = aead(d->rtcp, iv, buf, 8, buf + at, 4, buf + 8, n - 8, buf + n, 1);
    } else {
        uint8_t iv[16], mac[SHA1_LEN];
        n = at;
        rc = hmac_sha1(d->rtcp_mac, buf, at + 4, NULL, 0, mac);
        if (rc == CV_OK && CRYPTO_memcmp(mac, buf + at + 4, CM_TAG) != 0)
            rc = CV_E_CRYPTO;
        cm_iv(iv, d->rtcp_salt, ssrc, index);
        if (rc == CV_OK && (word & E_FLAG))
            rc = ctr(d->rtcp, iv, buf + 8, n - 8);
    }
    if (rc < 0)
        return rc;
    if (!st)
        st = add(d, ssrc);
    if (!st->rtcp_started) {
        st->rtcp_started = 1;
        st->rtcp_top = index;
    } else if (index > st->rtcp_top) {
        advance(st->rtcp_seen, RTCP_WINDOW, st->rtcp_top, index);
        st->rtcp_top = index;
    }
    set_bit(st->rtcp_seen, index, RTCP_WINDOW);
    return (int)n;
}

/* ---- the interface ---- */

int cv_srtp_protect_rtp(cv_srtp_t *s, uint8_t *buf, size_t len, size_t cap)
{
    if (!s || !buf || len > cap || len > (size_t)INT_MAX - CV_SRTP_MAX_TRAILER)
        return CV_E_INVAL;
    int hl = rtp_header_len(buf, len);
    if (hl < 0)
        return hl;
    if (cap - len < CV_SRTP_MAX_TRAILER_RTP)
        return CV_E_NOSPACE;
    return protect_rtp(s, buf, len, (size_t)hl);
}

int cv_srtp_protect_rtcp(cv_srtp_t *s, uint8_t *buf, size_t len, size_t cap)
{
    if (!s || !buf || len > cap || len > (size_t)INT_MAX - CV_SRTP_MAX_TRAILER)
        return CV_E_INVAL;
    if (len < 8 || (buf[0] >> 6) != 2) /* RFC 3550 §6.4: V=2 ... SSRC */
        return CV_E_INVAL;
    if (cap - len < CV_SRTP_MAX_TRAILER)
        return CV_E_NOSPACE;
    return protect_rtcp(s, buf, len);
}

int cv_srtp_unprotect_rtp(cv_srtp_t *s, uint8_t *buf, size_t len)
{
    if (!s || !buf || len > (size_t)INT_MAX)
        return CV_E_INVAL;
    int hl = rtp_header_len(buf, len);
    if (hl < 0)
        return hl;
    if (len < (size_t)hl + (size_t)s->tag_len)
        return CV_E_INVAL;
    return unprotect_rtp(s, buf, len, (size_t)hl);
}

int cv_srtp_unprotect_rtcp(cv_srtp_t *s, uint8_t *buf, size_t len)
{
    if (!s || !buf || len > (size_t)INT_MAX)
        return CV_E_INVAL;
    if (len < 8 + 4 + (size_t)s->tag_len || (buf[0] >> 6) != 2) /* RFC 3711 §3.4 */
        return CV_E_INVAL;
    return unprotect_rtcp(s, buf, len);
}
