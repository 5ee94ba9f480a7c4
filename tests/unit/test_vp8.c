/*
 * test_vp8.c - VP8 RTP payload format (RFC 7741): descriptor parsing, key frame
 * detection (RFC 6386 §9.1), depacketizer, packetizer, picture id rewrite.
 */
#include "check.h"
#include "err.h"
#include "vp8.h"

#include <stdlib.h>

/* RFC 6386 §9.1 key frame header: 640x480, show_frame=1, first partition 291 bytes */
static const uint8_t KEY_HDR[] = {
    0x70, 0x24, 0x00, /* frame tag LE 0x002470: key_frame=0, ver 0, show=1, size 291 */
    0x9d, 0x01, 0x2a, /* start code */
    0x80, 0x02,       /* width 640 (LE), scale 0 */
    0xe0, 0x01,       /* height 480 (LE), scale 0 */
};

/* inter frame tag: key_frame=1, ver 0, show=1, size 9 */
static const uint8_t DELTA_HDR[] = {
    0x31, 0x01, 0x00, /* frame tag LE 0x000131 */
};

static void test_desc_forms(void)
{
    cv_vp8_desc_t d;

    static const uint8_t no_x[] = {
        0x10, /* X=0 N=0 S=1 PID=0 */
        0xaa, /* VP8 data */
    };
    CHECK_EQ(cv_vp8_parse_desc(no_x, sizeof(no_x), &d), 1);
    CHECK_EQ(d.x, 0);
    CHECK_EQ(d.s, 1);
    CHECK_EQ(d.n, 0);
    CHECK_EQ(d.pid, 0);
    CHECK_EQ(d.has_picture_id, 0);
    CHECK_EQ(d.desc_len, 1);

    static const uint8_t n_pid7[] = {
        0x27, /* X=0 N=1 S=0 PID=7 */
    };
    CHECK_EQ(cv_vp8_parse_desc(n_pid7, sizeof(n_pid7), &d), 1);
    CHECK_EQ(d.n, 1);
    CHECK_EQ(d.s, 0);
    CHECK_EQ(d.pid, 7);

    static const uint8_t reserved[] = {
        0x58, /* R=1 S=1 R=1: reserved bits ignored */
    };
    CHECK_EQ(cv_vp8_parse_desc(reserved, sizeof(reserved), &d), 1);
    CHECK_EQ(d.x, 0);
    CHECK_EQ(d.s, 1);
    CHECK_EQ(d.pid, 0);

    static const uint8_t pic7[] = {
        0x90, /* X=1 S=1 PID=0 */
        0x80, /* I=1 */
        0x05, /* M=0 picture id 5 */
        0xaa, /* VP8 data */
    };
    CHECK_EQ(cv_vp8_parse_desc(pic7, sizeof(pic7), &d), 3);
    CHECK_EQ(d.x, 1);
    CHECK_EQ(d.has_picture_id, 1);
    CHECK_EQ(d.picture_id, 5);
    CHECK_EQ(d.picture_id_bits, 7);
    CHECK_EQ(d.has_tl0picidx, 0);
    CHECK_EQ(d.has_tid, 0);
    CHECK_EQ(d.has_keyidx, 0);

    static const uint8_t pic15[] = {
        0x80,       /* X=1 S=0 */
        0x8f,       /* I=1, RSV=0xf (ignored) */
        0x81, 0x23, /* M=1 picture id 0x0123 */
    };
    CHECK_EQ(cv_vp8_parse_desc(pic15, sizeof(pic15), &d), 4);
    CHECK_EQ(d.s, 0);
    CHECK_EQ(d.picture_id, 0x123);
    CHECK_EQ(d.picture_id_bits, 15);
    CHECK_EQ(d.desc_len, 4);

    static const uint8_t pic_max[] = {
        0x80,       /* X=1 */
        0x80,       /* I=1 */
        0xff, 0xff, /* M=1 picture id 32767 */
    };
    CHECK_EQ(cv_vp8_parse_desc(pic_max, sizeof(pic_max), &d), 4);
    CHECK_EQ(d.picture_id, 32767);

    static const uint8_t full[] = {
        0xb0,       /* X=1 N=1 S=1 PID=0 */
        0xf0,       /* I=1 L=1 T=1 K=1 */
        0x80, 0x01, /* M=1 picture id 1 */
        0x2a,       /* TL0PICIDX 42 */
        0xb3,       /* TID=2 Y=1 KEYIDX=19 */
        0x00,       /* VP8 data */
    };
    CHECK_EQ(cv_vp8_parse_desc(full, sizeof(full), &d), 6);
    CHECK_EQ(d.n, 1);
    CHECK_EQ(d.s, 1);
    CHECK_EQ(d.picture_id, 1);
    CHECK_EQ(d.has_tl0picidx, 1);
    CHECK_EQ(d.tl0picidx, 42);
    CHECK_EQ(d.has_tid, 1);
    CHECK_EQ(d.tid, 2);
    CHECK_EQ(d.y, 1);
    CHECK_EQ(d.has_keyidx, 1);
    CHECK_EQ(d.keyidx, 19);

    static const uint8_t t_only[] = {
        0x80, /* X=1 */
        0x20, /* T=1 */
        0x40, /* TID=1 Y=0 KEYIDX bits (ignored without K) */
    };
    CHECK_EQ(cv_vp8_parse_desc(t_only, sizeof(t_only), &d), 3);
    CHECK_EQ(d.has_picture_id, 0);
    CHECK_EQ(d.has_tid, 1);
    CHECK_EQ(d.tid, 1);
    CHECK_EQ(d.y, 0);
    CHECK_EQ(d.has_keyidx, 0);

    static const uint8_t k_only[] = {
        0x80, /* X=1 */
        0x10, /* K=1 */
        0xdf, /* TID bits (ignored without T), KEYIDX=31 */
    };
    CHECK_EQ(cv_vp8_parse_desc(k_only, sizeof(k_only), &d), 3);
    CHECK_EQ(d.has_tid, 0);
    CHECK_EQ(d.tid, 0);
    CHECK_EQ(d.has_keyidx, 1);
    CHECK_EQ(d.keyidx, 31);

    static const uint8_t l_only[] = {
        0x80, /* X=1 */
        0x40, /* L=1 */
        0x07, /* TL0PICIDX 7 */
    };
    CHECK_EQ(cv_vp8_parse_desc(l_only, sizeof(l_only), &d), 3);
    CHECK_EQ(d.has_tl0picidx, 1);
    CHECK_EQ(d.tl0picidx, 7);
    CHECK_EQ(d.has_tid, 0);

    static const uint8_t x_empty[] = {
        0x80, /* X=1 */
        0x00, /* no I/L/T/K */
    };
    CHECK_EQ(cv_vp8_parse_desc(x_empty, sizeof(x_empty), &d), 2);
}

