/*
 * test_core.c - the media session core (media/core.h) on a virtual clock:
 * every input and timeout at a chosen microsecond, every output polled and
 * looked at. Deterministic: loss and reordering come from a seeded generator.
 */
#include "check.h"
#include "core.h"
#include "bytes.h"
#include "impair.h"
#include "outstream.h"
#include "red.h"
#include "rtcp.h"
#include "rtp.h"
#include "rtx.h"
#include "twcc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MS 1000LL
#define S 1000000LL
#define V_PT 96
#define A_PT 111
#define RTX_PT 97
#define NACK_HOLD_SLACK (20 * MS) /* media/core_int.h */
#define OUR_V 0x1000u             /* the core's SSRCs towards the participant */
#define OUR_A 0x1001u
#define OUR_RTX 0x1002u
#define THEIR_V 0x2000u /* the participant's */
#define THEIR_A 0x2001u
#define THEIR_RTX 0x2002u

static uint64_t rng = 88172645463325252ull;

static uint32_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng >> 11);
}

static int chance(double p)
{
    return rnd() % 1000000 < (uint32_t)(p * 1000000);
}

static cv_core_params_t params(void)
{
    cv_core_params_t p = {.a_pt = A_PT,
                          .v_pt = V_PT,
                          .rtx_pt = RTX_PT,
                          .sends = 1,
                          .takes = 1,
                          .a_ssrc = OUR_A,
                          .v_ssrc = OUR_V,
                          .rtx_ssrc = OUR_RTX,
                          .a_seq0 = 100,
                          .v_seq0 = 65530, /* wraps after six packets */
                          .rtx_seq0 = 7,
                          .picture_id0 = 32760,
                          .a_ts0 = 0xfffff000u,
                          .v_ts0 = 0xffffc000u, /* wraps at the third frame */
                          .wall_offset_us = 1700000000LL * S};
    snprintf(p.cname, sizeof(p.cname), "core-test");
    return p;
}

/* ---- what came out ---- */

#define LOG_MAX 4096

typedef struct {
    int rtp, rtcp, plis, nacks, rembs, srs, rrs;
    int video_frames, keyframes, audio_frames;
    uint32_t last_frame_ts;
    int64_t last_frame_us, longest_gap_us;
    int n_nacked;
    uint16_t nacked[LOG_MAX];
    int64_t nacked_us[LOG_MAX];
    int64_t pli_us[64];
    uint64_t remb_bps;
    int ev[8]; /* events by kind */
    int tier, paused;
    const char *dead;
    uint64_t sr_ntp;
    /* RTP towards the participant, by kind */
    int video_rtp, audio_rtp, rtx_rtp, pad_rtp;
    int64_t video_us[1024], audio_us[1024]; /* when each went out */
    uint16_t video_len[1024];
    int n_pkts;
    struct {
        uint16_t len;
        uint8_t data[CV_CORE_PKT_CAP];
    } pkt[256]; /* the last 256 RTP packets sent to it */
    /* the RTCP sent to it, also handed here when set (a simulated wire) */
    void (*rtcp_out)(void *ud, const uint8_t *p, size_t len, int64_t now);
    void *rtcp_ud;
    /* and the RTP, when set */
    void (*rtp_out)(void *ud, const uint8_t *p, size_t len, int64_t now);
} log_t;

static void note_rtcp(log_t *lg, const uint8_t *p, size_t len, int64_t now)
{
    cv_rtcp_item_t it[8];
    int n = cv_rtcp_parse(p, len, it, 8);
    CHECK(n > 0);
    for (int i = 0; i < n; i++) {
        switch (it[i].type) {
        case CV_RTCP_PLI:
            if (lg->plis < 64)
                lg->pli_us[lg->plis] = now;
            lg->plis++;
            break;
        case CV_RTCP_NACK:
            lg->nacks++;
            for (int k = 0; k < it[i].n_nack; k++) {
                uint16_t seqs[17];
                int m = cv_rtcp_nack_seqs(it[i].nack_pid[k], it[i].nack_blp[k], seqs, 17);
                for (int j = 0; j < m && lg->n_nacked < LOG_MAX; j++) {
                    lg->nacked_us[lg->n_nacked] = now;
                    lg->nacked[lg->n_nacked++] = seqs[j];
                }
            }
            break;
        case CV_RTCP_REMB:
            lg->rembs++;
            lg->remb_bps = it[i].remb_bps;
            break;
        case CV_RTCP_SR:
            lg->srs++;
            if (it[i].sender_ssrc == OUR_V || it[i].sender_ssrc == OUR_A)
                lg->sr_ntp = it[i].sr.ntp;
            break;
        case CV_RTCP_RR: lg->rrs++; break;
        }
    }
}

static void note_rtp(log_t *lg, const uint8_t *p, size_t len, int64_t now)
{
    cv_rtp_hdr_t h;
    CHECK(cv_rtp_parse(p, len, &h) == 0);
    lg->rtp++;
    if (h.ssrc == OUR_V) {
        lg->video_us[lg->video_rtp % 1024] = now;
        lg->video_len[lg->video_rtp % 1024] = (uint16_t)len;
        lg->video_rtp++;
    } else if (h.ssrc == OUR_A) {
        lg->audio_us[lg->audio_rtp % 1024] = now;
        lg->audio_rtp++;
    } else if (h.ssrc == OUR_RTX && h.payload_len == 0)
        lg->pad_rtp++; /* a probe's padding */
    else if (h.ssrc == OUR_RTX)
        lg->rtx_rtp++;
    int i = lg->n_pkts++ % 256;
    lg->pkt[i].len = (uint16_t)len;
    memcpy(lg->pkt[i].data, p, len);
}

static void note_frame(log_t *lg, cv_frame_t *f, int64_t now)
{
    if (f->kind == CV_FRAME_AUDIO) {
        lg->audio_frames++;
    } else {
        if (lg->video_frames && now - lg->last_frame_us > lg->longest_gap_us)
            lg->longest_gap_us = now - lg->last_frame_us;
        if (lg->video_frames)
            CHECK((int32_t)(f->rtp_ts - lg->last_frame_ts) > 0); /* in order */
        lg->video_frames++;
        lg->keyframes += f->keyframe;
        lg->last_frame_ts = f->rtp_ts;
        lg->last_frame_us = now;
    }
    cv_frame_unref(f);
}

/* Polls everything out, as the shell does after each input. */
static void drain(cv_core_t *c, log_t *lg, int64_t now)
{
    cv_core_out_t o;
    while (cv_core_poll(c, &o) != CV_CORE_NONE) {
        CHECK(o.kind != CV_CORE_RTP || o.cap >= o.len + 16); /* room for the SRTP trailer */
        switch (o.kind) {
        case CV_CORE_RTP:
            note_rtp(lg, o.pkt, o.len, now);
            if (lg->rtp_out)
                lg->rtp_out(lg->rtcp_ud, o.pkt, o.len, now);
            break;
        case CV_CORE_RTCP:
            lg->rtcp++;
            note_rtcp(lg, o.pkt, o.len, now);
            if (lg->rtcp_out)
                lg->rtcp_out(lg->rtcp_ud, o.pkt, o.len, now);
            break;
        case CV_CORE_FRAME: note_frame(lg, o.frame, now); break;
        case CV_CORE_EVENT:
            if (o.event > 0 && o.event < 8)
                lg->ev[o.event]++;
            if (o.event == CV_CORE_EV_TIER)
                lg->tier = o.value;
            if (o.event == CV_CORE_EV_PAUSED)
                lg->paused = o.value;
            if (o.event == CV_CORE_EV_DEAD)
                lg->dead = o.why;
            break;
        }
    }
}

/* Runs the timer as the shell does: at each deadline up to until. */
static void run_until(cv_core_t *c, log_t *lg, int64_t until)
{
    int64_t d;
    while ((d = cv_core_deadline(c)) >= 0 && d <= until) {
        cv_core_on_timeout(c, d);
        drain(c, lg, d);
    }
}

/* ---- the participant's side: its camera's RTP ---- */

typedef struct {
    int n;
    uint16_t len[64];
    uint8_t data[64][1300];
} pkts_t;

static void collect(void *ud, uint8_t *pkt, size_t len, size_t cap)
{
    pkts_t *p = ud;
    if (p->n < 64) {
        memcpy(p->data[p->n], pkt, len);
        p->len[p->n++] = (uint16_t)len;
    }
}

static void fake_frame(uint8_t *buf, size_t len, int key)
{
    for (size_t i = 0; i < len; i++)
        buf[i] = (uint8_t)rnd();
    if (key) {
        static const uint8_t hdr[] = {0x50, 0x2d, 0x00, 0x9d, 0x01, 0x2a, 0x40, 0x01, 0xf0, 0x00};
        memcpy(buf, hdr, sizeof(hdr));
    } else {
        buf[0] = 0x31;
    }
}

/* One frame of the participant's camera, packetised into p. */
static void camera_frame(cv_outstream_t *cam, pkts_t *p, size_t size, int key, uint32_t ts)
{
    static uint8_t buf[64 * 1100];
    uint8_t scratch[1500];
    fake_frame(buf, size, key);
    p->n = 0;
    cv_outstream_send(cam, buf, size, ts, 0, key, 1100, scratch, sizeof(scratch), collect, p);
}

static cv_core_t *connected_core(log_t *lg, const cv_core_params_t *p)
{
    memset(lg, 0, sizeof(*lg));
    cv_core_t *c = cv_core_new(p);
    cv_core_set_view(c, 1, 500, 0);
    cv_core_on_connected(c, 0);
    drain(c, lg, 0);
    return c;
}

