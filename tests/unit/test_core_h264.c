/*
 * test_core_h264.c - the media core with a sender whose video is H.264 (RFC
 * 6184): access units reach the mixer marked H.264, a stream without parameter
 * sets waits for them and asks for a key frame (PLI, RFC 4585 §6.3.1) rather
 * than passing anything on, sprop-parameter-sets stand in for in-band ones,
 * and the mixer's VP8 is not sent to it; the mixer's H.264 is, in RFC 6184
 * packets that depacketise to the access unit sent.
 */
#include "check.h"
#include "core.h"
#include "frame.h"
#include "h264.h"
#include "rtcp.h"

#include <stdio.h>
#include <string.h>

#define V_PT 102
#define A_PT 111
#define THEIR_V 0xabcdef01u
#define MS 1000

typedef struct {
    int plis, frames, keys, h264, video_rtp;
    size_t last_len;
    uint8_t last[64];
} log_t;

static cv_core_params_t params(const char *sprop)
{
    cv_core_params_t p = {.a_pt = A_PT,
                          .v_pt = V_PT,
                          .rtx_pt = -1,
                          .red_pt = -1,
                          .sends = 1,
                          .takes = 1,
                          .a_ssrc = 0x1111,
                          .v_ssrc = 0x2222,
                          .rtx_ssrc = 0x3333,
                          .v_h264 = 1};
    snprintf(p.cname, sizeof p.cname, "h264-test");
    snprintf(p.h264_sprop, sizeof p.h264_sprop, "%s", sprop);
    return p;
}

static void drain(cv_core_t *c, log_t *lg)
{
    cv_core_out_t o;
    while (cv_core_poll(c, &o) != CV_CORE_NONE) {
        if (o.kind == CV_CORE_RTCP) {
            /* RFC 4585 §6.1: PT 206 payload-specific feedback, FMT 1 is PLI */
            for (size_t off = 0; off + 4 <= o.len;) {
                size_t n = 4 + 4 * (size_t)((o.pkt[off + 2] << 8) | o.pkt[off + 3]);
                if (o.pkt[off + 1] == 206 && (o.pkt[off] & 0x1f) == 1)
                    lg->plis++;
                off += n;
            }
        } else if (o.kind == CV_CORE_FRAME) {
            cv_frame_t *f = o.frame;
            if (f->kind == CV_FRAME_VIDEO) {
                lg->frames++;
                lg->keys += f->keyframe;
                lg->h264 += f->codec == CV_FRAME_H264;
                lg->last_len = f->len < sizeof lg->last ? f->len : sizeof lg->last;
                memcpy(lg->last, f->data, lg->last_len);
            }
            cv_frame_unref(f);
        } else if (o.kind == CV_CORE_RTP && (o.pkt[1] & 0x7f) != A_PT) {
            lg->video_rtp++;
        }
    }
}

/* One RTP packet of its video: 12-byte header, then the H.264 payload. */
static void send(cv_core_t *c, log_t *lg, uint16_t seq, uint32_t ts, int marker, const uint8_t *pl,
                 size_t n, int64_t now)
{
    uint8_t pkt[256];
    pkt[0] = 0x80;
    pkt[1] = (uint8_t)((marker ? 0x80 : 0) | V_PT);
    pkt[2] = (uint8_t)(seq >> 8);
    pkt[3] = (uint8_t)seq;
    pkt[4] = (uint8_t)(ts >> 24);
    pkt[5] = (uint8_t)(ts >> 16);
    pkt[6] = (uint8_t)(ts >> 8);
    pkt[7] = (uint8_t)ts;
    pkt[8] = (uint8_t)(THEIR_V >> 24);
    pkt[9] = (uint8_t)(THEIR_V >> 16);
    pkt[10] = (uint8_t)(THEIR_V >> 8);
    pkt[11] = (uint8_t)THEIR_V;
    memcpy(pkt + 12, pl, n);
    cv_core_on_rtp(c, pkt, 12 + n, now);
    cv_core_on_timeout(c, now + 50 * MS); /* past the jitter buffer's wait */
    drain(c, lg);
}

