/*
 * fuzz_twcc.c - fuzz target for transport-wide congestion control feedback
 * (twcc.c): any bytes parse inside their bounds or are refused with a known
 * error; and the input read as (sequence number, time step) pairs through the
 * recorder builds feedback that fits its buffer and parses back, reporting
 * every number once. A feedback that parses also goes to the sender's
 * estimator (bwe.c), after numbers it sent: whatever the times say, its
 * queuing delay and rate stay sane.
 */
#include "bwe.h"
#include "err.h"
#include "twcc.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static cv_twcc_rx_t r;
static cv_twcc_fb_t fb;
static cv_bwe_t bwe;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int rc = cv_twcc_parse(data, size, &fb);
    if (rc < 0 && rc != CV_E_SHORT && rc != CV_E_INVAL && rc != CV_E_UNSUPPORTED)
        abort();
    if (rc == 0 && (fb.count < 1 || fb.count > CV_TWCC_MAX_REPORT))
        abort();
    if (rc == 0) {
        cv_bwe_init(&bwe);
        for (int i = 0; i < 600; i++)
            cv_bwe_on_send(&bwe, 1200, 1000000 + i * 1000);
        int st = cv_bwe_on_feedback(&bwe, &fb);
        if (st < CV_BWE_NONE || st > CV_BWE_OVERUSE || bwe.acked_bps < 0 ||
            (st != CV_BWE_NONE && bwe.queue_us < 0))
            abort();
    }
    cv_twcc_rx_init(&r);
    int64_t now = 1000000;
    size_t cap = size > 0 ? 24 + data[0] * 4 : 1500;
    uint64_t reported = 0;
    for (size_t i = 0; i + 3 <= size; i += 3) {
        uint16_t seq = (uint16_t)(data[i] << 8 | data[i + 1]);
        now += (int64_t)data[i + 2] * 997;
        cv_twcc_rx_on_packet(&r, seq, now);
        uint8_t out[2048];
        int n;
        while ((n = cv_twcc_build(&r, out, cap, 1, 2)) > 0) {
            if ((size_t)n > cap || n % 4)
                abort();
            if (cv_twcc_parse(out, (size_t)n, &fb) != 0)
                abort();
            reported += (uint64_t)fb.count;
        }
        if (n < 0 && n != CV_E_NOSPACE)
            abort();
        if (n == CV_E_NOSPACE && cap >= 64)
            abort(); /* one packet always fits a buffer of 64 bytes */
        if (n == CV_E_NOSPACE)
            break;
    }
    if (reported > r.highest - (r.started ? 0 : r.highest) + 1 + CV_TWCC_SLOTS * 64ull)
        abort();
    return 0;
}
