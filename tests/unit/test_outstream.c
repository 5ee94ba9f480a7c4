/*
 * test_outstream.c - per-receiver RTP rewriting (RFC 3550 §5.1) and VP8
 * packetising (RFC 7741): the mixer's frames go to a receiver who was there
 * from the start and to one who joins late; each gets its own SSRC, a
 * sequence number continuous from its random start (0, 32767, 32768, 65535
 * and wrapping), a timestamp with its own offset (wrapping at 2^32), a 15-bit
 * picture id (wrapping at 32767), no video before a key frame; the packets
 * depacketise back into the very frames the mixer made. Audio: one packet a
 * frame. Sender report timestamps extrapolated with cv_outstream_ts_at.
 */
#include "check.h"

#include "err.h"
#include "outstream.h"
#include "rtp.h"
#include "seq.h"
#include "vp8.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define MAX_PAYLOAD 1160
#define ROOM (MAX_PAYLOAD - CV_VP8_PACK_DESC_LEN) /* VP8 bytes per packet: 1156 */
#define SCRATCH_CAP (12 + MAX_PAYLOAD + 16)       /* header, payload, SRTP trailer room */
#define MAX_PKTS 128
#define NFRAMES 14
#define FRAME_TICKS 3000 /* 90 kHz at 30 fps */
#define FRAME_US 33333
#define VIDEO_PT 96
#define AUDIO_PT 111

/* ---- what an emit callback saw ---- */

typedef struct {
    uint8_t data[SCRATCH_CAP];
    size_t len, cap;
} pkt_t;

typedef struct {
    pkt_t p[MAX_PKTS];
    int n;
    int overflow;
} sink_t;

static void emit(void *ud, uint8_t *pkt, size_t len, size_t cap)
{
    sink_t *s = ud;
    if (s->n >= MAX_PKTS || len > sizeof(s->p[0].data)) {
        s->overflow++;
        return;
    }
    memcpy(s->p[s->n].data, pkt, len);
    s->p[s->n].len = len;
    s->p[s->n].cap = cap;
    s->n++;
}

/* ---- the mixer's frames ---- */

typedef struct {
    uint8_t *data;
    size_t len;
    int key;
    uint32_t ts;  /* mixer timestamp */
    int64_t t_us; /* mixer clock */
} mframe_t;

static uint32_t lcg_state = 12345;

static uint8_t rnd8(void)
{
    lcg_state = lcg_state * 1103515245u + 12345u;
    return (uint8_t)(lcg_state >> 16);
}

/* A frame the depacketizer accepts: a key frame starts with the RFC 6386 §9.1
 * header (start code, 640x360), a delta frame with an inter frame tag. */
static void make_frame(mframe_t *f, size_t len, int key, uint32_t ts, int64_t t_us)
{
    f->data = malloc(len);
    f->len = len;
    f->key = key;
    f->ts = ts;
    f->t_us = t_us;
    for (size_t i = 0; i < len; i++)
        f->data[i] = rnd8();
    if (key) {
        static const uint8_t hdr[] = {
            0x50, 0x2d, 0x00, /* frame tag: key_frame=0, show=1 */
            0x9d, 0x01, 0x2a, /* start code */
            0x80, 0x02,       /* width 640 */
            0x68, 0x01,       /* height 360 */
        };
        memcpy(f->data, hdr, sizeof(hdr));
    } else {
        f->data[0] = 0x31; /* frame tag: inter frame, show=1 */
    }
}

/* Sizes needing 1..3 packets at max_payload 1160 (1156 VP8 bytes each), with
 * the exact boundaries 1156 / 1157 and 3468. F0, F5 and F11 are key frames. */
static const size_t SIZES[NFRAMES] = {3000, 500, 1500, 1156, 1157, 3468, 2312,
                                      200,  1,   2313, 900,  2500, 700,  1200};

static mframe_t frames[NFRAMES];

static int is_key(int k)
{
    return k == 0 || k == 5 || k == 11;
}

static void make_frames(uint32_t ts0)
{
    for (int k = 0; k < NFRAMES; k++)
        make_frame(&frames[k], SIZES[k], is_key(k), ts0 + (uint32_t)k * FRAME_TICKS,
                   1000000 + (int64_t)k * FRAME_US);
}

