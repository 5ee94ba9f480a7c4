/*
 * vp8.c - VP8 RTP payload format (RFC 7741): descriptor parsing, key frame detection
 * (RFC 6386 §9.1), depacketizer and packetizer.
 *
 * Pure code; a depacketizer is owned by the thread of its incoming stream, a packetizer by
 * the holder of the encoded frame. Input is hostile: every read is bounds-checked.
 */
#include "vp8.h"

#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "mem.h"

/* RFC 7741 §4.2, first octet: |X|R|N|S|R| PID | */
#define B0_X 0x80
#define B0_N 0x20
#define B0_S 0x10
#define B0_PID 0x07
/* extension octet: |I|L|T|K| RSV | */
#define B1_I 0x80
#define B1_L 0x40
#define B1_T 0x20
#define B1_K 0x10
/* first picture id octet: |M| PictureID | */
#define PIC_M 0x80

int cv_vp8_parse_desc(const uint8_t *p, size_t len, cv_vp8_desc_t *d)
{
    if (!p || !d)
        return CV_E_INVAL;
    memset(d, 0, sizeof(*d));
    if (len < 1)
        return CV_E_SHORT;
    d->x = !!(p[0] & B0_X);
    d->n = !!(p[0] & B0_N);
    d->s = !!(p[0] & B0_S);
    d->pid = p[0] & B0_PID;
    size_t off = 1;
    if (!d->x) {
        d->desc_len = off;
        return (int)off;
    }
    if (off >= len)
        return CV_E_SHORT;
    uint8_t ext = p[off++];
    if (ext & B1_I) {
        if (off >= len)
            return CV_E_SHORT;
        d->has_picture_id = 1;
        if (p[off] & PIC_M) {
            if (len - off < 2)
                return CV_E_SHORT;
            d->picture_id = ((p[off] & 0x7f) << 8) | p[off + 1];
            d->picture_id_bits = 15;
            off += 2;
        } else {
            d->picture_id = p[off] & 0x7f;
            d->picture_id_bits = 7;
            off += 1;
        }
    }
    if (ext & B1_L) {
        if (off >= len)
            return CV_E_SHORT;
        d->has_tl0picidx = 1;
        d->tl0picidx = p[off++];
    }
    if (ext & (B1_T | B1_K)) {
        if (off >= len)
            return CV_E_SHORT;
        /* |TID|Y| KEYIDX | : one octet shared by the T and K parts */
        if (ext & B1_T) {
            d->has_tid = 1;
            d->tid = p[off] >> 6;
            d->y = (p[off] >> 5) & 1;
        }
        if (ext & B1_K) {
            d->has_keyidx = 1;
            d->keyidx = p[off] & 0x1f;
        }
        off++;
    }
    d->desc_len = off;
    return (int)off;
}

int cv_vp8_is_keyframe(const uint8_t *p, size_t len, int *width, int *height)
{
    if (width)
        *width = 0;
    if (height)
        *height = 0;
    if (!p || len < 1)
        return CV_E_SHORT;
    /* RFC 6386 §9.1 frame tag, bit 0 of the first octet: 0 = key frame (RFC 7741 §4.3 P) */
    if (p[0] & 0x01)
        return 0;
    /* 3-byte frame tag, start code 9d 01 2a, then 16-bit little-endian width and height,
     * each 14 bits of size and 2 bits of scale. */
    if (len < 10)
        return CV_E_SHORT;
    if (p[3] != 0x9d || p[4] != 0x01 || p[5] != 0x2a)
        return CV_E_INVAL;
    int w = (p[6] | (p[7] << 8)) & 0x3fff;
    int h = (p[8] | (p[9] << 8)) & 0x3fff;
    if (w == 0 || h == 0)
        return CV_E_INVAL;
    if (width)
        *width = w;
    if (height)
        *height = h;
    return 1;
}

/* ---- depacketizer ---- */

void cv_vp8_depack_init(cv_vp8_depack_t *d, size_t max_frame)
{
    memset(d, 0, sizeof(*d));
    d->max = max_frame;
    d->need_keyframe = 1;
    d->last_pic = -1;
    d->picture_id = -1;
}

void cv_vp8_depack_cleanup(cv_vp8_depack_t *d)
{
    if (!d)
        return;
    free(d->buf);
    d->buf = NULL;
    d->cap = 0;
    d->len = 0;
    d->in_frame = 0;
}

/* Ends the frame being assembled without returning it. broken: the loss breaks the
 * reference chain, so the decoder needs a key frame. */
static void drop_frame(cv_vp8_depack_t *d, int broken)
{
    if (d->in_frame) {
        d->dropped_frames++;
        d->dropped_packets += d->pkts;
        d->in_frame = 0;
        d->len = 0;
        d->pkts = 0;
    }
    if (broken)
        d->need_keyframe = 1;
}