static void feed(cv_core_t *c, log_t *lg, const pkts_t *p, int i, int64_t now)
{
    cv_core_on_rtp(c, p->data[i], p->len[i], now);
    drain(c, lg, now);
}

static int nacked_count(const log_t *lg, uint16_t seq, int64_t *times, int max)
{
    int n = 0;
    for (int i = 0; i < lg->n_nacked; i++)
        if (lg->nacked[i] == seq) {
            if (n < max)
                times[n] = lg->nacked_us[i];
            n++;
        }
    return n;
}

/* ---- tests ---- */

/* A key frame held behind a hole is released at the jitter deadline with no
 * packet after it: the timer, not the next packet, moves the buffer on. */
static void test_jitter_release_at_deadline(void)
{
    log_t lg;
    cv_core_params_t p = params();
    cv_core_t *c = connected_core(&lg, &p);
    CHECK_EQ(lg.ev[CV_CORE_EV_KEYFRAME], 1); /* a key frame for it on connecting */
    CHECK_EQ(cv_core_deadline(c), 1 * S);    /* the first report; nothing else waits */
    cv_outstream_t cam;
    cv_outstream_init(&cam, THEIR_V, V_PT, 1, 1000, 0, 5);
    pkts_t k0, d1, k2;
    camera_frame(&cam, &k0, 500, 1, 0);
    camera_frame(&cam, &d1, 500, 0, 3000);
    camera_frame(&cam, &k2, 500, 1, 6000);
    feed(c, &lg, &k0, 0, 10 * MS);
    CHECK_EQ(lg.video_frames, 1);
    CHECK_EQ(lg.plis, 0); /* the key frame wanted since connecting came whole */
    /* d1 is lost; k2 arrives and waits for it */
    feed(c, &lg, &k2, 0, 100 * MS);
    CHECK_EQ(lg.video_frames, 1);
    int64_t t[4];
    CHECK_EQ(nacked_count(&lg, 1001, t, 4), 1);
    CHECK_EQ(t[0], 100 * MS);
    CHECK_EQ(cv_core_deadline(c), 140 * MS); /* 40 ms of waiting, and the NACK's retry */
    run_until(c, &lg, 139 * MS);
    CHECK_EQ(lg.video_frames, 1);
    run_until(c, &lg, 140 * MS);
    CHECK_EQ(lg.video_frames, 2);
    CHECK_EQ(lg.keyframes, 2);
    CHECK_EQ(cv_core_stats(c)->frames_in, 2);
    cv_core_free(c);
}

/* NACKs: at once, again after max(40 ms, RTT + 10 ms), at most three times,
 * never for a packet older than 400 ms. */
static void test_nack_timing(void)
{
    for (int with_rtt = 0; with_rtt < 2; with_rtt++) {
        log_t lg;
        cv_core_params_t p = params();
        cv_core_t *c = connected_core(&lg, &p);
        int64_t t0 = 2 * S;
        if (with_rtt) {
            /* an SR to it, then its report on it 200 ms later: RTT 200 ms */
            cv_frame_t *f = cv_frame_new(CV_FRAME_AUDIO, 40);
            memset(f->data, 1, 40);
            cv_core_on_frame(c, f, 500 * MS);
            cv_frame_unref(f);
            drain(c, &lg, 500 * MS);
            run_until(c, &lg, 1 * S);
            CHECK(lg.srs >= 1);
            uint8_t rr[128];
            cv_rtcp_rb_t rb = {.ssrc = OUR_A, .lsr = cv_ntp_mid32(lg.sr_ntp), .dlsr = 0};
            /* the audio SR has the same NTP time as the video one: report on audio */
            int n = cv_rtcp_build_rr(rr, sizeof(rr), THEIR_A, &rb, 1);
            cv_core_on_rtcp(c, rr, (size_t)n, 1 * S + 200 * MS);
            drain(c, &lg, 1 * S + 200 * MS);
            CHECK(cv_core_rtt_us(c) > 199 * MS && cv_core_rtt_us(c) < 201 * MS);
        }
        cv_outstream_t cam;
        cv_outstream_init(&cam, THEIR_V, V_PT, 1, 65534, 0, 5);
        pkts_t a, b, k;
        camera_frame(&cam, &a, 400, 1, 0);
        camera_frame(&cam, &b, 400, 0, 3000); /* 65535: lost */
        camera_frame(&cam, &k, 400, 1, 6000); /* 0 */
        feed(c, &lg, &a, 0, t0 - 30 * MS);
        int before = lg.n_nacked;
        feed(c, &lg, &k, 0, t0);
        run_until(c, &lg, t0 + 2 * S);
        int64_t t[8];
        int n = nacked_count(&lg, 65535, t, 8);
        CHECK(lg.n_nacked > before);
        if (!with_rtt) {
            CHECK_EQ(n, 3); /* the retry limit */
            CHECK_EQ(t[0], t0);
            CHECK_EQ(t[1], t0 + 40 * MS);
            CHECK_EQ(t[2], t0 + 80 * MS);
        } else {
            CHECK_EQ(n, 2); /* the third would be 420 ms after the loss: too old */
            CHECK_EQ(t[0], t0);
            CHECK(t[1] >= t0 + 209 * MS && t[1] <= t0 + 211 * MS);
        }
        cv_core_free(c);
    }
}

/* What it is sent, and NACKs of it answered from history as RTX across the
 * 16-bit sequence wrap and the 32-bit timestamp wrap. */
static void test_rtx_across_wraps(void)
{
    for (int use_rtx = 1; use_rtx >= 0; use_rtx--) {
        log_t lg;
        cv_core_params_t p = params();
        if (!use_rtx)
            p.rtx_pt = -1;
        cv_core_t *c = connected_core(&lg, &p);
        int64_t now = 100 * MS;
        static uint8_t buf[3000];
        for (int i = 0; i < 12; i++, now += 33 * MS) {
            cv_frame_t *f = cv_frame_new(CV_FRAME_VIDEO, 2000);
            fake_frame(f->data, 2000, i == 0);
            f->keyframe = i == 0;
            f->rtp_ts = (uint32_t)(i * 9000); /* with v_ts0 the timestamps wrap */
            f->t_us = now;
            memcpy(buf, f->data, 2000);
            cv_core_on_frame(c, f, now);
            cv_frame_unref(f);
            drain(c, &lg, now);
        }
        CHECK_EQ(lg.video_rtp, 24);
        /* the packets around the wrap: 65534, 65535, 0, 1 */
        uint16_t want[4] = {65534, 65535, 0, 1};
        uint8_t nack[64];
        int n = cv_rtcp_build_nack(nack, sizeof(nack), THEIR_V, OUR_V, want, 4);
        int sent = lg.n_pkts;
        cv_core_on_rtcp(c, nack, (size_t)n, now);
        drain(c, &lg, now);
        CHECK_EQ(lg.n_pkts - sent, 4);
        int wrapped_ts = 0;
        for (int i = 0; i < 4; i++) {
            const uint8_t *r = lg.pkt[(sent + i) % 256].data;
            size_t rlen = lg.pkt[(sent + i) % 256].len;
            /* the original, found by its sequence number among what was sent */
            const uint8_t *orig = NULL;
            size_t olen = 0;
            for (int k = 0; k < 24; k++)
                if (rd16(lg.pkt[k].data + 2) == want[i]) {
                    orig = lg.pkt[k].data;
                    olen = lg.pkt[k].len;
                }
            CHECK(orig != NULL);
            if (!orig)
                continue;
            if (use_rtx) {
                uint16_t osn;
                const uint8_t *pl;
                size_t pll;
                CHECK_EQ(r[1] & 0x7f, RTX_PT);
                CHECK_EQ(rd32(r + 8), OUR_RTX);
                CHECK_EQ(rd16(r + 2), (uint16_t)(7 + i)); /* the RTX stream's own sequence */
                CHECK_EQ(cv_rtx_unwrap(r, rlen, &osn, &pl, &pll), 0);
                CHECK_EQ(osn, want[i]);
                CHECK_EQ(pll, olen - 12);
                CHECK_MEM(pl, orig + 12, olen - 12);
            } else {
                CHECK_EQ(rlen, olen);
                CHECK_MEM(r, orig, olen);
            }
            CHECK_EQ(rd32(r + 4), rd32(orig + 4));
            wrapped_ts += rd32(orig + 4) < 0x10000u; /* past the 32-bit wrap */
        }
        CHECK_EQ(wrapped_ts, 4); /* the seq wrap and the timestamp wrap at once */
        /* the same NACK again within a round trip: not resent; after it, once more */
        sent = lg.n_pkts;
        cv_core_on_rtcp(c, nack, (size_t)n, now + 10 * MS);
        drain(c, &lg, now + 10 * MS);
        CHECK_EQ(lg.n_pkts - sent, 0);
        cv_core_on_rtcp(c, nack, (size_t)n, now + 150 * MS);
        drain(c, &lg, now + 150 * MS);
        CHECK_EQ(lg.n_pkts - sent, 4);
        /* more than a second after it was sent: of no use, not answered */
        sent = lg.n_pkts;
        cv_core_on_rtcp(c, nack, (size_t)n, now + 1500 * MS);
        drain(c, &lg, now + 1500 * MS);
        CHECK_EQ(lg.n_pkts - sent, 0);
        CHECK_EQ(cv_core_stats(c)->resent, 8);
        cv_core_free(c);
    }
}

