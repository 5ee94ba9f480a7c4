/*
 * h264.c - H.264 RTP depacketizer (RFC 6184, packetization-mode 1) producing
 * Annex-B access units, and the packetizer of the access units we encode.
 *
 * Pure code, owned by the thread of its incoming stream. Input is hostile: a
 * packet is checked whole before any of it is used.
 */
#include "h264.h"

#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "mem.h"

#define NAL_F 0x80    /* forbidden_zero_bit (RFC 6184 §5.3) */
#define NAL_NRI 0x60  /* nal_ref_idc */
#define NAL_TYPE 0x1f /* nal_unit_type */
#define FU_S 0x80     /* FU header (RFC 6184 §5.8): |S|E|R|Type| */
#define FU_E 0x40
#define SC_LEN 4 /* 00 00 00 01 */

static const uint8_t start_code[SC_LEN] = {0, 0, 0, 1};

void cv_h264_depack_init(cv_h264_depack_t *d, size_t max_frame)
{
    memset(d, 0, sizeof(*d));
    d->max = max_frame;
    d->need_keyframe = 1;
}

/* Room for n more bytes: the buffer is made, or doubled, up to max. */
static int reserve(cv_h264_depack_t *d, size_t n)
{
    if (d->buf && n <= d->cap - d->len)
        return 1;
    if (n > d->max - d->len)
        return 0;
    size_t cap = d->cap ? d->cap : CV_H264_DEPACK_START < d->max ? CV_H264_DEPACK_START : d->max;
    while (cap - d->len < n)
        cap = cap * 2 < d->max ? cap * 2 : d->max;
    d->buf = cv_xrealloc(d->buf, cap);
    d->cap = cap;
    return 1;
}

void cv_h264_depack_cleanup(cv_h264_depack_t *d)
{
    if (!d)
        return;
    free(d->buf);
    d->buf = NULL;
    d->cap = d->len = 0;
    d->in_frame = d->in_fu = 0;
}

/* Ends the access unit being assembled without returning it; whatever comes
 * next may refer to it, so a key frame is needed. */
static void drop_frame(cv_h264_depack_t *d)
{
    if (d->in_frame) {
        d->dropped_frames++;
        d->dropped_packets += d->pkts;
    }
    d->in_frame = d->in_fu = 0;
    d->len = 0;
    d->pkts = 0;
    d->need_keyframe = 1;
}

void cv_h264_depack_reset(cv_h264_depack_t *d)
{
    drop_frame(d);
    d->started = 0;
    d->after_marker = 0;
    free(d->buf); /* not needed until the stream comes back */
    d->buf = NULL;
    d->cap = d->len = 0;
}

/* ---- parameter sets ---- */

static void keep_param(cv_h264_depack_t *d, const uint8_t *nal, size_t n)
{
    int type = nal[0] & NAL_TYPE;
    if (n > CV_H264_PARAM_MAX)
        return; /* an oversized set is still used in band, just not kept */
    if (type == CV_H264_NAL_SPS) {
        memcpy(d->sps, nal, n);
        d->sps_len = n;
    } else if (type == CV_H264_NAL_PPS) {
        memcpy(d->pps, nal, n);
        d->pps_len = n;
    }
}

static int b64_value(char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

/* RFC 4648 §4 base64 of one list item into out (cap bytes); '=' padding is
 * optional. Returns the bytes, or CV_E_INVAL. */
static int b64_decode(const char *s, size_t n, uint8_t *out, size_t cap)
{
    while (n && s[n - 1] == '=')
        n--;
    uint32_t acc = 0;
    int bits = 0;
    size_t len = 0;
    for (size_t i = 0; i < n; i++) {
        int v = b64_value(s[i]);
        if (v < 0)
            return CV_E_INVAL;
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            if (len == cap)
                return CV_E_INVAL;
            out[len++] = (uint8_t)(acc >> bits);
        }
    }
    if (bits >= 6) /* a single character left over cannot make a byte */
        return CV_E_INVAL;
    return (int)len;
}

