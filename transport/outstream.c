/*
 * outstream.c - per-receiver RTP rewriting and VP8 or H.264 packetising. Pure.
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

void cv_outstream_set_h264(cv_outstream_t *o)
{
    o->h264 = 1;
}

int cv_outstream_begin(cv_outstream_t *o, cv_outstream_frame_t *fr, const uint8_t *frame,
                       size_t len, uint32_t ts, int64_t t_us, int keyframe)
{
    if (o->video && !o->started && !keyframe) {
        o->skipped++;
        return 0;
    }
    *fr = (cv_outstream_frame_t){.data = frame,
                                 .len = len,
                                 .ts = ts + o->ts_offset,
                                 .t_us = t_us,
                                 .dtx = len <= CV_OUTSTREAM_DTX_MAX_BYTES};
    if (o->video && o->h264) {
        cv_h264_pack_init(&fr->hk, frame, len);
    } else if (o->video) {
        cv_vp8_pack_init(&fr->pk, frame, len, o->picture_id, 0);
        o->picture_id = (uint16_t)((o->picture_id + 1) & 0x7fff);
    }
    return 1;
}

/* An Opus packet of 1-2 bytes is DTX (RFC 7587 section 3.1.3): the next real
 * one starts a talkspurt and gets the marker bit (RFC 3551 section 4.1). */
static int next_audio(cv_outstream_t *o, cv_outstream_frame_t *fr, uint8_t *out, size_t cap,
                      int *payload)
{
    int dtx = fr->dtx;
    cv_rtp_out_t h = {
        .marker = !dtx && o->in_dtx, .pt = o->pt, .seq = o->seq, .ts = fr->ts, .ssrc = o->ssrc};
    int hl = cv_rtp_write_header(out, cap, &h);
    if (hl < 0)
        return hl;
    if (fr->len > cap - (size_t)hl)
        return CV_E_NOSPACE;
    memcpy(out + hl, fr->data, fr->len);
    o->in_dtx = dtx;
    fr->done = 1;
    *payload = (int)fr->len;
    return hl + (int)fr->len;
}

static int next_video(cv_outstream_t *o, cv_outstream_frame_t *fr, size_t max_payload, uint8_t *out,
                      size_t cap, int *payload)
{
    cv_rtp_out_t h = {.pt = o->pt, .seq = o->seq, .ts = fr->ts, .ssrc = o->ssrc};
    int hl = cv_rtp_write_header(out, cap, &h);
    if (hl < 0)
        return hl;
    int marker = 0;
    int n = o->h264 ? cv_h264_pack_next(&fr->hk, out + hl, cap - (size_t)hl, max_payload, &marker)
                    : cv_vp8_pack_next(&fr->pk, out + hl, cap - (size_t)hl, max_payload, &marker);
    if (n <= 0)
        return n;
    if (marker) /* RFC 7741 §4.1, RFC 6184 §5.1: on the last packet of a frame */
        out[1] |= 0x80;
    *payload = n;
    return hl + n;
}

void cv_outstream_set_payload(cv_outstream_frame_t *fr, const uint8_t *data, size_t len)
{
    fr->data = data;
    fr->len = len;
}

int cv_outstream_next(cv_outstream_t *o, cv_outstream_frame_t *fr, size_t max_payload, uint8_t *out,
                      size_t cap)
{
    if (fr->done)
        return 0;
    int payload = 0;
    int n = o->video ? next_video(o, fr, max_payload, out, cap, &payload)
                     : next_audio(o, fr, out, cap, &payload);
    if (n <= 0) {
        fr->done = 1;
        return n;
    }
    o->seq++;
    o->packets++;
    o->octets += (uint32_t)payload;
    /* the first packet out opens the gate: an empty key frame does not */
    o->started = 1;
    o->last_ts = fr->ts;
    o->last_us = fr->t_us;
    return n;
}

int cv_outstream_send(cv_outstream_t *o, const uint8_t *frame, size_t len, uint32_t ts,
                      int64_t t_us, int keyframe, size_t max_payload, uint8_t *scratch, size_t cap,
                      cv_outstream_emit_fn emit, void *ud)
{
    cv_outstream_frame_t fr;
    if (!cv_outstream_begin(o, &fr, frame, len, ts, t_us, keyframe))
        return 0;
    int count = 0, n;
    while ((n = cv_outstream_next(o, &fr, max_payload, scratch, cap)) > 0) {
        emit(ud, scratch, (size_t)n, cap);
        count++;
    }
    return n < 0 ? n : count;
}

uint32_t cv_outstream_ts_at(const cv_outstream_t *o, int64_t now_us, uint32_t rate)
{
    int64_t d = now_us - o->last_us;
    return o->last_ts + (uint32_t)(d * (int64_t)rate / 1000000);
}
