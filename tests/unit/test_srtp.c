/*
 * test_srtp.c - SRTP/SRTCP protection (transport/srtp.c) against an
 * independent reference.
 *
 * The reference below re-implements RFC 3711 (AES-CM key derivation §4.3,
 * AES-CM encryption §4.1.1, HMAC-SHA1 authentication §4.2, SRTCP §3.4) and
 * RFC 7714 (AEAD_AES_128_GCM for SRTP §8 and SRTCP §9, key derivation §11)
 * from OpenSSL primitives. The reference itself is checked against the RFC
 * known answers (RFC 3711 B.2 and B.3, RFC 7714 §16.1.1 and §17.1); then
 * cv_srtp_*'s output must equal the reference byte for byte, including after
 * a sequence-number wrap (ROC 1).
 */
#include "check.h"
#include "err.h"
#include "srtp.h"

#include <stdint.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#define BUF 1500

/* --- reference implementation ------------------------------------------ */

/* AES-128 in counter mode from a 16-byte initial counter (RFC 3711 §4.1.1
 * increments the whole block, as OpenSSL's CTR mode does). */
static void aes_ctr(const uint8_t *key, const uint8_t *iv, const uint8_t *in, uint8_t *out,
                    size_t len)
{
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    int n = 0;
    EVP_EncryptInit_ex(c, EVP_aes_128_ctr(), NULL, key, iv);
    if (len)
        EVP_EncryptUpdate(c, out, &n, in, (int)len);
    EVP_EncryptFinal_ex(c, out + n, &n);
    EVP_CIPHER_CTX_free(c);
}

/* RFC 3711 §4.3.1/§4.3.3 with key_derivation_rate 0: x = (label << 48) XOR
 * master_salt, IV = x * 2^16, output = AES-CM keystream. A 96-bit (GCM)
 * master salt is zero-padded on the right to 112 bits (RFC 7714 §11). */
static void kdf(const uint8_t *mkey, const uint8_t *msalt, size_t salt_len, uint8_t label,
                uint8_t *out, size_t n)
{
    uint8_t iv[16] = {0}, zero[64] = {0};
    memcpy(iv, msalt, salt_len);
    iv[7] ^= label;
    aes_ctr(mkey, iv, zero, out, n);
}

static size_t rtp_hl(const uint8_t *p)
{
    size_t hl = 12 + 4 * (size_t)(p[0] & 0x0f);
    if (p[0] & 0x10)
        hl += 4 + 4 * (size_t)((p[hl + 2] << 8) | p[hl + 3]);
    return hl;
}

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/* RFC 3711 §4.1.1: IV = (k_s * 2^16) XOR (SSRC * 2^64) XOR (index * 2^16). */
static void cm_iv(const uint8_t *ks, uint32_t ssrc, uint64_t index, uint8_t *iv)
{
    memset(iv, 0, 16);
    memcpy(iv, ks, 14);
    for (int i = 0; i < 4; i++)
        iv[4 + i] ^= (uint8_t)(ssrc >> (24 - 8 * i));
    for (int i = 0; i < 6; i++)
        iv[8 + i] ^= (uint8_t)(index >> (40 - 8 * i));
}

/* SRTP AES_CM_128_HMAC_SHA1_80 with session keys: out = header | E(payload)
 * | HMAC-SHA1(ka, header | E(payload) | ROC)[0..10). Returns the length. */
static size_t ref_cm_rtp_session(const uint8_t *ke, const uint8_t *ka, const uint8_t *ks,
                                 const uint8_t *pkt, size_t len, uint32_t roc, uint8_t *out)
{
    uint8_t iv[16], mac[EVP_MAX_MD_SIZE], auth[BUF + 4];
    unsigned int ml = 0;
    size_t hl = rtp_hl(pkt);
    uint64_t index = ((uint64_t)roc << 16) | (uint64_t)((pkt[2] << 8) | pkt[3]);
    cm_iv(ks, get32(pkt + 8), index, iv);
    memcpy(out, pkt, hl);
    aes_ctr(ke, iv, pkt + hl, out + hl, len - hl);
    memcpy(auth, out, len);
    put32(auth + len, roc);
    HMAC(EVP_sha1(), ka, 20, auth, len + 4, mac, &ml);
    memcpy(out + len, mac, 10);
    return len + 10;
}

static size_t ref_cm_rtp(const uint8_t *mkey, const uint8_t *msalt, const uint8_t *pkt, size_t len,
                         uint32_t roc, uint8_t *out)
{
    uint8_t ke[16], ka[20], ks[14];
    kdf(mkey, msalt, 14, 0x00, ke, 16);
    kdf(mkey, msalt, 14, 0x01, ka, 20);
    kdf(mkey, msalt, 14, 0x02, ks, 14);
    return ref_cm_rtp_session(ke, ka, ks, pkt, len, roc, out);
}