static void free_frames(void)
{
    for (int k = 0; k < NFRAMES; k++)
        free(frames[k].data);
}

static int packets_for(size_t len)
{
    return (int)((len + ROOM - 1) / ROOM);
}

/* ---- checking one receiver's stream ---- */

typedef struct {
    uint32_t ssrc;
    uint16_t seq0;
    uint32_t ts_offset;
    uint16_t pic0;
} rx_t;

/* Checks every packet a receiver got for frames first..NFRAMES-1 (sent to it
 * in order) and depacketises them back into the mixer's frames. */
static void check_video_stream(const sink_t *s, const rx_t *rx, int first)
{
    cv_vp8_depack_t dp;
    cv_vp8_depack_init(&dp, 1 << 16);
    cv_seq_unwrap_t unwrap = {0};
    int i = 0, got_frames = 0;
    uint16_t seq = rx->seq0;
    CHECK_EQ(s->overflow, 0);
    for (int k = first; k < NFRAMES; k++) {
        const mframe_t *f = &frames[k];
        int np = packets_for(f->len);
        uint32_t ts = f->ts + rx->ts_offset;
        uint16_t pic = (uint16_t)((rx->pic0 + (k - first)) & 0x7fff);
        for (int j = 0; j < np; j++, i++) {
            if (i >= s->n) {
                CHECK(i < s->n);
                goto out;
            }
            const pkt_t *p = &s->p[i];
            cv_rtp_hdr_t h;
            CHECK_EQ(cv_rtp_parse(p->data, p->len, &h), 0);
            CHECK_EQ(p->cap, SCRATCH_CAP);
            CHECK(p->len <= 12 + MAX_PAYLOAD);
            CHECK_EQ(h.ssrc, rx->ssrc);
            CHECK_EQ(h.pt, VIDEO_PT);
            CHECK_EQ(h.seq, seq);
            CHECK_EQ(h.ts, ts);
            CHECK_EQ(h.marker, j == np - 1);
            CHECK_EQ(h.csrc_count, 0);
            CHECK_EQ(h.has_ext, 0);
            cv_vp8_desc_t d;
            CHECK_EQ(cv_vp8_parse_desc(h.payload, h.payload_len, &d), CV_VP8_PACK_DESC_LEN);
            CHECK_EQ(d.s, j == 0);
            CHECK_EQ(d.pid, 0);
            CHECK_EQ(d.picture_id_bits, 15);
            CHECK_EQ(d.picture_id, pic);
            cv_vp8_frame_t out;
            int rc = cv_vp8_depack_push(&dp, cv_seq_unwrap(&unwrap, h.seq), h.ts, h.marker,
                                        h.payload, h.payload_len, &out);
            CHECK_EQ(rc, j == np - 1 ? 1 : 0);
            if (rc == 1) {
                got_frames++;
                CHECK_EQ(out.len, f->len);
                CHECK(out.len == f->len && memcmp(out.data, f->data, f->len) == 0);
                CHECK_EQ(out.ts, ts);
                CHECK_EQ(out.keyframe, f->key);
                CHECK_EQ(out.picture_id, pic);
                if (f->key) {
                    CHECK_EQ(out.width, 640);
                    CHECK_EQ(out.height, 360);
                }
            }
            seq++; /* +1 per packet, wrapping at 65536 */
        }
    }
out:
    CHECK_EQ(i, s->n); /* nothing extra */
    CHECK_EQ(got_frames, NFRAMES - first);
    CHECK_EQ(dp.gaps, 0);
    CHECK_EQ(dp.dropped_frames, 0);
    CHECK_EQ(dp.bad_packets, 0);
    cv_vp8_depack_cleanup(&dp);
}

static int total_packets(int first)
{
    int n = 0;
    for (int k = first; k < NFRAMES; k++)
        n += packets_for(frames[k].len);
    return n;
}

static uint32_t total_octets(int first)
{
    uint32_t n = 0;
    for (int k = first; k < NFRAMES; k++)
        n += (uint32_t)(frames[k].len + (size_t)packets_for(frames[k].len) * CV_VP8_PACK_DESC_LEN);
    return n;
}

