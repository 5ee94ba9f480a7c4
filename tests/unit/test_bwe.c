/*
 * test_bwe.c - the sender's side of transport-wide congestion control
 * (bwe.c), end to end on a virtual clock: packets numbered by cv_bwe_on_send
 * cross a simulated link (impair.c's named profiles), the receiver's recorder
 * and builder (twcc.c) make the feedback, cv_twcc_parse reads it back, and
 * the estimator must tell a queue (a capped link) from jitter and random loss,
 * and measure what the link delivered.
 */
#include "bwe.h"
#include "check.h"
#include "impair.h"
#include "twcc.h"

#include <string.h>

#define MS 1000
#define PENDING 4096

typedef struct {
    int64_t at;
    uint16_t seq;
} flight_t;

typedef struct {
    int overuse, normal, queue; /* windows seen */
    int64_t first_overuse_us;   /* -1 none */
    int64_t acked_bps;          /* at the end */
    int64_t max_queue_us;
    int64_t reorder_us; /* at the end */
    int64_t peak_bps;   /* at the first overuse */
    int64_t fb_gap_us;  /* at the end */
} run_t;

/* Sends rate_bps in packets of size bytes for ms through the profile,
 * feedback every 50 ms, and sums up what the estimator said. */
static run_t run(const char *profile, int64_t rate_bps, int size, int ms)
{
    static cv_bwe_t b;
    static cv_twcc_rx_t rx;
    static flight_t fl[PENDING];
    int nfl = 0;
    cv_impair_profile_t p;
    CHECK_EQ(cv_impair_profile_named(profile, &p), 0);
    cv_impair_t im;
    cv_impair_init(&im, &p, 7);
    cv_bwe_init(&b);
    cv_twcc_rx_init(&rx);
    run_t r = {.first_overuse_us = -1};
    int64_t credit = 0;
    for (int64_t t = 0; t < (int64_t)ms * MS; t += MS) {
        credit += rate_bps / 8 / 1000; /* bytes a millisecond */
        while (credit >= size) {
            credit -= size;
            uint16_t seq = cv_bwe_on_send(&b, (size_t)size, t);
            int64_t at;
            if (cv_impair_packet(&im, (size_t)size, t, &at) == CV_IMPAIR_PASS && nfl < PENDING)
                fl[nfl++] = (flight_t){at, seq};
        }
        for (int i = 0; i < nfl;) {
            if (fl[i].at <= t) {
                cv_twcc_rx_on_packet(&rx, fl[i].seq, t + 5 * 64000); /* another clock */
                fl[i] = fl[--nfl];
            } else {
                i++;
            }
        }
        if (t % (50 * MS) != 0)
            continue;
        while (cv_twcc_rx_pending(&rx)) {
            uint8_t pkt[1500];
            cv_twcc_fb_t fb;
            int n = cv_twcc_build(&rx, pkt, sizeof(pkt), 1, 2);
            if (n <= 0 || cv_twcc_parse(pkt, (size_t)n, &fb) != 0) {
                CHECK(0);
                break;
            }
            int s = cv_bwe_on_feedback(&b, &fb);
            if (s == CV_BWE_OVERUSE && r.first_overuse_us < 0) {
                r.first_overuse_us = t;
                r.peak_bps = b.peak_bps;
            }
            r.overuse += s == CV_BWE_OVERUSE;
            r.normal += s == CV_BWE_NORMAL;
            r.queue += s == CV_BWE_QUEUE;
            if (b.queue_us > r.max_queue_us)
                r.max_queue_us = b.queue_us;
        }
    }
    r.acked_bps = b.acked_bps;
    r.reorder_us = b.reorder_us;
    r.fb_gap_us = b.fb_gap_us;
    CHECK_EQ(b.unknown, 0);
    return r;
}

static int near(int64_t x, int64_t want, int pct)
{
    return x >= want - want * pct / 100 && x <= want + want * pct / 100;
}