static void send_remb(cv_core_t *c, log_t *lg, uint64_t bps, int64_t now)
{
    uint8_t pkt[64];
    uint32_t ssrc = OUR_V;
    int n = cv_rtcp_build_remb(pkt, sizeof(pkt), THEIR_V, bps, &ssrc, 1);
    cv_core_on_rtcp(c, pkt, (size_t)n, now);
    drain(c, lg, now);
}

static int video_out(cv_core_t *c, log_t *lg, int key, int64_t now)
{
    int before = lg->video_rtp;
    cv_frame_t *f = cv_frame_new(CV_FRAME_VIDEO, 300);
    fake_frame(f->data, 300, key);
    f->keyframe = key;
    f->rtp_ts = (uint32_t)(now / 11);
    cv_core_on_frame(c, f, now);
    cv_frame_unref(f);
    drain(c, lg, now);
    return lg->video_rtp - before;
}

/* Tiers from REMB: down at once, up one step after a stable wait, paused
 * (audio only) below the lowest tier and resumed from a key frame. */
static void test_tiers(void)
{
    log_t lg;
    cv_core_params_t p = params();
    cv_tiers_parse("1280x720@30:1500,640x360@30:500,320x180@15:150", &p.tiers, NULL, 0);
    cv_core_t *c = connected_core(&lg, &p);
    int64_t now = 100 * MS;
    CHECK_EQ(video_out(c, &lg, 1, now), 1);
    send_remb(c, &lg, 2000000, now);
    CHECK_EQ(cv_core_tier(c), 0);
    send_remb(c, &lg, 300000, now += 100 * MS); /* fits only the lowest (150 + 40) */
    CHECK_EQ(cv_core_tier(c), 2);
    CHECK_EQ(lg.tier, 2);
    CHECK_EQ(lg.ev[CV_CORE_EV_KEYFRAME], 2); /* on connecting, on the tier change */
    /* a rich link again: one step after the stable wait, not before */
    int64_t down_at = now;
    for (int i = 0; i < 30; i++) {
        now += 500 * MS;
        send_remb(c, &lg, 3000000, now);
        run_until(c, &lg, now);
        if (now - down_at < CV_TIER_UP_WAIT_US)
            CHECK_EQ(cv_core_tier(c), 2);
        if (cv_core_tier(c) < 2)
            break;
    }
    CHECK_EQ(cv_core_tier(c), 1);
    CHECK(now - down_at >= CV_TIER_UP_WAIT_US && now - down_at <= CV_TIER_UP_WAIT_US + 1 * S);
    /* below what the lowest tier needs: paused, no video out, audio goes on */
    for (int i = 0; i < 80; i++) { /* back on the top tier, past the grace after a step up */
        now += 500 * MS;
        send_remb(c, &lg, 3000000, now);
        run_until(c, &lg, now);
    }
    CHECK_EQ(cv_core_tier(c), 0);
    send_remb(c, &lg, 100000, now += 100 * MS);
    CHECK_EQ(cv_core_tier(c), CV_TIER_AUDIO_ONLY);
    CHECK_EQ(lg.paused, 1);
    CHECK_EQ(video_out(c, &lg, 1, now += 10 * MS), 0);
    /* back: resumes, and a delta frame is held until the next key frame */
    for (int i = 0; i < 60 && cv_core_tier(c) == CV_TIER_AUDIO_ONLY; i++) {
        now += 500 * MS;
        send_remb(c, &lg, 3000000, now);
        run_until(c, &lg, now);
    }
    CHECK(cv_core_tier(c) != CV_TIER_AUDIO_ONLY);
    CHECK_EQ(lg.paused, 0);
    CHECK_EQ(lg.ev[CV_CORE_EV_PAUSED], 2);
    CHECK_EQ(video_out(c, &lg, 0, now += 10 * MS), 0);
    CHECK_EQ(video_out(c, &lg, 1, now += 10 * MS), 1);
    CHECK_EQ(video_out(c, &lg, 0, now += 10 * MS), 1);
    cv_core_free(c);
    /* loss: reports of 30 % lost on its video for 4 s step it down from the top */
    c = connected_core(&lg, &p);
    now = 100 * MS;
    CHECK_EQ(video_out(c, &lg, 1, now), 1);
    int tier = cv_core_tier(c);
    CHECK_EQ(tier, 0);
    uint32_t high = 1000;
    int32_t lost = 0;
    for (int i = 0; i < 16; i++) {
        now += 250 * MS;
        high += 40;
        lost += 12;
        cv_rtcp_rb_t rb = {.ssrc = OUR_V, .cum_lost = lost, .ext_high_seq = high};
        uint8_t rr[64];
        int n = cv_rtcp_build_rr(rr, sizeof(rr), THEIR_V, &rb, 1);
        cv_core_on_rtcp(c, rr, (size_t)n, now);
        drain(c, &lg, now);
        run_until(c, &lg, now);
    }
    CHECK(cv_core_tier(c) > tier);
    cv_core_free(c);
}

/* Key frame requests: as many as asked, but at most one PLI each 500 ms. */
static void test_keyframe_rate_limit(void)
{
    log_t lg;
    cv_core_params_t p = params();
    cv_core_t *c = connected_core(&lg, &p);
    cv_outstream_t cam;
    cv_outstream_init(&cam, THEIR_V, V_PT, 1, 1, 0, 5);
    pkts_t k;
    camera_frame(&cam, &k, 300, 1, 0);
    feed(c, &lg, &k, 0, 5 * MS);
    CHECK_EQ(lg.plis, 0); /* the key frame wanted since connecting came whole at once */
    int64_t now = 5 * MS;
    for (int i = 0; i < 300; i++) { /* a broken decoder asking every 10 ms for 3 s */
        now += 10 * MS;
        cv_core_request_keyframe(c, now);
        drain(c, &lg, now);
        run_until(c, &lg, now);
    }
    CHECK(lg.plis >= 6 && lg.plis <= 7);
    for (int i = 1; i < lg.plis && i < 64; i++)
        CHECK(lg.pli_us[i] - lg.pli_us[i - 1] >= CV_CORE_PLI_INTERVAL_US);
    /* nothing asked any more: the last request goes out at its turn, then none */
    int plis = lg.plis;
    run_until(c, &lg, now + 3 * S);
    CHECK_EQ(lg.plis, plis + 1);
    CHECK_EQ(cv_core_stats(c)->plis_sent, (uint64_t)lg.plis);
    cv_core_free(c);

    /* a stream that starts without its key frame, then stops: asked again
     * while it sends, not for ever after */
    c = connected_core(&lg, &p);
    cv_outstream_init(&cam, THEIR_V, V_PT, 1, 1, 0, 5);
    camera_frame(&cam, &k, 300, 1, 0);
    pkts_t d;
    camera_frame(&cam, &d, 300, 0, 3000); /* the key frame is lost: a delta first */
    feed(c, &lg, &d, 0, 10 * MS);
    CHECK_EQ(lg.plis, 1);
    run_until(c, &lg, 10 * S);
    CHECK_EQ(lg.plis, 4); /* at 10, 510, 1010 and 1510 ms: then 2 s without video */
    CHECK_EQ(cv_core_stats(c)->plis_sent, 4);
    cv_core_free(c);
}

/* ---- a simulated link: the participant sends 30 fps video and 50 pps audio
 * through loss, delay and reordering; the core's NACKs and PLIs go back the
 * same way and the participant answers them (RTX, key frames) ---- */

typedef struct {
    int64_t at;
    int back; /* toward the participant */
    uint16_t len;
    uint8_t data[1300];
} flight_t;

typedef struct {
    double loss;    /* each way */
    double reorder; /* share of packets held longer: 5..35 ms, or 0..jitter_ms */
    int jitter_ms;
    int64_t delay_us;               /* one way */
    int64_t outage_from, outage_to; /* nothing passes in between */
    flight_t f[1024];
    int n;
    uint64_t lost;
} wire_t;

static void wire_put(wire_t *w, int back, const uint8_t *p, size_t len, int64_t now)
{
    if ((now >= w->outage_from && now < w->outage_to) || chance(w->loss) || w->n == 1024 ||
        len > sizeof(w->f[0].data)) {
        w->lost++;
        return;
    }
    flight_t *f = &w->f[w->n++];
    int64_t held = !chance(w->reorder) ? 0
                   : w->jitter_ms      ? (int64_t)(rnd() % (unsigned)(w->jitter_ms + 1)) * MS
                                       : (5 + rnd() % 31) * MS;
    f->at = now + w->delay_us + held;
    f->back = back;
    f->len = (uint16_t)len;
    memcpy(f->data, p, len);
}

typedef struct {
    cv_outstream_t v, a;
    cv_rtx_t *hist;
    wire_t *w;
    int want_key;
    int64_t now;
    uint64_t frames, audio;
    uint32_t lsr; /* the core's last SR, for the RTT it measures */
    int64_t lsr_at;
} camera_t;

static void camera_emit(void *ud, uint8_t *pkt, size_t len, size_t cap)
{
    camera_t *cam = ud;
    cv_rtx_store(cam->hist, pkt, len, cam->now);
    wire_put(cam->w, 0, pkt, len, cam->now);
}

static void audio_emit(void *ud, uint8_t *pkt, size_t len, size_t cap)
{
    camera_t *cam = ud;
    wire_put(cam->w, 0, pkt, len, cam->now);
}

