/*
 * fuzz_rtp.c - fuzz target for the RTP parser (rtp.c). Checks that a parsed header
 * accounts for every byte, that every extension element found lies inside the
 * extension block, and that written headers parse back to what was written; RTX
 * (rtx.c): any packet unwraps inside its bounds, and a wrapped packet unwraps to
 * the original sequence number and payload.
 */
#include "err.h"
#include "rtp.h"
#include "rtx.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void check_ext(const uint8_t *p, size_t len, const cv_rtp_hdr_t *h)
{
    for (int id = 1; id <= 255; id++) {
        const uint8_t *d = NULL;
        int r = cv_rtp_find_ext(h, id, &d);
        if (r == CV_E_NOTFOUND || r == CV_E_INVAL)
            continue;
        if (r < 0)
            abort();
        if (id > 14 && h->ext_profile == CV_RTP_EXT_ONE_BYTE)
            abort();
        if (d < h->ext || d + r > h->ext + h->ext_len || d + r > p + len)
            abort();
        int vad = -1, level = -1;
        if (cv_rtp_audio_level(h, id, &vad, &level) == 0) {
            if (r < 1 || (vad != 0 && vad != 1) || level < 0 || level > 127)
                abort();
            if (vad != d[0] >> 7 || level != (d[0] & 0x7f))
                abort();
        }
    }
}

/* Writes a header from the first bytes and parses it back. */
static void check_write(const uint8_t *p, size_t len)
{
    if (len < 16)
        return;
    cv_rtp_out_t o = {
        .marker = p[0] & 1,
        .pt = p[1] & 0x7f,
        .seq = (uint16_t)(p[2] << 8 | p[3]),
        .ts = (uint32_t)p[4] << 24 | (uint32_t)p[5] << 16 | (uint32_t)p[6] << 8 | p[7],
        .ssrc = (uint32_t)p[8] << 24 | (uint32_t)p[9] << 16 | (uint32_t)p[10] << 8 | p[11],
        .audio_level_id = p[12] % 15,
        .vad = p[13] & 1,
        .level = p[14] & 0x7f,
    };
    uint8_t buf[24];
    size_t cap = p[15] % (sizeof(buf) + 1);
    int n = cv_rtp_write_header(buf, cap, &o);
    size_t want = o.audio_level_id ? 20 : 12;
    if (cap < want) {
        if (n != CV_E_NOSPACE)
            abort();
        return;
    }
    if (n != (int)want)
        abort();
    cv_rtp_hdr_t h;
    if (cv_rtp_parse(buf, (size_t)n, &h) != 0)
        abort();
    if (h.marker != o.marker || h.pt != o.pt || h.seq != o.seq || h.ts != o.ts ||
        h.ssrc != o.ssrc || h.payload_len != 0 || h.header_len != (size_t)n)
        abort();
    if (o.audio_level_id) {
        int vad, level;
        if (cv_rtp_audio_level(&h, o.audio_level_id, &vad, &level) != 0 || vad != o.vad ||
            level != o.level)
            abort();
    }
}

static void check_rtx(const uint8_t *p, size_t len, const cv_rtp_hdr_t *h, int parsed)
{
    uint16_t osn;
    const uint8_t *pl;
    size_t pll;
    if (cv_rtx_unwrap(p, len, &osn, &pl, &pll) == 0 && (pl < p || pl + pll > p + len))
        abort();
    if (!parsed)
        return;
    static cv_rtx_t rtx; /* large: not on the stack */
    cv_rtx_init(&rtx, 7);
    uint8_t out[2048];
    int n = cv_rtx_wrap(&rtx, p, len, 97, 0x1234, out, sizeof(out));
    if (n == CV_E_NOSPACE)
        return;
    if (n != (int)(h->header_len + 2 + h->payload_len))
        abort();
    if (cv_rtx_unwrap(out, (size_t)n, &osn, &pl, &pll) != 0 || osn != h->seq ||
        pll != h->payload_len || memcmp(pl, h->payload, pll) != 0)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cv_rtp_hdr_t h;
    int r = cv_rtp_parse(data, size, &h);
    if (r == 0) {
        if (h.header_len + h.payload_len + h.pad_len != size)
            abort();
        if (h.payload != data + h.header_len || h.csrc_count > 15 || h.pt > 127)
            abort();
        if (h.has_ext && (h.ext < data || h.ext + h.ext_len > data + h.header_len))
            abort();
        check_ext(data, size, &h);
    } else if (r != CV_E_SHORT && r != CV_E_INVAL) {
        abort();
    }
    check_write(data, size);
    check_rtx(data, size, &h, r == 0);
    return 0;
}
