/*
 * fuzz_h264.c - H.264 RTP depacketizing (RFC 6184, packetization-mode 1) under
 * hostile input.
 *
 * Input: one config byte, then fake packets, each a 4-byte header
 *   [len low 8 bits] [flags: bits 0-1 len high bits, bit 2 marker, bit 3 new ts,
 *                     bit 4 seq step backwards] [seq step] [ts step]
 * followed by up to len payload bytes. Config bits 1-7 choose the
 * depacketizer's buffer size; bit 0 gives it sprop-parameter-sets first.
 *
 * Invariants: a returned access unit lies inside the buffer, starts with a start
 * code and a plain NAL unit header; a key frame ends the wait for one; counters
 * add up; and one NAL unit sent as FU-A fragments of any size comes back whole.
 * The packetizer, given the input as an access unit: every payload within its
 * budget and carrying at least one byte of it, the marker on the last alone.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "h264.h"

#define REQUIRE(c)                                                                                 \
    do {                                                                                           \
        if (!(c))                                                                                  \
            abort();                                                                               \
    } while (0)

static const char SPROP[] = "Z0LAHg==,aM48gA==";

static void deliver(cv_h264_depack_t *d, uint64_t seq, uint32_t ts, int marker, const uint8_t *p,
                    size_t len)
{
    cv_h264_frame_t f;
    uint64_t bad = d->bad_packets, frames = d->frames;
    int r = cv_h264_depack_push(d, seq, ts, marker, p, len, &f);
    REQUIRE(r <= 1);
    REQUIRE(r < 0 ? d->bad_packets == bad + 1 : d->bad_packets == bad);
    REQUIRE(r == CV_E_INVAL || r == CV_E_SHORT || r >= 0);
    REQUIRE(d->frames == frames + (r == 1));
    if (r == 1) {
        REQUIRE(f.data == d->buf && f.len >= 5 && f.len <= d->cap);
        REQUIRE(f.data[0] == 0 && f.data[1] == 0 && f.data[2] == 0 && f.data[3] == 1);
        int t = f.data[4] & 0x1f;
        REQUIRE(!(f.data[4] & 0x80) && t >= 1 && t <= 23);
        REQUIRE(d->need_keyframe == 0 && marker);
        REQUIRE(!f.keyframe || t == 7 || t == 8 || d->has_sps); /* the sets come first */
    }
    REQUIRE(d->len <= d->cap);
    REQUIRE(d->keyframes <= d->frames);
}

static void packets(const uint8_t *data, size_t size, size_t cap, int sprop)
{
    cv_h264_depack_t d;
    cv_h264_depack_init(&d, cap);
    if (sprop)
        REQUIRE(cv_h264_depack_set_sprop(&d, SPROP, strlen(SPROP)) == 2);
    uint64_t seq = 70000;
    uint32_t ts = 0;
    size_t off = 0;
    while (size - off >= 4) {
        const uint8_t *h = data + off;
        off += 4;
        size_t len = h[0] | ((size_t)(h[1] & 3) << 8);
        if (len > size - off)
            len = size - off;
        if (h[1] & 8)
            ts += (uint32_t)h[3] * 300u;
        if (h[1] & 16)
            seq -= h[2];
        else
            seq += h[2];
        deliver(&d, seq, ts, !!(h[1] & 4), data + off, len);
        off += len;
    }
    cv_h264_depack_cleanup(&d);
}

/* The input as the body of one IDR slice (first_mb_in_slice 0), fragmented by
 * FU-A into pieces of chunk bytes after a STAP-A of the parameter sets. */
static void roundtrip(const uint8_t *body, size_t n, size_t chunk, uint64_t seq)
{
    cv_h264_depack_t d;
    cv_h264_depack_init(&d, 64 + n);
    static const uint8_t stap[] = {0x78, 0, 4,    0x67, 0x42, 0xc0, 0x1e,
                                   0,    4, 0x68, 0xce, 0x3c, 0x80};
    cv_h264_frame_t f;
    REQUIRE(cv_h264_depack_push(&d, seq++, 9, 0, stap, sizeof stap, &f) == 0);
    uint8_t pkt[2 + 256];
    size_t off = 0;
    int got = 0;
    do {
        size_t c = n - off < chunk ? n - off : chunk;
        int first = off == 0, last = off + c == n;
        pkt[0] = 0x7c;
        pkt[1] = (uint8_t)((first ? 0x80 : 0) | (last ? 0x40 : 0) | 5);
        memcpy(pkt + 2, body + off, c);
        off += c;
        int r = cv_h264_depack_push(&d, seq++, 9, last, pkt, 2 + c, &f);
        REQUIRE(r == last);
        got += r;
    } while (off < n);
    REQUIRE(got == 1 && f.keyframe == 1);
    REQUIRE(f.len == 16 + 5 + n && f.data[20] == 0x65 && memcmp(f.data + 21, body, n) == 0);
    REQUIRE(d.bad_packets == 0 && d.dropped_packets == 0 && d.gaps == 0);
    cv_h264_depack_cleanup(&d);
}

static void pack(const uint8_t *au, size_t n, size_t max_payload)
{
    cv_h264_pack_t pk;
    cv_h264_pack_init(&pk, au, n);
    uint8_t out[256];
    size_t pkts = 0;
    int r, marker = 0, last_marker = 0;
    while ((r = cv_h264_pack_next(&pk, out, sizeof out, max_payload, &marker)) > 0) {
        REQUIRE((size_t)r <= max_payload && !last_marker);
        last_marker = marker;
        REQUIRE(++pkts <= n);
    }
    REQUIRE(r == 0 && (pkts == 0 || last_marker));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    size_t cap = 16 + (size_t)(data[0] >> 1) * 64;
    packets(data + 1, size - 1, cap, data[0] & 1);
    pack(data + 1, size - 1, 3 + data[0] % 200);

    /* a fragmented IDR: the body must open a picture (top bit) and the FU-A
     * pieces of it must be at most 256 bytes and not one piece alone */
    if (size >= 3) {
        uint8_t *body = malloc(size);
        if (!body)
            return 0;
        memcpy(body, data, size);
        body[0] |= 0x80;
        size_t chunk = 1 + (size_t)data[size - 1] % 256;
        if (chunk >= size)
            chunk = size - 1;
        roundtrip(body, size, chunk, 65530 + (data[0] & 15));
        free(body);
    }
    return 0;
}
