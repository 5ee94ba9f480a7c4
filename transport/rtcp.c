/*
 * rtcp.c - RTCP compound packet parsing and per-type builders: SR, RR, SDES CNAME, BYE
 * (RFC 3550 §6), generic NACK and PLI (RFC 4585 §6), FIR (RFC 5104 §4.3.1), REMB
 * (draft-alvestrand-rmcat-remb-03), reduced-size packets (RFC 5506). Pure, any thread.
 */
#include "rtcp.h"

#include "bytes.h"
#include "err.h"

#include <string.h>

#define RB_LEN 24
#define SR_INFO_LEN 24
#define FB_HDR_LEN 8 /* sender SSRC + media SSRC after the common header */
#define FMT_NACK 1
#define FMT_PLI 1
#define FMT_FIR 4
#define FMT_AFB 15

/* ---- parsing ---- */

static void parse_rb(const uint8_t *p, cv_rtcp_rb_t *rb)
{
    rb->ssrc = rd32(p);
    rb->fraction_lost = p[4];
    uint32_t lost = rd24(p + 5);
    /* 24-bit two's complement (RFC 3550 §6.4.1 "cumulative number of packets lost") */
    rb->cum_lost = (lost & 0x800000u) ? (int32_t)lost - 0x1000000 : (int32_t)lost;
    rb->ext_high_seq = rd32(p + 8);
    rb->jitter = rd32(p + 12);
    rb->lsr = rd32(p + 16);
    rb->dlsr = rd32(p + 20);
}

/* SR: sender SSRC, 20 bytes of sender info, then rc report blocks; anything after is
 * a profile-specific extension and is skipped (RFC 3550 §6.4.1). */
static int parse_sr(const uint8_t *b, size_t n, int rc, cv_rtcp_item_t *it)
{
    if (n < SR_INFO_LEN + (size_t)rc * RB_LEN)
        return CV_E_INVAL;
    it->type = CV_RTCP_SR;
    it->sender_ssrc = it->sr.ssrc = rd32(b);
    it->sr.ntp = rd64(b + 4);
    it->sr.rtp_ts = rd32(b + 12);
    it->sr.packets = rd32(b + 16);
    it->sr.octets = rd32(b + 20);
    it->n_rb = rc;
    for (int i = 0; i < rc; i++)
        parse_rb(b + SR_INFO_LEN + (size_t)i * RB_LEN, &it->rb[i]);
    return 0;
}

static int parse_rr(const uint8_t *b, size_t n, int rc, cv_rtcp_item_t *it)
{
    if (n < 4 + (size_t)rc * RB_LEN)
        return CV_E_INVAL;
    it->type = CV_RTCP_RR;
    it->sender_ssrc = rd32(b);
    it->n_rb = rc;
    for (int i = 0; i < rc; i++)
        parse_rb(b + 4 + (size_t)i * RB_LEN, &it->rb[i]);
    return 0;
}

static int parse_bye(const uint8_t *b, size_t n, int sc, cv_rtcp_item_t *it)
{
    if (n < 4 * (size_t)sc)
        return CV_E_INVAL;
    it->type = CV_RTCP_BYE;
    if (sc > 0)
        it->sender_ssrc = rd32(b);
    return 0;
}

/* RFC 4585 §6.2.1: FCI entries of PID (16 bits) and BLP (16 bits). */
static int parse_nack(const uint8_t *fci, size_t n, cv_rtcp_item_t *it)
{
    if (n == 0 || n % 4 != 0)
        return CV_E_INVAL;
    it->type = CV_RTCP_NACK;
    for (size_t off = 0; off < n && it->n_nack < CV_RTCP_MAX_NACK; off += 4) {
        it->nack_pid[it->n_nack] = rd16(fci + off);
        it->nack_blp[it->n_nack] = rd16(fci + off + 2);
        it->n_nack++;
    }
    return 0;
}

/* RFC 5104 §4.3.1.1: FCI entries of SSRC (32), seq nr (8), reserved (24). */
static int parse_fir(const uint8_t *fci, size_t n, cv_rtcp_item_t *it)
{
    if (n == 0 || n % 8 != 0)
        return CV_E_INVAL;
    it->type = CV_RTCP_FIR;
    it->media_ssrc = rd32(fci);
    it->fir_seq = fci[4];
    return 0;
}

/* draft-alvestrand-rmcat-remb-03 §2.2: "REMB", Num SSRC (8), BR Exp (6),
 * BR Mantissa (18), then Num SSRC SSRCs. Not REMB: another AFB, skipped. */