static const uint8_t idr[] = {0x65, 0x88, 0x84, 0x00};   /* IDR slice, first_mb 0 */
static const uint8_t inter[] = {0x41, 0x9a, 0x02, 0x03}; /* non-IDR slice, first_mb 0 */
static const uint8_t params_stap[] = {
    0x78,                   /* STAP-A */
    0x00, 0x04,             /* size 4 */
    0x67, 0x42, 0xc0, 0x1e, /* SPS */
    0x00, 0x04,             /* size 4 */
    0x68, 0xce, 0x3c, 0x80, /* PPS */
};

static void test_waits_for_params(void)
{
    log_t lg = {0};
    cv_core_params_t p = params("");
    cv_core_t *c = cv_core_new(&p);
    cv_core_set_view(c, 1, 500, 0);
    cv_core_on_connected(c, 0);
    drain(c, &lg);
    int64_t t = 0;
    /* a second of IDR and inter pictures, never a parameter set: nothing passes,
     * key frames are asked for at most twice a second */
    for (int i = 0; i < 30; i++, t += 33 * MS) {
        const uint8_t *pl = i % 10 == 0 ? idr : inter;
        send(c, &lg, (uint16_t)(65530 + i), 3000u * (uint32_t)i, 1, pl, 4, t);
    }
    CHECK_EQ(lg.frames, 0);
    CHECK(lg.plis >= 2 && lg.plis <= 3);
    /* parameter sets and an IDR: a key frame, marked H.264, sets in front */
    send(c, &lg, 30 - 6, 90000, 0, params_stap, sizeof params_stap, t);
    send(c, &lg, 31 - 6, 90000, 1, idr, sizeof idr, t);
    CHECK_EQ(lg.frames, 1);
    CHECK_EQ(lg.keys, 1);
    CHECK_EQ(lg.h264, 1);
    static const uint8_t head[] = {0, 0, 0, 1, 0x67};
    CHECK_MEM(lg.last, head, sizeof head);
    send(c, &lg, 32 - 6, 93000, 1, inter, sizeof inter, t + 33 * MS);
    CHECK_EQ(lg.frames, 2);
    CHECK_EQ(lg.keys, 1);
    int plis = lg.plis;
    /* a lost packet: the next inter picture is held back and a PLI goes */
    send(c, &lg, 34 - 6, 99000, 1, inter, sizeof inter, t + 600 * MS);
    cv_core_on_timeout(c, t + 1200 * MS);
    drain(c, &lg);
    CHECK_EQ(lg.frames, 2);
    CHECK(lg.plis > plis);
    cv_core_free(c);
}

static void test_sprop_and_no_vp8_out(void)
{
    log_t lg = {0};
    cv_core_params_t p = params("Z0LAHg==,aM48gA==");
    cv_core_t *c = cv_core_new(&p);
    cv_core_set_view(c, 1, 500, 0);
    cv_core_on_connected(c, 0);
    drain(c, &lg);
    /* an IDR alone is a key frame: the offer's parameter sets are put in front */
    send(c, &lg, 1000, 0, 1, idr, sizeof idr, 0);
    CHECK_EQ(lg.keys, 1);
    static const uint8_t want[] = {0, 0, 0, 1, 0x67, 0x42, 0xc0, 0x1e,
                                   0, 0, 0, 1, 0x68, 0xce, 0x3c, 0x80,
                                   0, 0, 0, 1, 0x65, 0x88, 0x84, 0x00};
    CHECK_EQ(lg.last_len, sizeof want);
    CHECK_MEM(lg.last, want, sizeof want);
    /* the mixer's VP8 composite is not sent to it: it offered none */
    cv_frame_t *f = cv_frame_new(CV_FRAME_VIDEO, 100);
    memset(f->data, 0, 100);
    f->keyframe = 1;
    cv_core_on_frame(c, f, 10 * MS);
    cv_frame_unref(f);
    cv_core_on_timeout(c, 20 * MS);
    drain(c, &lg);
    CHECK_EQ(lg.video_rtp, 0);
    cv_core_free(c);
}

/* The composite as H.264: an access unit of SPS, PPS and a 2500-byte IDR
 * slice goes out on its payload type in single NAL unit and FU-A packets,
 * the marker on the last, and comes back whole through a depacketiser. */