/* The participant's browser: a NACK answered by RTX, a PLI by a key frame. */
static void camera_feedback(camera_t *cam, const uint8_t *p, size_t len)
{
    cv_rtcp_item_t it[8];
    int n = cv_rtcp_parse(p, len, it, 8);
    for (int i = 0; i < n; i++) {
        if (it[i].type == CV_RTCP_SR) {
            cam->lsr = cv_ntp_mid32(it[i].sr.ntp);
            cam->lsr_at = cam->now;
        }
        if (it[i].type == CV_RTCP_PLI && it[i].media_ssrc == THEIR_V)
            cam->want_key = 1;
        if (it[i].type != CV_RTCP_NACK || it[i].media_ssrc != THEIR_V)
            continue;
        for (int k = 0; k < it[i].n_nack; k++) {
            uint16_t seqs[17];
            int m = cv_rtcp_nack_seqs(it[i].nack_pid[k], it[i].nack_blp[k], seqs, 17);
            for (int j = 0; j < m; j++) {
                const uint8_t *orig;
                int olen = cv_rtx_find(cam->hist, seqs[j], cam->now, 1 * S, 10 * MS, &orig);
                uint8_t out[1400];
                if (olen > 0) {
                    int r = cv_rtx_wrap(cam->hist, orig, (size_t)olen, RTX_PT, THEIR_RTX, out,
                                        sizeof(out));
                    if (r > 0)
                        wire_put(cam->w, 0, out, (size_t)r, cam->now);
                }
            }
        }
    }
}

static void camera_tick(camera_t *cam, int64_t now, int64_t ms)
{
    static uint8_t buf[8000], scratch[1500];
    cam->now = now;
    if (ms % 1000 == 500 && cam->lsr) { /* its receiver report on what the core sends it */
        cv_rtcp_rb_t rb = {
            .ssrc = OUR_A, .lsr = cam->lsr, .dlsr = (uint32_t)((now - cam->lsr_at) * 65536 / S)};
        int n = cv_rtcp_build_rr(buf, sizeof(buf), THEIR_A, &rb, 1);
        wire_put(cam->w, 0, buf, (size_t)n, now);
    }
    if (ms % 20 == 0) {
        memset(buf, 0x55, 60);
        cv_outstream_send(&cam->a, buf, 60, (uint32_t)(ms * 48), now, 0, 1100, scratch,
                          sizeof(scratch), audio_emit, cam);
        cam->audio++;
    }
    if ((ms * 3) % 100 < 3) { /* 30 frames a second */
        int key = cam->want_key || cam->frames == 0;
        size_t size = key ? 6000 : 800 + rnd() % 1600;
        fake_frame(buf, size, key);
        cam->want_key = 0;
        cv_outstream_send(&cam->v, buf, size, (uint32_t)(ms * 90), now, key, 1100, scratch,
                          sizeof(scratch), camera_emit, cam);
        cam->frames++;
    }
}

typedef struct {
    uint64_t frames, frames_got, audio, audio_got, nacks, rtx, plis, cpu_us, video_pkts;
    int64_t longest_gap_us, rtt_us;
    int dead;
} sim_result_t;

/* Delivers what is due, earliest first and in the order sent among equals. */
static void deliver_due(wire_t *w, cv_core_t *c, camera_t *cam, log_t *lg, int64_t now)
{
    for (;;) {
        int first = -1;
        for (int i = 0; i < w->n; i++)
            if (w->f[i].at <= now && (first < 0 || w->f[i].at < w->f[first].at))
                first = i;
        if (first < 0)
            return;
        flight_t *f = &w->f[first];
        if (f->back) {
            camera_feedback(cam, f->data, f->len);
        } else if (f->data[1] >= 192 && f->data[1] <= 223) {
            cv_core_on_rtcp(c, f->data, f->len, now);
            drain(c, lg, now);
        } else {
            cv_core_on_rtp(c, f->data, f->len, now);
            drain(c, lg, now);
        }
        memmove(f, f + 1, (size_t)(w->n - first - 1) * sizeof(*f));
        w->n--;
    }
}

static void to_camera(void *ud, const uint8_t *p, size_t len, int64_t now)
{
    wire_put(ud, 1, p, len, now);
}

static sim_result_t simulate(double loss, double reorder, int jitter_ms, int64_t outage_at,
                             int64_t seconds)
{
    static wire_t w;
    static log_t lg;
    rng = 88172645463325252ull; /* the same draws whatever ran before */
    memset(&w, 0, sizeof(w));
    w.loss = loss;
    w.reorder = reorder;
    w.jitter_ms = jitter_ms;
    w.delay_us = 25 * MS;
    w.outage_from = outage_at;
    w.outage_to = outage_at >= 0 ? outage_at + 3 * S : -1;
    cv_core_params_t p = params();
    cv_core_t *c = connected_core(&lg, &p);
    camera_t cam = {.w = &w, .hist = calloc(1, sizeof(cv_rtx_t))};
    cv_rtx_init(cam.hist, 300);
    cv_outstream_init(&cam.v, THEIR_V, V_PT, 1, 60000, 77, 9);
    cv_outstream_init(&cam.a, THEIR_A, A_PT, 0, 65000, 99, 0);
    clock_t t0 = clock();
    lg.rtcp_out = to_camera;
    lg.rtcp_ud = &w;
    for (int64_t ms = 0; ms < seconds * 1000; ms++) {
        int64_t now = ms * MS;
        camera_tick(&cam, now, ms);
        if (ms % 20 == 0) { /* the room's mix to it: what its reports and the RTT are about */
            cv_frame_t *f = cv_frame_new(CV_FRAME_AUDIO, 50);
            memset(f->data, 0x33, 50);
            f->rtp_ts = (uint32_t)(ms * 48);
            f->t_us = now;
            cv_core_on_frame(c, f, now);
            cv_frame_unref(f);
            drain(c, &lg, now);
        }
        deliver_due(&w, c, &cam, &lg, now);
        run_until(c, &lg, now);
    }
    sim_result_t r = {.frames = cam.frames,
                      .frames_got = (uint64_t)lg.video_frames,
                      .audio = cam.audio,
                      .audio_got = (uint64_t)lg.audio_frames,
                      .nacks = (uint64_t)lg.n_nacked,
                      .rtx = cam.hist->resent,
                      .video_pkts = cam.v.packets,
                      .plis = (uint64_t)lg.plis,
                      .longest_gap_us = lg.longest_gap_us,
                      .dead = lg.dead != NULL,
                      .rtt_us = cv_core_rtt_us(c),
                      .cpu_us = (uint64_t)((clock() - t0) * 1000000.0 / CLOCKS_PER_SEC)};
    cv_rtx_cleanup(cam.hist);
    free(cam.hist);
    cv_core_free(c);
    return r;
}

static void report(const char *name, const sim_result_t *r)
{
    printf("  %-22s video %4llu/%4llu frames (%5.1f %%), longest gap %4lld ms; audio %4llu/%4llu "
           "(%5.1f %%); NACKed %llu, RTX %llu (%.1f %% of %llu), PLI %llu; RTT %lld ms; %llu ms of "
           "CPU\n",
           name, (unsigned long long)r->frames_got, (unsigned long long)r->frames,
           100.0 * (double)r->frames_got / (double)r->frames, (long long)(r->longest_gap_us / MS),
           (unsigned long long)r->audio_got, (unsigned long long)r->audio,
           100.0 * (double)r->audio_got / (double)r->audio, (unsigned long long)r->nacks,
           (unsigned long long)r->rtx, 100.0 * (double)r->rtx / (double)r->video_pkts,
           (unsigned long long)r->video_pkts, (unsigned long long)r->plis,
           (long long)(r->rtt_us / MS), (unsigned long long)(r->cpu_us / 1000));
}

/* 60 s of a lossy link: what the mixer would have got. */
static void test_lossy_link(void)
{
    printf("test_core: 60 s simulated, 25 ms each way, 10 %% of packets reordered:\n");
    sim_result_t clean = simulate(0, 0, 0, -1, 60);
    report("clean", &clean);
    CHECK_EQ(clean.frames_got, clean.frames);
    CHECK(clean.audio_got + 2 >= clean.audio); /* the last ones are still on the wire */
    CHECK_EQ(clean.nacks, 0);
    CHECK_EQ(clean.plis, 1);
    /* Loss is recovered by NACK and RTX within one wait of the jitter buffer
     * (a round trip + 30 ms); what a retransmission does not repair costs
     * frames until a key frame. The floors are what this pipeline achieves,
     * with a margin; audio passes exactly what arrives. */
    sim_result_t r5 = simulate(0.05, 0.10, 0, -1, 60);
    report("5 % loss", &r5);
    CHECK(r5.frames_got >= r5.frames * 85 / 100);
    CHECK(r5.longest_gap_us < 2 * S);
    CHECK(r5.audio_got >= r5.audio * 93 / 100 && r5.audio_got <= r5.audio * 97 / 100);
    CHECK(r5.rtx > 0 && r5.rtx <= r5.nacks);
    CHECK(r5.rtt_us >= 50 * MS && r5.rtt_us < 90 * MS); /* 25 ms each way, and reordering */
    CHECK(!r5.dead);
    sim_result_t r20 = simulate(0.20, 0.10, 0, -1, 60);
    report("20 % loss", &r20);
    CHECK(r20.frames_got >= r20.frames * 15 / 100);
    CHECK(r20.longest_gap_us < 5 * S);
    CHECK(r20.audio_got >= r20.audio * 77 / 100 && r20.audio_got <= r20.audio * 83 / 100);
    CHECK(!r20.dead);
    /* a jittery link that loses nothing: every packet 0..80 ms late */
    sim_result_t jit = simulate(0.0, 1.0, 80, -1, 60);
    report("jitter 0-80 ms", &jit);
    CHECK(jit.rtx * 100 <= jit.video_pkts);         /* reordering is not taken for loss */
    CHECK(jit.frames_got >= jit.frames * 98 / 100); /* a few before it is learnt */
    CHECK(jit.plis <= 3);
    /* a 3 s outage in the middle: still alive, pictures again within a second */
    sim_result_t out = simulate(0.0, 0.0, 0, 20 * S, 60);
    report("3 s outage", &out);
    CHECK(!out.dead);
    CHECK(out.longest_gap_us >= 3 * S && out.longest_gap_us < 4 * S);
    CHECK(out.frames_got >= out.frames - 3 * 30 - 30);
    CHECK(out.plis >= 2); /* the stream picks up from a key frame */
}