static void test_desc_truncated(void)
{
    cv_vp8_desc_t d;
    static const uint8_t full[] = {
        0x90,       /* X=1 S=1 */
        0xf0,       /* I L T K */
        0x80, 0x01, /* M=1 picture id 1 */
        0x2a,       /* TL0PICIDX */
        0xb3,       /* TID/Y/KEYIDX */
    };
    /* every proper prefix is truncated */
    for (size_t n = 0; n < sizeof(full); n++)
        CHECK_EQ(cv_vp8_parse_desc(full, n, &d), CV_E_SHORT);
    CHECK_EQ(cv_vp8_parse_desc(full, sizeof(full), &d), 6);

    static const uint8_t pic7_cut[] = {
        0x80, /* X=1 */
        0x80, /* I=1, picture id missing */
    };
    CHECK_EQ(cv_vp8_parse_desc(pic7_cut, sizeof(pic7_cut), &d), CV_E_SHORT);
    static const uint8_t pic15_cut[] = {
        0x80, /* X=1 */
        0x80, /* I=1 */
        0x80, /* M=1, second octet missing */
    };
    CHECK_EQ(cv_vp8_parse_desc(pic15_cut, sizeof(pic15_cut), &d), CV_E_SHORT);
    static const uint8_t l_cut[] = {
        0x80, /* X=1 */
        0x40, /* L=1, TL0PICIDX missing */
    };
    CHECK_EQ(cv_vp8_parse_desc(l_cut, sizeof(l_cut), &d), CV_E_SHORT);
    static const uint8_t k_cut[] = {
        0x80, /* X=1 */
        0x10, /* K=1, KEYIDX octet missing */
    };
    CHECK_EQ(cv_vp8_parse_desc(k_cut, sizeof(k_cut), &d), CV_E_SHORT);
    CHECK_EQ(cv_vp8_parse_desc(NULL, 4, &d), CV_E_INVAL);
}

static void test_keyframe(void)
{
    int w = -1, h = -1;
    CHECK_EQ(cv_vp8_is_keyframe(KEY_HDR, sizeof(KEY_HDR), &w, &h), 1);
    CHECK_EQ(w, 640);
    CHECK_EQ(h, 480);
    CHECK_EQ(cv_vp8_is_keyframe(KEY_HDR, sizeof(KEY_HDR), NULL, NULL), 1);

    static const uint8_t scaled[] = {
        0x50, 0x00, 0x00, /* frame tag: key frame, show=1, size 2 */
        0x9d, 0x01, 0x2a, /* start code */
        0x00, 0x45,       /* 0x4500: scale 1, width 1280 */
        0xd0, 0xc2,       /* 0xc2d0: scale 3, height 720 */
        0xff,             /* first partition */
    };
    CHECK_EQ(cv_vp8_is_keyframe(scaled, sizeof(scaled), &w, &h), 1);
    CHECK_EQ(w, 1280);
    CHECK_EQ(h, 720);

    CHECK_EQ(cv_vp8_is_keyframe(DELTA_HDR, sizeof(DELTA_HDR), &w, &h), 0);
    CHECK_EQ(w, 0);
    CHECK_EQ(h, 0);
    CHECK_EQ(cv_vp8_is_keyframe(DELTA_HDR, 1, &w, &h), 0); /* P bit is in the first octet */

    CHECK_EQ(cv_vp8_is_keyframe(KEY_HDR, 0, &w, &h), CV_E_SHORT);
    for (size_t n = 1; n < sizeof(KEY_HDR); n++)
        CHECK_EQ(cv_vp8_is_keyframe(KEY_HDR, n, &w, &h), CV_E_SHORT);

    static const uint8_t bad_start[] = {
        0x70, 0x24, 0x00, /* key frame tag */
        0x9d, 0x01, 0x2b, /* wrong start code */
        0x80, 0x02,       /* width 640 */
        0xe0, 0x01,       /* height 480 */
    };
    CHECK_EQ(cv_vp8_is_keyframe(bad_start, sizeof(bad_start), &w, &h), CV_E_INVAL);
    static const uint8_t zero_w[] = {
        0x70, 0x24, 0x00, /* key frame tag */
        0x9d, 0x01, 0x2a, /* start code */
        0x00, 0xc0,       /* scale 3, width 0 */
        0xe0, 0x01,       /* height 480 */
    };
    CHECK_EQ(cv_vp8_is_keyframe(zero_w, sizeof(zero_w), &w, &h), CV_E_INVAL);
    CHECK_EQ(w, 0);
}

/* ---- depacketizer ---- */

/* Builds a payload: descriptor X=1 I=1 M=1 (S as given, PID 0, N as given) + data. */
static size_t mk(uint8_t *out, int s, int n, int pic, const uint8_t *data, size_t len)
{
    out[0] = (uint8_t)(0x80 | (n ? 0x20 : 0) | (s ? 0x10 : 0));
    out[1] = 0x80;
    out[2] = (uint8_t)(0x80 | ((pic >> 8) & 0x7f));
    out[3] = (uint8_t)pic;
    memcpy(out + 4, data, len);
    return 4 + len;
}

/* A key frame body: header plus filler bytes. */
static void key_body(uint8_t *b, size_t len, uint8_t fill)
{
    memcpy(b, KEY_HDR, sizeof(KEY_HDR));
    for (size_t i = sizeof(KEY_HDR); i < len; i++)
        b[i] = (uint8_t)(fill + i);
}