/* Receiver A from F0, receiver B created when F2 comes out; a receiver R
 * with A's settings alone shows B does not disturb A. */
static void run_late_joiner(const rx_t *a, const rx_t *b)
{
    static sink_t sa, sb, sr;
    memset(&sa, 0, sizeof(sa));
    memset(&sb, 0, sizeof(sb));
    memset(&sr, 0, sizeof(sr));
    uint8_t scratch[SCRATCH_CAP];
    cv_outstream_t oa, ob, orf;
    memset(&ob, 0, sizeof(ob)); /* created when F2 comes out */
    cv_outstream_init(&oa, a->ssrc, VIDEO_PT, 1, a->seq0, a->ts_offset, a->pic0);
    cv_outstream_init(&orf, a->ssrc, VIDEO_PT, 1, a->seq0, a->ts_offset, a->pic0);
    for (int k = 0; k < NFRAMES; k++) {
        const mframe_t *f = &frames[k];
        int rc = cv_outstream_send(&oa, f->data, f->len, f->ts, f->t_us, f->key, MAX_PAYLOAD,
                                   scratch, sizeof(scratch), emit, &sa);
        CHECK_EQ(rc, packets_for(f->len));
        cv_outstream_send(&orf, f->data, f->len, f->ts, f->t_us, f->key, MAX_PAYLOAD, scratch,
                          sizeof(scratch), emit, &sr);
        if (k == 2)
            cv_outstream_init(&ob, b->ssrc, VIDEO_PT, 1, b->seq0, b->ts_offset, b->pic0);
        if (k < 2)
            continue;
        int before = sb.n;
        rc = cv_outstream_send(&ob, f->data, f->len, f->ts, f->t_us, f->key, MAX_PAYLOAD, scratch,
                               sizeof(scratch), emit, &sb);
        if (k < 5) {
            /* F2..F4 are delta frames: withheld until F5, the key frame */
            CHECK_EQ(rc, 0);
            CHECK_EQ(sb.n, before);
            CHECK_EQ(ob.skipped, (uint64_t)(k - 1));
            CHECK_EQ(ob.started, 0);
            CHECK_EQ(ob.seq, b->seq0);
            CHECK_EQ(ob.packets, 0);
        } else {
            CHECK_EQ(rc, packets_for(f->len));
            CHECK_EQ(ob.started, 1);
        }
    }
    CHECK_EQ(ob.skipped, 3);
    CHECK_EQ(oa.skipped, 0);

    /* B's first packet: F5's first, at B's own starting points */
    CHECK(sb.n > 0);
    if (sb.n > 0) {
        cv_rtp_hdr_t h;
        CHECK_EQ(cv_rtp_parse(sb.p[0].data, sb.p[0].len, &h), 0);
        CHECK_EQ(h.seq, b->seq0);
        CHECK_EQ(h.ts, (uint32_t)(frames[5].ts + b->ts_offset));
        cv_vp8_desc_t d;
        cv_vp8_parse_desc(h.payload, h.payload_len, &d);
        CHECK_EQ(d.picture_id, b->pic0 & 0x7fff);
        CHECK_EQ(d.s, 1);
        CHECK_EQ(cv_vp8_is_keyframe(h.payload + 4, h.payload_len - 4, NULL, NULL), 1);
    }
    check_video_stream(&sa, a, 0);
    check_video_stream(&sb, b, 5);

    /* A's stream is the one it would have had alone, byte for byte */
    CHECK_EQ(sa.n, sr.n);
    int same = sa.n == sr.n;
    for (int i = 0; same && i < sa.n; i++)
        same = sa.p[i].len == sr.p[i].len && memcmp(sa.p[i].data, sr.p[i].data, sa.p[i].len) == 0;
    CHECK(same);

    /* counters for sender reports, and where each stream stands */
    CHECK_EQ(oa.packets, total_packets(0));
    CHECK_EQ(ob.packets, total_packets(5));
    CHECK_EQ(oa.octets, total_octets(0));
    CHECK_EQ(ob.octets, total_octets(5));
    CHECK_EQ(ob.seq, (uint16_t)(b->seq0 + total_packets(5)));
    CHECK_EQ(oa.seq, (uint16_t)(a->seq0 + total_packets(0)));
    CHECK_EQ(ob.picture_id, (b->pic0 + NFRAMES - 5) & 0x7fff);
    CHECK_EQ(oa.picture_id, (a->pic0 + NFRAMES) & 0x7fff);
    CHECK_EQ(ob.last_ts, (uint32_t)(frames[NFRAMES - 1].ts + b->ts_offset));
    CHECK_EQ(ob.last_us, frames[NFRAMES - 1].t_us);
}

