/*
 * twcc.c - transport-wide congestion control feedback (twcc.h). Pure.
 */
#include "twcc.h"

#include "bytes.h"
#include "err.h"

#include <string.h>

#define REF_US 64000 /* the reference time's unit */

enum { SYM_NONE = 0, SYM_SMALL = 1, SYM_LARGE = 2, SYM_RESERVED = 3 };

void cv_twcc_rx_init(cv_twcc_rx_t *r)
{
    memset(r, 0, sizeof(*r));
    for (int i = 0; i < CV_TWCC_SLOTS; i++)
        r->arrival_us[i] = -1;
}

void cv_twcc_rx_on_packet(cv_twcc_rx_t *r, uint16_t seq, int64_t now_us)
{
    uint64_t ext = cv_seq_unwrap(&r->unwrap, seq);
    if (!r->started) {
        r->started = 1;
        r->next = r->highest = ext;
    }
    if (ext < r->next) {
        r->late++; /* already reported as lost: the sender learns of it no more */
        return;
    }
    if (ext > r->highest) { /* numbers skipped on the way count as lost until they come */
        r->highest = ext;
        if (r->next + CV_TWCC_SLOTS <= ext)
            r->next = ext + 1 - CV_TWCC_SLOTS; /* older ones fell out of the ring */
    }
    r->arrival_us[ext % CV_TWCC_SLOTS] = now_us;
    r->seq_of[ext % CV_TWCC_SLOTS] = ext;
    r->received++;
}

int cv_twcc_rx_pending(const cv_twcc_rx_t *r)
{
    return r->started && r->next <= r->highest;
}

static int64_t arrival(const cv_twcc_rx_t *r, uint64_t seq)
{
    int i = (int)(seq % CV_TWCC_SLOTS);
    return r->seq_of[i] == seq ? r->arrival_us[i] : -1;
}

/* Floor division of a (possibly negative) time by the delta unit. */
static int64_t units(int64_t us)
{
    return us >= 0 ? us / CV_TWCC_DELTA_US : -((-us + CV_TWCC_DELTA_US - 1) / CV_TWCC_DELTA_US);
}

static size_t fb_size(int n, size_t delta_bytes)
{
    return 20 + 2 * (size_t)((n + 6) / 7) + delta_bytes;
}

int cv_twcc_build(cv_twcc_rx_t *r, uint8_t *out, size_t cap, uint32_t sender_ssrc,
                  uint32_t media_ssrc)
{
    if (!cv_twcc_rx_pending(r))
        return 0;
    uint64_t base = r->next;
    uint64_t first = base;
    while (first <= r->highest && arrival(r, first) < 0)
        first++;
    if (first > r->highest) /* nothing arrived: nothing to say yet */
        return 0;
    int64_t ref = arrival(r, first) / REF_US;
    int64_t t = ref * REF_US;
    uint8_t sym[CV_TWCC_MAX_REPORT];
    int16_t delta[CV_TWCC_MAX_REPORT];
    size_t dbytes = 0;
    int n = 0;
    for (uint64_t s = base; s <= r->highest && n < CV_TWCC_MAX_REPORT; s++, n++) {
        int64_t a = arrival(r, s);
        uint8_t y = SYM_NONE;
        int64_t d = 0;
        if (a >= 0) {
            d = units(a - t);
            if (d < INT16_MIN || d > INT16_MAX)
                break; /* the next feedback starts here */
            y = d >= 0 && d <= 255 ? SYM_SMALL : SYM_LARGE;
        }
        size_t more = y == SYM_SMALL ? 1 : y == SYM_LARGE ? 2 : 0;
        if (((fb_size(n + 1, dbytes + more) + 3) & ~(size_t)3) > cap)
            break;
        sym[n] = y;
        delta[n] = (int16_t)d;
        dbytes += more;
        if (a >= 0)
            t += d * CV_TWCC_DELTA_US; /* from the time as reported, so errors do not add up */
    }
    if (n == 0)
        return CV_E_NOSPACE;
    size_t len = fb_size(n, dbytes), padded = (len + 3) & ~(size_t)3;
    memset(out, 0, padded);
    out[0] = (uint8_t)(0x80 | (padded > len ? 0x20 : 0) | 15);
    out[1] = 205;
    wr16(out + 2, (uint16_t)(padded / 4 - 1));
    wr32(out + 4, sender_ssrc);
    wr32(out + 8, media_ssrc);
    wr16(out + 12, (uint16_t)base);
    wr16(out + 14, (uint16_t)n);
    wr24(out + 16, (uint32_t)ref & 0xffffff);
    out[19] = r->fb_count++;
    size_t off = 20;
    for (int i = 0; i < n; i += 7) { /* two-bit status vector chunks, 7 symbols each */
        uint16_t chunk = 0xc000;
        for (int k = 0; k < 7 && i + k < n; k++)
            chunk |= (uint16_t)(sym[i + k] << (12 - 2 * k));
        wr16(out + off, chunk);
        off += 2;
    }
    for (int i = 0; i < n; i++) {
        if (sym[i] == SYM_SMALL)
            out[off++] = (uint8_t)delta[i];
        else if (sym[i] == SYM_LARGE) {
            wr16(out + off, (uint16_t)delta[i]);
            off += 2;
        }
    }
    if (padded > len)
        out[padded - 1] = (uint8_t)(padded - len); /* RFC 3550 padding: its count last */
    r->next = base + (uint64_t)n;
    return (int)padded;
}

