/*
 * rtp.c - RTP header parsing and writing (RFC 3550 §5.1), RFC 8285 header extension
 * elements, RFC 6464 audio level. Pure, any thread; reads only inside [p, p + len).
 */
#include "rtp.h"

#include "bytes.h"
#include "err.h"

#include <string.h>

int cv_rtp_parse(const uint8_t *p, size_t len, cv_rtp_hdr_t *h)
{
    if (len < CV_RTP_HDR_LEN)
        return CV_E_SHORT;
    if (p[0] >> 6 != 2)
        return CV_E_INVAL;
    int padding = (p[0] >> 5) & 1;
    h->has_ext = (p[0] >> 4) & 1;
    h->csrc_count = p[0] & 0x0f;
    h->marker = p[1] >> 7;
    h->pt = p[1] & 0x7f;
    h->seq = rd16(p + 2);
    h->ts = rd32(p + 4);
    h->ssrc = rd32(p + 8);

    size_t off = CV_RTP_HDR_LEN;
    if (len - off < 4u * (size_t)h->csrc_count)
        return CV_E_SHORT;
    for (int i = 0; i < h->csrc_count; i++, off += 4)
        h->csrc[i] = rd32(p + off);

    h->ext_profile = 0;
    h->ext = NULL;
    h->ext_len = 0;
    if (h->has_ext) {
        /* RFC 3550 §5.3.1: 16-bit profile, 16-bit length in 32-bit words. */
        if (len - off < 4)
            return CV_E_SHORT;
        h->ext_profile = rd16(p + off);
        size_t ext_len = 4u * rd16(p + off + 2);
        off += 4;
        if (len - off < ext_len)
            return CV_E_SHORT;
        h->ext = p + off;
        h->ext_len = ext_len;
        off += ext_len;
    }
    h->header_len = off;

    h->pad_len = 0;
    if (padding) {
        /* RFC 3550 §5.1: the last octet counts the padding, itself included. */
        if (len == off)
            return CV_E_INVAL;
        size_t pad = p[len - 1];
        if (pad == 0 || pad > len - off)
            return CV_E_INVAL;
        h->pad_len = pad;
    }
    h->payload = p + off;
    h->payload_len = len - off - h->pad_len;
    return 0;
}

/* RFC 8285 §4.2: each element is one byte (ID << 4 | L) then L + 1 data bytes; zero
 * bytes are padding; ID 15 stops the scan. */
static int find_one_byte(const uint8_t *e, size_t n, int id, const uint8_t **data)
{
    size_t i = 0;
    while (i < n) {
        int eid = e[i] >> 4;
        size_t elen = (size_t)(e[i] & 0x0f) + 1;
        if (eid == 0) {
            i++; /* padding byte (an ID 0 with L != 0 is skipped the same way) */
            continue;
        }
        if (eid == 15)
            return CV_E_NOTFOUND;
        if (n - i - 1 < elen)
            return CV_E_INVAL;
        if (eid == id) {
            *data = e + i + 1;
            return (int)elen;
        }
        i += 1 + elen;
    }
    return CV_E_NOTFOUND;
}

/* RFC 8285 §4.3: ID byte, length byte, length data bytes; zero ID bytes are padding. */
static int find_two_byte(const uint8_t *e, size_t n, int id, const uint8_t **data)
{
    size_t i = 0;
    while (i < n) {
        int eid = e[i];
        if (eid == 0) {
            i++;
            continue;
        }
        if (n - i < 2)
            return CV_E_INVAL;
        size_t elen = e[i + 1];
        if (n - i - 2 < elen)
            return CV_E_INVAL;
        if (eid == id) {
            *data = e + i + 2;
            return (int)elen;
        }
        i += 2 + elen;
    }
    return CV_E_NOTFOUND;
}

int cv_rtp_find_ext(const cv_rtp_hdr_t *h, int id, const uint8_t **data)
{
    if (id < 1 || id > 255)
        return CV_E_INVAL;
    if (!h->has_ext || !h->ext)
        return CV_E_NOTFOUND;
    if (h->ext_profile == CV_RTP_EXT_ONE_BYTE) {
        if (id > 14)
            return CV_E_NOTFOUND;
        return find_one_byte(h->ext, h->ext_len, id, data);
    }
    if ((h->ext_profile & 0xfff0) == CV_RTP_EXT_TWO_BYTE)
        return find_two_byte(h->ext, h->ext_len, id, data);
    return CV_E_NOTFOUND;
}

int cv_rtp_audio_level(const cv_rtp_hdr_t *h, int id, int *vad, int *level)
{
    const uint8_t *d = NULL;
    int n = cv_rtp_find_ext(h, id, &d);
    if (n < 0)
        return n;
    if (n < 1)
        return CV_E_INVAL;
    /* RFC 6464 §3: V bit, then the level in -dBov (0..127). */
    *vad = d[0] >> 7;
    *level = d[0] & 0x7f;
    return 0;
}

int cv_rtp_write_header(uint8_t *out, size_t cap, const cv_rtp_out_t *o)
{
    if (o->pt < 0 || o->pt > 127 || o->audio_level_id < 0 || o->audio_level_id > 14)
        return CV_E_INVAL;
    int ext = o->audio_level_id > 0;
    size_t n = CV_RTP_HDR_LEN + (ext ? CV_RTP_AUDIO_LEVEL_EXT_LEN : 0);
    if (cap < n)
        return CV_E_NOSPACE;
    out[0] = (uint8_t)(0x80 | (ext ? 0x10 : 0));
    out[1] = (uint8_t)((o->marker ? 0x80 : 0) | o->pt);
    wr16(out + 2, o->seq);
    wr32(out + 4, o->ts);
    wr32(out + 8, o->ssrc);
    if (ext) {
        int level = o->level < 0 ? 0 : o->level > 127 ? 127 : o->level;
        wr16(out + 12, CV_RTP_EXT_ONE_BYTE);
        wr16(out + 14, 1);                           /* one 32-bit word follows */
        out[16] = (uint8_t)(o->audio_level_id << 4); /* L = 0: one data byte */
        out[17] = (uint8_t)((o->vad ? 0x80 : 0) | level);
        out[18] = 0; /* padding */
        out[19] = 0;
    }
    return (int)n;
}

int cv_rtp_add_ext16(uint8_t *pkt, size_t len, size_t cap, int id, uint16_t value)
{
    if (id < 1 || id > 14 || len < CV_RTP_HDR_LEN || (pkt[0] >> 6) != 2)
        return CV_E_INVAL;
    if (pkt[0] & 0x10)
        return CV_E_UNSUPPORTED;
    size_t at = CV_RTP_HDR_LEN + 4u * (pkt[0] & 0x0f); /* after the CSRCs */
    if (at > len)
        return CV_E_INVAL;
    if (cap < len + 8)
        return CV_E_NOSPACE;
    memmove(pkt + at + 8, pkt + at, len - at);
    wr16(pkt + at, CV_RTP_EXT_ONE_BYTE);
    wr16(pkt + at + 2, 1);                /* one 32-bit word follows */
    pkt[at + 4] = (uint8_t)(id << 4 | 1); /* L = 1: two data bytes */
    wr16(pkt + at + 5, value);
    pkt[at + 7] = 0; /* padding */
    pkt[0] |= 0x10;
    return (int)(len + 8);
}