static void test_late_joiner(void)
{
    uint32_t ts0 = 123456;
    make_frames(ts0);
    /* B's timestamps pass 2^32 between F5 and F6: F5 at 2^32 - 1500 */
    uint32_t wrap_off = (uint32_t)(0u - (ts0 + 5 * FRAME_TICKS) - 1500u);
    const rx_t a = {0x11223344, 65534, 0x7ffffff0, 32766}; /* A wraps too */
    const rx_t cases[] = {
        {0xcafe0001, 0, wrap_off, 32767},       /* picture id 32767 -> 0 at once */
        {0xcafe0002, 32767, 0x9e3779b9, 4242},  /* seq 32767 -> 32768 */
        {0xcafe0003, 32768, 0xffffffff, 32760}, /* every ts wraps; pic id wraps at F13 */
        {0xcafe0004, 65535, wrap_off + 7, 0},   /* seq 65535 -> 0 inside F5 */
        {0xcafe0005, 65534, 0, 32767 - 8},      /* pic id reaches 32767 on the last frame */
        {0xcafe0006, 1234, 0x00000001, 0xffff}, /* only 15 bits of picture id used */
    };
    for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++)
        run_late_joiner(&a, &cases[c]);

    /* the first timestamp of case 0 is just below 2^32, the second just above 0 */
    CHECK_EQ((uint32_t)(frames[5].ts + wrap_off), 0xfffffa24u);
    CHECK_EQ((uint32_t)(frames[6].ts + wrap_off), 1500u);
    free_frames();
}

/* A receiver who is there from a key frame gets everything; one created while
 * only delta frames come gets nothing until the next key frame, however long. */
static void test_gate_only_keyframes(void)
{
    make_frames(0);
    sink_t *s = calloc(1, sizeof(*s));
    uint8_t scratch[SCRATCH_CAP];
    cv_outstream_t o;
    cv_outstream_init(&o, 1, VIDEO_PT, 1, 100, 0, 0);
    for (int k = 1; k < 5; k++)
        CHECK_EQ(cv_outstream_send(&o, frames[k].data, frames[k].len, frames[k].ts, frames[k].t_us,
                                   0, MAX_PAYLOAD, scratch, sizeof(scratch), emit, s),
                 0);
    CHECK_EQ(s->n, 0);
    CHECK_EQ(o.skipped, 4);
    CHECK_EQ(o.picture_id, 0); /* withheld frames use no picture id */
    CHECK_EQ(o.last_ts, 0);
    /* the key frame opens the gate; later delta frames then flow */
    CHECK_EQ(cv_outstream_send(&o, frames[5].data, frames[5].len, frames[5].ts, frames[5].t_us, 1,
                               MAX_PAYLOAD, scratch, sizeof(scratch), emit, s),
             3);
    CHECK_EQ(cv_outstream_send(&o, frames[6].data, frames[6].len, frames[6].ts, frames[6].t_us, 0,
                               MAX_PAYLOAD, scratch, sizeof(scratch), emit, s),
             2);
    CHECK_EQ(s->n, 5);
    CHECK_EQ(o.seq, 105);
    CHECK_EQ(o.picture_id, 2);
    free(s);
    free_frames();
}