static void test_clean(void)
{
    run_t r = run("clean", 500000, 1000, 10000);
    CHECK_EQ(r.overuse, 0);
    CHECK_EQ(r.queue, 0);
    CHECK(r.normal > 50);
    CHECK(near(r.acked_bps, 500000, 10));
    CHECK_EQ(r.reorder_us, 0);
    CHECK(near(r.fb_gap_us, 50000, 10)); /* feedback each 50 ms */
}

/* 150 ms +- 40 ms: packets overtake each other, single ones are late by up to
 * 80 ms, but no queue stands: never overuse. */
static void test_jitter_is_not_a_queue(void)
{
    run_t r = run("delay150", 500000, 1000, 20000);
    CHECK_EQ(r.overuse, 0);
    CHECK(r.max_queue_us < CV_BWE_OVERUSE_US);
    CHECK(r.normal > 100);
    /* and rarely even a short queue, which would hold a step up back */
    printf("# delay150: %d windows without a queue, %d with a short one\n", r.normal, r.queue);
    CHECK(r.queue * 50 <= r.normal);
    /* and its reordering: packets 16 ms apart, each 0..80 ms late */
    printf("# delay150: reordering %lld ms\n", (long long)(r.reorder_us / MS));
    CHECK(r.reorder_us >= 20000 && r.reorder_us <= 80000);
}

static void test_random_loss_is_not_a_queue(void)
{
    run_t r = run("loss20", 500000, 1000, 10000);
    CHECK_EQ(r.overuse, 0);
    CHECK(near(r.acked_bps, 400000, 15)); /* what arrived */
    r = run("loss20+delay100", 500000, 1000, 10000);
    CHECK_EQ(r.overuse, 0);
}

/* 600 kbit/s into a 300 kbit/s link with a 30 kB queue: the queue is seen
 * building within half a second, long before it is full (800 ms), and what
 * the link delivers is its rate. */
static void test_capped_link(void)
{
    run_t r = run("cap300", 600000, 1000, 5000);
    CHECK(r.first_overuse_us >= 0);
    printf("# cap300 at 600 kbit/s: overuse first seen at %lld ms\n",
           (long long)(r.first_overuse_us / MS));
    CHECK(r.first_overuse_us <= 500 * MS);
    CHECK(r.overuse > 10);
    CHECK(near(r.acked_bps, 300000, 10));
    /* at the first overuse, the windows since the link saturated show its
     * rate, where the average still holds the time before */
    CHECK(near(r.peak_bps, 300000, 10));
    /* below the cap: nothing builds */
    r = run("cap300", 200000, 1000, 5000);
    CHECK_EQ(r.overuse, 0);
    CHECK(near(r.acked_bps, 200000, 10));
}

/* What the feedback said of each packet; feedback on numbers never sent, or
 * reported twice, counts as unknown and moves nothing. */
static void test_unknown(void)
{
    static cv_bwe_t b;
    cv_bwe_init(&b);
    for (int i = 0; i < 10; i++)
        CHECK_EQ(cv_bwe_on_send(&b, 1000, i * MS), i);
    static cv_twcc_fb_t fb;
    memset(&fb, 0, sizeof(fb));
    fb.base_seq = 5;
    fb.count = 10; /* 5..14: 10..14 never sent */
    for (int i = 0; i < 10; i++) {
        fb.received[i] = 1;
        fb.arrival_us[i] = 1000000 + i * MS;
    }
    fb.received[2] = 0; /* 7 missing */
    CHECK_EQ(cv_bwe_on_feedback(&b, &fb), CV_BWE_NONE);
    CHECK_EQ(b.unknown, 5);
    CHECK_EQ(cv_bwe_fate(&b, 4), CV_BWE_UNREPORTED);
    CHECK_EQ(cv_bwe_fate(&b, 5), CV_BWE_RECEIVED);
    CHECK_EQ(cv_bwe_fate(&b, 7), CV_BWE_MISSING);
    CHECK_EQ(cv_bwe_fate(&b, 12), CV_BWE_FORGOTTEN);
    fb.received[2] = 1; /* 7 came after all */
    CHECK_EQ(cv_bwe_on_feedback(&b, &fb), CV_BWE_NONE);
    CHECK_EQ(b.unknown, 14); /* the same again: all unknown now, but 7 */
    CHECK_EQ(cv_bwe_fate(&b, 7), CV_BWE_RECEIVED);
    CHECK_EQ(b.feedbacks, 2);
}