static int parse_afb(const uint8_t *fci, size_t n, cv_rtcp_item_t *it)
{
    if (n < 8 || memcmp(fci, "REMB", 4) != 0) {
        it->type = CV_RTCP_OTHER;
        return 0;
    }
    int num = fci[4];
    if (n - 8 < 4 * (size_t)num)
        return CV_E_INVAL;
    unsigned exp = fci[5] >> 2;
    uint64_t mant = ((uint64_t)(fci[5] & 3) << 16) | rd16(fci + 6);
    it->type = CV_RTCP_REMB;
    if (exp > 0 && (mant >> (64 - exp)) != 0)
        it->remb_bps = UINT64_MAX;
    else
        it->remb_bps = mant << exp;
    it->n_remb_ssrc = num < CV_RTCP_MAX_REMB_SSRC ? num : CV_RTCP_MAX_REMB_SSRC;
    for (int i = 0; i < it->n_remb_ssrc; i++)
        it->remb_ssrc[i] = rd32(fci + 8 + 4 * (size_t)i);
    return 0;
}

/* Transport-layer (205) and payload-specific (206) feedback, RFC 4585 §6.1. */
static int parse_fb(const uint8_t *b, size_t n, int pt, int fmt, cv_rtcp_item_t *it)
{
    if (n < FB_HDR_LEN)
        return CV_E_INVAL;
    it->sender_ssrc = rd32(b);
    it->media_ssrc = rd32(b + 4);
    const uint8_t *fci = b + FB_HDR_LEN;
    size_t fci_len = n - FB_HDR_LEN;
    if (pt == CV_RTCP_PT_RTPFB && fmt == FMT_NACK)
        return parse_nack(fci, fci_len, it);
    if (pt == CV_RTCP_PT_PSFB && fmt == FMT_PLI) {
        it->type = CV_RTCP_PLI; /* RFC 4585 §6.3.1: no FCI */
        return 0;
    }
    if (pt == CV_RTCP_PT_PSFB && fmt == FMT_FIR)
        return parse_fir(fci, fci_len, it);
    if (pt == CV_RTCP_PT_PSFB && fmt == FMT_AFB)
        return parse_afb(fci, fci_len, it);
    it->type = CV_RTCP_OTHER;
    return 0;
}

/* One sub-packet: body b of n bytes after the 4-byte common header. */
static int parse_one(const uint8_t *b, size_t n, int pt, int count, cv_rtcp_item_t *it)
{
    memset(it, 0, sizeof(*it));
    it->rtcp_pt = pt;
    it->fmt = count;
    switch (pt) {
    case CV_RTCP_PT_SR: return parse_sr(b, n, count, it);
    case CV_RTCP_PT_RR: return parse_rr(b, n, count, it);
    case CV_RTCP_PT_SDES:
        it->type = CV_RTCP_SDES;
        if (count > 0 && n >= 4)
            it->sender_ssrc = rd32(b);
        return 0;
    case CV_RTCP_PT_BYE: return parse_bye(b, n, count, it);
    case CV_RTCP_PT_RTPFB:
    case CV_RTCP_PT_PSFB: return parse_fb(b, n, pt, count, it);
    default:
        it->type = CV_RTCP_OTHER;
        if (n >= 4)
            it->sender_ssrc = rd32(b);
        if (n >= 8)
            it->media_ssrc = rd32(b + 4);
        return 0;
    }
}

int cv_rtcp_parse(const uint8_t *p, size_t len, cv_rtcp_item_t *items, int max)
{
    if (max < 0 || (max > 0 && !items))
        return CV_E_INVAL;
    if (len == 0)
        return CV_E_SHORT;
    int stored = 0;
    size_t off = 0;
    while (off < len) {
        /* RFC 3550 §6.4.1: V=2, P, count (5), PT (8), length in 32-bit words minus one */
        if (len - off < 4)
            return CV_E_SHORT;
        const uint8_t *h = p + off;
        if (h[0] >> 6 != 2)
            return CV_E_INVAL;
        size_t plen = 4 * ((size_t)rd16(h + 2) + 1);
        if (len - off < plen)
            return CV_E_SHORT;
        size_t body = plen - 4;
        if (h[0] & 0x20) {
            /* Padding: the last octet counts the padding bytes, itself included. */
            size_t pad = h[plen - 1];
            if (pad == 0 || pad > body)
                return CV_E_INVAL;
            body -= pad;
        }
        cv_rtcp_item_t tmp;
        cv_rtcp_item_t *it = stored < max ? &items[stored] : &tmp;
        int r = parse_one(h + 4, body, h[1], h[0] & 0x1f, it);
        if (r < 0)
            return r;
        if (stored < max)
            stored++;
        off += plen;
    }
    return stored;
}

