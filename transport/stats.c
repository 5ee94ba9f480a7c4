/*
 * stats.c - process-wide counters and histograms for /metrics. Any thread:
 * relaxed atomic adds, no lock.
 */
#include "stats.h"

#include <stdatomic.h>
#include <stddef.h>

const int64_t cv_stats_bounds_us[CV_HIST_BOUNDS] = {500,   1000,  2000,  5000,  10000,
                                                    20000, 33000, 50000, 100000};

static _Atomic uint64_t counters[CV_STAT_COUNT];

static struct {
    _Atomic uint64_t bucket[CV_HIST_BOUNDS + 1];
    _Atomic uint64_t sum_us;
} hists[CV_HIST_COUNT];

static const char *const reasons[CV_STAT_DROP_REASONS_END - CV_STAT_DROP_FIRST] = {
    [CV_STAT_DROP_DEMUX - CV_STAT_DROP_FIRST] = "demux",
    [CV_STAT_DROP_DTLS - CV_STAT_DROP_FIRST] = "dtls",
    [CV_STAT_DROP_NO_KEYS - CV_STAT_DROP_FIRST] = "no_keys",
    [CV_STAT_DROP_SRTP_AUTH - CV_STAT_DROP_FIRST] = "srtp_auth",
    [CV_STAT_DROP_SRTP_REPLAY - CV_STAT_DROP_FIRST] = "srtp_replay",
    [CV_STAT_DROP_MALFORMED_RTP - CV_STAT_DROP_FIRST] = "malformed_rtp",
    [CV_STAT_DROP_MALFORMED_RTCP - CV_STAT_DROP_FIRST] = "malformed_rtcp",
    [CV_STAT_DROP_UNKNOWN_SSRC - CV_STAT_DROP_FIRST] = "unknown_ssrc",
    [CV_STAT_DROP_UNKNOWN_PT - CV_STAT_DROP_FIRST] = "unknown_pt",
    [CV_STAT_DROP_NOT_WANTED - CV_STAT_DROP_FIRST] = "not_wanted",
    [CV_STAT_DROP_LATE - CV_STAT_DROP_FIRST] = "late",
    [CV_STAT_DROP_BAD_VP8 - CV_STAT_DROP_FIRST] = "bad_vp8",
    [CV_STAT_DROP_QUEUE_FULL - CV_STAT_DROP_FIRST] = "queue_full",
};

void cv_stats_add(enum cv_stat which, uint64_t n)
{
    if ((unsigned)which < CV_STAT_COUNT)
        atomic_fetch_add_explicit(&counters[which], n, memory_order_relaxed);
}

uint64_t cv_stats_get(enum cv_stat which)
{
    if ((unsigned)which >= CV_STAT_COUNT)
        return 0;
    return atomic_load_explicit(&counters[which], memory_order_relaxed);
}

const char *cv_stats_drop_reason(enum cv_stat which)
{
    if (which < CV_STAT_DROP_FIRST || which >= CV_STAT_DROP_REASONS_END)
        return NULL;
    return reasons[which - CV_STAT_DROP_FIRST];
}

void cv_stats_observe_us(enum cv_stat_hist which, int64_t us)
{
    if ((unsigned)which >= CV_HIST_COUNT)
        return;
    if (us < 0)
        us = 0;
    int i = 0;
    while (i < CV_HIST_BOUNDS && us > cv_stats_bounds_us[i])
        i++;
    atomic_fetch_add_explicit(&hists[which].bucket[i], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&hists[which].sum_us, (uint64_t)us, memory_order_relaxed);
}

void cv_stats_hist_get(enum cv_stat_hist which, cv_stats_hist_t *out)
{
    for (int i = 0; i <= CV_HIST_BOUNDS; i++)
        out->bucket[i] = (unsigned)which < CV_HIST_COUNT
                             ? atomic_load_explicit(&hists[which].bucket[i], memory_order_relaxed)
                             : 0;
    out->sum_us = (unsigned)which < CV_HIST_COUNT
                      ? atomic_load_explicit(&hists[which].sum_us, memory_order_relaxed)
                      : 0;
}

enum cv_stat cv_stats_http_class(int status)
{
    if (status < 100 || status > 599)
        return CV_STAT_HTTP_5XX;
    return (enum cv_stat)(CV_STAT_HTTP_1XX + status / 100 - 1);
}