/* Silence: dead 10 s after the last packet, not before; BYE at once. */
static void test_silence_and_bye(void)
{
    log_t lg;
    cv_core_params_t p = params();
    cv_core_t *c = connected_core(&lg, &p);
    cv_outstream_t mic;
    cv_outstream_init(&mic, THEIR_A, A_PT, 0, 1, 0, 0);
    pkts_t a;
    uint8_t opus[40] = {1, 2, 3}, scratch[1500];
    for (int i = 0; i < 250; i++) { /* 5 s of sound */
        a.n = 0;
        cv_outstream_send(&mic, opus, sizeof(opus), (uint32_t)(i * 960), 0, 0, 1100, scratch,
                          sizeof(scratch), collect, &a);
        feed(c, &lg, &a, 0, i * 20 * MS);
        run_until(c, &lg, i * 20 * MS);
    }
    CHECK_EQ(lg.audio_frames, 250);
    int64_t last = 249 * 20 * MS;
    run_until(c, &lg, last + 10 * S);
    CHECK(lg.dead == NULL);
    CHECK_EQ(cv_core_dead(c), 0);
    run_until(c, &lg, last + 10 * S + 1);
    CHECK(lg.dead != NULL && strstr(lg.dead, "10 s"));
    CHECK_EQ(lg.ev[CV_CORE_EV_DEAD], 1);
    CHECK_EQ(cv_core_deadline(c), -1);
    int rtcp = lg.rtcp;
    feed(c, &lg, &a, 0, last + 11 * S); /* nothing more from a dead session */
    CHECK_EQ(lg.rtcp, rtcp);
    CHECK_EQ(lg.audio_frames, 250);
    cv_core_free(c);

    c = connected_core(&lg, &p);
    feed(c, &lg, &a, 0, 10 * MS);
    uint8_t bye[16];
    int n = cv_rtcp_build_bye(bye, sizeof(bye), THEIR_A);
    cv_core_on_rtcp(c, bye, (size_t)n, 20 * MS);
    drain(c, &lg, 20 * MS);
    CHECK(lg.dead != NULL && strstr(lg.dead, "BYE"));
    cv_core_free(c);
}

/* Bad input: dropped and counted, the session goes on. */
static void test_bad_input(void)
{
    log_t lg;
    cv_core_params_t p = params();
    cv_core_t *c = connected_core(&lg, &p);
    uint8_t junk[64];
    for (int i = 0; i < 2000; i++) {
        size_t len = rnd() % sizeof(junk);
        for (size_t k = 0; k < len; k++)
            junk[k] = (uint8_t)rnd();
        if (i % 2)
            cv_core_on_rtp(c, junk, len, i * MS);
        else
            cv_core_on_rtcp(c, junk, len, i * MS);
        drain(c, &lg, i * MS);
    }
    const cv_core_stats_t *st = cv_core_stats(c);
    CHECK(st->drop_parse + st->drop_pt > 1000);
    CHECK_EQ(cv_core_dead(c), 0);
    cv_core_free(c);
    /* a second video SSRC is not the sender's (a fresh core: junk above may
     * have been taken for the sender's first packet) */
    c = connected_core(&lg, &p);
    st = cv_core_stats(c);
    cv_outstream_t cam, other;
    cv_outstream_init(&cam, THEIR_V, V_PT, 1, 1, 0, 5);
    cv_outstream_init(&other, 0x9999, V_PT, 1, 1, 0, 5);
    pkts_t k, o;
    camera_frame(&cam, &k, 300, 1, 0);
    camera_frame(&other, &o, 300, 1, 0);
    uint64_t before = st->drop_pt;
    feed(c, &lg, &k, 0, 3 * S);
    feed(c, &lg, &o, 0, 3 * S);
    CHECK_EQ(st->drop_pt, before + 1);
    CHECK_EQ(lg.video_frames, 1);
    /* a viewer's media is not used */
    cv_core_free(c);
    p.takes = 0;
    c = connected_core(&lg, &p);
    feed(c, &lg, &k, 0, 10 * MS);
    CHECK_EQ(lg.video_frames, 0);
    CHECK_EQ(cv_core_stats(c)->drop_pt, 1);
    cv_core_free(c);
}

/* A hidden sender: packets dropped (an event each), a REMB of the hidden cap
 * at once; shown again: afresh, from a key frame. */
static void test_hidden_sender(void)
{
    log_t lg;
    cv_core_params_t p = params();
    cv_core_t *c = connected_core(&lg, &p);
    cv_outstream_t cam;
    cv_outstream_init(&cam, THEIR_V, V_PT, 1, 1, 0, 5);
    pkts_t f;
    camera_frame(&cam, &f, 300, 1, 0);
    feed(c, &lg, &f, 0, 10 * MS);
    CHECK_EQ(lg.rembs, 1);
    CHECK_EQ(lg.remb_bps, 500000);
    cv_core_set_view(c, 0, 50, 20 * MS);
    drain(c, &lg, 20 * MS);
    CHECK_EQ(lg.rembs, 2);
    CHECK_EQ(lg.remb_bps, 50000);
    for (int i = 0; i < 5; i++) {
        camera_frame(&cam, &f, 300, 0, (uint32_t)(3000 * (i + 1)));
        feed(c, &lg, &f, 0, (30 + i) * MS);
    }
    CHECK_EQ(lg.ev[CV_CORE_EV_HIDDEN_DROP], 5);
    CHECK_EQ(lg.video_frames, 1);
    int plis = lg.plis;
    cv_core_set_view(c, 1, 500, 600 * MS);
    camera_frame(&cam, &f, 300, 0, 30000);
    feed(c, &lg, &f, 0, 600 * MS);
    CHECK_EQ(lg.video_frames, 1); /* a delta frame cannot start the picture */
    CHECK_EQ(lg.plis, plis + 1);
    camera_frame(&cam, &f, 300, 1, 33000);
    feed(c, &lg, &f, 0, 633 * MS);
    CHECK_EQ(lg.video_frames, 2);
    cv_core_free(c);
}

static void mix_out(cv_core_t *c, log_t *lg, int i, size_t len)
{
    cv_frame_t *f = cv_frame_new(CV_FRAME_AUDIO, len);
    memset(f->data, (uint8_t)(i + 1), len);
    f->rtp_ts = (uint32_t)(i * 960);
    cv_core_on_frame(c, f, i * 20 * MS);
    cv_frame_unref(f);
    drain(c, lg, i * 20 * MS);
}

/* RED from a sender: 20 % of its packets lost, each carrying the two before
 * it; every packet of which it or one of the next two arrived reaches the
 * mixer, in its own sequence number, timestamp and bytes. */
static void test_red_from_sender(void)
{
    log_t lg;
    cv_core_params_t p = params();
    p.red_pt = 63;
    cv_core_t *c = connected_core(&lg, &p);
    enum { N = 600 };
    static int arrived[N + 2];
    static cv_frame_t *got[N];
    cv_outstream_t mic;
    cv_outstream_init(&mic, THEIR_A, 63, 0, 65500, 0, 0); /* its sequence wraps */
    uint8_t frames[N][40], payload[200], pkt[300];
    int expect = 0;
    for (int i = 0; i < N; i++) {
        memset(frames[i], (uint8_t)(i + 1), sizeof(frames[i]));
        frames[i][0] = (uint8_t)(i >> 8);
        arrived[i] = !chance(0.20);
    }
    for (int i = 0; i < N; i++)
        expect += arrived[i] || (i + 1 < N && arrived[i + 1]) || (i + 2 < N && arrived[i + 2]);
    for (int i = 0; i < N; i++) {
        cv_red_block_t b[2];
        int n = 0;
        for (int k = 2; k >= 1; k--)
            if (i - k >= 0)
                b[n++] = (cv_red_block_t){
                    .pt = A_PT, .ts_offset = 960u * (uint32_t)k, .data = frames[i - k], .len = 40};
        int len = cv_red_build(payload, sizeof(payload), b, n, A_PT, frames[i], 40);
        CHECK(len > 0);
        pkts_t one = {0};
        cv_outstream_send(&mic, payload, (size_t)len, (uint32_t)(i * 960), 0, 0, 1100, pkt,
                          sizeof(pkt), collect, &one);
        if (!arrived[i])
            continue;
        cv_core_on_rtp(c, one.data[0], one.len[0], i * 20 * MS);
        cv_core_out_t o;
        while (cv_core_poll(c, &o) != CV_CORE_NONE) {
            if (o.kind != CV_CORE_FRAME)
                continue;
            /* the frame's index from its bytes; its seq and ts must agree */
            int k = (o.frame->data[0] << 8) | (uint8_t)(o.frame->data[1] - 1);
            if (k >= 0 && k < N && !got[k] && o.frame->len == 40 &&
                memcmp(o.frame->data + 1, frames[k] + 1, 39) == 0)
                got[k] = o.frame;
            else
                cv_frame_unref(o.frame);
        }
    }
    int delivered = 0, in_order = 1;
    for (int i = 0; i < N; i++) {
        if (!got[i])
            continue;
        delivered++;
        in_order &= got[i]->rtp_ts == (uint32_t)(i * 960);
        if (i > 0 && got[i - 1])
            in_order &= got[i]->seq == got[i - 1]->seq + 1;
    }
    for (int i = 0; i < N; i++)
        cv_frame_unref(got[i]);
    printf("test_core: RED at 20 %% loss: %d of %d packets to the mixer (%d could be), %llu "
           "rebuilt\n",
           delivered, N, expect, (unsigned long long)cv_core_stats(c)->red_recovered);
    CHECK_EQ(delivered, expect);
    CHECK(in_order);
    CHECK(cv_core_stats(c)->red_recovered > N / 10);
    cv_core_free(c);
}