/* A frame too big for the scratch room is refused with nothing sent. */
static void test_video_errors(void)
{
    make_frames(0);
    sink_t *s = calloc(1, sizeof(*s));
    uint8_t scratch[SCRATCH_CAP];
    cv_outstream_t o;
    cv_outstream_init(&o, 1, VIDEO_PT, 1, 500, 0, 0);
    /* the header does not fit */
    CHECK_EQ(cv_outstream_send(&o, frames[0].data, frames[0].len, 0, 0, 1, MAX_PAYLOAD, scratch, 8,
                               emit, s),
             CV_E_NOSPACE);
    /* the first payload does not fit */
    CHECK_EQ(cv_outstream_send(&o, frames[0].data, frames[0].len, 0, 0, 1, MAX_PAYLOAD, scratch,
                               12 + 100, emit, s),
             CV_E_NOSPACE);
    CHECK_EQ(s->n, 0);
    CHECK_EQ(o.seq, 500);
    CHECK_EQ(o.packets, 0);
    CHECK_EQ(o.started, 0); /* still waiting for a key frame that went out */
    /* max_payload too small for the descriptor */
    CHECK(cv_outstream_send(&o, frames[0].data, frames[0].len, 0, 0, 1, 4, scratch, sizeof(scratch),
                            emit, s) < 0);
    CHECK_EQ(s->n, 0);
    CHECK_EQ(o.started, 0);
    /* then a good one: sequence numbers start where they were */
    CHECK_EQ(cv_outstream_send(&o, frames[0].data, frames[0].len, 0, 0, 1, MAX_PAYLOAD, scratch,
                               sizeof(scratch), emit, s),
             3);
    cv_rtp_hdr_t h;
    CHECK_EQ(cv_rtp_parse(s->p[0].data, s->p[0].len, &h), 0);
    CHECK_EQ(h.seq, 500);
    free(s);
    free_frames();
}

/*
 * BUG (transport/outstream.c, cv_outstream_send): an empty key frame emits no
 * packet but still sets `started` (and uses a picture id), so the delta frames
 * after it go out to a receiver that never got a key frame - the late-joiner
 * gate is open with nothing decodable behind it. Expected: nothing sent, the
 * gate still closed (o.started == 0), the next delta frame withheld.
 * Fix: set started only when rc > 0 (or refuse len == 0 with CV_E_INVAL).
 */
static void test_bug_empty_keyframe_opens_gate(void)
{
    make_frames(0);
    sink_t *s = calloc(1, sizeof(*s));
    uint8_t scratch[SCRATCH_CAP];
    cv_outstream_t o;
    cv_outstream_init(&o, 1, VIDEO_PT, 1, 7, 0, 0);
    int rc = cv_outstream_send(&o, frames[0].data, 0, 0, 0, 1, MAX_PAYLOAD, scratch,
                               sizeof(scratch), emit, s);
    CHECK(rc <= 0);
    CHECK_EQ(s->n, 0);
    CHECK_EQ(o.started, 0); /* BUG: is 1 */
    rc = cv_outstream_send(&o, frames[1].data, frames[1].len, 3000, 0, 0, MAX_PAYLOAD, scratch,
                           sizeof(scratch), emit, s);
    CHECK_EQ(rc, 0);   /* BUG: the delta frame goes out (1) */
    CHECK_EQ(s->n, 0); /* BUG: 1 packet */
    free(s);
    free_frames();
}

/* ---- audio ---- */

static void test_audio_header_bytes(void)
{
    sink_t *s = calloc(1, sizeof(*s));
    uint8_t scratch[SCRATCH_CAP];
    cv_outstream_t o;
    cv_outstream_init(&o, 0xdeadbeef, AUDIO_PT, 0, 0xfffe, 0x10000000, 0);
    static const uint8_t opus[] = {0x78, 0x01, 0x02}; /* TOC + 2 bytes */
    CHECK_EQ(cv_outstream_send(&o, opus, sizeof(opus), 0x00000960, 0, 0, MAX_PAYLOAD, scratch,
                               sizeof(scratch), emit, s),
             1);
    static const uint8_t want[] = {
        0x80,                   /* V=2, no padding, no extension, no CSRC */
        0x6f,                   /* M=0, PT=111 */
        0xff, 0xfe,             /* seq 65534 */
        0x10, 0x00, 0x09, 0x60, /* ts 0x960 + 0x10000000 */
        0xde, 0xad, 0xbe, 0xef, /* SSRC */
        0x78, 0x01, 0x02,       /* the Opus packet, untouched */
    };
    CHECK_EQ(s->n, 1);
    CHECK_EQ(s->p[0].len, sizeof(want));
    CHECK_MEM(s->p[0].data, want, sizeof(want));
    CHECK_EQ(s->p[0].cap, SCRATCH_CAP);
    free(s);
}