/* SRTCP (RFC 3711 §3.4): header(8) | E(rest) | E-flag+index | tag(10). */
static size_t ref_cm_rtcp(const uint8_t *mkey, const uint8_t *msalt, const uint8_t *pkt, size_t len,
                          uint32_t index, uint8_t *out)
{
    uint8_t ke[16], ka[20], ks[14], iv[16], mac[EVP_MAX_MD_SIZE];
    unsigned int ml = 0;
    kdf(mkey, msalt, 14, 0x03, ke, 16);
    kdf(mkey, msalt, 14, 0x04, ka, 20);
    kdf(mkey, msalt, 14, 0x05, ks, 14);
    cm_iv(ks, get32(pkt + 4), index, iv);
    memcpy(out, pkt, 8);
    aes_ctr(ke, iv, pkt + 8, out + 8, len - 8);
    put32(out + len, 0x80000000u | index);
    HMAC(EVP_sha1(), ka, 20, out, len + 4, mac, &ml);
    memcpy(out + len + 4, mac, 10);
    return len + 14;
}

static void gcm(const uint8_t *key, const uint8_t *iv, const uint8_t *aad, size_t aad_len,
                const uint8_t *in, size_t len, uint8_t *out, uint8_t *tag)
{
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    int n = 0;
    EVP_EncryptInit_ex(c, EVP_aes_128_gcm(), NULL, NULL, NULL);
    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_IVLEN, 12, NULL);
    EVP_EncryptInit_ex(c, NULL, NULL, key, iv);
    EVP_EncryptUpdate(c, NULL, &n, aad, (int)aad_len);
    if (len)
        EVP_EncryptUpdate(c, out, &n, in, (int)len);
    EVP_EncryptFinal_ex(c, out + n, &n);
    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, 16, tag);
    EVP_CIPHER_CTX_free(c);
}

/* RFC 7714 §8.1: IV = (00 00 | SSRC | ROC | SEQ) XOR salt. */
static void gcm_rtp_iv(const uint8_t *salt, uint32_t ssrc, uint32_t roc, uint16_t seq, uint8_t *iv)
{
    uint8_t b[12] = {0};
    put32(b + 2, ssrc);
    put32(b + 6, roc);
    b[10] = (uint8_t)(seq >> 8);
    b[11] = (uint8_t)seq;
    for (int i = 0; i < 12; i++)
        iv[i] = b[i] ^ salt[i];
}

/* RFC 7714 §9.1: IV = (00 00 | SSRC | 00 00 | 0 | index31) XOR salt. */
static void gcm_rtcp_iv(const uint8_t *salt, uint32_t ssrc, uint32_t index, uint8_t *iv)
{
    uint8_t b[12] = {0};
    put32(b + 2, ssrc);
    put32(b + 8, index & 0x7fffffffu);
    for (int i = 0; i < 12; i++)
        iv[i] = b[i] ^ salt[i];
}

/* RFC 7714 §8.2: header as AAD, out = header | ciphertext | tag(16). */
static size_t ref_gcm_rtp_session(const uint8_t *key, const uint8_t *salt, const uint8_t *pkt,
                                  size_t len, uint32_t roc, uint8_t *out)
{
    uint8_t iv[12];
    size_t hl = rtp_hl(pkt);
    gcm_rtp_iv(salt, get32(pkt + 8), roc, (uint16_t)((pkt[2] << 8) | pkt[3]), iv);
    memcpy(out, pkt, hl);
    gcm(key, iv, pkt, hl, pkt + hl, len - hl, out + hl, out + len);
    return len + 16;
}

/* RFC 7714 §9: AAD = header(8) | E+index; out = header | ct | tag | E+index. */
static size_t ref_gcm_rtcp_session(const uint8_t *key, const uint8_t *salt, const uint8_t *pkt,
                                   size_t len, uint32_t index, uint8_t *out)
{
    uint8_t iv[12], aad[12];
    gcm_rtcp_iv(salt, get32(pkt + 4), index, iv);
    memcpy(aad, pkt, 8);
    put32(aad + 8, 0x80000000u | index);
    memcpy(out, pkt, 8);
    gcm(key, iv, aad, 12, pkt + 8, len - 8, out + 8, out + len);
    put32(out + len + 16, 0x80000000u | index);
    return len + 20;
}

static size_t ref_gcm_rtp(const uint8_t *mkey, const uint8_t *msalt, const uint8_t *pkt, size_t len,
                          uint32_t roc, uint8_t *out)
{
    uint8_t ke[16], ks[12];
    kdf(mkey, msalt, 12, 0x00, ke, 16);
    kdf(mkey, msalt, 12, 0x02, ks, 12);
    return ref_gcm_rtp_session(ke, ks, pkt, len, roc, out);
}

static size_t ref_gcm_rtcp(const uint8_t *mkey, const uint8_t *msalt, const uint8_t *pkt,
                           size_t len, uint32_t index, uint8_t *out)
{
    uint8_t ke[16], ks[12];
    kdf(mkey, msalt, 12, 0x03, ke, 16);
    kdf(mkey, msalt, 12, 0x05, ks, 12);
    return ref_gcm_rtcp_session(ke, ks, pkt, len, index, out);
}

/* --- RFC known answers for the reference ------------------------------- */