/* RED to a receiver: no redundancy on a clean link, two earlier frames once
 * its reports say it loses 20 %; a DTX frame is not sent again. */
static void test_red_to_receiver(void)
{
    log_t lg;
    cv_core_params_t p = params();
    p.red_pt = 63;
    cv_core_t *c = connected_core(&lg, &p);
    /* before any report: one earlier frame */
    mix_out(c, &lg, 0, 50);
    mix_out(c, &lg, 1, 40);
    const uint8_t *r = lg.pkt[(lg.n_pkts - 1) % 256].data;
    size_t rlen = lg.pkt[(lg.n_pkts - 1) % 256].len;
    CHECK_EQ(r[1] & 0x7f, 63);
    cv_red_block_t b[4];
    CHECK_EQ(cv_red_parse(r + 12, rlen - 12, b, 4), 2);
    CHECK_EQ(b[0].len, 50);
    CHECK_EQ(b[1].len, 40);
    cv_core_free(c);
    /* a report of no loss: the primary alone */
    c = connected_core(&lg, &p);
    uint8_t rr[64];
    cv_rtcp_rb_t rb = {.ssrc = OUR_A, .fraction_lost = 0};
    int n = cv_rtcp_build_rr(rr, sizeof(rr), THEIR_A, &rb, 1);
    cv_core_on_rtcp(c, rr, (size_t)n, 0);
    mix_out(c, &lg, 0, 50);
    mix_out(c, &lg, 1, 50);
    r = lg.pkt[(lg.n_pkts - 1) % 256].data;
    rlen = lg.pkt[(lg.n_pkts - 1) % 256].len;
    CHECK_EQ(r[1] & 0x7f, 63);
    CHECK_EQ(cv_red_parse(r + 12, rlen - 12, b, 4), 1); /* the primary alone */
    CHECK_EQ(b[0].len, 50);
    CHECK_EQ(b[0].data[0], 2);
    rb.fraction_lost = 51;
    n = cv_rtcp_build_rr(rr, sizeof(rr), THEIR_A, &rb, 1);
    cv_core_on_rtcp(c, rr, (size_t)n, 45 * MS);
    drain(c, &lg, 45 * MS);
    mix_out(c, &lg, 2, 50);
    mix_out(c, &lg, 3, 1); /* DTX */
    mix_out(c, &lg, 4, 60);
    r = lg.pkt[(lg.n_pkts - 1) % 256].data;
    rlen = lg.pkt[(lg.n_pkts - 1) % 256].len;
    CHECK_EQ(cv_red_parse(r + 12, rlen - 12, b, 4), 2); /* frame 2; not the DTX frame 3 */
    CHECK_EQ(b[0].ts_offset, 1920);
    CHECK_EQ(b[0].data[0], 3);
    CHECK_EQ(b[1].len, 60);
    CHECK_EQ(b[1].data[0], 5);
    mix_out(c, &lg, 5, 70);
    r = lg.pkt[(lg.n_pkts - 1) % 256].data;
    rlen = lg.pkt[(lg.n_pkts - 1) % 256].len;
    CHECK_EQ(cv_red_parse(r + 12, rlen - 12, b, 4), 2); /* frame 4 only: 3 was DTX */
    CHECK_EQ(b[0].ts_offset, 960);
    CHECK_EQ(b[0].data[0], 5);
    CHECK_EQ(r[1] & 0x80, 0); /* no marker: not the start of a talkspurt */
    r = lg.pkt[(lg.n_pkts - 2) % 256].data;
    CHECK_EQ(r[1] & 0x80, 0x80); /* frame 4 followed DTX: it had the marker */
    cv_core_free(c);
}

/* Pacing: a big key frame leaves at 2.5 x what the receiver's tier needs,
 * never more than 50 ms of that at once, while the audio beside it goes out
 * the moment it comes. */
static void test_pacing(void)
{
    log_t lg;
    cv_core_params_t p = params();
    cv_tiers_parse("1280x720@30:1500,640x360@30:500,320x180@15:150", &p.tiers, NULL, 0);
    cv_core_t *c = connected_core(&lg, &p);
    const int64_t rate = (1500 + 40) * 1000 / 8 * 25 / 10; /* bytes a second */
    cv_frame_t *key = cv_frame_new(CV_FRAME_VIDEO, 120000);
    fake_frame(key->data, key->len, 1);
    key->keyframe = 1;
    cv_core_on_frame(c, key, 100 * MS);
    cv_frame_unref(key);
    drain(c, &lg, 100 * MS);
    for (int64_t ms = 100; ms < 600; ms++) {
        int64_t now = ms * MS;
        if (ms % 20 == 0)
            mix_out(c, &lg, (int)ms / 20, 80);
        run_until(c, &lg, now);
    }
    int pkts = lg.video_rtp;
    CHECK(pkts > 100);
    int64_t span = lg.video_us[pkts - 1] - lg.video_us[0];
    int64_t bytes = 0;
    for (int i = 0; i < pkts; i++)
        bytes += lg.video_len[i];
    printf("test_core: a %lld-byte key frame paced over %lld ms (%lld kbit/s) in "
           "%d packets\n",
           (long long)bytes, (long long)(span / MS), (long long)(bytes * 8 * 1000 / span), pkts);
    /* no 20 ms window carries more than the burst (50 ms of the rate) plus 20 ms of it */
    int worst = 0;
    for (int i = 0; i < pkts; i++) {
        int64_t sum = 0;
        for (int j = i; j < pkts && lg.video_us[j] - lg.video_us[i] < 20 * MS; j++)
            sum += lg.video_len[j];
        if (sum > worst)
            worst = (int)sum;
    }
    CHECK(worst <= rate * (50 + 20) / 1000 + 1500);
    CHECK(span >= (bytes - rate / 20) * 1000000 / rate - 2 * MS); /* not faster than the rate */
    CHECK(span <= bytes * 1000000 / rate + 20 * MS);              /* nor much slower */
    /* audio was never held behind the key frame: each went out when it came */
    CHECK_EQ(lg.audio_rtp, 25);
    for (int i = 0; i < lg.audio_rtp; i++)
        CHECK_EQ(lg.audio_us[i], (100 + 20 * i) * MS);
    cv_core_free(c);
}

typedef struct {
    int feedbacks, reported, received, lost, bad_time;
    int64_t first_arrival; /* the first reported arrival, and the time it was given */
    int64_t given[200];
} twcc_seen_t;

static twcc_seen_t tw_seen;

static void on_our_rtcp(void *ud, const uint8_t *p, size_t len, int64_t now)
{
    cv_twcc_fb_t fb;
    if (len < 2 || p[1] != 205 || (p[0] & 0x1f) != 15 || cv_twcc_parse(p, len, &fb) != 0)
        return;
    twcc_seen_t *t = &tw_seen;
    t->feedbacks++;
    for (int i = 0; i < fb.count; i++, t->reported++) {
        int idx = (uint16_t)(fb.base_seq + i - 65530);
        if (!fb.received[i]) {
            t->lost++;
            continue;
        }
        t->received++;
        if (t->received == 1)
            t->first_arrival = fb.arrival_us[i] - t->given[idx];
        int64_t err = fb.arrival_us[i] - t->given[idx] - t->first_arrival;
        t->bad_time += err <= -CV_TWCC_DELTA_US || err >= CV_TWCC_DELTA_US;
    }
}

/* Transport feedback: every numbered packet reported once, each 50 ms, with
 * arrival times to the unit, the lost ones as lost; none without the id. */
static void test_twcc_feedback(void)
{
    for (int with = 1; with >= 0; with--) {
        log_t lg;
        cv_core_params_t p = params();
        p.twcc_id = with ? 5 : 0;
        cv_core_t *c = connected_core(&lg, &p);
        memset(&tw_seen, 0, sizeof(tw_seen));
        lg.rtcp_out = on_our_rtcp;
        cv_outstream_t cam;
        cv_outstream_init(&cam, THEIR_V, V_PT, 1, 1, 0, 5);
        int64_t now = 0;
        for (int i = 0; i < 200; i++) {
            now += 3 * MS + (int64_t)(rnd() % 7000);
            pkts_t f;
            camera_frame(&cam, &f, 300, i == 0, (uint32_t)(i * 3000));
            int len = cv_rtp_add_ext16(f.data[0], f.len[0], sizeof(f.data[0]), 5,
                                       (uint16_t)(65530 + i)); /* wraps */
            tw_seen.given[i] = now;
            if (i % 10 == 3)
                continue; /* lost on the way */
            cv_core_on_rtp(c, f.data[0], (size_t)len, now);
            drain(c, &lg, now);
            run_until(c, &lg, now);
        }
        run_until(c, &lg, now + 100 * MS);
        if (with) {
            CHECK_EQ(tw_seen.reported, 200);
            CHECK_EQ(tw_seen.lost, 20);
            CHECK_EQ(tw_seen.received, 180);
            CHECK_EQ(tw_seen.bad_time, 0);
            CHECK(tw_seen.feedbacks >= (int)(now / (60 * MS)) &&
                  tw_seen.feedbacks <= (int)(now / (50 * MS)) + 2);
            CHECK_EQ(lg.video_frames, 3); /* the media path as ever: up to the first loss */
        } else {
            CHECK_EQ(tw_seen.feedbacks, 0);
        }
        cv_core_free(c);
    }
}

