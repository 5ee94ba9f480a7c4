/*
 * rxstats.c - per-source receiver statistics for RTCP report blocks: loss
 * (RFC 3550 §A.3), interarrival jitter (§A.8), LSR/DLSR (§6.4.1). Pure; owned by the
 * thread receiving the source.
 */
#include "rxstats.h"

#include <string.h>

#define MAX_MISORDER 100 /* RFC 3550 §A.1 */

/* now_us in units of clock_rate, modulo 2^32; split to avoid overflowing the product. */
static uint32_t to_rtp_units(int64_t now_us, uint32_t clock_rate)
{
    int64_t sec = now_us / 1000000;
    int64_t rem = now_us % 1000000;
    if (rem < 0) {
        rem += 1000000;
        sec--;
    }
    uint64_t units = (uint64_t)sec * clock_rate + (uint64_t)rem * clock_rate / 1000000u;
    return (uint32_t)units;
}

static void update_jitter(cv_rtp_rxstats_t *s, uint32_t rtp_ts, uint32_t clock_rate, int64_t now_us)
{
    /* §A.8: transit = arrival - timestamp; D = transit - previous transit;
     * J += (|D| - J) / 16, kept as J x 16 in integers. Differences are taken modulo
     * 2^32 so timestamp and clock wrap do not matter. */
    uint32_t transit = to_rtp_units(now_us, clock_rate) - rtp_ts;
    if (s->have_transit) {
        int32_t d = (int32_t)(transit - s->last_transit);
        uint32_t ad = d < 0 ? (uint32_t)0 - (uint32_t)d : (uint32_t)d;
        int64_t j = (int64_t)s->jitter_q4 + ad - (((int64_t)s->jitter_q4 + 8) >> 4);
        s->jitter_q4 = j > UINT32_MAX ? UINT32_MAX : (uint32_t)j;
    }
    s->last_transit = transit;
    s->have_transit = 1;
}

void cv_rxstats_update(cv_rtp_rxstats_t *s, uint16_t seq, uint32_t rtp_ts, uint32_t clock_rate,
                       int64_t now_us)
{
    uint64_t ext = cv_seq_unwrap(&s->unwrap, seq);
    if (!s->init) {
        s->init = 1;
        s->base_seq = s->max_seq = ext;
    }
    if (ext > s->max_seq)
        s->max_seq = ext;
    /* A packet just older than the first one (reordered start) extends the range
     * while nothing was reported yet; anything else late only counts as received. */
    if (ext < s->base_seq && s->base_seq - ext <= MAX_MISORDER && s->expected_prior == 0)
        s->base_seq = ext;
    s->received++;
    if (clock_rate > 0)
        update_jitter(s, rtp_ts, clock_rate, now_us);
}

void cv_rxstats_on_sr(cv_rtp_rxstats_t *s, uint64_t ntp, int64_t now_us)
{
    s->have_sr = 1;
    s->lsr = cv_ntp_mid32(ntp);
    s->sr_at_us = now_us;
}

/* Delay since the last SR in 1/65536 s, 0 if none (RFC 3550 §6.4.1 DLSR). */
static uint32_t dlsr(const cv_rtp_rxstats_t *s, int64_t now_us)
{
    if (!s->have_sr || now_us <= s->sr_at_us)
        return 0;
    uint64_t d = (uint64_t)(now_us - s->sr_at_us);
    if (d >= ((uint64_t)UINT32_MAX / 65536 + 1) * 1000000u)
        return UINT32_MAX;
    return (uint32_t)(d * 65536 / 1000000u);
}

void cv_rxstats_report(cv_rtp_rxstats_t *s, uint32_t ssrc, int64_t now_us, cv_rtcp_rb_t *rb)
{
    memset(rb, 0, sizeof(*rb));
    rb->ssrc = ssrc;
    if (!s->init)
        return;
    /* §A.3 */
    uint64_t expected = s->max_seq - s->base_seq + 1;
    int64_t lost = (int64_t)expected - (int64_t)s->received;
    if (lost > 0x7fffff)
        lost = 0x7fffff;
    if (lost < -0x800000)
        lost = -0x800000;
    rb->cum_lost = (int32_t)lost;

    int64_t exp_int = (int64_t)(expected - s->expected_prior);
    int64_t rcv_int = (int64_t)(s->received - s->received_prior);
    int64_t lost_int = exp_int - rcv_int;
    s->expected_prior = expected;
    s->received_prior = s->received;
    if (exp_int > 0 && lost_int > 0) {
        int64_t f = (lost_int << 8) / exp_int;
        rb->fraction_lost = (uint8_t)(f > 255 ? 255 : f);
    }

    /* The first packet sits at CV_SEQ_BASE + seq, so this counts cycles from there. */
    rb->ext_high_seq = (uint32_t)(s->max_seq - CV_SEQ_BASE);
    rb->jitter = s->jitter_q4 >> 4;
    if (s->have_sr) {
        rb->lsr = s->lsr;
        rb->dlsr = dlsr(s, now_us);
    }
}