/* One packet per frame; the sequence number goes +1 per packet even when the
 * mixer sent nothing for a while (DTX), the timestamp follows the mixer; the
 * first packet after a DTX one (1-2 bytes) has the marker bit. */
static void run_audio(uint16_t seq0, uint32_t ts_offset)
{
    sink_t *s = calloc(1, sizeof(*s));
    uint8_t scratch[SCRATCH_CAP];
    uint8_t pkt[200];
    cv_outstream_t o;
    cv_outstream_init(&o, 0x0a0b0c0d, AUDIO_PT, 0, seq0, ts_offset, 999);
    uint32_t mts[40];
    size_t lens[40];
    int ks[40];
    int n = 0;
    uint32_t octets = 0;
    for (int k = 0; k < 50; k++) {
        if (k >= 20 && k < 30)
            continue;                                  /* DTX: 200 ms with no packet */
        uint32_t ts = 0xfffff000u + (uint32_t)k * 960; /* mixer clock wraps too */
        size_t len = 1 + (size_t)(k * 37) % 160;
        for (size_t i = 0; i < len; i++)
            pkt[i] = (uint8_t)(k + i);
        mts[n] = ts;
        lens[n] = len;
        ks[n] = k;
        n++;
        octets += (uint32_t)len;
        CHECK_EQ(cv_outstream_send(&o, pkt, len, ts, (int64_t)k * 20000, 0, MAX_PAYLOAD, scratch,
                                   sizeof(scratch), emit, s),
                 1);
    }
    CHECK_EQ(s->n, n);
    CHECK_EQ(o.skipped, 0);
    CHECK_EQ(o.packets, n);
    CHECK_EQ(o.octets, octets);
    for (int i = 0; i < s->n; i++) {
        cv_rtp_hdr_t h;
        CHECK_EQ(cv_rtp_parse(s->p[i].data, s->p[i].len, &h), 0);
        CHECK_EQ(h.seq, (uint16_t)(seq0 + i));
        CHECK_EQ(h.ts, (uint32_t)(mts[i] + ts_offset));
        CHECK_EQ(h.ssrc, 0x0a0b0c0d);
        CHECK_EQ(h.pt, AUDIO_PT);
        /* marker: the first real packet after a DTX one (len 1 at k 0, 2 at k 13) */
        CHECK_EQ(h.marker, i > 0 && lens[i - 1] <= 2 && lens[i] > 2);
        CHECK_EQ(h.payload_len, lens[i]);
        int same = h.payload_len == lens[i];
        for (size_t j = 0; same && j < lens[i]; j++)
            same = h.payload[j] == (uint8_t)(ks[i] + j);
        CHECK(same); /* the Opus packet untouched */
    }
    /* the pause: seq +1, ts +11 frames */
    if (s->n > 20) {
        cv_rtp_hdr_t h0, h1;
        cv_rtp_parse(s->p[19].data, s->p[19].len, &h0);
        cv_rtp_parse(s->p[20].data, s->p[20].len, &h1);
        CHECK_EQ((uint16_t)(h1.seq - h0.seq), 1);
        CHECK_EQ(h1.ts - h0.ts, 11 * 960);
    }
    /* a packet too big for the scratch room: refused, nothing changes */
    uint16_t seq_before = o.seq;
    CHECK_EQ(
        cv_outstream_send(&o, pkt, sizeof(pkt), 0, 0, 0, MAX_PAYLOAD, scratch, 12 + 100, emit, s),
        CV_E_NOSPACE);
    CHECK_EQ(o.seq, seq_before);
    CHECK_EQ(s->n, n);
    free(s);
}