int cv_h264_depack_set_sprop(cv_h264_depack_t *d, const char *sprop, size_t len)
{
    if (!d || (!sprop && len))
        return CV_E_INVAL;
    uint8_t nal[2][CV_H264_PARAM_MAX];
    int nal_len[2] = {0, 0}; /* SPS, PPS */
    size_t i = 0;
    while (i < len) {
        size_t j = i;
        while (j < len && sprop[j] != ',')
            j++;
        uint8_t tmp[CV_H264_PARAM_MAX];
        int n = b64_decode(sprop + i, j - i, tmp, sizeof tmp);
        if (n < 1 || (tmp[0] & NAL_F))
            return CV_E_INVAL;
        int type = tmp[0] & NAL_TYPE;
        if (type != CV_H264_NAL_SPS && type != CV_H264_NAL_PPS)
            return CV_E_INVAL;
        int k = type == CV_H264_NAL_SPS ? 0 : 1;
        memcpy(nal[k], tmp, (size_t)n);
        nal_len[k] = n;
        i = j + 1;
    }
    for (int k = 0; k < 2; k++)
        if (nal_len[k])
            keep_param(d, nal[k], (size_t)nal_len[k]);
    return (nal_len[0] > 0) + (nal_len[1] > 0);
}

/* ---- packets ---- */

/* A NAL unit that packetization-mode 1 carries as itself (types 1..23). */
static int plain_nal(uint8_t hdr)
{
    int t = hdr & NAL_TYPE;
    return !(hdr & NAL_F) && t >= 1 && t <= 23;
}

/* Checks a whole packet before any of it is used. Returns the bytes it adds to
 * the access unit (start codes included), or CV_E_*. */
static int check_packet(const uint8_t *p, size_t len)
{
    if (p[0] & NAL_F)
        return CV_E_INVAL;
    int type = p[0] & NAL_TYPE;
    if (type >= 1 && type <= 23)
        return (int)(SC_LEN + len);
    if (type == CV_H264_STAP_A) {
        /* RFC 6184 §5.7.1: 16-bit size, then that many bytes of NAL unit, repeated */
        size_t off = 1, add = 0;
        if (len < 2)
            return CV_E_SHORT;
        while (off < len) {
            if (len - off < 2)
                return CV_E_SHORT;
            size_t n = ((size_t)p[off] << 8) | p[off + 1];
            off += 2;
            if (n == 0)
                return CV_E_INVAL;
            if (n > len - off)
                return CV_E_SHORT;
            if (!plain_nal(p[off]))
                return CV_E_INVAL;
            off += n;
            add += SC_LEN + n;
        }
        return (int)add;
    }
    if (type == CV_H264_FU_A) {
        if (len < 3)
            return CV_E_SHORT;
        /* §5.8: start and end bits MUST NOT both be set; the type is a plain one */
        if ((p[1] & FU_S) && (p[1] & FU_E))
            return CV_E_INVAL;
        int t = p[1] & NAL_TYPE;
        if (t < 1 || t > 23)
            return CV_E_INVAL;
        return (int)((p[1] & FU_S) ? SC_LEN + 1 + len - 2 : len - 2);
    }
    return CV_E_INVAL; /* 0, STAP-B, MTAP16/24, FU-B, 30, 31 */
}

/* Whether a NAL unit (its first two bytes, n of them present) can open a
 * picture: a parameter set, SEI or delimiter, or a slice whose
 * first_mb_in_slice is 0 (its ue(v) is the single bit 1, H.264 §7.3.3). */
static int opens_picture(const uint8_t *nal, size_t n)
{
    int t = nal[0] & NAL_TYPE;
    if (t >= CV_H264_NAL_SEI && t <= CV_H264_NAL_AUD)
        return 1;
    if (t == CV_H264_NAL_SLICE || t == CV_H264_NAL_IDR)
        return n >= 2 && (nal[1] & 0x80);
    return 0;
}

static int packet_opens_picture(const uint8_t *p, size_t len)
{
    int type = p[0] & NAL_TYPE;
    if (type == CV_H264_STAP_A)
        return opens_picture(p + 3, len - 3);
    if (type == CV_H264_FU_A) {
        if (!(p[1] & FU_S))
            return 0;
        uint8_t hdr[2] = {(uint8_t)((p[0] & NAL_NRI) | (p[1] & NAL_TYPE)), p[2]};
        return opens_picture(hdr, 2);
    }
    return opens_picture(p, len);
}

static void note_nal(cv_h264_depack_t *d, const uint8_t *nal, size_t n)
{
    switch (nal[0] & NAL_TYPE) {
    case CV_H264_NAL_IDR: d->has_idr = 1; break;
    case CV_H264_NAL_SPS:
        d->has_sps = 1;
        keep_param(d, nal, n);
        break;
    case CV_H264_NAL_PPS:
        d->has_pps = 1;
        keep_param(d, nal, n);
        break;
    }
}

static void put_nal(cv_h264_depack_t *d, const uint8_t *nal, size_t n)
{
    memcpy(d->buf + d->len, start_code, SC_LEN);
    memcpy(d->buf + d->len + SC_LEN, nal, n);
    d->len += SC_LEN + n;
    note_nal(d, nal, n);
}