/* The transport-wide number and video sequence number of the last n video
 * packets sent to the participant (in the log), oldest first. */
static int sent_numbers(const log_t *lg, uint16_t *tw, uint16_t *vseq, int n)
{
    int k = 0;
    for (int i = lg->n_pkts > 256 ? lg->n_pkts - 256 : 0; i < lg->n_pkts; i++) {
        cv_rtp_hdr_t h;
        const uint8_t *d;
        if (cv_rtp_parse(lg->pkt[i % 256].data, lg->pkt[i % 256].len, &h) != 0 || h.ssrc != OUR_V ||
            cv_rtp_find_ext(&h, 5, &d) != 2)
            continue;
        memmove(tw + 1, tw, (size_t)(n - 1) * sizeof(*tw));
        memmove(vseq + 1, vseq, (size_t)(n - 1) * sizeof(*vseq));
        tw[0] = rd16(d);
        vseq[0] = h.seq;
        k++;
    }
    /* newest first now: turn around */
    int m = k < n ? k : n;
    for (int i = 0; i < m / 2; i++) {
        uint16_t t = tw[i], v = vseq[i];
        tw[i] = tw[m - 1 - i], vseq[i] = vseq[m - 1 - i];
        tw[m - 1 - i] = t, vseq[m - 1 - i] = v;
    }
    return m;
}

static void nack_one(cv_core_t *c, log_t *lg, uint16_t seq, int64_t now)
{
    uint8_t pkt[64];
    int n = cv_rtcp_build_nack(pkt, sizeof(pkt), THEIR_V, OUR_V, &seq, 1);
    cv_core_on_rtcp(c, pkt, (size_t)n, now);
    drain(c, lg, now);
}

/* A clean link's receiver: every numbered packet arrives as it leaves. */
static cv_twcc_rx_t warm_rx;

static void warm_put(void *ud, const uint8_t *p, size_t len, int64_t now)
{
    cv_rtp_hdr_t h;
    const uint8_t *d;
    if (cv_rtp_parse(p, len, &h) == 0 && cv_rtp_find_ext(&h, 5, &d) == 2)
        cv_twcc_rx_on_packet(&warm_rx, rd16(d), now);
}

/* A receiver with transport feedback and RTX gets audio only until a probe
 * showed its link carries video: speaks and reports over a clean link until
 * then. Returns when the probe took it to a video tier. */
static void pass_start_probe(cv_core_t *c, log_t *lg, int64_t *now)
{
    cv_twcc_rx_init(&warm_rx);
    lg->rtp_out = warm_put;
    CHECK_EQ(cv_core_tier(c), CV_TIER_AUDIO_ONLY);
    while (cv_core_tier(c) == CV_TIER_AUDIO_ONLY && *now < 3 * S) {
        *now += MS;
        if (*now % (20 * MS) == 0) {
            cv_frame_t *a = cv_frame_new(CV_FRAME_AUDIO, 80);
            memset(a->data, 0x55, 80);
            a->rtp_ts = (uint32_t)(*now / (20 * MS) * 960);
            cv_core_on_frame(c, a, *now);
            cv_frame_unref(a);
            drain(c, lg, *now);
        }
        run_until(c, lg, *now);
        uint8_t fb[1500];
        int n;
        while (*now % (50 * MS) == 0 && cv_twcc_rx_pending(&warm_rx) &&
               (n = cv_twcc_build(&warm_rx, fb, sizeof(fb), THEIR_V, OUR_V)) > 0) {
            cv_core_on_rtcp(c, fb, (size_t)n, *now);
            drain(c, lg, *now);
        }
    }
    lg->rtp_out = NULL;
    CHECK(cv_core_tier(c) != CV_TIER_AUDIO_ONLY);
    CHECK(lg->pad_rtp > 0);
    CHECK(*now < 1 * S); /* the first feedback starts it */
}

/* The start over a clean link: audio only, a probe of padding on the RTX
 * stream (dropped by the receiver: no original sequence number) at the start
 * tier's rate, and that tier once the feedback shows the link kept up. */
static void test_start_probe(void)
{
    log_t lg;
    cv_core_params_t p = params();
    p.twcc_id = 5;
    cv_core_t *c = connected_core(&lg, &p);
    int64_t now = 0;
    pass_start_probe(c, &lg, &now);
    CHECK_EQ(cv_core_stats(c)->probes, 1);
    CHECK(lg.pad_rtp >= 2);
    CHECK_EQ(lg.video_rtp, 0);             /* no video before it */
    CHECK_EQ(lg.ev[CV_CORE_EV_PAUSED], 0); /* and no "video paused" for so short a time */
    printf("test_core: start probe: %d padding packets, video from %lld ms\n", lg.pad_rtp,
           (long long)(now / MS));
    cv_core_free(c);
}

/* NACKs on a link that reorders wait for the transport feedback: a packet it
 * reports as come (it was only overtaken) is not sent again, one it reports
 * missing or has not reported yet goes when the hold ends (the feedback may
 * have gone before a late packet came). On a link that has not reordered, or
 * that really loses packets, a NACK is answered at once. */
static void test_nack_waits_for_feedback(void)
{
    log_t lg;
    cv_core_params_t p = params();
    p.twcc_id = 5;
    p.no_probe = 1; /* (probes: test_start_probe) */
    cv_core_t *c = connected_core(&lg, &p);
    int64_t now = 10 * MS;
    for (int i = 0; i < 10; i++)
        video_out(c, &lg, i == 0, now += 20 * MS);
    run_until(c, &lg, now);
    uint16_t tw[10], vs[10];
    CHECK_EQ(sent_numbers(&lg, tw, vs, 10), 10);
    /* no reordering seen yet: a NACK is answered at once */
    int rtx = lg.rtx_rtp;
    nack_one(c, &lg, vs[1], now += MS);
    CHECK_EQ(lg.rtx_rtp, rtx + 1);
    /* feedback: packets 0..7 came, 3 after 4 (which came 20 ms before it), 8 and 9 missing */
    static cv_twcc_rx_t rx;
    cv_twcc_rx_init(&rx);
    int64_t base = 50 * S;
    for (int i = 0; i < 8; i++)
        if (i != 3)
            cv_twcc_rx_on_packet(&rx, tw[i], base + i * 20 * MS);
    cv_twcc_rx_on_packet(&rx, tw[3], base + 100 * MS);
    cv_twcc_rx_on_packet(&rx, (uint16_t)(tw[9] + 1), base + 200 * MS); /* the next one */
    uint8_t fb[512];
    int n = cv_twcc_build(&rx, fb, sizeof(fb), THEIR_V, OUR_V);
    CHECK(n > 0);
    cv_core_on_rtcp(c, fb, (size_t)n, now += MS);
    drain(c, &lg, now);
    const cv_core_stats_t *st = cv_core_stats(c);
    /* the overtaken packet 3 and the received 6: not again */
    rtx = lg.rtx_rtp;
    nack_one(c, &lg, vs[3], now += MS);
    nack_one(c, &lg, vs[6], now);
    run_until(c, &lg, now + 500 * MS);
    CHECK_EQ(lg.rtx_rtp, rtx);
    CHECK_EQ(st->nacks_spared, 2);
    now += 500 * MS;
    /* missing 8: when the hold ends: twice the reordering (20 ms), no feedback
     * interval known yet (one feedback), and the slack */
    int64_t asked = now += MS;
    nack_one(c, &lg, vs[8], asked);
    run_until(c, &lg, asked + 40 * MS + NACK_HOLD_SLACK - 1 * MS);
    CHECK_EQ(lg.rtx_rtp, rtx);
    run_until(c, &lg, asked + 40 * MS + NACK_HOLD_SLACK);
    CHECK_EQ(lg.rtx_rtp, rtx + 1);
    now = asked + 40 * MS + NACK_HOLD_SLACK;
    /* a new packet not yet reported: held as long */
    video_out(c, &lg, 0, now += 20 * MS);
    uint16_t tw1[1], vs1[1];
    CHECK_EQ(sent_numbers(&lg, tw1, vs1, 1), 1);
    asked = now += 5 * MS;
    nack_one(c, &lg, vs1[0], asked);
    run_until(c, &lg, asked + 40 * MS + NACK_HOLD_SLACK - 1 * MS);
    CHECK_EQ(lg.rtx_rtp, rtx + 1);
    run_until(c, &lg, asked + 40 * MS + NACK_HOLD_SLACK);
    CHECK_EQ(lg.rtx_rtp, rtx + 2);
    /* its reports say it loses 30 %: most NACKs are for lost packets now,
     * and are answered at once */
    now = asked + 40 * MS + NACK_HOLD_SLACK;
    uint32_t high = 1000;
    int32_t lost = 0;
    for (int i = 0; i < 8; i++) {
        cv_rtcp_rb_t rb = {.ssrc = OUR_V, .cum_lost = lost += 12, .ext_high_seq = high += 40};
        uint8_t rr[64];
        int m = cv_rtcp_build_rr(rr, sizeof(rr), THEIR_V, &rb, 1);
        cv_core_on_rtcp(c, rr, (size_t)m, now += 250 * MS);
        drain(c, &lg, now);
    }
    video_out(c, &lg, 0, now += 20 * MS);
    CHECK_EQ(sent_numbers(&lg, tw1, vs1, 1), 1);
    nack_one(c, &lg, vs1[0], now += 5 * MS);
    CHECK_EQ(lg.rtx_rtp, rtx + 3);
    cv_core_free(c);
}

