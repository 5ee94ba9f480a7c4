/*
 * rtx.c - history of sent video packets and RFC 4588 retransmissions. Pure;
 * see rtx.h. Owned by the receiver's network thread.
 */
#include "rtx.h"

#include "bytes.h"
#include "err.h"
#include "mem.h"
#include "rtp.h"

#include <stdlib.h>
#include <string.h>

void cv_rtx_init(cv_rtx_t *h, uint16_t rtx_seq0)
{
    memset(h, 0, sizeof(*h));
    h->rtx_seq = rtx_seq0;
    h->keep_us = CV_RTX_KEEP_US;
}

void cv_rtx_cleanup(cv_rtx_t *h)
{
    if (!h)
        return;
    free(h->ring);
    h->ring = NULL;
    h->cap = 0;
    h->floor = h->head; /* what was stored is gone */
}

void cv_rtx_set_keep(cv_rtx_t *h, int64_t keep_us)
{
    if (keep_us > 0)
        h->keep_us = keep_us;
}

/* A new byte ring of cap bytes holding the newest bytes of the old one (all
 * of them when it grows), each at the same position counted from the first
 * byte ever; what did not fit is below the floor. */
static void resize(cv_rtx_t *h, size_t cap)
{
    uint8_t *ring = cv_xmalloc(cap);
    size_t kept = h->cap < cap ? h->cap : cap;
    uint64_t lo = h->head > kept ? h->head - kept : 0;
    if (lo < h->floor)
        lo = h->floor;
    for (uint64_t p = lo; p < h->head;) {
        size_t from = (size_t)(p % h->cap), to = (size_t)(p % cap);
        uint64_t n = h->head - p;
        if (n > h->cap - from)
            n = h->cap - from;
        if (n > cap - to)
            n = cap - to;
        memcpy(ring + to, h->ring + from, (size_t)n);
        p += n;
    }
    free(h->ring);
    h->ring = ring;
    h->cap = cap;
    h->floor = lo;
}

/* Where the next packet of len bytes ends, counted as head is. */
static uint64_t end_of_next(const cv_rtx_t *h, size_t len)
{
    size_t off = (size_t)(h->head % h->cap);
    return h->head + (off + len > h->cap ? h->cap - off : 0) + len;
}

/* Before packet seq (len bytes) is written at now_us: the packets it
 * overwrites, oldest first from tail, are looked at; the ring doubles rather
 * than overwrite one younger than the keep time, and halves when one is
 * older than four keep times. */
static void make_room(cv_rtx_t *h, uint16_t seq, size_t len, int64_t now_us)
{
    if ((uint16_t)(seq - h->tail) > CV_RTX_SLOTS) /* a jump: the older slots are stale */
        h->tail = (uint16_t)(seq - CV_RTX_SLOTS);
    while (h->tail != seq) {
        const cv_rtx_slot_t *s = &h->slot[h->tail % CV_RTX_SLOTS];
        if (s->len && s->seq == h->tail && s->at >= h->floor) { /* its bytes are in the ring */
            if (s->at + h->cap >= end_of_next(h, len))
                return; /* it stays, and so do the later ones */
            int64_t age = now_us - s->sent_us;
            if (age < h->keep_us && h->cap < CV_RTX_RING) {
                resize(h, h->cap * 2);
                h->grown++;
                continue;
            }
            if (age > 4 * h->keep_us && h->cap > CV_RTX_RING_MIN) {
                resize(h, h->cap / 2);
                h->shrunk++;
            }
        }
        h->tail++;
    }
}

int cv_rtx_store(cv_rtx_t *h, const uint8_t *pkt, size_t len, int64_t now_us)
{
    if (len < CV_RTP_HDR_LEN)
        return CV_E_SHORT;
    if (len > CV_RTX_PKT_MAX)
        return CV_E_NOSPACE;
    uint16_t seq = (uint16_t)(pkt[2] << 8 | pkt[3]);
    if (!h->ring) {
        h->ring = cv_xmalloc(CV_RTX_RING_MIN);
        h->cap = CV_RTX_RING_MIN;
        h->floor = h->head;
        h->tail = seq;
    }
    make_room(h, seq, len, now_us);
    cv_rtx_slot_t *s = &h->slot[seq % CV_RTX_SLOTS];
    size_t off = (size_t)(h->head % h->cap);
    if (off + len > h->cap) { /* a packet never wraps: the ring's end stays unused */
        h->head += h->cap - off;
        off = 0;
    }
    s->seq = seq;
    s->len = (uint16_t)len;
    s->sent_us = now_us;
    s->resent_us = 0;
    s->at = h->head;
    memcpy(h->ring + off, pkt, len);
    h->head += len;
    h->stored++;
    return 0;
}

int cv_rtx_find(cv_rtx_t *h, uint16_t seq, int64_t now_us, int64_t max_age_us,
                int64_t min_interval_us, const uint8_t **pkt)
{
    cv_rtx_slot_t *s = &h->slot[seq % CV_RTX_SLOTS];
    if (!h->ring || !s->len || s->seq != seq || now_us - s->sent_us > max_age_us ||
        s->at < h->floor || h->head - s->at > h->cap || /* overwritten, or lost in a shrink */
        s->at % h->cap + s->len > h->cap) {             /* split by a shrink */
        h->not_found++;
        return CV_E_NOTFOUND;
    }
    if (s->resent_us && now_us - s->resent_us < min_interval_us) {
        h->too_soon++;
        return CV_E_AGAIN;
    }
    s->resent_us = now_us;
    h->resent++;
    *pkt = h->ring + s->at % h->cap;
    return s->len;
}

int cv_rtx_wrap(cv_rtx_t *h, const uint8_t *orig, size_t len, int rtx_pt, uint32_t rtx_ssrc,
                uint8_t *out, size_t cap)
{
    cv_rtp_hdr_t r;
    int rc = cv_rtp_parse(orig, len, &r);
    if (rc < 0)
        return rc;
    if (rtx_pt < 0 || rtx_pt > 127)
        return CV_E_INVAL;
    size_t total = r.header_len + 2 + r.payload_len;
    if (total > cap)
        return CV_E_NOSPACE;
    memcpy(out, orig, r.header_len);
    out[0] &= (uint8_t)~0x20; /* no padding in the copy */
    out[1] = (uint8_t)((orig[1] & 0x80) | rtx_pt);
    wr16(out + 2, h->rtx_seq++);
    wr32(out + 8, rtx_ssrc);
    wr16(out + r.header_len, r.seq); /* RFC 4588 §4: OSN first */
    memcpy(out + r.header_len + 2, r.payload, r.payload_len);
    return (int)total;
}

int cv_rtx_unwrap(const uint8_t *pkt, size_t len, uint16_t *osn, const uint8_t **payload,
                  size_t *payload_len)
{
    cv_rtp_hdr_t r;
    int rc = cv_rtp_parse(pkt, len, &r);
    if (rc < 0)
        return rc;
    if (r.payload_len < 2)
        return CV_E_SHORT;
    *osn = rd16(r.payload);
    *payload = r.payload + 2;
    *payload_len = r.payload_len - 2;
    return 0;
}
