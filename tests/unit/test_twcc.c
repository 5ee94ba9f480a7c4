/*
 * test_twcc.c - transport-wide congestion control feedback (twcc.c): the
 * exact bytes of a small feedback, round trips of seeded arrival patterns
 * (loss, reordering, gaps beyond a delta's range, a small buffer), the
 * padding and the parser's refusals.
 */
#include "check.h"
#include "err.h"
#include "rtcp.h"
#include "twcc.h"

#include <stdlib.h>
#include <string.h>

static uint64_t rng = 12345;

static uint32_t rnd(void)
{
    rng = rng * 6364136223846793005ull + 1442695040888963407ull;
    return (uint32_t)(rng >> 33);
}

static void test_known_answer(void)
{
    static cv_twcc_rx_t r;
    cv_twcc_rx_init(&r);
    CHECK(!cv_twcc_rx_pending(&r));
    cv_twcc_rx_on_packet(&r, 100, 10 * 64000 + 1000); /* 101 never comes */
    cv_twcc_rx_on_packet(&r, 102, 10 * 64000 + 3000);
    CHECK(cv_twcc_rx_pending(&r));
    uint8_t out[64];
    int n = cv_twcc_build(&r, out, sizeof(out), 0x11223344, 0x55667788);
    static const uint8_t want[] = {
        0x8f, 205,  0x00, 0x05, /* V=2 FMT 15, RTPFB, 6 words */
        0x11, 0x22, 0x33, 0x44, /* sender */
        0x55, 0x66, 0x77, 0x88, /* media source */
        0x00, 100,  0x00, 3,    /* base 100, 3 packets */
        0x00, 0x00, 10,   0,    /* reference 10 x 64 ms, feedback 0 */
        0xd1, 0x00,             /* 2-bit vector: received, lost, received */
        4,    8,                /* 1 ms, then 2 ms, in 250 us */
    };
    CHECK_EQ(n, (int)sizeof(want));
    CHECK_MEM(out, want, sizeof(want));
    CHECK(!cv_twcc_rx_pending(&r));
    CHECK_EQ(cv_twcc_build(&r, out, sizeof(out), 1, 2), 0);
    /* the next one numbers itself 1 and starts where this one ended */
    cv_twcc_rx_on_packet(&r, 103, 10 * 64000 + 4000);
    n = cv_twcc_build(&r, out, sizeof(out), 1, 2);
    CHECK(n > 0 && n % 4 == 0);
    CHECK_EQ(out[19], 1);
    CHECK_EQ(out[13], 103);
    CHECK(out[0] & 0x20); /* 20 + 2 + 1 bytes: padded, its count last */
    CHECK_EQ(out[n - 1], n - 23);
    cv_rtcp_item_t it[2];
    CHECK_EQ(cv_rtcp_parse(out, (size_t)n, it, 2), 1);
    CHECK_EQ(it[0].type, CV_RTCP_OTHER);
    cv_twcc_fb_t fb;
    CHECK_EQ(cv_twcc_parse(out, (size_t)n, &fb), 0);
    CHECK_EQ(fb.count, 1);
    CHECK_EQ(fb.arrival_us[0], 10 * 64000 + 4000);
}

/* Seeded traffic through the recorder and back through the parser: every
 * packet reported once, as received (within the 250 us unit) or lost. */
static void round_trip(int loss_pct, int reorder_pct, size_t cap, int64_t gap_us)
{
    static cv_twcc_rx_t r;
    static int64_t got_at[4000];
    static int reported[4000];
    cv_twcc_rx_init(&r);
    memset(reported, 0, sizeof(reported));
    int64_t now = 5000000;
    uint16_t seq0 = 65000; /* wraps */
    int held = -1;
    for (int i = 0; i < 4000; i++) {
        now += 500 + rnd() % 3000;
        if (i == 2000)
            now += gap_us; /* a long silence */
        got_at[i] = -1;
        if ((int)(rnd() % 100) < loss_pct) {
            /* lost */
        } else if (held < 0 && (int)(rnd() % 100) < reorder_pct) {
            held = i; /* comes after the next one */
        } else {
            got_at[i] = now;
            cv_twcc_rx_on_packet(&r, (uint16_t)(seq0 + i), now);
            if (held >= 0) {
                got_at[held] = now + 10;
                cv_twcc_rx_on_packet(&r, (uint16_t)(seq0 + held), now + 10);
                held = -1;
            }
        }
        if (i % 20 == 19) {
            uint8_t out[1500];
            int n;
            while ((n = cv_twcc_build(&r, out, cap, 1, 2)) > 0) {
                cv_twcc_fb_t fb;
                CHECK_EQ(cv_twcc_parse(out, (size_t)n, &fb), 0);
                CHECK((size_t)n <= cap);
                for (int k = 0; k < fb.count; k++) {
                    int idx = (uint16_t)(fb.base_seq + k - seq0);
                    if (idx < 0 || idx >= 4000) {
                        CHECK(0);
                        continue;
                    }
                    reported[idx]++;
                    CHECK_EQ(fb.received[k], got_at[idx] >= 0);
                }
            }
        }
    }
    /* every packet up to the last feedback reported exactly once */
    int bad = 0, twice = 0, last = 3979; /* the last feedback ends at the last arrival */
    while (last > 0 && got_at[last] < 0)
        last--;
    for (int i = 0; i <= last; i++)
        twice += reported[i] > 1, bad += reported[i] == 0;
    CHECK_EQ(twice, 0);
    CHECK_EQ(bad, 0);
    for (int i = 0; i <= last && bad; i++)
        if (!reported[i])
            fprintf(stderr, "not reported: %d\n", i);
}

