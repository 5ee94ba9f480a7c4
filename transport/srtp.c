/*
 * srtp.c - SRTP/SRTCP protection of one DTLS-SRTP association, on libsrtp2.
 *
 * Two libsrtp sessions per association, because one libsrtp session holds a
 * single wildcard template: "tx" (ssrc_any_outbound, local key) and "rx"
 * (ssrc_any_inbound, remote key). Before libsrtp sees a packet we check its
 * header against its length ourselves (version, CSRC count, extension length,
 * room for the tag), so hostile lengths never reach the library, and we check
 * the caller's spare capacity because libsrtp writes the trailer blindly.
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

#include <srtp2/srtp.h>

_Static_assert(CV_SRTP_MAX_TRAILER_RTP == SRTP_MAX_TRAILER_LEN, "libsrtp trailer size changed");
_Static_assert(CV_SRTP_MAX_TRAILER == SRTP_MAX_TRAILER_LEN + 4, "SRTCP trailer is tag + MKI + 4");
_Static_assert(CV_SRTP_CM_SALT_LEN == SRTP_SALT_LEN, "AES-CM salt length");
_Static_assert(CV_SRTP_GCM_SALT_LEN == SRTP_AEAD_SALT_LEN, "AEAD salt length");

/* Inbound replay window in packets (libsrtp's default is 128; video at a few
 * hundred packets per second reorders further than that under loss). */
#define REPLAY_WINDOW 1024

struct cv_srtp {
    srtp_t tx;
    srtp_t rx;
    int profile;
    int tag_len;
};

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static int init_result = CV_E_CRYPTO;

static void init_library(void)
{
    srtp_err_status_t st = srtp_init();
    if (st != srtp_err_status_ok) {
        CV_ERROR("srtp: srtp_init failed (%d)", (int)st);
        init_result = CV_E_CRYPTO;
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
    case CV_SRTP_AES128_CM_SHA1_80: return 10; /* RFC 3711 §5.2: HMAC-SHA1 cut to 80 bits */
    case CV_SRTP_AEAD_AES_128_GCM: return 16;  /* RFC 7714 §14.2: 16-octet tag */
    default: return CV_E_INVAL;
    }
}

static int map_status(srtp_err_status_t st)
{
    switch (st) {
    case srtp_err_status_ok: return CV_OK;
    case srtp_err_status_replay_fail:
    case srtp_err_status_replay_old: return CV_E_REPLAY;
    case srtp_err_status_bad_param:
    case srtp_err_status_parse_err:
    case srtp_err_status_no_ctx: return CV_E_INVAL;
    default: return CV_E_CRYPTO;
    }
}

static int add_session(srtp_t *out, int profile, const uint8_t *key, const uint8_t *salt,
                       size_t salt_len, int inbound)
{
    uint8_t master[CV_SRTP_KEY_LEN + CV_SRTP_CM_SALT_LEN];
    srtp_policy_t pol;

    memset(&pol, 0, sizeof(pol));
    if (profile == CV_SRTP_AES128_CM_SHA1_80) {
        srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&pol.rtp);
        srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&pol.rtcp);
    } else {
        srtp_crypto_policy_set_aes_gcm_128_16_auth(&pol.rtp);
        srtp_crypto_policy_set_aes_gcm_128_16_auth(&pol.rtcp);
    }
    memcpy(master, key, CV_SRTP_KEY_LEN);
    memcpy(master + CV_SRTP_KEY_LEN, salt, salt_len);
    pol.ssrc.type = inbound ? ssrc_any_inbound : ssrc_any_outbound;
    pol.key = master;
    pol.window_size = REPLAY_WINDOW;
    pol.allow_repeat_tx = 1;
    pol.next = NULL;
    srtp_err_status_t st = srtp_create(out, &pol);
    explicit_bzero(master, sizeof(master));
    if (st != srtp_err_status_ok) {
        *out = NULL;
        CV_WARN("srtp: srtp_create failed (%d)", (int)st);
        return CV_E_CRYPTO;
    }
    return CV_OK;
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
    if (add_session(&s->tx, k->profile, k->local_key, k->local_salt, k->salt_len, 0) < 0)
        goto fail;
    if (add_session(&s->rx, k->profile, k->remote_key, k->remote_salt, k->salt_len, 1) < 0)
        goto fail;
    return s;
fail:
    cv_srtp_destroy(s);
    return NULL;
}

void cv_srtp_destroy(cv_srtp_t *s)
{
    if (!s)
        return;
    /* srtp_dealloc frees the streams and their derived session keys. */
    if (s->tx)
        srtp_dealloc(s->tx);
    if (s->rx)
        srtp_dealloc(s->rx);
    free(s);
}

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

/* RFC 3550 §6.4: every RTCP packet starts with 8 bytes (V=2 ... SSRC). */
static int rtcp_check(const uint8_t *p, size_t len)
{
    if (len < 8 || (p[0] >> 6) != 2)
        return CV_E_INVAL;
    return CV_OK;
}

static int protect(cv_srtp_t *s, uint8_t *buf, size_t len, size_t cap, int rtcp)
{
    if (!s || !buf || len > cap || len > (size_t)INT_MAX - CV_SRTP_MAX_TRAILER)
        return CV_E_INVAL;
    int rc = rtcp ? rtcp_check(buf, len) : rtp_header_len(buf, len);
    if (rc < 0)
        return rc;
    if (cap - len < (size_t)(rtcp ? CV_SRTP_MAX_TRAILER : CV_SRTP_MAX_TRAILER_RTP))
        return CV_E_NOSPACE;
    int n = (int)len;
    srtp_err_status_t st = rtcp ? srtp_protect_rtcp(s->tx, buf, &n) : srtp_protect(s->tx, buf, &n);
    if (st != srtp_err_status_ok)
        return map_status(st);
    if (n < (int)len || (size_t)n > cap)
        return CV_E_CRYPTO; /* cannot happen; never hand on a bad length */
    return n;
}

static int unprotect(cv_srtp_t *s, uint8_t *buf, size_t len, int rtcp)
{
    if (!s || !buf || len > (size_t)INT_MAX)
        return CV_E_INVAL;
    size_t need;
    if (rtcp) {
        if (rtcp_check(buf, len) < 0)
            return CV_E_INVAL;
        need = 8 + 4 + (size_t)s->tag_len; /* RFC 3711 §3.4: E + SRTCP index, tag */
    } else {
        int hl = rtp_header_len(buf, len);
        if (hl < 0)
            return hl;
        need = (size_t)hl + (size_t)s->tag_len;
    }
    if (len < need)
        return CV_E_INVAL;
    int n = (int)len;
    srtp_err_status_t st =
        rtcp ? srtp_unprotect_rtcp(s->rx, buf, &n) : srtp_unprotect(s->rx, buf, &n);
    if (st != srtp_err_status_ok)
        return map_status(st);
    if (n < 0 || (size_t)n > len)
        return CV_E_CRYPTO;
    return n;
}

int cv_srtp_protect_rtp(cv_srtp_t *s, uint8_t *buf, size_t len, size_t cap)
{
    return protect(s, buf, len, cap, 0);
}

int cv_srtp_protect_rtcp(cv_srtp_t *s, uint8_t *buf, size_t len, size_t cap)
{
    return protect(s, buf, len, cap, 1);
}

int cv_srtp_unprotect_rtp(cv_srtp_t *s, uint8_t *buf, size_t len)
{
    return unprotect(s, buf, len, 0);
}

int cv_srtp_unprotect_rtcp(cv_srtp_t *s, uint8_t *buf, size_t len)
{
    return unprotect(s, buf, len, 1);
}
