/*
 * fuzz_vp8.c - VP8 RTP payload handling (RFC 7741) under hostile input.
 *
 * Input: one config byte, then fake packets, each a 4-byte header
 *   [len low 8 bits] [flags: bits 0-1 len high bits, bit 2 marker, bit 3 new ts,
 *                     bit 4 seq step backwards] [seq step] [ts step]
 * followed by up to len payload bytes. Config bit 0 routes the packets through a jitter
 * buffer on a fake clock first; bits 1-7 choose the depacketizer's max frame size.
 *
 * Invariants: parse_desc stays within len; a returned frame lies inside the buffer and is
 * no larger than cap; the jitter buffer releases strictly increasing seqs; packetizing the
 * input as a frame and depacketizing it gives back identical bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "jitter.h"
#include "vp8.h"

#define REQUIRE(c)                                                                                 \
    do {                                                                                           \
        if (!(c))                                                                                  \
            abort();                                                                               \
    } while (0)

static int same_but_picture_id(const cv_vp8_desc_t *a, const cv_vp8_desc_t *b)
{
    return a->x == b->x && a->n == b->n && a->s == b->s && a->pid == b->pid &&
           a->has_picture_id == b->has_picture_id && a->picture_id_bits == b->picture_id_bits &&
           a->has_tl0picidx == b->has_tl0picidx && a->tl0picidx == b->tl0picidx &&
           a->has_tid == b->has_tid && a->tid == b->tid && a->y == b->y &&
           a->has_keyidx == b->has_keyidx && a->keyidx == b->keyidx && a->desc_len == b->desc_len;
}

static void check_desc(const uint8_t *p, size_t len)
{
    cv_vp8_desc_t d;
    int r = cv_vp8_parse_desc(p, len, &d);
    if (r < 0) {
        REQUIRE(r == CV_E_SHORT);
        return;
    }
    REQUIRE(r >= 1 && (size_t)r <= len && d.desc_len == (size_t)r);
    REQUIRE(d.pid >= 0 && d.pid <= 7);
    REQUIRE(!d.has_picture_id || d.picture_id_bits == 7 || d.picture_id_bits == 15);
    REQUIRE(d.picture_id >= 0 && d.picture_id < 32768);
    int w, h;
    int k = cv_vp8_is_keyframe(p + r, len - (size_t)r, &w, &h);
    REQUIRE(k <= 1);
    REQUIRE(k == 1 ? (w > 0 && w < 16384 && h > 0 && h < 16384) : (w == 0 && h == 0));

    /* rewriting the picture id changes nothing else */
    if (len <= 2048) {
        uint8_t copy[2048];
        memcpy(copy, p, len);
        int rw = cv_vp8_rewrite_picture_id(copy, len, 0x1234);
        if (rw == 0) {
            cv_vp8_desc_t e;
            REQUIRE(cv_vp8_parse_desc(copy, len, &e) == r);
            REQUIRE(e.picture_id == 0x1234 && e.picture_id_bits == 15);
            REQUIRE(same_but_picture_id(&e, &d));
            REQUIRE(memcmp(copy, p, 2) == 0 && memcmp(copy + 4, p + 4, len - 4) == 0);
        } else {
            REQUIRE(rw == CV_E_UNSUPPORTED);
            REQUIRE(memcmp(copy, p, len) == 0);
        }
    }
}

static void deliver(cv_vp8_depack_t *d, uint64_t seq, uint32_t ts, int marker, const uint8_t *p,
                    size_t len)
{
    cv_vp8_frame_t f;
    int r = cv_vp8_depack_push(d, seq, ts, marker, p, len, &f);
    REQUIRE(r <= 1);
    if (r == 1) {
        REQUIRE(f.len > 0 && f.len <= d->cap);
        REQUIRE(f.data == d->buf);
        REQUIRE(!f.keyframe || (f.width > 0 && f.height > 0));
    }
    REQUIRE(d->len <= d->cap);
    REQUIRE(d->keyframes <= d->frames);
}