/* ---- what it receives, judged by its transport feedback ---- */

/* The receiver's end of a simulated link: what the core sends crosses an
 * impair.c profile; the receiver records the numbered packets' arrivals and
 * sends transport feedback each 50 ms. */
typedef struct {
    cv_impair_t im;
    cv_twcc_rx_t rx;
    int n;
    struct {
        int64_t at;
        uint16_t len;
        uint8_t data[CV_CORE_PKT_CAP];
    } fl[512];
    int unnumbered, overflow;
    int audio_sent, audio_lost, audio_lost_late; /* late: after the first 3 s */
    int64_t audio_wait_max, audio_wait_at;       /* the longest an audio packet queued, when */
    int64_t t0;
} rlink_t;

static rlink_t rl;

static void rlink_put(void *ud, const uint8_t *p, size_t len, int64_t now)
{
    rlink_t *l = ud;
    cv_rtp_hdr_t h;
    const uint8_t *d;
    if (cv_rtp_parse(p, len, &h) != 0 || cv_rtp_find_ext(&h, 5, &d) != 2) {
        l->unnumbered++;
        return;
    }
    int64_t at;
    int fate = cv_impair_packet(&l->im, len, now, &at);
    if (h.ssrc == OUR_A) {
        l->audio_sent++;
        l->audio_lost += fate != CV_IMPAIR_PASS;
        l->audio_lost_late += fate != CV_IMPAIR_PASS && now - l->t0 > 3 * S;
        if (fate == CV_IMPAIR_PASS && at - now - l->im.p.delay_us > l->audio_wait_max)
            l->audio_wait_max = at - now - l->im.p.delay_us, l->audio_wait_at = now - l->t0;
    }
    if (fate != CV_IMPAIR_PASS)
        return;
    if (l->n == 512) {
        l->overflow++;
        return;
    }
    l->fl[l->n].at = at;
    l->fl[l->n].len = (uint16_t)len;
    memcpy(l->fl[l->n++].data, p, len);
}

/* Packets due by now arrive; each 50 ms the feedback goes back to the core. */
static void rlink_run(rlink_t *l, cv_core_t *c, log_t *lg, int64_t now)
{
    for (int i = 0; i < l->n;) {
        if (l->fl[i].at > now) {
            i++;
            continue;
        }
        cv_rtp_hdr_t h;
        const uint8_t *d;
        if (cv_rtp_parse(l->fl[i].data, l->fl[i].len, &h) == 0 && cv_rtp_find_ext(&h, 5, &d) == 2)
            cv_twcc_rx_on_packet(&l->rx, rd16(d), now + 3 * S); /* its own clock */
        l->fl[i] = l->fl[--l->n];
    }
    if ((now - l->t0) % (50 * MS) != 0)
        return;
    uint8_t pkt[1500];
    int n;
    while (cv_twcc_rx_pending(&l->rx) &&
           (n = cv_twcc_build(&l->rx, pkt, sizeof(pkt), THEIR_V, OUR_V)) > 0) {
        cv_core_on_rtcp(c, pkt, (size_t)n, now);
        drain(c, lg, now);
    }
}

typedef struct {
    int64_t top_at;   /* when it first reached the top tier, -1 never */
    int64_t settled;  /* when the tier last changed */
    int final, downs; /* the tier at the end; steps down seen */
    int paused;       /* "video paused" events */
} ramp_t;

/* The mixer sends the tier's bit rate (30 frames a second, a key frame five
 * times the size on request) and audio each 20 ms, for secs seconds across
 * the profile. */
static ramp_t receive_over(const char *profile, int secs)
{
    log_t lg;
    cv_core_params_t p = params();
    p.twcc_id = 5;
    cv_tiers_parse(CV_TIERS_DEFAULT, &p.tiers, NULL, 0);
    memset(&rl, 0, sizeof(rl));
    cv_impair_profile_t prof;
    CHECK_EQ(cv_impair_profile_named(profile, &prof), 0);
    cv_impair_init(&rl.im, &prof, 3);
    cv_twcc_rx_init(&rl.rx);
    cv_core_t *c = connected_core(&lg, &p);
    lg.rtp_out = rlink_put;
    lg.rtcp_ud = &rl;
    ramp_t r = {.top_at = -1};
    int tier = cv_core_tier(c), keys = 0;
    int64_t ts = 0;
    for (int64_t ms = 1; ms <= secs * 1000; ms++) {
        int64_t now = ms * MS;
        if (ms % 20 == 0) {
            cv_frame_t *a = cv_frame_new(CV_FRAME_AUDIO, 80);
            memset(a->data, 0x55, 80);
            a->rtp_ts = (uint32_t)(ms / 20 * 960);
            cv_core_on_frame(c, a, now);
            cv_frame_unref(a);
            drain(c, &lg, now);
        }
        if (ms % 33 == 0 && cv_core_tier(c) != CV_TIER_AUDIO_ONLY) {
            int t = cv_core_tier(c);
            size_t size = (size_t)p.tiers.t[t].kbps * 1000 / 8 / 30;
            int key = lg.ev[CV_CORE_EV_KEYFRAME] > keys;
            keys = lg.ev[CV_CORE_EV_KEYFRAME];
            if (key)
                size *= 5;
            cv_frame_t *f = cv_frame_new(CV_FRAME_VIDEO, size);
            fake_frame(f->data, size, key);
            f->keyframe = key;
            f->rtp_ts = (uint32_t)(ts += 3000);
            cv_core_on_frame(c, f, now);
            cv_frame_unref(f);
            drain(c, &lg, now);
        }
        run_until(c, &lg, now);
        rlink_run(&rl, c, &lg, now);
        int t = cv_core_tier(c);
        if (t != tier) {
            r.downs += t == CV_TIER_AUDIO_ONLY || (tier != CV_TIER_AUDIO_ONLY && t > tier);
            r.settled = now;
            tier = t;
        }
        if (t == 0 && r.top_at < 0)
            r.top_at = now;
    }
    r.final = tier;
    r.paused = lg.ev[CV_CORE_EV_PAUSED];
    CHECK_EQ(rl.unnumbered, 0);
    CHECK_EQ(rl.overflow, 0);
    printf("test_core: %s for %d s: tier %d at the end (last change at %lld ms), %d steps "
           "down, top tier first at %lld ms; audio lost %d of %d (%d after 3 s), queued up to %lld "
           "ms (at %lld ms)\n",
           profile, secs, r.final, (long long)(r.settled / MS), r.downs,
           (long long)(r.top_at < 0 ? -1 : r.top_at / MS), rl.audio_lost, rl.audio_sent,
           rl.audio_lost_late, (long long)(rl.audio_wait_max / MS),
           (long long)(rl.audio_wait_at / MS));
    cv_core_free(c);
    return r;
}

/* Judged by transport feedback and probes: a clean link climbs from the
 * lowest tier to the top well within 10 s and stays; on a 300 kbit/s link the
 * probe for the middle tier fails and the lowest stays, and on a 150 kbit/s
 * link the start probe fails and the video never starts; on neither does
 * audio queue long or get lost. */
static void test_delay_tiers(void)
{
    ramp_t r = receive_over("clean", 20);
    CHECK(r.top_at >= 0 && r.top_at <= 10 * S);
    CHECK_EQ(r.final, 0);
    CHECK_EQ(r.downs, 0);
    CHECK_EQ(r.paused, 0);
    CHECK_EQ(rl.audio_lost, 0);
    r = receive_over("cap300", 25);
    CHECK_EQ(r.final, 2);
    CHECK_EQ(r.downs, 0); /* the probe for the middle tier failed: never tried */
    CHECK(r.settled <= 1 * S);
    CHECK_EQ(rl.audio_lost, 0);
    CHECK(rl.audio_wait_max <= 100 * MS); /* audio never queues long behind video */
    r = receive_over("cap150", 25);
    CHECK_EQ(r.final, CV_TIER_AUDIO_ONLY); /* the start probe failed: audio only */
    CHECK_EQ(r.downs, 0);
    CHECK_EQ(r.paused, 1); /* and the receiver is told */
    CHECK_EQ(rl.audio_lost, 0);
    CHECK(rl.audio_wait_max <= 50 * MS);
    /* jitter is not a slow link: the probes pass, the top tier in time */
    r = receive_over("delay150", 20);
    CHECK(r.top_at >= 0 && r.top_at <= 10 * S);
    CHECK_EQ(r.final, 0);
    /* random loss is not a queue: the second-lowest tier at worst */
    r = receive_over("loss20", 20);
    CHECK(r.final == 0 || r.final == 1);
    CHECK(r.top_at < 0 || r.top_at <= 10 * S);
}

int main(void)
{
    test_twcc_feedback();
    test_delay_tiers();
    test_start_probe();
    test_nack_waits_for_feedback();
    test_pacing();
    test_red_from_sender();
    test_red_to_receiver();
    test_jitter_release_at_deadline();
    test_nack_timing();
    test_rtx_across_wraps();
    test_tiers();
    test_keyframe_rate_limit();
    test_silence_and_bye();
    test_bad_input();
    test_hidden_sender();
    test_lossy_link();
    return CHECK_DONE("test_core");
}