int cv_rtcp_nack_seqs(uint16_t pid, uint16_t blp, uint16_t *out, int max)
{
    int n = 0;
    if (n < max)
        out[n++] = pid;
    for (int i = 0; i < 16 && n < max; i++)
        if (blp & (1u << i))
            out[n++] = (uint16_t)(pid + i + 1);
    return n;
}

/* ---- building ---- */

/* Common header for a packet of total length len (a multiple of 4). */
static void put_hdr(uint8_t *p, int count, int pt, size_t len)
{
    p[0] = (uint8_t)(0x80 | count);
    p[1] = (uint8_t)pt;
    wr16(p + 2, (uint16_t)(len / 4 - 1));
}

static void put_rb(uint8_t *p, const cv_rtcp_rb_t *rb)
{
    int32_t lost = rb->cum_lost;
    if (lost > 0x7fffff)
        lost = 0x7fffff;
    if (lost < -0x800000)
        lost = -0x800000;
    wr32(p, rb->ssrc);
    p[4] = rb->fraction_lost;
    wr24(p + 5, (uint32_t)lost & 0xffffffu);
    wr32(p + 8, rb->ext_high_seq);
    wr32(p + 12, rb->jitter);
    wr32(p + 16, rb->lsr);
    wr32(p + 20, rb->dlsr);
}

int cv_rtcp_build_sr(uint8_t *out, size_t cap, const cv_rtcp_sr_t *sr, const cv_rtcp_rb_t *rb,
                     int n_rb)
{
    if (n_rb < 0 || n_rb > CV_RTCP_MAX_RB || (n_rb > 0 && !rb))
        return CV_E_INVAL;
    size_t len = 4 + SR_INFO_LEN + (size_t)n_rb * RB_LEN;
    if (cap < len)
        return CV_E_NOSPACE;
    put_hdr(out, n_rb, CV_RTCP_PT_SR, len);
    wr32(out + 4, sr->ssrc);
    wr64(out + 8, sr->ntp);
    wr32(out + 16, sr->rtp_ts);
    wr32(out + 20, sr->packets);
    wr32(out + 24, sr->octets);
    for (int i = 0; i < n_rb; i++)
        put_rb(out + 28 + (size_t)i * RB_LEN, &rb[i]);
    return (int)len;
}

int cv_rtcp_build_rr(uint8_t *out, size_t cap, uint32_t ssrc, const cv_rtcp_rb_t *rb, int n_rb)
{
    if (n_rb < 0 || n_rb > CV_RTCP_MAX_RB || (n_rb > 0 && !rb))
        return CV_E_INVAL;
    size_t len = 8 + (size_t)n_rb * RB_LEN;
    if (cap < len)
        return CV_E_NOSPACE;
    put_hdr(out, n_rb, CV_RTCP_PT_RR, len);
    wr32(out + 4, ssrc);
    for (int i = 0; i < n_rb; i++)
        put_rb(out + 8 + (size_t)i * RB_LEN, &rb[i]);
    return (int)len;
}

int cv_rtcp_build_sdes_cname(uint8_t *out, size_t cap, uint32_t ssrc, const char *cname)
{
    if (!cname)
        return CV_E_INVAL;
    size_t n = strlen(cname);
    if (n > 255)
        return CV_E_INVAL;
    /* RFC 3550 §6.5: chunk = SSRC, items (type 1 CNAME, length, text), then one to four
     * null octets ending the item list and padding the chunk to 32 bits. */
    size_t items = 2 + n;
    size_t nulls = 4 - items % 4;
    size_t len = 4 + 4 + items + nulls;
    if (cap < len)
        return CV_E_NOSPACE;
    put_hdr(out, 1, CV_RTCP_PT_SDES, len);
    wr32(out + 4, ssrc);
    out[8] = 1; /* CNAME */
    out[9] = (uint8_t)n;
    memcpy(out + 10, cname, n);
    memset(out + 10 + n, 0, nulls);
    return (int)len;
}

/* Common part of every feedback message (RFC 4585 §6.1). */
static void put_fb(uint8_t *p, int fmt, int pt, size_t len, uint32_t sender, uint32_t media)
{
    put_hdr(p, fmt, pt, len);
    wr32(p + 4, sender);
    wr32(p + 8, media);
}

int cv_rtcp_build_pli(uint8_t *out, size_t cap, uint32_t sender_ssrc, uint32_t media_ssrc)
{
    if (cap < 12)
        return CV_E_NOSPACE;
    put_fb(out, FMT_PLI, CV_RTCP_PT_PSFB, 12, sender_ssrc, media_ssrc);
    return 12;
}

