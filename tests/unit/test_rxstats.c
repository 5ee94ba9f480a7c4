/*
 * test_rxstats.c - receiver statistics (rxstats.c): fraction and cumulative loss with
 * a known loss pattern across the 65535 -> 0 wrap (RFC 3550 §A.3), jitter with a known
 * arrival pattern (§A.8), LSR/DLSR (§6.4.1).
 */
#include "check.h"
#include "rxstats.h"

#include <math.h>
#include <stdint.h>

#define T0 1700000000000000LL /* a realistic microsecond clock: no overflow */

static void test_loss(void)
{
    cv_rtp_rxstats_t s = {0};
    cv_rtcp_rb_t rb;
    cv_rxstats_report(&s, 9, T0, &rb);
    CHECK_EQ(rb.ssrc, 9);
    CHECK_EQ(rb.fraction_lost, 0);
    CHECK_EQ(rb.cum_lost, 0);
    CHECK_EQ(rb.ext_high_seq, 0);

    /* interval 1: seqs 65530 .. 13 (20 packets), 65533, 0, 1 and 7 lost */
    for (int i = 0; i < 20; i++) {
        uint16_t seq = (uint16_t)(65530 + i);
        if (seq == 65533 || seq == 0 || seq == 1 || seq == 7)
            continue;
        cv_rxstats_update(&s, seq, 0, 0, T0);
    }
    cv_rxstats_report(&s, 9, T0, &rb);
    CHECK_EQ(rb.cum_lost, 4);
    CHECK_EQ(rb.fraction_lost, 4 * 256 / 20); /* 51 */
    CHECK_EQ(rb.ext_high_seq, 0x1000d);       /* one cycle, seq 13 */

    /* interval 2: seqs 14 .. 23, the even ones lost */
    for (int seq = 15; seq < 24; seq += 2)
        cv_rxstats_update(&s, (uint16_t)seq, 0, 0, T0);
    cv_rxstats_report(&s, 9, T0, &rb);
    CHECK_EQ(rb.fraction_lost, 128);
    CHECK_EQ(rb.cum_lost, 9);
    CHECK_EQ(rb.ext_high_seq, 0x10017); /* 23 */

    /* interval 3: nothing received */
    cv_rxstats_report(&s, 9, T0, &rb);
    CHECK_EQ(rb.fraction_lost, 0);
    CHECK_EQ(rb.cum_lost, 9);

    /* interval 4: 24, a duplicate 24, 25: more received than expected */
    cv_rxstats_update(&s, 24, 0, 0, T0);
    cv_rxstats_update(&s, 24, 0, 0, T0);
    cv_rxstats_update(&s, 25, 0, 0, T0);
    cv_rxstats_report(&s, 9, T0, &rb);
    CHECK_EQ(rb.fraction_lost, 0);
    CHECK_EQ(rb.cum_lost, 8);

    /* interval 5: the lost 65533 arrives very late, from before the wrap */
    cv_rxstats_update(&s, 65533, 0, 0, T0);
    cv_rxstats_report(&s, 9, T0, &rb);
    CHECK_EQ(rb.cum_lost, 7);
    CHECK_EQ(rb.ext_high_seq, 0x10019); /* still 25 */

    /* interval 6: everything lost but the last: fraction 255 at most */
    cv_rxstats_update(&s, 125, 0, 0, T0);
    cv_rxstats_report(&s, 9, T0, &rb);
    CHECK_EQ(rb.fraction_lost, 99 * 256 / 100);
    CHECK_EQ(rb.cum_lost, 106);
}

static void test_start_edges(void)
{
    static const uint16_t starts[] = {0, 32767, 32768, 65535};
    for (int i = 0; i < 4; i++) {
        cv_rtp_rxstats_t s = {0};
        cv_rtcp_rb_t rb;
        uint16_t st = starts[i];
        cv_rxstats_update(&s, st, 0, 0, T0);
        cv_rxstats_update(&s, (uint16_t)(st + 2), 0, 0, T0); /* st + 1 lost */
        cv_rxstats_report(&s, 1, T0, &rb);
        CHECK_EQ(rb.cum_lost, 1);
        CHECK_EQ(rb.fraction_lost, 256 / 3);
        CHECK_EQ(rb.ext_high_seq, st + 2u); /* past 65535 that is cycle 1 */
    }
    /* reordered start: 100 first, then 99 and 98 are not lost */
    cv_rtp_rxstats_t s = {0};
    cv_rtcp_rb_t rb;
    cv_rxstats_update(&s, 100, 0, 0, T0);
    cv_rxstats_update(&s, 99, 0, 0, T0);
    cv_rxstats_update(&s, 98, 0, 0, T0);
    cv_rxstats_report(&s, 1, T0, &rb);
    CHECK_EQ(rb.cum_lost, 0);
    CHECK_EQ(rb.fraction_lost, 0);
    CHECK_EQ(rb.ext_high_seq, 100);
    /* start at 0, then 65535 arrives late: before the first, across the wrap */
    cv_rtp_rxstats_t w = {0};
    cv_rxstats_update(&w, 0, 0, 0, T0);
    cv_rxstats_update(&w, 65535, 0, 0, T0);
    cv_rxstats_update(&w, 1, 0, 0, T0);
    cv_rxstats_report(&w, 1, T0, &rb);
    CHECK_EQ(rb.cum_lost, 0);
    CHECK_EQ(rb.ext_high_seq, 1);
    /* after a report, a much older packet does not lower the base */
    cv_rxstats_update(&w, 65000, 0, 0, T0);
    cv_rxstats_report(&w, 1, T0, &rb);
    CHECK_EQ(rb.cum_lost, -1);
    CHECK_EQ(rb.fraction_lost, 0);
}

