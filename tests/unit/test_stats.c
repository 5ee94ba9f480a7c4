/*
 * test_stats.c - unit tests of transport/stats.c: counters add up (also from
 * several threads at once), a duration lands in the first bucket whose bound
 * is not below it, every drop counter has a reason label, and HTTP status
 * codes map to their class.
 */
#include "check.h"
#include "stats.h"

#include <pthread.h>
#include <string.h>

#define THREADS 4
#define ADDS 100000

static void *adder(void *arg)
{
    (void)arg;
    for (int i = 0; i < ADDS; i++)
        cv_stats_add(CV_STAT_RX_PACKETS, 1);
    return NULL;
}

static void test_counters(void)
{
    uint64_t before = cv_stats_get(CV_STAT_RX_BYTES);
    cv_stats_add(CV_STAT_RX_BYTES, 1200);
    cv_stats_add(CV_STAT_RX_BYTES, 34);
    CHECK_EQ(cv_stats_get(CV_STAT_RX_BYTES) - before, 1234);
    CHECK_EQ(cv_stats_get(CV_STAT_TX_BYTES), 0); /* the others untouched */
    cv_stats_add(CV_STAT_COUNT, 5);              /* out of range: ignored */
    CHECK_EQ(cv_stats_get(CV_STAT_COUNT), 0);

    pthread_t t[THREADS];
    for (int i = 0; i < THREADS; i++)
        pthread_create(&t[i], NULL, adder, NULL);
    for (int i = 0; i < THREADS; i++)
        pthread_join(t[i], NULL);
    CHECK_EQ(cv_stats_get(CV_STAT_RX_PACKETS), (uint64_t)THREADS * ADDS);
}

static void test_buckets(void)
{
    /* bounds ascend, from 0.5 ms to 100 ms */
    CHECK_EQ(cv_stats_bounds_us[0], 500);
    CHECK_EQ(cv_stats_bounds_us[CV_HIST_BOUNDS - 1], 100000);
    for (int i = 1; i < CV_HIST_BOUNDS; i++)
        CHECK(cv_stats_bounds_us[i] > cv_stats_bounds_us[i - 1]);

    cv_stats_hist_t h;
    cv_stats_observe_us(CV_HIST_AUDIO_TICK, 0);      /* bucket 0 */
    cv_stats_observe_us(CV_HIST_AUDIO_TICK, 500);    /* on the bound: bucket 0 (le) */
    cv_stats_observe_us(CV_HIST_AUDIO_TICK, 501);    /* bucket 1 */
    cv_stats_observe_us(CV_HIST_AUDIO_TICK, 40000);  /* 33 < 40 <= 50 ms: bucket 7 */
    cv_stats_observe_us(CV_HIST_AUDIO_TICK, 250000); /* above all: the last */
    cv_stats_observe_us(CV_HIST_AUDIO_TICK, -7);     /* a clock step back counts as 0 */
    cv_stats_hist_get(CV_HIST_AUDIO_TICK, &h);
    CHECK_EQ(h.bucket[0], 3);
    CHECK_EQ(h.bucket[1], 1);
    CHECK_EQ(h.bucket[7], 1);
    CHECK_EQ(h.bucket[CV_HIST_BOUNDS], 1);
    uint64_t total = 0;
    for (int i = 0; i <= CV_HIST_BOUNDS; i++)
        total += h.bucket[i];
    CHECK_EQ(total, 6);
    CHECK_EQ(h.sum_us, 500 + 501 + 40000 + 250000);
    cv_stats_hist_get(CV_HIST_VIDEO_TICK, &h); /* the other histogram untouched */
    CHECK_EQ(h.sum_us, 0);
    CHECK_EQ(h.bucket[0], 0);
}

static void test_reasons(void)
{
    for (int r = CV_STAT_DROP_FIRST; r < CV_STAT_DROP_REASONS_END; r++) {
        const char *name = cv_stats_drop_reason((enum cv_stat)r);
        CHECK(name != NULL && name[0]);
        for (int q = CV_STAT_DROP_FIRST; q < r && name; q++)
            CHECK(strcmp(name, cv_stats_drop_reason((enum cv_stat)q)) != 0);
    }
    CHECK_STR(cv_stats_drop_reason(CV_STAT_DROP_SRTP_AUTH), "srtp_auth");
    CHECK(cv_stats_drop_reason(CV_STAT_RX_PACKETS) == NULL);
    CHECK(cv_stats_drop_reason(CV_STAT_DROP_REASONS_END) == NULL);
}

static void test_http_class(void)
{
    CHECK_EQ(cv_stats_http_class(101), CV_STAT_HTTP_1XX);
    CHECK_EQ(cv_stats_http_class(200), CV_STAT_HTTP_2XX);
    CHECK_EQ(cv_stats_http_class(302), CV_STAT_HTTP_3XX);
    CHECK_EQ(cv_stats_http_class(404), CV_STAT_HTTP_4XX);
    CHECK_EQ(cv_stats_http_class(499), CV_STAT_HTTP_4XX);
    CHECK_EQ(cv_stats_http_class(503), CV_STAT_HTTP_5XX);
    CHECK_EQ(cv_stats_http_class(99), CV_STAT_HTTP_5XX);
    CHECK_EQ(cv_stats_http_class(600), CV_STAT_HTTP_5XX);
}

int main(void)
{
    test_counters();
    test_buckets();
    test_reasons();
    test_http_class();
    return CHECK_DONE("stats");
}