/* RFC 3711 B.3 */
static const uint8_t b3_master_key[16] = {
    0xe1, 0xf9, 0x7a, 0x0d, 0x3e, 0x01, 0x8b, 0xe0, /* master key */
    0xd6, 0x4f, 0xa3, 0x2c, 0x06, 0xde, 0x41, 0x39,
};
static const uint8_t b3_master_salt[14] = {
    0x0e, 0xc6, 0x75, 0xad, 0x49, 0x8a, 0xfe, /* master salt */
    0xeb, 0xb6, 0x96, 0x0b, 0x3a, 0xab, 0xe6,
};

static void test_rfc3711_b3_kdf(void)
{
    static const uint8_t cipher_key[16] = {
        0xc6, 0x1e, 0x7a, 0x93, 0x74, 0x4f, 0x39, 0xee, /* label 0x00 */
        0x10, 0x73, 0x4a, 0xfe, 0x3f, 0xf7, 0xa0, 0x87,
    };
    static const uint8_t cipher_salt[14] = {
        0x30, 0xcb, 0xbc, 0x08, 0x86, 0x3d, 0x8c, /* label 0x02 */
        0x85, 0xd4, 0x9d, 0xb3, 0x4a, 0x9a, 0xe1,
    };
    static const uint8_t auth_key[20] = {
        0xce, 0xbe, 0x32, 0x1f, 0x6f, 0xf7, 0x71, 0x6b, /* label 0x01, first 160 bits */
        0x6f, 0xd4, 0xab, 0x49, 0xaf, 0x25, 0x6a, 0x15, /* */
        0x6d, 0x38, 0xba, 0xa4,
    };
    uint8_t out[20];
    kdf(b3_master_key, b3_master_salt, 14, 0x00, out, 16);
    CHECK_MEM(out, cipher_key, 16);
    kdf(b3_master_key, b3_master_salt, 14, 0x02, out, 14);
    CHECK_MEM(out, cipher_salt, 14);
    kdf(b3_master_key, b3_master_salt, 14, 0x01, out, 20);
    CHECK_MEM(out, auth_key, 20);
}

static void test_rfc3711_b2_keystream(void)
{
    static const uint8_t session_key[16] = {
        0x2b, 0x7e, 0x15, 0x16, 0x28, 0xae, 0xd2, 0xa6, /* */
        0xab, 0xf7, 0x15, 0x88, 0x09, 0xcf, 0x4f, 0x3c,
    };
    static const uint8_t session_salt[14] = {
        0xf0, 0xf1, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6, /* */
        0xf7, 0xf8, 0xf9, 0xfa, 0xfb, 0xfc, 0xfd,
    };
    static const uint8_t keystream[48] = {
        0xe0, 0x3e, 0xad, 0x09, 0x35, 0xc9, 0x5e, 0x80, /* counter ...0000 */
        0xe1, 0x66, 0xb1, 0x6d, 0xd9, 0x2b, 0x4e, 0xb4, /* */
        0xd2, 0x35, 0x13, 0x16, 0x2b, 0x02, 0xd0, 0xf7, /* counter ...0001 */
        0x2a, 0x43, 0xa2, 0xfe, 0x4a, 0x5f, 0x97, 0xab, /* */
        0x41, 0xe9, 0x5b, 0x3b, 0xb0, 0xa2, 0xe8, 0xdd, /* counter ...0002 */
        0x47, 0x79, 0x01, 0xe4, 0xfc, 0xa8, 0x94, 0xc0,
    };
    /* SSRC 0, ROC 0, SEQ 0: the payload of zeros encrypts to the keystream. */
    uint8_t pkt[12 + 48] = {0x80}, out[12 + 48 + 10], ka[20] = {0};
    size_t n = ref_cm_rtp_session(session_key, ka, session_salt, pkt, sizeof(pkt), 0, out);
    CHECK_EQ(n, sizeof(pkt) + 10);
    CHECK_MEM(out + 12, keystream, 48);
}

/* RFC 7714 §16: session key and salt used by all examples. */
static const uint8_t r7714_key[16] = {
    0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, /* */
    0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f,
};
static const uint8_t r7714_salt[12] = {
    0x51, 0x75, 0x69, 0x64, 0x20, 0x70, /* "Quid p" */
    0x72, 0x6f, 0x20, 0x71, 0x75, 0x6f, /* "ro quo" */
};