static void delta_body(uint8_t *b, size_t len, uint8_t fill)
{
    memcpy(b, DELTA_HDR, sizeof(DELTA_HDR));
    for (size_t i = sizeof(DELTA_HDR); i < len; i++)
        b[i] = (uint8_t)(fill + i);
}

/* pushes a single-packet frame; returns push's result */
static int push1(cv_vp8_depack_t *d, uint64_t seq, uint32_t ts, int pic, int key, cv_vp8_frame_t *f)
{
    uint8_t body[40], pl[64];
    if (key)
        key_body(body, sizeof(body), (uint8_t)seq);
    else
        delta_body(body, sizeof(body), (uint8_t)seq);
    size_t n = mk(pl, 1, 0, pic, body, sizeof(body));
    return cv_vp8_depack_push(d, seq, ts, 1, pl, n, f);
}

static void test_depack_single(void)
{
    cv_vp8_depack_t d;
    cv_vp8_frame_t f;
    cv_vp8_depack_init(&d, 1 << 20);
    CHECK_EQ(d.need_keyframe, 1);

    /* a delta frame before any key frame is dropped */
    CHECK_EQ(push1(&d, 0, 1000, 9, 0, &f), 0);
    CHECK_EQ(d.dropped_frames, 1);
    CHECK_EQ(d.frames, 0);

    uint8_t body[20], pl[32];
    key_body(body, sizeof(body), 0x40);
    size_t n = mk(pl, 1, 0, 10, body, sizeof(body));
    CHECK_EQ(cv_vp8_depack_push(&d, 1, 4000, 1, pl, n, &f), 1);
    CHECK_EQ(f.len, sizeof(body));
    CHECK_MEM(f.data, body, sizeof(body));
    CHECK_EQ(f.ts, 4000);
    CHECK_EQ(f.keyframe, 1);
    CHECK_EQ(f.width, 640);
    CHECK_EQ(f.height, 480);
    CHECK_EQ(f.picture_id, 10);
    CHECK_EQ(d.need_keyframe, 0);
    CHECK_EQ(d.frames, 1);
    CHECK_EQ(d.keyframes, 1);
    CHECK_EQ(d.gaps, 0);

    /* a delta frame now passes */
    CHECK_EQ(push1(&d, 2, 7000, 11, 0, &f), 1);
    CHECK_EQ(f.keyframe, 0);
    CHECK_EQ(f.width, 0);
    CHECK_EQ(f.picture_id, 11);
    CHECK_EQ(d.frames, 2);
    CHECK_EQ(d.keyframes, 1);

    /* no X: no picture id */
    static const uint8_t plain[] = {
        0x10,             /* X=0 S=1 PID=0 */
        0x31, 0x01, 0x00, /* inter frame tag */
        0x55,             /* data */
    };
    CHECK_EQ(cv_vp8_depack_push(&d, 3, 10000, 1, plain, sizeof(plain), &f), 1);
    CHECK_EQ(f.picture_id, -1);
    CHECK_EQ(f.len, 4);
    CHECK_MEM(f.data, plain + 1, 4);
    cv_vp8_depack_cleanup(&d);
    cv_vp8_depack_cleanup(&d); /* twice is harmless */
}

static void test_depack_three(void)
{
    cv_vp8_depack_t d;
    cv_vp8_frame_t f;
    cv_vp8_depack_init(&d, 1 << 20);
    uint8_t body[300], pl[128];
    key_body(body, sizeof(body), 3);
    /* seqs 32767, 32768, 32769: across the signed 16-bit boundary */
    size_t n = mk(pl, 1, 0, 500, body, 100);
    CHECK_EQ(cv_vp8_depack_push(&d, 32767, 90000, 0, pl, n, &f), 0);
    CHECK_EQ(d.in_frame, 1);
    n = mk(pl, 0, 0, 500, body + 100, 100);
    CHECK_EQ(cv_vp8_depack_push(&d, 32768, 90000, 0, pl, n, &f), 0);
    n = mk(pl, 0, 0, 500, body + 200, 100);
    CHECK_EQ(cv_vp8_depack_push(&d, 32769, 90000, 1, pl, n, &f), 1);
    CHECK_EQ(f.len, 300);
    CHECK_MEM(f.data, body, 300);
    CHECK_EQ(f.keyframe, 1);
    CHECK_EQ(f.picture_id, 500);
    CHECK_EQ(d.in_frame, 0);

    /* a later partition starting (S=1, PID=1) does not start a new frame */
    delta_body(body, sizeof(body), 9);
    n = mk(pl, 1, 0, 501, body, 100);
    CHECK_EQ(cv_vp8_depack_push(&d, 32770, 93000, 0, pl, n, &f), 0);
    n = mk(pl, 1, 0, 501, body + 100, 100);
    pl[0] |= 0x01; /* PID=1 */
    CHECK_EQ(cv_vp8_depack_push(&d, 32771, 93000, 1, pl, n, &f), 1);
    CHECK_EQ(f.len, 200);
    CHECK_MEM(f.data, body, 200);
    cv_vp8_depack_cleanup(&d);
}