/* Appends a checked packet. A FU-A fragment out of place (a middle one with no
 * start, a start while one is open) breaks the access unit: 0. */
static int append(cv_h264_depack_t *d, const uint8_t *p, size_t len)
{
    int type = p[0] & NAL_TYPE;
    if (type == CV_H264_FU_A) {
        int s = !!(p[1] & FU_S), e = !!(p[1] & FU_E);
        if (s == d->in_fu)
            return 0;
        if (s) {
            d->fu_off = d->len;
            memcpy(d->buf + d->len, start_code, SC_LEN);
            d->buf[d->len + SC_LEN] = (uint8_t)((p[0] & (NAL_F | NAL_NRI)) | (p[1] & NAL_TYPE));
            d->len += SC_LEN + 1;
            d->in_fu = 1;
        }
        memcpy(d->buf + d->len, p + 2, len - 2);
        d->len += len - 2;
        if (e) {
            d->in_fu = 0;
            note_nal(d, d->buf + d->fu_off + SC_LEN, d->len - d->fu_off - SC_LEN);
        }
        return 1;
    }
    if (d->in_fu)
        return 0; /* the open fragment never got its end */
    if (type != CV_H264_STAP_A) {
        put_nal(d, p, len);
        return 1;
    }
    for (size_t off = 1; off < len;) {
        size_t n = ((size_t)p[off] << 8) | p[off + 1];
        put_nal(d, p + off + 2, n);
        off += 2 + n;
    }
    return 1;
}

/* Puts the kept parameter sets in front of an IDR access unit that lacks them.
 * Returns 0 when it cannot be a key frame (none known, or no room). */
static int add_params(cv_h264_depack_t *d)
{
    if ((!d->has_sps && !d->sps_len) || (!d->has_pps && !d->pps_len)) {
        d->no_params++;
        return 0;
    }
    size_t need = (d->has_sps ? 0 : SC_LEN + d->sps_len) + (d->has_pps ? 0 : SC_LEN + d->pps_len);
    if (need == 0)
        return 1;
    if (!reserve(d, need)) {
        d->oversize++;
        return 0;
    }
    memmove(d->buf + need, d->buf, d->len);
    size_t at = 0;
    if (!d->has_sps) {
        memcpy(d->buf, start_code, SC_LEN);
        memcpy(d->buf + SC_LEN, d->sps, d->sps_len);
        at = SC_LEN + d->sps_len;
    }
    if (!d->has_pps) {
        memcpy(d->buf + at, start_code, SC_LEN);
        memcpy(d->buf + at + SC_LEN, d->pps, d->pps_len);
    }
    d->len += need;
    return 1;
}

static int finish_frame(cv_h264_depack_t *d, cv_h264_frame_t *out)
{
    int key = d->has_idr && add_params(d);
    if (d->need_keyframe && !key) {
        drop_frame(d);
        return 0;
    }
    d->in_frame = 0;
    d->need_keyframe = 0;
    d->frames++;
    d->keyframes += key;
    d->pkts = 0;
    out->data = d->buf;
    out->len = d->len;
    out->ts = d->ts;
    out->keyframe = key;
    return 1;
}

static void begin_frame(cv_h264_depack_t *d, uint32_t ts)
{
    d->in_frame = 1;
    d->ts = ts;
    d->len = 0;
    d->pkts = 0;
    d->in_fu = d->has_idr = d->has_sps = d->has_pps = 0;
}

/* Sequence and access unit bookkeeping for a checked packet. Returns whether
 * the packet belongs to an access unit being assembled. */
static int place_packet(cv_h264_depack_t *d, uint64_t ext_seq, uint32_t ts, const uint8_t *p,
                        size_t len)
{
    /* An access unit starts right after a marker; after a loss or at the start,
     * only where a picture visibly opens, and never inside the timestamp that
     * was cut short. */
    int boundary = d->after_marker;
    if (d->started && ext_seq != d->next_seq) {
        d->gaps++;
        drop_frame(d);
        boundary = 0;
    }
    if (d->in_frame && ts != d->ts)
        drop_frame(d); /* the open access unit never got its marker */
    int same_ts = d->started && ts == d->last_ts;
    d->started = 1;
    d->next_seq = ext_seq + 1;
    d->last_ts = ts;
    if (d->in_frame)
        return 1;
    if (!boundary && (same_ts || !packet_opens_picture(p, len)))
        return 0;
    begin_frame(d, ts);
    return 1;
}