static void test_rfc7714_rtp(void)
{
    static const uint8_t pkt[50] = {
        0x80, 0x40, 0xf1, 0x7b,                         /* V=2, PT 64, SEQ 0xf17b */
        0x80, 0x41, 0xf8, 0xd3,                         /* timestamp */
        0x55, 0x01, 0xa0, 0xb2,                         /* SSRC */
        0x47, 0x61, 0x6c, 0x6c, 0x69, 0x61, 0x20, 0x65, /* "Gallia e" */
        0x73, 0x74, 0x20, 0x6f, 0x6d, 0x6e, 0x69, 0x73, /* "st omnis" */
        0x20, 0x64, 0x69, 0x76, 0x69, 0x73, 0x61, 0x20, /* " divisa " */
        0x69, 0x6e, 0x20, 0x70, 0x61, 0x72, 0x74, 0x65, /* "in parte" */
        0x73, 0x20, 0x74, 0x72, 0x65, 0x73,             /* "s tres" */
    };
    static const uint8_t expect_iv[12] = {
        0x51, 0x75, 0x3c, 0x65, 0x80, 0xc2, /* */
        0x72, 0x6f, 0x20, 0x71, 0x84, 0x14,
    };
    static const uint8_t expect[66] = {
        0x80, 0x40, 0xf1, 0x7b, 0x80, 0x41, 0xf8, 0xd3, /* header, clear */
        0x55, 0x01, 0xa0, 0xb2,                         /* */
        0xf2, 0x4d, 0xe3, 0xa3, 0xfb, 0x34, 0xde, 0x6c, /* ciphertext */
        0xac, 0xba, 0x86, 0x1c, 0x9d, 0x7e, 0x4b, 0xca, /* */
        0xbe, 0x63, 0x3b, 0xd5, 0x0d, 0x29, 0x4e, 0x6f, /* */
        0x42, 0xa5, 0xf4, 0x7a, 0x51, 0xc7, 0xd1, 0x9b, /* */
        0x36, 0xde, 0x3a, 0xdf, 0x88, 0x33,             /* */
        0x89, 0x9d, 0x7f, 0x27, 0xbe, 0xb1, 0x6a, 0x91, /* tag */
        0x52, 0xcf, 0x76, 0x5e, 0xe4, 0x39, 0x0c, 0xce,
    };
    uint8_t iv[12], out[80];
    gcm_rtp_iv(r7714_salt, 0x5501a0b2, 0, 0xf17b, iv);
    CHECK_MEM(iv, expect_iv, 12);
    size_t n = ref_gcm_rtp_session(r7714_key, r7714_salt, pkt, sizeof(pkt), 0, out);
    CHECK_EQ(n, sizeof(expect));
    CHECK_MEM(out, expect, sizeof(expect));
}

static void test_rfc7714_rtcp(void)
{
    static const uint8_t pkt[52] = {
        0x81, 0xc8, 0x00, 0x0d,                         /* V=2, RC 1, PT 200 (SR) */
        0x4d, 0x61, 0x72, 0x73,                         /* SSRC "Mars" */
        0x4e, 0x54, 0x50, 0x31, 0x4e, 0x54, 0x50, 0x32, /* "NTP1NTP2" */
        0x52, 0x54, 0x50, 0x20, 0x00, 0x00, 0x04, 0x2a, /* "RTP ", packets */
        0x00, 0x00, 0xe9, 0x30, 0x4c, 0x75, 0x6e, 0x61, /* octets, "Luna" */
        0xde, 0xad, 0xbe, 0xef, 0xde, 0xad, 0xbe, 0xef, /* */
        0xde, 0xad, 0xbe, 0xef, 0xde, 0xad, 0xbe, 0xef, /* */
        0xde, 0xad, 0xbe, 0xef,
    };
    static const uint8_t expect_iv[12] = {
        0x51, 0x75, 0x24, 0x05, 0x52, 0x03, /* */
        0x72, 0x6f, 0x20, 0x71, 0x70, 0xbb,
    };
    static const uint8_t expect[72] = {
        0x81, 0xc8, 0x00, 0x0d, 0x4d, 0x61, 0x72, 0x73, /* header, clear */
        0x63, 0xe9, 0x48, 0x85, 0xdc, 0xda, 0xb6, 0x7c, /* ciphertext */
        0xa7, 0x27, 0xd7, 0x66, 0x2f, 0x6b, 0x7e, 0x99, /* */
        0x7f, 0xf5, 0xc0, 0xf7, 0x6c, 0x06, 0xf3, 0x2d, /* */
        0xc6, 0x76, 0xa5, 0xf1, 0x73, 0x0d, 0x6f, 0xda, /* */
        0x4c, 0xe0, 0x9b, 0x46, 0x86, 0x30, 0x3d, 0xed, /* */
        0x0b, 0xb9, 0x27, 0x5b,                         /* */
        0xc8, 0x4a, 0xa4, 0x58, 0x96, 0xcf, 0x4d, 0x2f, /* tag */
        0xc5, 0xab, 0xf8, 0x72, 0x45, 0xd9, 0xea, 0xde, /* */
        0x80, 0x00, 0x05, 0xd4,                         /* E=1, SRTCP index 0x5d4 */
    };
    uint8_t iv[12], out[80];
    gcm_rtcp_iv(r7714_salt, 0x4d617273, 0x5d4, iv);
    CHECK_MEM(iv, expect_iv, 12);
    size_t n = ref_gcm_rtcp_session(r7714_key, r7714_salt, pkt, sizeof(pkt), 0x5d4, out);
    CHECK_EQ(n, sizeof(expect));
    CHECK_MEM(out, expect, sizeof(expect));
}

/* --- cv_srtp against the reference ------------------------------------- */

static const uint8_t salt_b[14] = {
    0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, /* the other direction's salt */
    0xa7, 0xa8, 0xa9, 0xaa, 0xab, 0xac, 0xad,
};
static const uint8_t key_b[16] = {
    0x10, 0x32, 0x54, 0x76, 0x98, 0xba, 0xdc, 0xfe, /* the other direction's key */
    0xef, 0xcd, 0xab, 0x89, 0x67, 0x45, 0x23, 0x01,
};