static void test_audio(void)
{
    static const uint16_t seqs[] = {0, 32767, 32768, 65535, 65500};
    for (size_t i = 0; i < sizeof(seqs) / sizeof(seqs[0]); i++) {
        run_audio(seqs[i], 0);
        run_audio(seqs[i], 0x80000000u + (uint32_t)i);
    }
}

/* ---- sender report timestamps ---- */

static void test_ts_at(void)
{
    sink_t *s = calloc(1, sizeof(*s));
    uint8_t scratch[SCRATCH_CAP];
    uint8_t b = 0xf8;
    cv_outstream_t o;
    cv_outstream_init(&o, 5, AUDIO_PT, 0, 0, 0xfffffc00u, 0);
    cv_outstream_send(&o, &b, 1, 0x100, 5000000, 0, MAX_PAYLOAD, scratch, sizeof(scratch), emit, s);
    CHECK_EQ(o.last_ts, 0xfffffd00u);
    CHECK_EQ(cv_outstream_ts_at(&o, 5000000, 48000), 0xfffffd00u);
    CHECK_EQ(cv_outstream_ts_at(&o, 5020000, 48000), 0xfffffd00u + 960); /* wraps: 0xc0 */
    CHECK_EQ(cv_outstream_ts_at(&o, 5020000, 48000), 0x000000c0u);
    CHECK_EQ(cv_outstream_ts_at(&o, 6000000, 48000), (uint32_t)(0xfffffd00u + 48000));
    CHECK_EQ(cv_outstream_ts_at(&o, 5000000 + 3600000000LL, 48000),
             (uint32_t)(0xfffffd00u + 48000u * 3600u));                  /* an hour later */
    CHECK_EQ(cv_outstream_ts_at(&o, 4980000, 48000), 0xfffffd00u - 960); /* before it */

    cv_outstream_t v;
    cv_outstream_init(&v, 6, VIDEO_PT, 1, 0, 0x7fffffff, 0);
    make_frames(1000);
    cv_outstream_send(&v, frames[0].data, frames[0].len, frames[0].ts, frames[0].t_us, 1,
                      MAX_PAYLOAD, scratch, sizeof(scratch), emit, s);
    uint32_t t0 = 1000u + 0x7fffffffu;
    CHECK_EQ(v.last_ts, t0);
    CHECK_EQ(cv_outstream_ts_at(&v, frames[0].t_us + 1000000, 90000), t0 + 90000);
    CHECK_EQ(cv_outstream_ts_at(&v, frames[0].t_us + 33333, 90000), t0 + 2999);
    CHECK_EQ(cv_outstream_ts_at(&v, frames[0].t_us + 100000, 90000), t0 + 9000);
    /* each frame sent moves the reference; one withheld by the gate does not */
    cv_outstream_t x;
    cv_outstream_init(&x, 8, VIDEO_PT, 1, 0, 0, 0);
    cv_outstream_send(&x, frames[1].data, frames[1].len, 4000, 2033333, 0, MAX_PAYLOAD, scratch,
                      sizeof(scratch), emit, s);
    CHECK_EQ(x.last_ts, 0);
    CHECK_EQ(x.last_us, 0);
    cv_outstream_t w;
    cv_outstream_init(&w, 7, VIDEO_PT, 1, 0, 0, 0);
    cv_outstream_send(&w, frames[0].data, frames[0].len, 1000, 2000000, 1, MAX_PAYLOAD, scratch,
                      sizeof(scratch), emit, s);
    cv_outstream_send(&w, frames[1].data, frames[1].len, 4000, 2033333, 0, MAX_PAYLOAD, scratch,
                      sizeof(scratch), emit, s);
    CHECK_EQ(w.last_ts, 4000);
    CHECK_EQ(w.last_us, 2033333);
    CHECK_EQ(cv_outstream_ts_at(&w, 2066666, 90000), 4000 + 2999);
    free_frames();
    free(s);
}

int main(void)
{
    test_late_joiner();
    test_gate_only_keyframes();
    test_video_errors();
    test_audio_header_bytes();
    test_audio();
    test_ts_at();
    test_bug_empty_keyframe_opens_gate();
    return CHECK_DONE("test_outstream");
}