static void test_depack_middle_loss(void)
{
    cv_vp8_depack_t d;
    cv_vp8_frame_t f;
    cv_vp8_depack_init(&d, 1 << 20);
    CHECK_EQ(push1(&d, 10, 0, 1, 1, &f), 1);

    uint8_t body[60], pl[64];
    delta_body(body, sizeof(body), 1);
    size_t n = mk(pl, 1, 0, 2, body, 20);
    CHECK_EQ(cv_vp8_depack_push(&d, 11, 3000, 0, pl, n, &f), 0);
    /* seq 12 lost */
    n = mk(pl, 0, 0, 2, body + 40, 20);
    CHECK_EQ(cv_vp8_depack_push(&d, 13, 3000, 1, pl, n, &f), 0);
    CHECK_EQ(d.gaps, 1);
    CHECK_EQ(d.need_keyframe, 1);
    CHECK_EQ(d.dropped_frames, 1);
    CHECK_EQ(d.dropped_packets, 2); /* 11 (partial frame) and 13 */

    /* following delta frames are dropped */
    CHECK_EQ(push1(&d, 14, 6000, 3, 0, &f), 0);
    CHECK_EQ(push1(&d, 15, 9000, 4, 0, &f), 0);
    CHECK_EQ(d.dropped_frames, 3);
    CHECK_EQ(d.need_keyframe, 1);

    /* a key frame in two packets repairs it */
    uint8_t kb[60];
    key_body(kb, sizeof(kb), 7);
    n = mk(pl, 1, 0, 5, kb, 30);
    CHECK_EQ(cv_vp8_depack_push(&d, 16, 12000, 0, pl, n, &f), 0);
    CHECK_EQ(d.need_keyframe, 1); /* only a complete key frame clears it */
    n = mk(pl, 0, 0, 5, kb + 30, 30);
    CHECK_EQ(cv_vp8_depack_push(&d, 17, 12000, 1, pl, n, &f), 1);
    CHECK_MEM(f.data, kb, 60);
    CHECK_EQ(d.need_keyframe, 0);
    CHECK_EQ(push1(&d, 18, 15000, 6, 0, &f), 1);
    CHECK_EQ(d.frames, 3);
    cv_vp8_depack_cleanup(&d);
}

static void test_depack_missing_first(void)
{
    cv_vp8_depack_t d;
    cv_vp8_frame_t f;
    cv_vp8_depack_init(&d, 1 << 20);
    CHECK_EQ(push1(&d, 0, 0, 1, 1, &f), 1);
    uint8_t body[60], pl[64];
    delta_body(body, sizeof(body), 1);
    /* seq 1 (S=1) lost */
    size_t n = mk(pl, 0, 0, 2, body + 20, 20);
    CHECK_EQ(cv_vp8_depack_push(&d, 2, 3000, 0, pl, n, &f), 0);
    CHECK_EQ(d.gaps, 1);
    CHECK_EQ(d.need_keyframe, 1);
    n = mk(pl, 0, 0, 2, body + 40, 20);
    CHECK_EQ(cv_vp8_depack_push(&d, 3, 3000, 1, pl, n, &f), 0);
    CHECK_EQ(d.dropped_packets, 2);
    CHECK_EQ(d.frames, 1);
    cv_vp8_depack_cleanup(&d);
}

static void test_depack_missing_marker(void)
{
    cv_vp8_depack_t d;
    cv_vp8_frame_t f;
    cv_vp8_depack_init(&d, 1 << 20);
    uint8_t kb[60], pl[64];
    key_body(kb, sizeof(kb), 2);
    size_t n = mk(pl, 1, 0, 1, kb, 20);
    CHECK_EQ(cv_vp8_depack_push(&d, 100, 0, 0, pl, n, &f), 0);
    n = mk(pl, 0, 0, 1, kb + 20, 20);
    CHECK_EQ(cv_vp8_depack_push(&d, 101, 0, 0, pl, n, &f), 0);
    /* 102 (marker) lost; the next frame is a key frame and comes through */
    CHECK_EQ(push1(&d, 103, 3000, 2, 1, &f), 1);
    CHECK_EQ(f.ts, 3000);
    CHECK_EQ(f.len, 40);
    CHECK_EQ(f.picture_id, 2);
    CHECK_EQ(d.dropped_frames, 1);
    CHECK_EQ(d.dropped_packets, 2);
    CHECK_EQ(d.gaps, 1);
    CHECK_EQ(d.need_keyframe, 0);

    /* same again but the next frame is a delta frame: dropped, need_keyframe */
    delta_body(kb, sizeof(kb), 2);
    n = mk(pl, 1, 0, 3, kb, 20);
    CHECK_EQ(cv_vp8_depack_push(&d, 104, 6000, 0, pl, n, &f), 0);
    CHECK_EQ(push1(&d, 106, 9000, 4, 0, &f), 0);
    CHECK_EQ(d.need_keyframe, 1);
    CHECK_EQ(d.dropped_frames, 3);

    /* no gap but no marker either: the open frame is dropped when the next starts */
    CHECK_EQ(push1(&d, 107, 12000, 5, 1, &f), 1);
    n = mk(pl, 1, 0, 6, kb, 20);
    CHECK_EQ(cv_vp8_depack_push(&d, 108, 15000, 0, pl, n, &f), 0);
    CHECK_EQ(push1(&d, 109, 18000, 7, 0, &f), 0);
    CHECK_EQ(d.need_keyframe, 1);
    CHECK_EQ(d.gaps, 2);
    cv_vp8_depack_cleanup(&d);
}

static void test_depack_ts_change(void)
{
    cv_vp8_depack_t d;
    cv_vp8_frame_t f;
    cv_vp8_depack_init(&d, 1 << 20);
    CHECK_EQ(push1(&d, 0, 0, 1, 1, &f), 1);
    uint8_t body[60], pl[64];
    delta_body(body, sizeof(body), 1);
    size_t n = mk(pl, 1, 0, 2, body, 20);
    CHECK_EQ(cv_vp8_depack_push(&d, 1, 3000, 0, pl, n, &f), 0);
    n = mk(pl, 0, 0, 2, body + 20, 20);
    CHECK_EQ(cv_vp8_depack_push(&d, 2, 6000, 0, pl, n, &f), 0); /* ts differs */
    CHECK_EQ(d.in_frame, 0);
    CHECK_EQ(d.need_keyframe, 1);
    n = mk(pl, 0, 0, 2, body + 40, 20);
    CHECK_EQ(cv_vp8_depack_push(&d, 3, 6000, 1, pl, n, &f), 0);
    CHECK_EQ(d.frames, 1);
    CHECK_EQ(d.dropped_frames, 1);
    CHECK_EQ(d.dropped_packets, 3);
    CHECK_EQ(d.gaps, 0);
    cv_vp8_depack_cleanup(&d);
}