/* Keys for the sender (local = B3 master) and its mirror for the receiver. */
static void make_keys(int profile, cv_srtp_keys_t *tx, cv_srtp_keys_t *rx)
{
    memset(tx, 0, sizeof(*tx));
    tx->profile = profile;
    tx->key_len = 16;
    tx->salt_len = profile == CV_SRTP_AEAD_AES_128_GCM ? 12 : 14;
    memcpy(tx->local_key, b3_master_key, 16);
    memcpy(tx->local_salt, b3_master_salt, tx->salt_len);
    memcpy(tx->remote_key, key_b, 16);
    memcpy(tx->remote_salt, salt_b, tx->salt_len);
    *rx = *tx;
    memcpy(rx->local_key, tx->remote_key, 16);
    memcpy(rx->local_salt, tx->remote_salt, 14);
    memcpy(rx->remote_key, tx->local_key, 16);
    memcpy(rx->remote_salt, tx->local_salt, 14);
}

/* An RTP packet with one CSRC and a one-byte-header extension block. */
static size_t make_rtp(uint8_t *p, uint16_t seq, uint32_t ssrc, size_t payload)
{
    static const uint8_t head[24] = {
        0x91, 0x60,             /* V=2, X=1, CC=1; PT 96 */
        0x00, 0x00,             /* sequence number (set below) */
        0x00, 0x01, 0xe2, 0x40, /* timestamp */
        0x00, 0x00, 0x00, 0x00, /* SSRC (set below) */
        0x0a, 0x0b, 0x0c, 0x0d, /* CSRC */
        0xbe, 0xde, 0x00, 0x01, /* RFC 8285 one-byte extensions, 1 word */
        0x10, 0x9a, 0x00, 0x00, /* id 1 len 1: audio level, padding */
    };
    memcpy(p, head, sizeof(head));
    p[2] = (uint8_t)(seq >> 8);
    p[3] = (uint8_t)seq;
    put32(p + 8, ssrc);
    for (size_t i = 0; i < payload; i++)
        p[sizeof(head) + i] = (uint8_t)(i * 7 + seq);
    return sizeof(head) + payload;
}

static size_t make_rtcp(uint8_t *p, uint32_t ssrc)
{
    static const uint8_t rr[32] = {
        0x81, 0xc9, 0x00, 0x07, /* V=2, RC 1, PT 201 (RR), 7 words */
        0x00, 0x00, 0x00, 0x00, /* sender SSRC (set below) */
        0x11, 0x22, 0x33, 0x44, /* source SSRC */
        0x01, 0x00, 0x00, 0x05, /* fraction lost, cumulative lost */
        0x00, 0x01, 0x00, 0x10, /* extended highest sequence */
        0x00, 0x00, 0x00, 0x20, /* jitter */
        0x12, 0x34, 0x56, 0x78, /* LSR */
        0x00, 0x00, 0x10, 0x00, /* DLSR */
    };
    memcpy(p, rr, sizeof(rr));
    put32(p + 4, ssrc);
    return sizeof(rr);
}

static size_t ref_rtp(int profile, const uint8_t *pkt, size_t len, uint32_t roc, uint8_t *out)
{
    if (profile == CV_SRTP_AEAD_AES_128_GCM)
        return ref_gcm_rtp(b3_master_key, b3_master_salt, pkt, len, roc, out);
    return ref_cm_rtp(b3_master_key, b3_master_salt, pkt, len, roc, out);
}

static size_t ref_rtcp(int profile, const uint8_t *pkt, size_t len, uint32_t index, uint8_t *out)
{
    if (profile == CV_SRTP_AEAD_AES_128_GCM)
        return ref_gcm_rtcp(b3_master_key, b3_master_salt, pkt, len, index, out);
    return ref_cm_rtcp(b3_master_key, b3_master_salt, pkt, len, index, out);
}

/* What the reference above computes for make_rtp(0x1234, 0xcafebabe, 8
 * payload bytes) with the B.3 master key and salt, ROC 0; pinned so that a
 * change in either the reference or srtp.c shows. */
static const uint8_t kat_cm[24 + 8 + 10] = {
    0x91, 0x60, 0x12, 0x34, 0x00, 0x01, 0xe2, 0x40, /* header, clear */
    0xca, 0xfe, 0xba, 0xbe, 0x0a, 0x0b, 0x0c, 0x0d, /* SSRC, CSRC */
    0xbe, 0xde, 0x00, 0x01, 0x10, 0x9a, 0x00, 0x00, /* extension */
    0xd1, 0xc5, 0x35, 0xae, 0x1c, 0x65, 0x8d, 0x16, /* AES-CM ciphertext */
    0xee, 0x8f, 0x22, 0x38, 0x6d, 0xe0, 0xa9, 0xe4, /* HMAC-SHA1-80 tag */
    0xfe, 0xed,
};
static const uint8_t kat_gcm[24 + 8 + 16] = {
    0x91, 0x60, 0x12, 0x34, 0x00, 0x01, 0xe2, 0x40, /* header, clear (AAD) */
    0xca, 0xfe, 0xba, 0xbe, 0x0a, 0x0b, 0x0c, 0x0d, /* SSRC, CSRC */
    0xbe, 0xde, 0x00, 0x01, 0x10, 0x9a, 0x00, 0x00, /* extension */
    0x91, 0x5a, 0xe5, 0x1b, 0xa5, 0x15, 0xa0, 0x7c, /* AES-GCM ciphertext */
    0x4c, 0x82, 0x8f, 0x1f, 0xe5, 0x75, 0x7a, 0x6b, /* GCM tag */
    0x32, 0x34, 0xb6, 0xfe, 0xdd, 0xed, 0x34, 0x2f,
};

