/*
 * rtx.c - history of sent video packets and RFC 4588 retransmissions. Pure;
 * see rtx.h. Owned by the receiver's network thread.
 */
#include "rtx.h"

#include "bytes.h"
#include "err.h"
#include "rtp.h"

#include <string.h>

void cv_rtx_init(cv_rtx_t *h, uint16_t rtx_seq0)
{
    memset(h, 0, sizeof(*h));
    h->rtx_seq = rtx_seq0;
}

int cv_rtx_store(cv_rtx_t *h, const uint8_t *pkt, size_t len, int64_t now_us)
{
    if (len < CV_RTP_HDR_LEN)
        return CV_E_SHORT;
    if (len > CV_RTX_PKT_MAX)
        return CV_E_NOSPACE;
    uint16_t seq = (uint16_t)(pkt[2] << 8 | pkt[3]);
    cv_rtx_slot_t *s = &h->slot[seq % CV_RTX_SLOTS];
    size_t off = (size_t)(h->head % CV_RTX_RING);
    if (off + len > CV_RTX_RING) { /* a packet never wraps: the ring's end stays unused */
        h->head += CV_RTX_RING - off;
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
    if (!s->len || s->seq != seq || now_us - s->sent_us > max_age_us ||
        h->head - s->at > CV_RTX_RING) { /* overwritten by newer packets */
        h->not_found++;
        return CV_E_NOTFOUND;
    }
    if (s->resent_us && now_us - s->resent_us < min_interval_us) {
        h->too_soon++;
        return CV_E_AGAIN;
    }
    s->resent_us = now_us;
    h->resent++;
    *pkt = h->ring + s->at % CV_RTX_RING;
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