/* The symbols of one packet chunk into sym[*n ..], at most count in all. */
static int read_chunk(uint16_t c, uint8_t *sym, int *n, int count)
{
    if (!(c & 0x8000)) { /* run length: one symbol, 13-bit run */
        int s = (c >> 13) & 3, run = c & 0x1fff;
        if (run == 0)
            return CV_E_INVAL;
        for (int i = 0; i < run && *n < count; i++)
            sym[(*n)++] = (uint8_t)s;
        return 0;
    }
    if (!(c & 0x4000)) { /* 14 one-bit symbols */
        for (int k = 0; k < 14 && *n < count; k++)
            sym[(*n)++] = (uint8_t)((c >> (13 - k)) & 1);
        return 0;
    }
    for (int k = 0; k < 7 && *n < count; k++) /* 7 two-bit symbols */
        sym[(*n)++] = (uint8_t)((c >> (12 - 2 * k)) & 3);
    return 0;
}

int cv_twcc_parse(const uint8_t *p, size_t len, cv_twcc_fb_t *fb)
{
    if (len < 20)
        return CV_E_SHORT;
    if ((p[0] >> 6) != 2 || (p[0] & 0x1f) != 15 || p[1] != 205)
        return CV_E_INVAL;
    size_t total = ((size_t)rd16(p + 2) + 1) * 4;
    if (total > len || total < 20)
        return CV_E_SHORT;
    if (p[0] & 0x20) { /* padding: its count in the last byte */
        size_t pad = p[total - 1];
        if (pad == 0 || pad > total - 20)
            return CV_E_INVAL;
        total -= pad;
    }
    fb->sender_ssrc = rd32(p + 4);
    fb->media_ssrc = rd32(p + 8);
    fb->base_seq = rd16(p + 12);
    fb->count = rd16(p + 14);
    uint32_t ref = rd24(p + 16);
    fb->reference = (int32_t)(ref & 0x800000 ? ref - 0x1000000 : ref);
    fb->fb_count = p[19];
    if (fb->count == 0)
        return CV_E_INVAL;
    if (fb->count > CV_TWCC_MAX_REPORT)
        return CV_E_UNSUPPORTED;
    size_t off = 20;
    int n = 0;
    while (n < fb->count) {
        if (off + 2 > total)
            return CV_E_SHORT;
        if (read_chunk(rd16(p + off), fb->received, &n, fb->count) < 0)
            return CV_E_INVAL;
        off += 2;
    }
    int64_t t = (int64_t)fb->reference * REF_US;
    for (int i = 0; i < fb->count; i++) {
        uint8_t s = fb->received[i];
        fb->arrival_us[i] = -1;
        if (s == SYM_RESERVED)
            return CV_E_INVAL;
        if (s == SYM_NONE)
            continue;
        if (off + (s == SYM_SMALL ? 1u : 2u) > total)
            return CV_E_SHORT;
        int64_t d = s == SYM_SMALL ? p[off] : (int16_t)rd16(p + off);
        off += s == SYM_SMALL ? 1 : 2;
        t += d * CV_TWCC_DELTA_US;
        fb->arrival_us[i] = t;
        fb->received[i] = 1;
    }
    return 0;
}