static void test_depack_wrap(void)
{
    cv_vp8_depack_t d;
    cv_vp8_frame_t f;
    cv_vp8_depack_init(&d, 1 << 20);
    uint8_t kb[90], pl[64];
    key_body(kb, sizeof(kb), 5);
    /* extended seqs 65534, 65535, 65536 (16-bit 65534, 65535, 0) */
    size_t n = mk(pl, 1, 0, 32767, kb, 30);
    CHECK_EQ(cv_vp8_depack_push(&d, 65534, 0xfffffff0u, 0, pl, n, &f), 0);
    n = mk(pl, 0, 0, 32767, kb + 30, 30);
    CHECK_EQ(cv_vp8_depack_push(&d, 65535, 0xfffffff0u, 0, pl, n, &f), 0);
    n = mk(pl, 0, 0, 32767, kb + 60, 30);
    CHECK_EQ(cv_vp8_depack_push(&d, 65536, 0xfffffff0u, 1, pl, n, &f), 1);
    CHECK_MEM(f.data, kb, 90);
    CHECK_EQ(f.ts, 0xfffffff0u);
    CHECK_EQ(d.gaps, 0);
    /* picture id wraps 32767 -> 0 and the timestamp wraps too: still no gap */
    CHECK_EQ(push1(&d, 65537, 0x00000a50u, 0, 0, &f), 1);
    CHECK_EQ(f.picture_id, 0);
    CHECK_EQ(d.gaps, 0);
    CHECK_EQ(d.need_keyframe, 0);
    /* an old packet from before the wrap is dropped */
    CHECK_EQ(push1(&d, 65535, 0, 32767, 1, &f), 0);
    CHECK_EQ(d.frames, 2);
    cv_vp8_depack_cleanup(&d);
}

static void test_depack_oversize(void)
{
    cv_vp8_depack_t d;
    cv_vp8_frame_t f;
    cv_vp8_depack_init(&d, 100);
    uint8_t kb[180], pl[64];
    key_body(kb, sizeof(kb), 1);
    size_t n = mk(pl, 1, 0, 1, kb, 60);
    CHECK_EQ(cv_vp8_depack_push(&d, 0, 0, 0, pl, n, &f), 0);
    n = mk(pl, 0, 0, 1, kb + 60, 60);
    CHECK_EQ(cv_vp8_depack_push(&d, 1, 0, 0, pl, n, &f), 0); /* 120 > 100 */
    CHECK_EQ(d.oversize, 1);
    CHECK_EQ(d.in_frame, 0);
    CHECK_EQ(d.need_keyframe, 1);
    n = mk(pl, 0, 0, 1, kb + 120, 60);
    CHECK_EQ(cv_vp8_depack_push(&d, 2, 0, 1, pl, n, &f), 0);
    CHECK_EQ(d.dropped_frames, 1);
    CHECK_EQ(d.dropped_packets, 3);
    CHECK_EQ(d.frames, 0);
    /* exactly cap fits */
    n = mk(pl, 1, 0, 2, kb, 50);
    CHECK_EQ(cv_vp8_depack_push(&d, 3, 3000, 0, pl, n, &f), 0);
    n = mk(pl, 0, 0, 2, kb + 50, 50);
    CHECK_EQ(cv_vp8_depack_push(&d, 4, 3000, 1, pl, n, &f), 1);
    CHECK_EQ(f.len, 100);
    CHECK(f.len <= d.cap);
    CHECK_EQ(d.need_keyframe, 0);
    /* one byte more than cap is dropped */
    n = mk(pl, 1, 0, 3, kb, 50);
    CHECK_EQ(cv_vp8_depack_push(&d, 5, 6000, 0, pl, n, &f), 0);
    n = mk(pl, 0, 0, 3, kb + 50, 51);
    CHECK_EQ(cv_vp8_depack_push(&d, 6, 6000, 1, pl, n, &f), 0);
    CHECK_EQ(d.oversize, 2);
    CHECK_EQ(d.need_keyframe, 1);
    CHECK_EQ(d.frames, 1);
    cv_vp8_depack_cleanup(&d);
}

/* No frame buffer before the first frame; then it starts small and grows as a
 * big key frame needs, up to the maximum; a frame past the maximum is still
 * dropped. A reset (the sender hidden) frees it; the next frame makes it again. */
static void test_depack_grows(void)
{
    static uint8_t kb[200000], pl[1200];
    key_body(kb, sizeof(kb), 3);
    for (int limit = 0; limit <= 1; limit++) {
        cv_vp8_depack_t d;
        cv_vp8_frame_t f;
        cv_vp8_depack_init(&d, limit ? 150000 : 1 << 20);
        CHECK_EQ(d.cap, 0);
        CHECK(d.buf == NULL);
        int got = 0;
        size_t at = 0;
        for (uint64_t seq = 0; at < sizeof(kb); seq++) {
            size_t chunk = sizeof(kb) - at < 1100 ? sizeof(kb) - at : 1100;
            size_t n = mk(pl, at == 0, 0, 9, kb + at, chunk);
            at += chunk;
            got = cv_vp8_depack_push(&d, seq, 9000, at == sizeof(kb), pl, n, &f);
        }
        if (limit) {
            CHECK_EQ(got, 0);
            CHECK_EQ(d.oversize, 1);
            CHECK(d.cap <= 150000);
        } else {
            CHECK_EQ(got, 1);
            CHECK_EQ(f.len, sizeof(kb));
            CHECK(f.len == sizeof(kb) && memcmp(f.data, kb, sizeof(kb)) == 0);
            CHECK(d.cap >= sizeof(kb) && d.cap <= 1 << 20);
        }
        cv_vp8_depack_reset(&d);
        CHECK(d.buf == NULL);
        CHECK_EQ(d.cap, 0);
        size_t n = mk(pl, 1, 0, 10, kb, 1000); /* a small key frame after the reset */
        CHECK_EQ(cv_vp8_depack_push(&d, 500, 9900, 1, pl, n, &f), 1);
        CHECK(f.len == 1000 && memcmp(f.data, kb, 1000) == 0);
        CHECK_EQ(d.cap, CV_VP8_DEPACK_START);
        cv_vp8_depack_cleanup(&d);
    }
}

