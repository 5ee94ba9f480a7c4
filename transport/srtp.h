/*
 * srtp.h - SRTP/SRTCP protection of one DTLS-SRTP association, on OpenSSL.
 *
 * One cv_srtp_t holds two directions: outbound, keyed with the local master
 * key (any SSRC we send), and inbound, keyed with the remote master key (any
 * SSRC it sends, replay window on). Packets are transformed in place.
 *
 * Thread: each object has one owner thread (the network loop thread that owns
 * the peer); it is not thread-safe. cv_srtp_global_init() may be called from
 * any thread, any number of times.
 *
 * RFCs: RFC 3711 (SRTP, AES_CM_128_HMAC_SHA1_80), RFC 7714 (AEAD_AES_128_GCM),
 * RFC 5764 §4.1.2 (DTLS-SRTP protection profiles).
 */
#ifndef CV_SRTP_H
#define CV_SRTP_H

#include <stddef.h>
#include <stdint.h>

/* DTLS-SRTP protection profiles we speak (values are ours, not the IANA ids). */
enum {
    CV_SRTP_AES128_CM_SHA1_80 = 1, /* RFC 5764 SRTP_AES128_CM_HMAC_SHA1_80 */
    CV_SRTP_AEAD_AES_128_GCM = 2,  /* RFC 7714 §14.2 SRTP_AEAD_AES_128_GCM */
};

/* Master key and salt lengths of the two profiles. */
#define CV_SRTP_KEY_LEN 16
#define CV_SRTP_CM_SALT_LEN 14
#define CV_SRTP_GCM_SALT_LEN 12

/*
 * Spare bytes a caller must leave after a packet it asks to protect: 144 for
 * RTP (room for the longest tag and MKI SRTP allows, where we write 10 or
 * 16), and 4 more for the SRTCP index word of RTCP. Reserving
 * CV_SRTP_MAX_TRAILER is enough for both.
 */
#define CV_SRTP_MAX_TRAILER_RTP 144
#define CV_SRTP_MAX_TRAILER 148

/* Keys of one association, as exported by DTLS (dtls.h fills this). */
typedef struct {
    int profile;           /* CV_SRTP_AES128_CM_SHA1_80 or CV_SRTP_AEAD_AES_128_GCM */
    uint8_t local_key[32]; /* we protect with local_key/local_salt */
    uint8_t local_salt[14];
    uint8_t remote_key[32]; /* we unprotect with remote_key/remote_salt */
    uint8_t remote_salt[14];
    size_t key_len;  /* 16 for both profiles (AES-128) */
    size_t salt_len; /* 14 for AES_CM, 12 for AEAD_AES_128_GCM */
} cv_srtp_keys_t;

typedef struct cv_srtp cv_srtp_t;

/* Calls srtp_init() once per process (pthread_once). 0 or CV_E_CRYPTO.
 * cv_srtp_create() calls it too, so calling it first is optional. */
int cv_srtp_global_init(void);

/*
 * Creates the two sessions from k (copied; the caller may wipe k afterwards).
 * Outbound: the same sequence number may be protected again (a
 * retransmission), giving the same bytes. Inbound: replay window of 1024.
 * NULL if the profile or the key/salt lengths are wrong, or OpenSSL refuses.
 */
cv_srtp_t *cv_srtp_create(const cv_srtp_keys_t *k);
void cv_srtp_destroy(cv_srtp_t *s); /* NULL ok; wipes the keys */

/*
 * Protects in place. buf holds len bytes of plaintext and has room for cap
 * bytes; cap - len must be at least CV_SRTP_MAX_TRAILER_RTP (RTP) or
 * CV_SRTP_MAX_TRAILER (RTCP), else CV_E_NOSPACE and buf is untouched.
 * Returns the protected length, or CV_E_NOSPACE, CV_E_INVAL (not an RTP/RTCP
 * packet: too short, version not 2, header longer than the packet),
 * CV_E_REPLAY, CV_E_CRYPTO.
 */
int cv_srtp_protect_rtp(cv_srtp_t *s, uint8_t *buf, size_t len, size_t cap);
int cv_srtp_protect_rtcp(cv_srtp_t *s, uint8_t *buf, size_t len, size_t cap);

/*
 * Verifies and decrypts in place. Returns the plaintext length, or
 * CV_E_INVAL (malformed or too short for header + tag), CV_E_REPLAY (seen
 * before or older than the replay window), CV_E_CRYPTO (authentication
 * failed). On error buf may have been modified and must be dropped.
 */
int cv_srtp_unprotect_rtp(cv_srtp_t *s, uint8_t *buf, size_t len);
int cv_srtp_unprotect_rtcp(cv_srtp_t *s, uint8_t *buf, size_t len);

/* Authentication tag length of a profile (10 or 16), or CV_E_INVAL. */
int cv_srtp_tag_len(int profile);

#endif