static void test_loss_clamp(void)
{
    cv_rtp_rxstats_t s = {0};
    cv_rtcp_rb_t rb;
    uint16_t seq = 0;
    for (int i = 0; i < 300; i++) {
        cv_rxstats_update(&s, seq, 0, 0, T0);
        seq = (uint16_t)(seq + 30000);
    }
    cv_rxstats_report(&s, 1, T0, &rb);
    CHECK_EQ(rb.cum_lost, 0x7fffff); /* 24-bit signed maximum */
    CHECK_EQ(rb.fraction_lost, 255);
    CHECK_EQ(rb.ext_high_seq, (uint32_t)(299u * 30000u));
}

/* RFC 3550 §A.8 in floating point, for comparison */
static double ref_jitter(int updates, double d)
{
    double j = 0;
    for (int i = 0; i < updates; i++)
        j += (fabs(d) - j) / 16;
    return j;
}

static void test_jitter(void)
{
    cv_rtp_rxstats_t s = {0};
    cv_rtcp_rb_t rb;
    /* 8 kHz audio every 20 ms (160 ticks); the network delay alternates 0 and 10 ms
     * (80 ticks), so every |D| is 80 ticks. Timestamps start near the 32-bit wrap. */
    uint32_t ts0 = 0xffffff00u;
    for (int i = 0; i < 60; i++) {
        int64_t arrival = T0 + 20000LL * i + (i % 2 ? 10000 : 0);
        cv_rxstats_update(&s, (uint16_t)(65500 + i), ts0 + 160u * (uint32_t)i, 8000, arrival);
        if (i == 1) {
            cv_rxstats_report(&s, 1, arrival, &rb);
            CHECK_EQ(rb.jitter, 5); /* 80 / 16 */
        }
        if (i == 10) {
            cv_rxstats_report(&s, 1, arrival, &rb);
            double want = ref_jitter(10, 80);
            CHECK(fabs(rb.jitter - want) <= 1.0);
        }
    }
    cv_rxstats_report(&s, 1, T0, &rb);
    double want = ref_jitter(59, 80); /* about 77.9 */
    CHECK(fabs(rb.jitter - want) <= 1.0);
    CHECK(rb.jitter >= 76 && rb.jitter <= 80);

    /* constant delay, 90 kHz video with a ts wrap: no jitter */
    cv_rtp_rxstats_t v = {0};
    for (int i = 0; i < 100; i++)
        cv_rxstats_update(&v, (uint16_t)i, 0xfffff000u + 3000u * (uint32_t)i, 90000,
                          T0 + 33333LL * i + 40000);
    cv_rxstats_report(&v, 1, T0, &rb);
    CHECK(rb.jitter <= 1); /* 33333 us is 2999.97 ticks: rounding only */

    /* one late packet of 30 ms at 48 kHz: a single |D| of 1440 then back */
    cv_rtp_rxstats_t a = {0};
    for (int i = 0; i < 3; i++)
        cv_rxstats_update(&a, (uint16_t)i, 960u * (uint32_t)i, 48000,
                          T0 + 20000LL * i + (i == 1 ? 30000 : 0));
    cv_rxstats_report(&a, 1, T0, &rb);
    /* J1 = 1440/16 = 90; J2 = 90 + (1440 - 90)/16 = 174.4 */
    CHECK(rb.jitter >= 173 && rb.jitter <= 175);

    /* clock rate 0: jitter not computed */
    cv_rtp_rxstats_t z = {0};
    cv_rxstats_update(&z, 1, 0, 0, T0);
    cv_rxstats_update(&z, 2, 99999, 0, T0 + 5);
    cv_rxstats_report(&z, 1, T0, &rb);
    CHECK_EQ(rb.jitter, 0);
}

static void test_lsr_dlsr(void)
{
    cv_rtp_rxstats_t s = {0};
    cv_rtcp_rb_t rb;
    cv_rxstats_update(&s, 1, 0, 0, T0);
    cv_rxstats_report(&s, 1, T0 + 1000000, &rb);
    CHECK_EQ(rb.lsr, 0);
    CHECK_EQ(rb.dlsr, 0);
    cv_rxstats_on_sr(&s, 0xe8fe6f8040000000ull, T0 + 1000000);
    cv_rxstats_report(&s, 1, T0 + 2500000, &rb);
    CHECK_EQ(rb.lsr, 0x6f804000u);
    CHECK_EQ(rb.dlsr, 0x18000); /* 1.5 s in 1/65536 s */
    cv_rxstats_report(&s, 1, T0 + 1000000, &rb);
    CHECK_EQ(rb.dlsr, 0);
    cv_rxstats_report(&s, 1, T0 + 1000000 + 15259, &rb); /* 1/65536 s is 15.26 us */
    CHECK_EQ(rb.dlsr, 1000);
    cv_rxstats_report(&s, 1, T0 - 5, &rb); /* clock before the SR: 0, not huge */
    CHECK_EQ(rb.dlsr, 0);
    cv_rxstats_report(&s, 1, T0 + 1000000 + 100000LL * 1000000, &rb); /* 1e5 s: clamped */
    CHECK_EQ(rb.dlsr, 0xffffffffu);
    /* a newer SR replaces it */
    cv_rxstats_on_sr(&s, 0xe8fe6f8180000000ull, T0 + 3000000);
    cv_rxstats_report(&s, 1, T0 + 3250000, &rb);
    CHECK_EQ(rb.lsr, 0x6f818000u);
    CHECK_EQ(rb.dlsr, 0x4000);
}

int main(void)
{
    test_loss();
    test_start_edges();
    test_loss_clamp();
    test_jitter();
    test_lsr_dlsr();
    return CHECK_DONE("test_rxstats");
}