static void test_depack_duplicate(void)
{
    cv_vp8_depack_t d;
    cv_vp8_frame_t f;
    cv_vp8_depack_init(&d, 1 << 20);
    uint8_t kb[40], pl[64];
    key_body(kb, sizeof(kb), 1);
    size_t n = mk(pl, 1, 0, 1, kb, 20);
    CHECK_EQ(cv_vp8_depack_push(&d, 5, 0, 0, pl, n, &f), 0);
    CHECK_EQ(cv_vp8_depack_push(&d, 5, 0, 0, pl, n, &f), 0);
    CHECK_EQ(d.dropped_packets, 1);
    n = mk(pl, 0, 0, 1, kb + 20, 20);
    CHECK_EQ(cv_vp8_depack_push(&d, 6, 0, 1, pl, n, &f), 1);
    CHECK_EQ(f.len, 40);
    CHECK_MEM(f.data, kb, 40);
    CHECK_EQ(cv_vp8_depack_push(&d, 6, 0, 1, pl, n, &f), 0); /* repeat of the last */
    CHECK_EQ(d.dropped_packets, 2);
    CHECK_EQ(d.frames, 1);
    cv_vp8_depack_cleanup(&d);
}

static void test_depack_bad(void)
{
    cv_vp8_depack_t d;
    cv_vp8_frame_t f;
    cv_vp8_depack_init(&d, 1 << 20);
    CHECK_EQ(push1(&d, 0, 0, 1, 1, &f), 1);

    static const uint8_t cut[] = {
        0x90, /* X=1 S=1 */
        0x80, /* I=1, picture id missing */
    };
    CHECK_EQ(cv_vp8_depack_push(&d, 1, 3000, 1, cut, sizeof(cut), &f), CV_E_SHORT);
    static const uint8_t desc_only[] = {
        0x90, 0x80, 0x80, 0x02, /* full descriptor, no VP8 data */
    };
    CHECK_EQ(cv_vp8_depack_push(&d, 1, 3000, 1, desc_only, sizeof(desc_only), &f), CV_E_SHORT);
    static const uint8_t bad_key[] = {
        0x10,             /* X=0 S=1 */
        0x70, 0x24, 0x00, /* key frame tag */
        0x00, 0x00, 0x00, /* not the start code */
        0x80, 0x02, 0xe0, 0x01,
    };
    CHECK_EQ(cv_vp8_depack_push(&d, 1, 3000, 1, bad_key, sizeof(bad_key), &f), CV_E_INVAL);
    static const uint8_t short_key[] = {
        0x10,             /* X=0 S=1 */
        0x70, 0x24, 0x00, /* key frame tag, header cut short */
    };
    CHECK_EQ(cv_vp8_depack_push(&d, 1, 3000, 1, short_key, sizeof(short_key), &f), CV_E_SHORT);
    CHECK_EQ(d.bad_packets, 4);
    CHECK_EQ(d.need_keyframe, 0); /* state unchanged */
    CHECK_EQ(d.next_seq, 1);
    /* the bad packet's seq counts as lost when the next one comes */
    CHECK_EQ(push1(&d, 2, 6000, 3, 0, &f), 0);
    CHECK_EQ(d.gaps, 1);
    CHECK_EQ(d.need_keyframe, 1);
    CHECK_EQ(cv_vp8_depack_push(&d, 3, 0, 1, NULL, 5, &f), CV_E_INVAL);
    cv_vp8_depack_cleanup(&d);
}

/* padding packets and gaps that provably lose no reference frame (RFC 7741 §4.2) */
static void test_depack_gap_refs(void)
{
    cv_vp8_depack_t d;
    cv_vp8_frame_t f;
    cv_vp8_depack_init(&d, 1 << 20);
    CHECK_EQ(push1(&d, 0, 0, 1, 1, &f), 1);

    /* padding-only packet in order: no gap */
    CHECK_EQ(cv_vp8_depack_push(&d, 1, 0, 0, NULL, 0, &f), 0);
    CHECK_EQ(push1(&d, 2, 3000, 2, 0, &f), 1);
    CHECK_EQ(d.gaps, 0);

    /* seq 3 lost between picture 2 (ended) and picture 3 (starts): nothing of a frame */
    CHECK_EQ(push1(&d, 4, 6000, 3, 0, &f), 1);
    CHECK_EQ(d.gaps, 1);
    CHECK_EQ(d.need_keyframe, 0);

    /* a non-reference frame (N=1) loses its middle packet: only it is dropped */
    uint8_t body[60], pl[64];
    delta_body(body, sizeof(body), 4);
    size_t n = mk(pl, 1, 1, 4, body, 20);
    CHECK_EQ(cv_vp8_depack_push(&d, 5, 9000, 0, pl, n, &f), 0);
    n = mk(pl, 0, 1, 4, body + 40, 20);
    CHECK_EQ(cv_vp8_depack_push(&d, 7, 9000, 1, pl, n, &f), 0);
    CHECK_EQ(d.gaps, 2);
    CHECK_EQ(d.need_keyframe, 0);
    CHECK_EQ(d.dropped_frames, 1);
    CHECK_EQ(push1(&d, 8, 12000, 5, 0, &f), 1);

    /* the head of a non-reference frame lost: only it is dropped */
    n = mk(pl, 0, 1, 6, body + 20, 20);
    CHECK_EQ(cv_vp8_depack_push(&d, 10, 15000, 1, pl, n, &f), 0);
    CHECK_EQ(d.need_keyframe, 0);
    CHECK_EQ(push1(&d, 11, 18000, 7, 0, &f), 1);

    /* a whole frame lost (picture 8 never seen): references broken */
    CHECK_EQ(push1(&d, 13, 24000, 9, 0, &f), 0);
    CHECK_EQ(d.need_keyframe, 1);

    /* padding after a gap does not hide the gap */
    CHECK_EQ(push1(&d, 14, 27000, 10, 1, &f), 1);
    CHECK_EQ(cv_vp8_depack_push(&d, 16, 0, 0, NULL, 0, &f), 0);
    CHECK_EQ(d.next_seq, 15);
    cv_vp8_depack_reset(&d);
    CHECK_EQ(d.need_keyframe, 1);
    CHECK_EQ(d.started, 0);
    CHECK_EQ(push1(&d, 5000, 30000, 12, 1, &f), 1);
    CHECK_EQ(d.need_keyframe, 0);
    cv_vp8_depack_cleanup(&d);
}