void cv_vp8_depack_reset(cv_vp8_depack_t *d)
{
    drop_frame(d, 1);
    d->started = 0;
    d->last_pic = -1;
    free(d->buf); /* not needed until the stream comes back */
    d->buf = NULL;
    d->cap = d->len = 0;
}

/* Could the packets lost between the last accepted packet (A) and this one (B) have
 * belonged to a reference frame? Every packet of a frame carries the frame's picture id,
 * which grows by one per frame, and N=1 marks frames nothing refers to (RFC 7741 §4.2).
 * So: same picture id on both sides: only that frame lost packets; ids one apart: only the
 * tail of A's frame (unless A ended it) and the head of B's frame (unless B starts it).
 * Anything else, or missing picture ids, is assumed to break references. */
static int gap_breaks_refs(const cv_vp8_depack_t *d, const cv_vp8_desc_t *b, int b_start,
                           uint64_t lost)
{
    if (d->last_pic < 0 || !b->has_picture_id)
        return 1;
    int bits = d->last_pic_bits < b->picture_id_bits ? d->last_pic_bits : b->picture_id_bits;
    uint32_t mask = (1u << bits) - 1;
    if (lost >= mask) /* so many packets lost that picture ids may have wrapped */
        return 1;
    uint32_t diff = ((uint32_t)b->picture_id - (uint32_t)d->last_pic) & mask;
    if (diff == 0)
        return d->last_marker || b_start || !d->last_n || !b->n;
    if (diff == 1)
        return (!d->last_marker && !d->last_n) || (!b_start && !b->n);
    return 1;
}

static void note_packet(cv_vp8_depack_t *d, const cv_vp8_desc_t *desc, int marker)
{
    d->last_marker = marker;
    d->last_n = desc->n;
    d->last_pic = desc->has_picture_id ? desc->picture_id : -1;
    d->last_pic_bits = desc->picture_id_bits;
}

static void begin_frame(cv_vp8_depack_t *d, const cv_vp8_desc_t *desc, uint32_t ts, int key, int w,
                        int h)
{
    if (!d->buf) { /* the first frame, or the first since a reset */
        d->cap = CV_VP8_DEPACK_START < d->max ? CV_VP8_DEPACK_START : d->max;
        d->buf = cv_xmalloc(d->cap);
    }
    d->in_frame = 1;
    d->ts = ts;
    d->len = 0;
    d->pkts = 0;
    d->keyframe = key;
    d->width = w;
    d->height = h;
    d->non_ref = desc->n;
    d->picture_id = desc->has_picture_id ? desc->picture_id : -1;
}

/* Appends data to the frame, making the buffer (CV_VP8_DEPACK_START) or
 * growing it (doubling) up to max; a frame that outgrows max is dropped. */
static int append(cv_vp8_depack_t *d, const uint8_t *p, size_t n)
{
    if (n > d->cap - d->len && n <= d->max - d->len) {
        size_t cap = d->cap ? d->cap : CV_VP8_DEPACK_START < d->max ? CV_VP8_DEPACK_START : d->max;
        while (cap - d->len < n)
            cap = cap * 2 < d->max ? cap * 2 : d->max;
        d->buf = cv_xrealloc(d->buf, cap);
        d->cap = cap;
    }
    if (n > d->cap - d->len) {
        d->oversize++;
        d->dropped_packets++;
        drop_frame(d, 1);
        return 0;
    }
    memcpy(d->buf + d->len, p, n);
    d->len += n;
    d->pkts++;
    return 1;
}

static int finish_frame(cv_vp8_depack_t *d, cv_vp8_frame_t *out)
{
    d->in_frame = 0;
    if (d->keyframe)
        d->need_keyframe = 0;
    d->frames++;
    d->keyframes += d->keyframe ? 1 : 0;
    out->data = d->buf;
    out->len = d->len;
    out->ts = d->ts;
    out->keyframe = d->keyframe;
    out->width = d->width;
    out->height = d->height;
    out->picture_id = d->picture_id;
    d->pkts = 0;
    return 1;
}

/* Sequence bookkeeping for an accepted packet: on a gap the partial frame is lost. */
static void advance_seq(cv_vp8_depack_t *d, uint64_t ext_seq, const cv_vp8_desc_t *desc, int start)
{
    if (d->started && ext_seq != d->next_seq) {
        d->gaps++;
        drop_frame(d, gap_breaks_refs(d, desc, start, ext_seq - d->next_seq));
    }
    d->started = 1;
    d->next_seq = ext_seq + 1;
}