static void test_kat(int profile)
{
    cv_srtp_keys_t tk, rk;
    make_keys(profile, &tk, &rk);
    cv_srtp_t *tx = cv_srtp_create(&tk), *rx = cv_srtp_create(&rk);
    CHECK(tx && rx);
    if (!tx || !rx)
        goto out;
    _Alignas(4) uint8_t buf[BUF], plain[BUF], ref[BUF];
    size_t len = make_rtp(buf, 0x1234, 0xcafebabe, 8);
    memcpy(plain, buf, len);
    int n = cv_srtp_protect_rtp(tx, buf, len, sizeof(buf));
    size_t rn = ref_rtp(profile, plain, len, 0, ref);
    CHECK_EQ(n, (int)rn);
    CHECK_EQ(n, (int)len + cv_srtp_tag_len(profile));
    CHECK_MEM(buf, ref, rn);
    if (profile == CV_SRTP_AES128_CM_SHA1_80) {
        CHECK_EQ(n, sizeof(kat_cm));
        CHECK_MEM(buf, kat_cm, sizeof(kat_cm));
    } else {
        CHECK_EQ(n, sizeof(kat_gcm));
        CHECK_MEM(buf, kat_gcm, sizeof(kat_gcm));
    }
    CHECK_EQ(cv_srtp_unprotect_rtp(rx, buf, (size_t)n), (int)len);
    CHECK_MEM(buf, plain, len);

    /* RTCP: srtp.c picks the SRTCP index; read it from the trailer. */
    len = make_rtcp(buf, 0xcafebabe);
    memcpy(plain, buf, len);
    n = cv_srtp_protect_rtcp(tx, buf, len, sizeof(buf));
    CHECK(n > (int)len + 4);
    if (n > (int)len + 4) {
        uint32_t word = get32(buf + len + (profile == CV_SRTP_AEAD_AES_128_GCM ? 16 : 0));
        CHECK(word & 0x80000000u); /* E flag: encrypted */
        rn = ref_rtcp(profile, plain, len, word & 0x7fffffffu, ref);
        CHECK_EQ(n, (int)rn);
        CHECK_MEM(buf, ref, rn);
    }
    CHECK_EQ(cv_srtp_unprotect_rtcp(rx, buf, (size_t)n), (int)len);
    CHECK_MEM(buf, plain, len);
out:
    cv_srtp_destroy(tx);
    cv_srtp_destroy(rx);
}

/* Starts at each of 0, 32767, 32768, 65534, 65535 and sends 4 packets: each
 * output must equal the reference with the right ROC (1 after the wrap), and
 * the receiver must recover every packet. */
static void test_sequence_starts(int profile)
{
    static const uint16_t starts[] = {0, 32767, 32768, 65534, 65535};
    for (size_t s = 0; s < sizeof(starts) / sizeof(starts[0]); s++) {
        cv_srtp_keys_t tk, rk;
        make_keys(profile, &tk, &rk);
        cv_srtp_t *tx = cv_srtp_create(&tk), *rx = cv_srtp_create(&rk);
        CHECK(tx && rx);
        for (uint32_t i = 0; tx && rx && i < 4; i++) {
            uint32_t ext = starts[s] + i;
            _Alignas(4) uint8_t buf[BUF], plain[BUF], ref[BUF];
            size_t len = make_rtp(buf, (uint16_t)ext, 0x01020304, 40);
            memcpy(plain, buf, len);
            int n = cv_srtp_protect_rtp(tx, buf, len, sizeof(buf));
            size_t rn = ref_rtp(profile, plain, len, ext >> 16, ref);
            CHECK_EQ(n, (int)rn);
            CHECK_MEM(buf, ref, rn);
            CHECK_EQ(cv_srtp_unprotect_rtp(rx, buf, (size_t)n), (int)len);
            CHECK_MEM(buf, plain, len);
        }
        cv_srtp_destroy(tx);
        cv_srtp_destroy(rx);
    }
}