int cv_h264_depack_push(cv_h264_depack_t *d, uint64_t ext_seq, uint32_t ts, int marker,
                        const uint8_t *payload, size_t len, cv_h264_frame_t *out)
{
    if (!d || !out || (!payload && len)) {
        if (d)
            d->bad_packets++;
        return CV_E_INVAL;
    }
    if (d->started && ext_seq < d->next_seq) {
        d->dropped_packets++; /* duplicate or older than what we already used */
        return 0;
    }
    if (len == 0) {
        /* padding only (RFC 3550 §5.1): keeps the sequence if in order */
        if (d->started && ext_seq == d->next_seq)
            d->next_seq++;
        return 0;
    }
    int add = check_packet(payload, len);
    if (add < 0) {
        d->bad_packets++;
        return add;
    }
    int in = place_packet(d, ext_seq, ts, payload, len);
    d->after_marker = marker;
    if (!in) {
        d->dropped_packets++; /* the rest of an access unit we do not have */
        return 0;
    }
    if (!reserve(d, (size_t)add)) {
        d->oversize++;
        d->dropped_packets++;
        drop_frame(d);
        return 0;
    }
    if (!append(d, payload, len)) {
        d->dropped_packets++;
        drop_frame(d);
        return 0;
    }
    d->pkts++;
    if (!marker)
        return 0;
    if (d->in_fu) {
        drop_frame(d); /* §5.1: the marker ends the access unit, not mid-NAL */
        return 0;
    }
    return finish_frame(d, out);
}

/* ---- packetizer ---- */

/* The next NAL unit of an Annex-B stream from *pos on: its offset and length,
 * trailing zero bytes (a 4-byte start code's first) left out. Returns 0 when
 * there is none; *pos moves past it. */
static int find_nal(const uint8_t *p, size_t len, size_t *pos, size_t *off, size_t *n)
{
    size_t i = *pos;
    for (;;) {
        while (i + 3 <= len && !(p[i] == 0 && p[i + 1] == 0 && p[i + 2] == 1))
            i++;
        if (i + 3 > len)
            return 0;
        size_t s = i + 3, e = s;
        while (e + 3 <= len && !(p[e] == 0 && p[e + 1] == 0 && p[e + 2] == 1))
            e++;
        if (e + 3 > len)
            e = len;
        *pos = i = e;
        while (e > s && p[e - 1] == 0)
            e--;
        if (e > s) { /* an empty one is passed over */
            *off = s;
            *n = e - s;
            return 1;
        }
    }
}

static void load_next(cv_h264_pack_t *pk)
{
    if (!find_nal(pk->au, pk->len, &pk->scan, &pk->next, &pk->next_len))
        pk->next_len = 0;
}

void cv_h264_pack_init(cv_h264_pack_t *pk, const uint8_t *au, size_t len)
{
    memset(pk, 0, sizeof(*pk));
    pk->au = au;
    pk->len = au ? len : 0;
    load_next(pk);
}

int cv_h264_pack_next(cv_h264_pack_t *pk, uint8_t *out, size_t cap, size_t max_payload, int *marker)
{
    *marker = 0;
    if (max_payload < 3)
        return CV_E_INVAL;
    if (pk->cur_len == 0) {
        if (pk->next_len == 0)
            return 0;
        pk->cur = pk->next;
        pk->cur_len = pk->next_len;
        pk->cur_off = 0;
        load_next(pk);
    }
    const uint8_t *nal = pk->au + pk->cur;
    int last_nal = pk->next_len == 0;
    if (pk->cur_off == 0 && pk->cur_len <= max_payload) { /* §5.6: the NAL unit as it is */
        if (cap < pk->cur_len)
            return CV_E_NOSPACE;
        memcpy(out, nal, pk->cur_len);
        size_t n = pk->cur_len;
        pk->cur_len = 0;
        *marker = last_nal;
        return (int)n;
    }
    /* §5.8: FU-A; the NAL header's F and NRI go in the indicator, its type
     * in the FU header, and the header byte itself is not sent */
    size_t off = pk->cur_off ? pk->cur_off : 1;
    size_t left = pk->cur_len - off, take = left < max_payload - 2 ? left : max_payload - 2;
    if (cap < take + 2)
        return CV_E_NOSPACE;
    int end = take == left;
    out[0] = (uint8_t)((nal[0] & (NAL_F | NAL_NRI)) | CV_H264_FU_A);
    out[1] = (uint8_t)((off == 1 ? FU_S : 0) | (end ? FU_E : 0) | (nal[0] & NAL_TYPE));
    memcpy(out + 2, nal + off, take);
    pk->cur_off = off + take;
    if (end)
        pk->cur_len = 0;
    *marker = end && last_nal;
    return (int)(take + 2);
}
