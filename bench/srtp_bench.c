/*
 * srtp_bench.c - the cost of SRTP per packet (transport/srtp.c): protect and
 * unprotect, both profiles, a video-sized and an audio-sized packet, in CPU
 * time of this thread (so other load on the machine does not count).
 *
 * Usage: srtp_bench [packets]   (default 200000 per case)
 * Prints one line a case and a machine-readable "bench-row" line each.
 */
#include "srtp.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double cpu_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

static void keys(int profile, cv_srtp_keys_t *tx, cv_srtp_keys_t *rx)
{
    memset(tx, 0, sizeof(*tx));
    tx->profile = profile;
    tx->key_len = 16;
    tx->salt_len = profile == CV_SRTP_AEAD_AES_128_GCM ? 12 : 14;
    for (int i = 0; i < 32; i++) {
        tx->local_key[i] = (uint8_t)(i * 13 + 1);
        tx->remote_key[i] = (uint8_t)(i * 29 + 7);
    }
    for (int i = 0; i < 14; i++) {
        tx->local_salt[i] = (uint8_t)(i * 3 + 5);
        tx->remote_salt[i] = (uint8_t)(i * 11 + 2);
    }
    *rx = *tx;
    memcpy(rx->local_key, tx->remote_key, 32);
    memcpy(rx->local_salt, tx->remote_salt, 14);
    memcpy(rx->remote_key, tx->local_key, 32);
    memcpy(rx->remote_salt, tx->local_salt, 14);
}

static int run(int profile, size_t payload, int n)
{
    cv_srtp_keys_t tk, rk;
    keys(profile, &tk, &rk);
    cv_srtp_t *tx = cv_srtp_create(&tk), *rx = cv_srtp_create(&rk);
    if (!tx || !rx) {
        fprintf(stderr, "srtp_bench: cannot create the sessions\n");
        return -1;
    }
    static _Alignas(8) uint8_t pkts[64][1500];
    static int lens[64];
    double t_protect = 0, t_unprotect = 0;
    int bad = 0;
    for (int done = 0; done < n; done += 64) {
        double t0 = cpu_ns();
        for (int k = 0; k < 64; k++) {
            uint8_t *p = pkts[k];
            uint16_t seq = (uint16_t)(done + k);
            memset(p, 0, 12);
            p[0] = 0x80;
            p[1] = 96;
            p[2] = (uint8_t)(seq >> 8);
            p[3] = (uint8_t)seq;
            p[11] = 1;
            memset(p + 12, 0x5a, payload);
            lens[k] = cv_srtp_protect_rtp(tx, p, 12 + payload, sizeof(pkts[k]));
        }
        double t1 = cpu_ns();
        for (int k = 0; k < 64; k++)
            bad += lens[k] < 0 ||
                   cv_srtp_unprotect_rtp(rx, pkts[k], (size_t)lens[k]) != (int)(12 + payload);
        double t2 = cpu_ns();
        t_protect += t1 - t0;
        t_unprotect += t2 - t1;
    }
    cv_srtp_destroy(tx);
    cv_srtp_destroy(rx);
    const char *name = profile == CV_SRTP_AEAD_AES_128_GCM ? "gcm" : "cm-sha1-80";
    printf("srtp %-10s %4zu-byte payload: protect %6.0f ns, unprotect %6.0f ns a packet%s\n", name,
           payload, t_protect / n, t_unprotect / n, bad ? " (FAILED)" : "");
    printf("bench-row scenario=srtp-%s-%zu protect_ns=%.0f unprotect_ns=%.0f\n", name, payload,
           t_protect / n, t_unprotect / n);
    return bad ? -1 : 0;
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 200000;
    if (n < 64)
        n = 64;
    int rc = 0;
    static const int profiles[] = {CV_SRTP_AES128_CM_SHA1_80, CV_SRTP_AEAD_AES_128_GCM};
    for (int i = 0; i < 2; i++) {
        rc |= run(profiles[i], 1100, n);
        rc |= run(profiles[i], 100, n);
    }
    return rc ? 1 : 0;
}