/* Feeds the fake packets; returns nothing, aborts on a broken invariant. */
static void packets(const uint8_t *data, size_t size, size_t cap, int jitter)
{
    cv_vp8_depack_t d;
    cv_vp8_depack_init(&d, cap);
    cv_jitter_t j;
    cv_jitter_init(&j, 40000);
    uint64_t seq = 70000, last_pop = 0;
    int popped_any = 0;
    uint32_t ts = 0;
    int64_t now = 0;
    size_t off = 0;
    while (size - off >= 4) {
        const uint8_t *h = data + off;
        off += 4;
        size_t len = h[0] | ((size_t)(h[1] & 3) << 8);
        if (len > size - off)
            len = size - off;
        int marker = !!(h[1] & 4);
        if (h[1] & 8)
            ts += (uint32_t)h[3] * 300u;
        if (h[1] & 16)
            seq -= h[2];
        else
            seq += h[2];
        const uint8_t *p = data + off;
        off += len;
        check_desc(p, len);
        if (!jitter) {
            deliver(&d, seq, ts, marker, p, len);
            continue;
        }
        /* jitter path: the RTP "packet" is [marker][ts 4 bytes][payload] */
        uint8_t pkt[1 + 4 + 1024];
        pkt[0] = (uint8_t)marker;
        memcpy(pkt + 1, &ts, 4);
        memcpy(pkt + 5, p, len);
        now += (int64_t)h[3] * 500;
        cv_jitter_push(&j, seq, pkt, 5 + len, now);
        REQUIRE(j.count <= CV_JITTER_SLOTS);
        uint64_t s;
        const uint8_t *q;
        int n;
        while ((n = cv_jitter_pop(&j, now, &s, &q)) > 0) {
            REQUIRE(n >= 5 && n <= CV_JITTER_MTU);
            REQUIRE(!popped_any || s > last_pop);
            popped_any = 1;
            last_pop = s;
            uint32_t t;
            memcpy(&t, q + 1, 4);
            deliver(&d, s, t, q[0], q + 5, (size_t)n - 5);
        }
        int64_t dl = cv_jitter_next_deadline(&j);
        REQUIRE(j.count == 0 ? dl == -1 : dl > now);
    }
    cv_jitter_cleanup(&j);
    cv_vp8_depack_cleanup(&d);
}

/* Packetizes frame and depacketizes it back; the frame must come out identical. */
static void roundtrip(const uint8_t *frame, size_t len, size_t max_payload, uint16_t pic,
                      uint64_t seq)
{
    cv_vp8_depack_t d;
    cv_vp8_depack_init(&d, len);
    cv_vp8_pack_t pk;
    cv_vp8_pack_init(&pk, frame, len, pic, 0);
    uint8_t out[1500];
    int m, r, frames = 0;
    size_t minsz = (size_t)-1, maxsz = 0, npkt = 0;
    cv_vp8_frame_t f;
    while ((r = cv_vp8_pack_next(&pk, out, sizeof(out), max_payload, &m)) > 0) {
        REQUIRE((size_t)r <= max_payload && r > CV_VP8_PACK_DESC_LEN);
        minsz = (size_t)r < minsz ? (size_t)r : minsz;
        maxsz = (size_t)r > maxsz ? (size_t)r : maxsz;
        cv_vp8_desc_t desc;
        REQUIRE(cv_vp8_parse_desc(out, (size_t)r, &desc) == CV_VP8_PACK_DESC_LEN);
        REQUIRE(desc.s == (npkt == 0) && desc.pid == 0 && desc.n == 0);
        REQUIRE(desc.picture_id == (pic & 0x7fff) && desc.picture_id_bits == 15);
        npkt++;
        int g = cv_vp8_depack_push(&d, seq++, 90000, m, out, (size_t)r, &f);
        REQUIRE(g == m);
        if (g == 1) {
            frames++;
            REQUIRE(f.len == len && memcmp(f.data, frame, len) == 0);
            REQUIRE(f.keyframe == 1 && f.picture_id == (pic & 0x7fff));
        }
    }
    REQUIRE(r == 0 && frames == 1 && maxsz - minsz <= 1);
    REQUIRE(d.bad_packets == 0 && d.dropped_packets == 0 && d.gaps == 0);
    cv_vp8_depack_cleanup(&d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    size_t cap = 16 + (size_t)(data[0] >> 1) * 64;
    packets(data + 1, size - 1, cap, data[0] & 1);

    /* the input behind a key frame header (RFC 6386 §9.1, 320x240) as one frame */
    static const uint8_t key_hdr[10] = {0x50, 0x00, 0x00, 0x9d, 0x01, 0x2a, 0x40, 0x01, 0xf0, 0x00};
    size_t len = sizeof(key_hdr) + size;
    uint8_t *frame = malloc(len);
    if (!frame)
        return 0;
    memcpy(frame, key_hdr, sizeof(key_hdr));
    memcpy(frame + sizeof(key_hdr), data, size);
    size_t max_payload = 24 + (size_t)data[size - 1] * 5; /* 24 .. 1299 */
    uint16_t pic = size >= 3 ? (uint16_t)((data[1] << 8) | data[2]) : 0;
    roundtrip(frame, len, max_payload, pic, 65530 + (data[0] & 15));
    free(frame);
    return 0;
}