/* Two full wraps in steps of 7: the receiver's ROC estimate follows. */
static void test_long_run(int profile)
{
    cv_srtp_keys_t tk, rk;
    make_keys(profile, &tk, &rk);
    cv_srtp_t *tx = cv_srtp_create(&tk), *rx = cv_srtp_create(&rk);
    int bad = 0;
    for (uint32_t ext = 60000; tx && rx && ext < 60000 + 2 * 65536; ext += 7) {
        _Alignas(4) uint8_t buf[256];
        size_t len = make_rtp(buf, (uint16_t)ext, 0x0badcafe, 16);
        int n = cv_srtp_protect_rtp(tx, buf, len, sizeof(buf));
        if (n < 0 || cv_srtp_unprotect_rtp(rx, buf, (size_t)n) != (int)len)
            bad++;
    }
    CHECK(tx && rx);
    CHECK_EQ(bad, 0);
    cv_srtp_destroy(tx);
    cv_srtp_destroy(rx);
}

static void test_errors(int profile)
{
    cv_srtp_keys_t tk, rk;
    make_keys(profile, &tk, &rk);
    cv_srtp_t *tx = cv_srtp_create(&tk), *rx = cv_srtp_create(&rk);
    CHECK(tx && rx);
    if (!tx || !rx)
        goto out;
    _Alignas(4) uint8_t buf[BUF], copy[BUF], plain[BUF];
    int tag = cv_srtp_tag_len(profile);

    /* Spare room: one byte short is refused and leaves buf untouched. */
    size_t len = make_rtp(buf, 100, 0x55667788, 100);
    memcpy(plain, buf, len);
    CHECK_EQ(cv_srtp_protect_rtp(tx, buf, len, len + CV_SRTP_MAX_TRAILER_RTP - 1), CV_E_NOSPACE);
    CHECK_MEM(buf, plain, len);
    int n = cv_srtp_protect_rtp(tx, buf, len, len + CV_SRTP_MAX_TRAILER_RTP);
    CHECK_EQ(n, (int)len + tag);
    CHECK_EQ(cv_srtp_protect_rtp(tx, buf, len + 1, len), CV_E_INVAL);

    /* Tampering with payload, tag or header fails authentication. */
    static const size_t flips[] = {30, 0, 2, 8};
    for (size_t i = 0; i < sizeof(flips) / sizeof(flips[0]); i++) {
        size_t at = flips[i] == 0 ? (size_t)n - 1 : flips[i];
        memcpy(copy, buf, (size_t)n);
        copy[at] ^= 0x01;
        CHECK_EQ(cv_srtp_unprotect_rtp(rx, copy, (size_t)n), CV_E_CRYPTO);
    }
    /* A truncated packet (tag cut) fails too. */
    memcpy(copy, buf, (size_t)n);
    CHECK_EQ(cv_srtp_unprotect_rtp(rx, copy, (size_t)n - 1), CV_E_CRYPTO);

    /* The genuine packet once, then its replay. */
    memcpy(copy, buf, (size_t)n);
    CHECK_EQ(cv_srtp_unprotect_rtp(rx, copy, (size_t)n), (int)len);
    memcpy(copy, buf, (size_t)n);
    CHECK_EQ(cv_srtp_unprotect_rtp(rx, copy, (size_t)n), CV_E_REPLAY);

    /* A retransmission of the same sequence number may be protected again
     * (allow_repeat_tx) and gives the same bytes. */
    memcpy(copy, plain, len);
    CHECK_EQ(cv_srtp_protect_rtp(tx, copy, len, sizeof(copy)), n);
    CHECK_MEM(copy, buf, (size_t)n);

    /* Reordering within the window is fine; older than the window is not. */
    _Alignas(4) uint8_t p101[BUF], p102[BUF], old[BUF];
    size_t l101 = make_rtp(p101, 101, 0x55667788, 20), l102 = make_rtp(p102, 102, 0x55667788, 20);
    int n101 = cv_srtp_protect_rtp(tx, p101, l101, sizeof(p101));
    int n102 = cv_srtp_protect_rtp(tx, p102, l102, sizeof(p102));
    CHECK_EQ(cv_srtp_unprotect_rtp(rx, p102, (size_t)n102), (int)l102);
    CHECK_EQ(cv_srtp_unprotect_rtp(rx, p101, (size_t)n101), (int)l101);
    size_t lold = make_rtp(old, 103, 0x55667788, 20);
    int nold = cv_srtp_protect_rtp(tx, old, lold, sizeof(old));
    int lost = 0;
    for (uint16_t seq = 104; seq < 104 + 1100; seq++) {
        size_t l = make_rtp(copy, seq, 0x55667788, 4);
        int m = cv_srtp_protect_rtp(tx, copy, l, sizeof(copy));
        if (m < 0 || cv_srtp_unprotect_rtp(rx, copy, (size_t)m) != (int)l)
            lost++;
    }
    CHECK_EQ(lost, 0);
    CHECK_EQ(cv_srtp_unprotect_rtp(rx, old, (size_t)nold), CV_E_REPLAY);

    /* Malformed RTP is refused before any byte past its end is read. */
    len = make_rtp(buf, 7, 1, 0);
    CHECK_EQ(cv_srtp_protect_rtp(tx, buf, 11, sizeof(buf)), CV_E_INVAL); /* < 12 bytes */
    buf[0] = 0x40;                                                       /* version 1 */
    CHECK_EQ(cv_srtp_protect_rtp(tx, buf, len, sizeof(buf)), CV_E_INVAL);
    make_rtp(buf, 7, 1, 0);
    buf[0] = 0x8f; /* 15 CSRCs: 72 header bytes in a 24-byte packet */
    CHECK_EQ(cv_srtp_protect_rtp(tx, buf, len, sizeof(buf)), CV_E_INVAL);
    make_rtp(buf, 7, 1, 0);
    buf[18] = 0xff; /* extension of 0xff01 words */
    CHECK_EQ(cv_srtp_protect_rtp(tx, buf, len, sizeof(buf)), CV_E_INVAL);
    CHECK_EQ(cv_srtp_unprotect_rtp(rx, buf, len), CV_E_INVAL);
    make_rtp(buf, 7, 1, 0);
    buf[0] = 0x90; /* X=1, CC=0: the extension header would be the CSRC word */
    CHECK_EQ(cv_srtp_unprotect_rtp(rx, buf, 15), CV_E_INVAL);
    make_rtp(buf, 7, 1, 0);
    CHECK_EQ(cv_srtp_unprotect_rtp(rx, buf, len + (size_t)tag - 1),
             CV_E_INVAL); /* no room for tag */

    /* RTCP: room, tamper, replay, malformed. */
    len = make_rtcp(buf, 0x99887766);
    memcpy(plain, buf, len);
    CHECK_EQ(cv_srtp_protect_rtcp(tx, buf, len, len + CV_SRTP_MAX_TRAILER - 1), CV_E_NOSPACE);
    CHECK_MEM(buf, plain, len);
    n = cv_srtp_protect_rtcp(tx, buf, len, len + CV_SRTP_MAX_TRAILER);
    CHECK_EQ(n, (int)len + 4 + tag);
    memcpy(copy, buf, (size_t)n);
    copy[12] ^= 0x80;
    CHECK_EQ(cv_srtp_unprotect_rtcp(rx, copy, (size_t)n), CV_E_CRYPTO);
    memcpy(copy, buf, (size_t)n);
    CHECK_EQ(cv_srtp_unprotect_rtcp(rx, copy, (size_t)n), (int)len);
    CHECK_MEM(copy, plain, len);
    memcpy(copy, buf, (size_t)n);
    CHECK_EQ(cv_srtp_unprotect_rtcp(rx, copy, (size_t)n), CV_E_REPLAY);
    CHECK_EQ(cv_srtp_protect_rtcp(tx, buf, 7, sizeof(buf)), CV_E_INVAL);
    CHECK_EQ(cv_srtp_unprotect_rtcp(rx, buf, 8 + 4 + (size_t)tag - 1), CV_E_INVAL);
    buf[0] = 0x01; /* version 0 */
    CHECK_EQ(cv_srtp_unprotect_rtcp(rx, buf, (size_t)n), CV_E_INVAL);

    /* A packet from the wrong direction's key does not authenticate. */
    len = make_rtp(buf, 1300, 0x55667788, 10);
    n = cv_srtp_protect_rtp(rx, buf, len, sizeof(buf)); /* rx's outbound uses key B */
    CHECK_EQ(cv_srtp_unprotect_rtp(rx, buf, (size_t)n), CV_E_CRYPTO);
out:
    cv_srtp_destroy(tx);
    cv_srtp_destroy(rx);
}

