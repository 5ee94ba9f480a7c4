/*
 * fuzz_demux.c - fuzz target for the packet classifier (demux.c). Every prefix of the
 * input is copied into a buffer of exactly its size, so ASan sees any read past len;
 * the result must be a valid class that agrees with RFC 7983 §7 and RFC 5761 §4.
 */
#include "demux.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static int expected(const uint8_t *p, size_t len)
{
    if (len == 0)
        return CV_DEMUX_UNKNOWN;
    if (p[0] < 4)
        return len >= 20 ? CV_DEMUX_STUN : CV_DEMUX_UNKNOWN;
    if (p[0] >= 20 && p[0] < 64)
        return len >= 13 ? CV_DEMUX_DTLS : CV_DEMUX_UNKNOWN;
    if (p[0] >= 128 && p[0] < 192 && len >= 2) {
        if (p[1] >= 192 && p[1] <= 223)
            return len >= 8 ? CV_DEMUX_RTCP : CV_DEMUX_UNKNOWN;
        if (p[1] >= 64 && p[1] <= 95)
            return len >= 8 ? CV_DEMUX_RTCP : CV_DEMUX_UNKNOWN;
        return len >= 12 ? CV_DEMUX_RTP : CV_DEMUX_UNKNOWN;
    }
    return CV_DEMUX_UNKNOWN;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int r = cv_demux(data, size);
    if (r < CV_DEMUX_UNKNOWN || r > CV_DEMUX_RTCP || r != expected(data, size))
        abort();
    size_t max = size < 32 ? size : 32;
    for (size_t k = 0; k <= max; k++) {
        uint8_t *copy = malloc(k ? k : 1);
        if (!copy)
            return 0;
        memcpy(copy, data, k);
        int c = cv_demux(k ? copy : NULL, k);
        free(copy);
        if (c < CV_DEMUX_UNKNOWN || c > CV_DEMUX_RTCP || c != expected(data, k))
            abort();
    }
    return 0;
}