/* ---- packetizer ---- */

static void test_pack_even(void)
{
    static uint8_t frame[3000];
    for (size_t i = 0; i < sizeof(frame); i++)
        frame[i] = (uint8_t)(i * 7 + 1);
    cv_vp8_pack_t pk;
    cv_vp8_pack_init(&pk, frame, sizeof(frame), 7, 0);
    uint8_t out[1500];
    int m = -1;

    static const uint8_t first_desc[] = {
        0x90,       /* X=1 S=1 PID=0 */
        0x80,       /* I=1 */
        0x80, 0x07, /* M=1 picture id 7 */
    };
    static const uint8_t next_desc[] = {
        0x80,       /* X=1 S=0 */
        0x80,       /* I=1 */
        0x80, 0x07, /* M=1 picture id 7 */
    };
    CHECK_EQ(cv_vp8_pack_next(&pk, out, sizeof(out), 1200, &m), 1004);
    CHECK_EQ(m, 0);
    CHECK_MEM(out, first_desc, 4);
    CHECK_MEM(out + 4, frame, 1000);
    CHECK_EQ(cv_vp8_pack_next(&pk, out, sizeof(out), 1200, &m), 1004);
    CHECK_EQ(m, 0);
    CHECK_MEM(out, next_desc, 4);
    CHECK_MEM(out + 4, frame + 1000, 1000);
    CHECK_EQ(cv_vp8_pack_next(&pk, out, sizeof(out), 1200, &m), 1004);
    CHECK_EQ(m, 1);
    CHECK_MEM(out, next_desc, 4);
    CHECK_MEM(out + 4, frame + 2000, 1000);
    CHECK_EQ(cv_vp8_pack_next(&pk, out, sizeof(out), 1200, &m), 0);
    CHECK_EQ(m, 0);

    /* 3001 bytes: 1001 + 1000 + 1000 */
    static uint8_t f2[3001];
    cv_vp8_pack_init(&pk, f2, sizeof(f2), 7, 0);
    CHECK_EQ(cv_vp8_pack_next(&pk, out, sizeof(out), 1200, &m), 1005);
    CHECK_EQ(cv_vp8_pack_next(&pk, out, sizeof(out), 1200, &m), 1004);
    CHECK_EQ(cv_vp8_pack_next(&pk, out, sizeof(out), 1200, &m), 1004);
    CHECK_EQ(m, 1);

    /* fits in one packet exactly: 1196 data bytes */
    cv_vp8_pack_init(&pk, frame, 1196, 7, 0);
    CHECK_EQ(cv_vp8_pack_next(&pk, out, sizeof(out), 1200, &m), 1200);
    CHECK_EQ(m, 1);
    CHECK_MEM(out, first_desc, 4);
    cv_vp8_pack_init(&pk, frame, 1197, 7, 0);
    CHECK_EQ(cv_vp8_pack_next(&pk, out, sizeof(out), 1200, &m), 603);
    CHECK_EQ(cv_vp8_pack_next(&pk, out, sizeof(out), 1200, &m), 602);
    CHECK_EQ(m, 1);
}

static void test_pack_picture_id(void)
{
    uint8_t frame[10] = {0};
    uint8_t out[64];
    int m;
    cv_vp8_pack_t pk;

    cv_vp8_pack_init(&pk, frame, sizeof(frame), 32767, 0);
    CHECK_EQ(cv_vp8_pack_next(&pk, out, sizeof(out), 1200, &m), 14);
    static const uint8_t d32767[] = {
        0x90,       /* X=1 S=1 */
        0x80,       /* I=1 */
        0xff, 0xff, /* M=1 picture id 32767 */
    };
    CHECK_MEM(out, d32767, 4);

    cv_vp8_pack_init(&pk, frame, sizeof(frame), 32768, 0); /* wraps to 0 */
    CHECK_EQ(cv_vp8_pack_next(&pk, out, sizeof(out), 1200, &m), 14);
    static const uint8_t d0[] = {
        0x90,       /* X=1 S=1 */
        0x80,       /* I=1 */
        0x80, 0x00, /* M=1 picture id 0 */
    };
    CHECK_MEM(out, d0, 4);

    cv_vp8_pack_init(&pk, frame, sizeof(frame), 0x1234, 1);
    CHECK_EQ(cv_vp8_pack_next(&pk, out, sizeof(out), 1200, &m), 14);
    static const uint8_t dn[] = {
        0xb0,       /* X=1 N=1 S=1 */
        0x80,       /* I=1 */
        0x92, 0x34, /* M=1 picture id 0x1234 */
    };
    CHECK_MEM(out, dn, 4);
    cv_vp8_desc_t d;
    CHECK_EQ(cv_vp8_parse_desc(out, 14, &d), 4);
    CHECK_EQ(d.picture_id, 0x1234);
    CHECK_EQ(d.n, 1);
    CHECK_EQ(d.s, 1);
    CHECK_EQ(d.pid, 0);

    /* a counter running past 32767 */
    uint16_t ids[] = {32766, 32767, 32768, 32769};
    int want[] = {32766, 32767, 0, 1};
    for (int i = 0; i < 4; i++) {
        cv_vp8_pack_init(&pk, frame, sizeof(frame), ids[i], 0);
        CHECK_EQ(cv_vp8_pack_next(&pk, out, sizeof(out), 100, &m), 14);
        CHECK_EQ(cv_vp8_parse_desc(out, 14, &d), 4);
        CHECK_EQ(d.picture_id, want[i]);
    }
}