static void test_create_args(void)
{
    cv_srtp_keys_t k, r;
    CHECK_EQ(cv_srtp_global_init(), 0);
    CHECK_EQ(cv_srtp_global_init(), 0);
    make_keys(CV_SRTP_AES128_CM_SHA1_80, &k, &r);
    k.salt_len = 12; /* CM needs 14 */
    CHECK(cv_srtp_create(&k) == NULL);
    make_keys(CV_SRTP_AEAD_AES_128_GCM, &k, &r);
    k.salt_len = 14; /* GCM needs 12 */
    CHECK(cv_srtp_create(&k) == NULL);
    make_keys(CV_SRTP_AEAD_AES_128_GCM, &k, &r);
    k.key_len = 32;
    CHECK(cv_srtp_create(&k) == NULL);
    k.key_len = 16;
    k.profile = 3;
    CHECK(cv_srtp_create(&k) == NULL);
    CHECK(cv_srtp_create(NULL) == NULL);
    CHECK_EQ(cv_srtp_tag_len(3), CV_E_INVAL);
    cv_srtp_destroy(NULL);
    uint8_t b[64] = {0x80};
    CHECK_EQ(cv_srtp_protect_rtp(NULL, b, 12, sizeof(b)), CV_E_INVAL);
    CHECK_EQ(cv_srtp_unprotect_rtp(NULL, b, 12), CV_E_INVAL);
}

int main(void)
{
    test_rfc3711_b3_kdf();
    test_rfc3711_b2_keystream();
    test_rfc7714_rtp();
    test_rfc7714_rtcp();
    test_create_args();
    static const int profiles[] = {CV_SRTP_AES128_CM_SHA1_80, CV_SRTP_AEAD_AES_128_GCM};
    for (size_t i = 0; i < 2; i++) {
        test_kat(profiles[i]);
        test_sequence_starts(profiles[i]);
        test_long_run(profiles[i]);
        test_errors(profiles[i]);
    }
    return CHECK_DONE("test_srtp");
}