/* A probe's outcome: 11 packets of 1000 bytes, one each ms (8 Mbit/s), that
 * arrive every 2 ms (the link: 4 Mbit/s, the delay grows 1 ms a packet);
 * pending until all are reported; a lost one changes neither rate; packets
 * before and after it do not count; jitter alone (late single packets) is
 * not a slow link. */
static void test_probe(void)
{
    static cv_bwe_t b;
    cv_bwe_init(&b);
    int64_t sent;
    CHECK_EQ(cv_bwe_probe_result(&b, &sent), CV_BWE_PROBE_PENDING); /* none yet */
    cv_bwe_on_send(&b, 300, 0);
    cv_bwe_probe_begin(&b);
    for (int i = 0; i < 11; i++)
        cv_bwe_on_send(&b, 1000, (i + 1) * MS);
    CHECK_EQ(cv_bwe_probe_result(&b, &sent), CV_BWE_PROBE_PENDING); /* still open */
    cv_bwe_probe_end(&b);
    cv_bwe_on_send(&b, 300, 20 * MS);
    static cv_twcc_fb_t fb;
    memset(&fb, 0, sizeof(fb));
    fb.base_seq = 0;
    fb.count = 6; /* 0 and the probe's first five */
    for (int i = 0; i < 13; i++) {
        fb.received[i] = 1;
        fb.arrival_us[i] = 1000000 + i * 2 * MS;
    }
    fb.received[4] = 0; /* the probe's fourth is lost */
    cv_bwe_on_feedback(&b, &fb);
    CHECK_EQ(cv_bwe_probe_result(&b, &sent), CV_BWE_PROBE_PENDING);
    fb.count = 13;
    cv_bwe_on_feedback(&b, &fb);
    int64_t got = cv_bwe_probe_result(&b, &sent);
    CHECK_EQ(sent, 8000000);
    CHECK(got > 3900000 && got < 4100000);
    /* the same link keeping up: arrivals as fast as the sending */
    cv_bwe_init(&b);
    cv_bwe_probe_begin(&b);
    for (int i = 0; i < 11; i++)
        cv_bwe_on_send(&b, 1000, (i + 1) * MS);
    cv_bwe_probe_end(&b);
    for (int i = 0; i < 11; i++)
        fb.arrival_us[i] = 1000000 + i * MS;
    fb.received[4] = 1;
    fb.count = 11;
    cv_bwe_on_feedback(&b, &fb);
    got = cv_bwe_probe_result(&b, &sent);
    CHECK_EQ(sent, 8000000);
    CHECK_EQ(got, 8000000);
    /* the same, with 4 of 11 packets up to 30 ms late */
    cv_bwe_init(&b);
    cv_bwe_probe_begin(&b);
    for (int i = 0; i < 11; i++)
        cv_bwe_on_send(&b, 1000, (i + 1) * MS);
    cv_bwe_probe_end(&b);
    for (int i = 0; i < 11; i++)
        fb.arrival_us[i] = 1000000 + i * MS + (i % 3 == 1 ? 30 * MS : 0);
    cv_bwe_on_feedback(&b, &fb);
    got = cv_bwe_probe_result(&b, &sent);
    CHECK_EQ(sent, 8000000);
    CHECK_EQ(got, 8000000);
    printf("test_bwe: a probe sent at %lld bit/s arrives at %lld\n", (long long)sent,
           (long long)got);
}

int main(void)
{
    test_probe();
    test_clean();
    test_jitter_is_not_a_queue();
    test_random_loss_is_not_a_queue();
    test_capped_link();
    test_unknown();
    return CHECK_DONE("test_bwe");
}