static void test_pack_errors(void)
{
    uint8_t frame[100] = {0};
    uint8_t out[64];
    int m = -1;
    cv_vp8_pack_t pk;
    cv_vp8_pack_init(&pk, frame, sizeof(frame), 1, 0);
    CHECK_EQ(cv_vp8_pack_next(&pk, out, 20, 64, &m), CV_E_NOSPACE);
    CHECK_EQ(cv_vp8_pack_next(&pk, out, sizeof(out), 4, &m), CV_E_INVAL);
    CHECK_EQ(cv_vp8_pack_next(&pk, NULL, sizeof(out), 64, &m), CV_E_INVAL);
    CHECK_EQ(pk.off, 0); /* nothing consumed by the failures */
    /* max_payload 5: one data byte per packet */
    int total = 0, r;
    while ((r = cv_vp8_pack_next(&pk, out, sizeof(out), 5, &m)) > 0) {
        CHECK_EQ(r, 5);
        total++;
    }
    CHECK_EQ(r, 0);
    CHECK_EQ(total, 100);
    cv_vp8_pack_init(&pk, frame, 0, 1, 0);
    CHECK_EQ(cv_vp8_pack_next(&pk, out, sizeof(out), 64, &m), 0); /* empty frame */
    CHECK_EQ(m, 0);
}

/* packetize, then depacketize: identical bytes, at every sequence start */
static void roundtrip(size_t len, size_t max_payload, uint64_t seq0)
{
    uint8_t *frame = malloc(len);
    key_body(frame, len, (uint8_t)len);
    cv_vp8_depack_t d;
    cv_vp8_frame_t f;
    memset(&f, 0, sizeof(f));
    cv_vp8_depack_init(&d, 1 << 20);
    cv_vp8_pack_t pk;
    cv_vp8_pack_init(&pk, frame, len, 77, 0);
    uint8_t out[1500];
    int m, r, got = 0;
    size_t npkt = 0, minsz = (size_t)-1, maxsz = 0;
    uint64_t seq = seq0;
    while ((r = cv_vp8_pack_next(&pk, out, sizeof(out), max_payload, &m)) > 0) {
        CHECK((size_t)r <= max_payload);
        minsz = (size_t)r < minsz ? (size_t)r : minsz;
        maxsz = (size_t)r > maxsz ? (size_t)r : maxsz;
        npkt++;
        int g = cv_vp8_depack_push(&d, seq++, 1234, m, out, (size_t)r, &f);
        CHECK_EQ(g, m);
        got += g;
    }
    CHECK_EQ(got, 1);
    CHECK_EQ(npkt, (len + max_payload - 5) / (max_payload - 4));
    CHECK(maxsz - minsz <= 1);
    CHECK_EQ(f.len, len);
    CHECK_MEM(f.data, frame, len);
    CHECK_EQ(f.keyframe, 1);
    CHECK_EQ(f.picture_id, 77);
    CHECK_EQ(d.bad_packets + d.dropped_packets + d.gaps, 0);
    cv_vp8_depack_cleanup(&d);
    free(frame);
}

static void test_roundtrip(void)
{
    roundtrip(3000, 1200, 0);
    roundtrip(5000, 1200, 65530);
    roundtrip(10, 1200, 32767);
    roundtrip(50000, 1000, 65535);
    roundtrip(1196, 1200, 32768);
    roundtrip(1197, 1200, 1);
}

static void test_rewrite(void)
{
    uint8_t pl[] = {
        0x90,       /* X=1 S=1 */
        0x80,       /* I=1 */
        0x80, 0x07, /* M=1 picture id 7 */
        0x31, 0x01, /* data */
    };
    static const uint8_t want[] = {
        0x90,       /* unchanged */
        0x80,       /* unchanged */
        0xc3, 0x21, /* M=1 picture id 0x4321 */
        0x31, 0x01, /* unchanged */
    };
    CHECK_EQ(cv_vp8_rewrite_picture_id(pl, sizeof(pl), 0x4321), 0);
    CHECK_MEM(pl, want, sizeof(want));
    CHECK_EQ(cv_vp8_rewrite_picture_id(pl, sizeof(pl), 0xffff), 0); /* top bit dropped */
    CHECK_EQ(pl[2], 0xff);
    CHECK_EQ(pl[3], 0xff);

    uint8_t pic7[] = {
        0x90, /* X=1 S=1 */
        0x80, /* I=1 */
        0x07, /* M=0: 7-bit picture id */
        0x31,
    };
    CHECK_EQ(cv_vp8_rewrite_picture_id(pic7, sizeof(pic7), 9), CV_E_UNSUPPORTED);
    CHECK_EQ(pic7[2], 0x07);
    uint8_t no_x[] = {
        0x10, /* X=0 */
        0x31,
    };
    CHECK_EQ(cv_vp8_rewrite_picture_id(no_x, sizeof(no_x), 9), CV_E_UNSUPPORTED);
    uint8_t no_i[] = {
        0x90, /* X=1 */
        0x20, /* T=1 only */
        0x40,
    };
    CHECK_EQ(cv_vp8_rewrite_picture_id(no_i, sizeof(no_i), 9), CV_E_UNSUPPORTED);
    uint8_t cut[] = {
        0x90, /* X=1 */
        0x80, /* I=1 */
        0x80, /* M=1, second octet missing */
    };
    CHECK_EQ(cv_vp8_rewrite_picture_id(cut, sizeof(cut), 9), CV_E_SHORT);
    CHECK_EQ(cut[2], 0x80);
}

int main(void)
{
    test_desc_forms();
    test_desc_truncated();
    test_keyframe();
    test_depack_single();
    test_depack_three();
    test_depack_middle_loss();
    test_depack_missing_first();
    test_depack_missing_marker();
    test_depack_ts_change();
    test_depack_wrap();
    test_depack_oversize();
    test_depack_grows();
    test_depack_duplicate();
    test_depack_bad();
    test_depack_gap_refs();
    test_pack_even();
    test_pack_picture_id();
    test_pack_errors();
    test_roundtrip();
    test_rewrite();
    return CHECK_DONE("test_vp8");
}