int cv_vp8_depack_push(cv_vp8_depack_t *d, uint64_t ext_seq, uint32_t ts, int marker,
                       const uint8_t *payload, size_t len, cv_vp8_frame_t *out)
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
        /* padding only (RFC 3550 §5.1): keeps the sequence if in order; after a gap it is
         * ignored and the next media packet judges the gap */
        if (d->started && ext_seq == d->next_seq)
            d->next_seq++;
        return 0;
    }
    cv_vp8_desc_t desc;
    int dl = cv_vp8_parse_desc(payload, len, &desc);
    if (dl >= 0 && (size_t)dl == len)
        dl = CV_E_SHORT; /* a descriptor with no VP8 data */
    if (dl < 0) {
        d->bad_packets++;
        return dl;
    }
    const uint8_t *vp8 = payload + dl;
    size_t vlen = len - (size_t)dl;
    int start = desc.s && desc.pid == 0;
    int key = 0, w = 0, h = 0;
    if (start) {
        key = cv_vp8_is_keyframe(vp8, vlen, &w, &h);
        if (key < 0) {
            d->bad_packets++;
            return key;
        }
    }
    advance_seq(d, ext_seq, &desc, start);
    note_packet(d, &desc, marker);

    if (start) {
        if (d->in_frame)
            drop_frame(d, !d->non_ref); /* the open frame never got its marker */
        if (d->need_keyframe && !key) {
            d->dropped_frames++;
            d->dropped_packets++;
            return 0;
        }
        begin_frame(d, &desc, ts, key, w, h);
    } else if (!d->in_frame) {
        d->dropped_packets++; /* rest of a frame we are not assembling */
        return 0;
    } else if (ts != d->ts) {
        d->dropped_packets++; /* one frame, one timestamp (RFC 7741 §4.1) */
        drop_frame(d, !d->non_ref);
        return 0;
    }
    if (!append(d, vp8, vlen))
        return 0;
    if (!marker)
        return 0;
    return finish_frame(d, out);
}

/* ---- packetizer ---- */

void cv_vp8_pack_init(cv_vp8_pack_t *pk, const uint8_t *frame, size_t len, uint16_t picture_id,
                      int non_ref)
{
    pk->frame = frame;
    pk->len = frame ? len : 0;
    pk->off = 0;
    pk->picture_id = picture_id & 0x7fff;
    pk->first = 1;
    pk->non_ref = !!non_ref;
}

int cv_vp8_pack_next(cv_vp8_pack_t *pk, uint8_t *out, size_t cap, size_t max_payload, int *marker)
{
    if (!pk || !marker)
        return CV_E_INVAL;
    *marker = 0;
    if (pk->off >= pk->len)
        return 0;
    if (!out)
        return CV_E_INVAL;
    if (max_payload > CV_VP8_MAX_PAYLOAD)
        max_payload = CV_VP8_MAX_PAYLOAD;
    if (max_payload <= CV_VP8_PACK_DESC_LEN)
        return CV_E_INVAL;
    /* even spread: as many packets as needed, the remaining bytes shared out */
    size_t room = max_payload - CV_VP8_PACK_DESC_LEN;
    size_t rem = pk->len - pk->off;
    size_t npkt = (rem + room - 1) / room;
    size_t chunk = (rem + npkt - 1) / npkt;
    if (cap < CV_VP8_PACK_DESC_LEN + chunk)
        return CV_E_NOSPACE;
    /* RFC 7741 §4.2: X=1, N, S on the first packet, PID=0; I=1; M=1 + 15-bit picture id */
    out[0] = B0_X | (pk->non_ref ? B0_N : 0) | (pk->first ? B0_S : 0);
    out[1] = B1_I;
    out[2] = (uint8_t)(PIC_M | (pk->picture_id >> 8));
    out[3] = (uint8_t)pk->picture_id;
    memcpy(out + CV_VP8_PACK_DESC_LEN, pk->frame + pk->off, chunk);
    pk->off += chunk;
    pk->first = 0;
    *marker = pk->off == pk->len;
    return (int)(CV_VP8_PACK_DESC_LEN + chunk);
}

int cv_vp8_rewrite_picture_id(uint8_t *payload, size_t len, uint16_t picture_id)
{
    cv_vp8_desc_t d;
    int r = cv_vp8_parse_desc(payload, len, &d);
    if (r < 0)
        return r;
    if (!d.has_picture_id || d.picture_id_bits != 15)
        return CV_E_UNSUPPORTED;
    /* the picture id follows the X octet directly (RFC 7741 §4.2) */
    payload[2] = (uint8_t)(PIC_M | ((picture_id >> 8) & 0x7f));
    payload[3] = (uint8_t)picture_id;
    return 0;
}