static void test_h264_out(void)
{
    static uint8_t au[2600], want[2600];
    static const uint8_t head[] = {0, 0, 0, 1, 0x67, 0x42, 0xc0, 0x1f, /* SPS */
                                   0, 0, 0, 1, 0x68, 0xce, 0x3c, 0x80, /* PPS */
                                   0, 0, 0, 1, 0x65, 0x88};            /* IDR */
    memcpy(au, head, sizeof head);
    size_t n = sizeof head;
    for (int i = 0; i < 2498; i++)
        au[n++] = (uint8_t)(i % 200 + 7);
    memcpy(want, au, n);
    cv_core_params_t p = params("");
    cv_core_t *c = cv_core_new(&p);
    cv_core_on_connected(c, 0);
    log_t lg = {0};
    drain(c, &lg);
    cv_frame_t *f = cv_frame_new(CV_FRAME_VIDEO, n);
    memcpy(f->data, au, n);
    f->keyframe = 1;
    f->codec = CV_FRAME_H264;
    f->rtp_ts = 3000;
    cv_core_on_frame(c, f, 10 * MS);
    cv_frame_unref(f);
    cv_h264_depack_t d;
    cv_h264_depack_init(&d, 8192);
    cv_h264_frame_t out = {0};
    int pkts = 0, markers = 0, got = 0;
    int64_t now = 10 * MS;
    for (int round = 0; round < 20; round++, now += 10 * MS) {
        cv_core_on_timeout(c, now);
        cv_core_out_t o;
        while (cv_core_poll(c, &o) != CV_CORE_NONE) {
            if (o.kind != CV_CORE_RTP || (o.pkt[1] & 0x7f) != V_PT)
                continue;
            pkts++;
            int m = o.pkt[1] >> 7;
            markers += m;
            uint16_t seq = (uint16_t)(o.pkt[2] << 8 | o.pkt[3]);
            uint32_t ts = (uint32_t)o.pkt[4] << 24 | (uint32_t)o.pkt[5] << 16 |
                          (uint32_t)o.pkt[6] << 8 | o.pkt[7];
            size_t hl = 12 + ((o.pkt[0] & 0x10) ? 4 + 4 * (size_t)(o.pkt[14] << 8 | o.pkt[15]) : 0);
            if (cv_h264_depack_push(&d, seq, ts, m, o.pkt + hl, o.len - hl, &out) == 1)
                got++;
        }
    }
    /* SPS and PPS alone, then ceil(2501 / 1158) = 3 FU-A fragments */
    CHECK_EQ(pkts, 5);
    CHECK_EQ(markers, 1);
    CHECK_EQ(got, 1);
    CHECK(out.keyframe);
    CHECK_EQ(out.len, n);
    if (out.len == n)
        CHECK_MEM(out.data, want, n);
    cv_h264_depack_cleanup(&d);
    cv_core_free(c);
}

/* Its PLI and FIR for our H.264 stream ask the room for a key frame of its
 * composite (RFC 4585 §6.3.1, RFC 5104 §4.3.1), as a VP8 receiver's do. */
static void test_h264_keyframe_request(void)
{
    cv_core_params_t p = params("");
    cv_core_t *c = cv_core_new(&p);
    cv_core_on_connected(c, 0);
    cv_core_out_t o;
    while (cv_core_poll(c, &o) != CV_CORE_NONE)
        ;
    uint8_t pkt[64];
    for (int fir = 0; fir < 2; fir++) {
        int n = fir ? cv_rtcp_build_fir(pkt, sizeof pkt, THEIR_V, p.v_ssrc, 1)
                    : cv_rtcp_build_pli(pkt, sizeof pkt, THEIR_V, p.v_ssrc);
        CHECK(n > 0);
        cv_core_on_rtcp(c, pkt, (size_t)n, (100 + 600 * fir) * MS);
        int keys = 0;
        while (cv_core_poll(c, &o) != CV_CORE_NONE)
            keys += o.kind == CV_CORE_EVENT && o.event == CV_CORE_EV_KEYFRAME;
        CHECK_EQ(keys, 1);
    }
    cv_core_free(c);
}

int main(void)
{
    test_waits_for_params();
    test_sprop_and_no_vp8_out();
    test_h264_out();
    test_h264_keyframe_request();
    return CHECK_DONE("test_core_h264");
}
