/*
 * fuzz_srtp.c - fuzz target for SRTP/SRTCP (srtp.c), whose unprotect reads
 * header lengths, the SRTCP index word and the tag from network bytes. The
 * input, after a first byte choosing the profile and the transform, goes to
 * unprotect as RTP or RTCP: refused with a known error, or (never, without
 * the key) accepted inside its bounds. Then it is protected as sent by us
 * and must unprotect back to the same bytes, once, and not a second time.
 */
#include "err.h"
#include "srtp.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static cv_srtp_t *pair[2][2]; /* [profile][0: sender, 1: receiver] */

static void setup(void)
{
    for (int g = 0; g < 2; g++) {
        cv_srtp_keys_t k = {.profile = g ? CV_SRTP_AEAD_AES_128_GCM : CV_SRTP_AES128_CM_SHA1_80,
                            .key_len = 16,
                            .salt_len = g ? 12 : 14};
        for (int i = 0; i < 16; i++) {
            k.local_key[i] = (uint8_t)(i + 1);
            k.remote_key[i] = (uint8_t)(i * 3 + 2);
        }
        pair[g][0] = cv_srtp_create(&k);
        memcpy(k.remote_key, k.local_key, 16);
        memcpy(k.remote_salt, k.local_salt, 14);
        pair[g][1] = cv_srtp_create(&k);
        if (!pair[g][0] || !pair[g][1])
            abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!pair[0][0])
        setup();
    if (size < 1 || size > 1400)
        return 0;
    int g = data[0] & 1, rtcp = (data[0] >> 1) & 1;
    _Alignas(8) uint8_t buf[1400 + CV_SRTP_MAX_TRAILER], plain[1400];
    size_t len = size - 1;
    memcpy(buf, data + 1, len);
    int n = rtcp ? cv_srtp_unprotect_rtcp(pair[g][1], buf, len)
                 : cv_srtp_unprotect_rtp(pair[g][1], buf, len);
    if (n >= 0 ? (size_t)n > len : n != CV_E_INVAL && n != CV_E_CRYPTO && n != CV_E_REPLAY)
        abort();
    memcpy(buf, data + 1, len);
    memcpy(plain, data + 1, len);
    n = rtcp ? cv_srtp_protect_rtcp(pair[g][0], buf, len, sizeof(buf))
             : cv_srtp_protect_rtp(pair[g][0], buf, len, sizeof(buf));
    if (n < 0) {
        if (n != CV_E_INVAL)
            abort();
        return 0;
    }
    if ((size_t)n <= len || (size_t)n > len + CV_SRTP_MAX_TRAILER)
        abort();
    uint8_t copy[sizeof(buf)];
    memcpy(copy, buf, (size_t)n);
    int m = rtcp ? cv_srtp_unprotect_rtcp(pair[g][1], buf, (size_t)n)
                 : cv_srtp_unprotect_rtp(pair[g][1], buf, (size_t)n);
    /* a sequence number seen before (this run is one long session) may be
     * refused as a replay; anything else must come back as it was */
    if (m == CV_E_REPLAY)
        return 0;
    if (m != (int)len || memcmp(buf, plain, len) != 0)
        abort();
    m = rtcp ? cv_srtp_unprotect_rtcp(pair[g][1], copy, (size_t)n)
             : cv_srtp_unprotect_rtp(pair[g][1], copy, (size_t)n);
    if (m != CV_E_REPLAY)
        abort();
    return 0;
}