int cv_rtcp_build_fir(uint8_t *out, size_t cap, uint32_t sender_ssrc, uint32_t media_ssrc,
                      uint8_t seq_nr)
{
    if (cap < 20)
        return CV_E_NOSPACE;
    /* RFC 5104 §4.3.1.1: the header's media SSRC is 0, the target is in the FCI. */
    put_fb(out, FMT_FIR, CV_RTCP_PT_PSFB, 20, sender_ssrc, 0);
    wr32(out + 12, media_ssrc);
    out[16] = seq_nr;
    out[17] = out[18] = out[19] = 0;
    return 20;
}

/* Greedy packing of lost into pid/blp pairs: a value within 16 after the current
 * pid becomes a bit, anything else opens a new pair. Writes the pairs to fci when it
 * is non-NULL; returns the number of pairs. */
static size_t pack_nack(const uint16_t *lost, int n, uint8_t *fci)
{
    size_t pairs = 0;
    uint16_t pid = 0, blp = 0;
    for (int i = 0; i < n; i++) {
        uint16_t d = (uint16_t)(lost[i] - pid);
        if (pairs > 0 && d == 0)
            continue;
        if (pairs > 0 && d <= 16) {
            blp |= (uint16_t)(1u << (d - 1));
        } else {
            if (pairs > 0 && fci)
                wr16(fci + 4 * (pairs - 1) + 2, blp);
            pid = lost[i];
            blp = 0;
            if (fci)
                wr16(fci + 4 * pairs, pid);
            pairs++;
        }
    }
    if (pairs > 0 && fci)
        wr16(fci + 4 * (pairs - 1) + 2, blp);
    return pairs;
}

int cv_rtcp_build_nack(uint8_t *out, size_t cap, uint32_t sender_ssrc, uint32_t media_ssrc,
                       const uint16_t *lost, int n)
{
    if (n <= 0 || !lost)
        return CV_E_INVAL;
    size_t pairs = pack_nack(lost, n, NULL);
    if (pairs > 0xffff - 2) /* the length field counts words minus one */
        return CV_E_INVAL;
    size_t len = 12 + 4 * pairs;
    if (cap < len)
        return CV_E_NOSPACE;
    put_fb(out, FMT_NACK, CV_RTCP_PT_RTPFB, len, sender_ssrc, media_ssrc);
    pack_nack(lost, n, out + 12);
    return (int)len;
}

int cv_rtcp_build_remb(uint8_t *out, size_t cap, uint32_t sender_ssrc, uint64_t bps,
                       const uint32_t *ssrcs, int n)
{
    if (n < 0 || n > 255 || (n > 0 && !ssrcs))
        return CV_E_INVAL;
    size_t len = 12 + 8 + 4 * (size_t)n;
    if (cap < len)
        return CV_E_NOSPACE;
    /* Smallest exponent that fits the mantissa in 18 bits (at most 46 for 64 bits). */
    unsigned exp = 0;
    while ((bps >> exp) > 0x3ffffu)
        exp++;
    uint32_t mant = (uint32_t)(bps >> exp);
    put_fb(out, FMT_AFB, CV_RTCP_PT_PSFB, len, sender_ssrc, 0);
    memcpy(out + 12, "REMB", 4);
    out[16] = (uint8_t)n;
    out[17] = (uint8_t)((exp << 2) | (mant >> 16));
    wr16(out + 18, (uint16_t)mant);
    for (int i = 0; i < n; i++)
        wr32(out + 20 + 4 * (size_t)i, ssrcs[i]);
    return (int)len;
}

int cv_rtcp_build_bye(uint8_t *out, size_t cap, uint32_t ssrc)
{
    if (cap < 8)
        return CV_E_NOSPACE;
    put_hdr(out, 1, CV_RTCP_PT_BYE, 8);
    wr32(out + 4, ssrc);
    return 8;
}

/* ---- NTP ---- */

#define NTP_UNIX_OFFSET 2208988800u /* seconds from 1900-01-01 to 1970-01-01 */

uint64_t cv_ntp_from_unix_us(int64_t us)
{
    /* Floor division so that instants before 1970 still get a fraction in [0, 1). */
    int64_t sec = us / 1000000;
    int64_t rem = us % 1000000;
    if (rem < 0) {
        rem += 1000000;
        sec--;
    }
    uint32_t ntp_sec = (uint32_t)((uint64_t)sec + NTP_UNIX_OFFSET);
    uint32_t frac = (uint32_t)(((uint64_t)rem << 32) / 1000000u);
    return ((uint64_t)ntp_sec << 32) | frac;
}
