/*
 * outstream.c - per-receiver RTP rewriting and VP8 packetising. Pure.
 */
#include "outstream.h"

#include "err.h"
#include "rtp.h"
#include "vp8.h"

#include <string.h>

void cv_outstream_init(cv_outstream_t *o, uint32_t ssrc, int pt, int video, uint16_t seq0,
                       uint32_t ts_offset, uint16_t picture_id0)
{
    memset(o, 0, sizeof(*o));
    o->ssrc = ssrc;
    o->pt = pt;
    o->video = video;
    o->seq = seq0;
    o->ts_offset = ts_offset;
    o->picture_id = (uint16_t)(picture_id0 & 0x7fff);
}

static int send_audio(cv_outstream_t *o, const uint8_t *frame, size_t len, uint32_t ts,
                      uint8_t *scratch, size_t cap, cv_outstream_emit_fn emit, void *ud)
{
    /* an Opus packet of 1-2 bytes is DTX (RFC 7587 section 3.1.3): the
     * next real one starts a talkspurt and gets the marker bit (RFC 3551
     * section 4.1) */
    int dtx = len <= CV_OUTSTREAM_DTX_MAX_BYTES;
    cv_rtp_out_t h = {
        .marker = !dtx && o->in_dtx, .pt = o->pt, .seq = o->seq, .ts = ts, .ssrc = o->ssrc};
    int hl = cv_rtp_write_header(scratch, cap, &h);
    if (hl < 0)
        return hl;
    if (len > cap - (size_t)hl)
        return CV_E_NOSPACE;
    memcpy(scratch + hl, frame, len);
    o->in_dtx = dtx;
    o->seq++;
    o->packets++;
    o->octets += (uint32_t)len;
    emit(ud, scratch, (size_t)hl + len, cap);
    return 1;
}

static int send_video(cv_outstream_t *o, const uint8_t *frame, size_t len, uint32_t ts,
                      size_t max_payload, uint8_t *scratch, size_t cap, cv_outstream_emit_fn emit,
                      void *ud)
{
    cv_vp8_pack_t pk;
    cv_vp8_pack_init(&pk, frame, len, o->picture_id, 0);
    o->picture_id = (uint16_t)((o->picture_id + 1) & 0x7fff);
    int count = 0;
    for (;;) {
        cv_rtp_out_t h = {.pt = o->pt, .seq = o->seq, .ts = ts, .ssrc = o->ssrc};
        int hl = cv_rtp_write_header(scratch, cap, &h);
        if (hl < 0)
            return hl;
        int marker = 0;
        int n = cv_vp8_pack_next(&pk, scratch + hl, cap - (size_t)hl, max_payload, &marker);
        if (n < 0)
            return n;
        if (n == 0)
            return count;
        if (marker)
            scratch[1] |= 0x80; /* RFC 7741 §4.1: marker on the last packet of a frame */
        o->seq++;
        o->packets++;
        o->octets += (uint32_t)n;
        emit(ud, scratch, (size_t)(hl + n), cap);
        count++;
    }
}

int cv_outstream_send(cv_outstream_t *o, const uint8_t *frame, size_t len, uint32_t ts,
                      int64_t t_us, int keyframe, size_t max_payload, uint8_t *scratch, size_t cap,
                      cv_outstream_emit_fn emit, void *ud)
{
    if (o->video && !o->started && !keyframe) {
        o->skipped++;
        return 0;
    }
    uint32_t our_ts = ts + o->ts_offset;
    int rc = o->video ? send_video(o, frame, len, our_ts, max_payload, scratch, cap, emit, ud)
                      : send_audio(o, frame, len, our_ts, scratch, cap, emit, ud);
    if (rc <= 0)
        return rc; /* nothing went out: an empty key frame does not open the gate */
    o->started = 1;
    o->last_ts = our_ts;
    o->last_us = t_us;
    return rc;
}

uint32_t cv_outstream_ts_at(const cv_outstream_t *o, int64_t now_us, uint32_t rate)
{
    int64_t d = now_us - o->last_us;
    return o->last_ts + (uint32_t)(d * (int64_t)rate / 1000000);
}