/* The times themselves: consecutive feedbacks and their deltas keep the
 * arrival differences exact to the unit. */
static void test_times(void)
{
    static cv_twcc_rx_t r;
    cv_twcc_rx_init(&r);
    int64_t at[300];
    int64_t now = 123456789;
    for (int i = 0; i < 300; i++) {
        now += (int64_t)(rnd() % 40000);
        if (i == 150)
            now += 9000000; /* beyond a 2-byte delta: a new feedback must start */
        at[i] = now;
        cv_twcc_rx_on_packet(&r, (uint16_t)i, now);
    }
    uint8_t out[1500];
    int n, got = 0, feedbacks = 0, worst = 0;
    while ((n = cv_twcc_build(&r, out, sizeof(out), 1, 2)) > 0) {
        cv_twcc_fb_t fb;
        CHECK_EQ(cv_twcc_parse(out, (size_t)n, &fb), 0);
        feedbacks++;
        for (int k = 0; k < fb.count; k++, got++) {
            int64_t err = fb.arrival_us[k] - at[fb.base_seq + k];
            if (err < 0)
                err = -err;
            if (err > worst)
                worst = (int)err;
        }
    }
    CHECK_EQ(got, 300);
    CHECK(feedbacks >= 2);
    CHECK(worst < CV_TWCC_DELTA_US); /* floor quantisation, never drifting */
}

static void test_reorder_negative(void)
{
    static cv_twcc_rx_t r;
    cv_twcc_rx_init(&r);
    cv_twcc_rx_on_packet(&r, 10, 1000000);
    cv_twcc_rx_on_packet(&r, 12, 1030000);
    cv_twcc_rx_on_packet(&r, 11, 1030100); /* late, but before the feedback */
    cv_twcc_rx_on_packet(&r, 13, 1001000); /* a clock that reads earlier: negative delta */
    uint8_t out[128];
    int n = cv_twcc_build(&r, out, sizeof(out), 1, 2);
    cv_twcc_fb_t fb;
    CHECK_EQ(cv_twcc_parse(out, (size_t)n, &fb), 0);
    CHECK_EQ(fb.count, 4);
    CHECK(fb.received[0] && fb.received[1] && fb.received[2] && fb.received[3]);
    CHECK(fb.arrival_us[3] < fb.arrival_us[2]);
    cv_twcc_rx_on_packet(&r, 9, 1040000); /* older than what was reported */
    CHECK_EQ(r.late, 1);
    CHECK(!cv_twcc_rx_pending(&r));
}

static void test_bad_input(void)
{
    cv_twcc_fb_t fb;
    uint8_t p[64] = {0x8f, 205, 0, 5, 0, 0, 0, 1, 0,    0,    0, 2,
                     0,    1,   0, 3, 0, 0, 0, 0, 0xd5, 0x40, 4, 0};
    CHECK_EQ(cv_twcc_parse(p, 24, &fb), CV_E_SHORT); /* 3 received, 2 delta bytes there */
    p[20] = 0xd4;
    CHECK_EQ(cv_twcc_parse(p, 24, &fb), 0); /* 2 received, 1 lost */
    CHECK(fb.received[0] && fb.received[1] && !fb.received[2]);
    CHECK_EQ(fb.arrival_us[1] - fb.arrival_us[0], 0);
    p[20] = 0xdc; /* received, reserved */
    CHECK_EQ(cv_twcc_parse(p, 24, &fb), CV_E_INVAL);
    p[0] = 0x8e; /* FMT 14 */
    CHECK_EQ(cv_twcc_parse(p, 24, &fb), CV_E_INVAL);
    p[0] = 0x8f;
    p[14] = 0x10; /* 4098 packets */
    CHECK_EQ(cv_twcc_parse(p, 24, &fb), CV_E_UNSUPPORTED);
    p[14] = 0;
    p[15] = 0;
    CHECK_EQ(cv_twcc_parse(p, 24, &fb), CV_E_INVAL); /* no packet */
    CHECK_EQ(cv_twcc_parse(p, 19, &fb), CV_E_SHORT);
    p[15] = 20; /* a run-length chunk of zero */
    p[20] = 0;
    p[21] = 0;
    CHECK_EQ(cv_twcc_parse(p, 24, &fb), CV_E_INVAL);
    p[21] = 20; /* run of 20 received-small: 20 delta bytes, only 2 there */
    p[20] = 0x20;
    CHECK_EQ(cv_twcc_parse(p, 24, &fb), CV_E_SHORT);
    p[0] = 0xaf; /* padding bigger than the body */
    p[23] = 30;
    CHECK_EQ(cv_twcc_parse(p, 24, &fb), CV_E_INVAL);
}

int main(void)
{
    test_known_answer();
    round_trip(0, 0, 1500, 0);
    round_trip(10, 5, 1500, 0);
    round_trip(30, 20, 120, 0); /* small buffers: many feedbacks */
    round_trip(5, 5, 1500, 10000000);
    test_times();
    test_reorder_negative();
    test_bad_input();
    return CHECK_DONE("test_twcc");
}
