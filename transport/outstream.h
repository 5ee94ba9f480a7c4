/*
 * outstream.h - one outgoing RTP stream of one receiver (RFC 3550 §5.1).
 *
 * The mixer encodes a picture or a sound once and fans the same bytes out;
 * each receiver's outstream gives them its own SSRC, a sequence number and a
 * timestamp continuous from its first packet (random starts, RFC 3550 §5.1),
 * and for VP8 its own 15-bit picture id (RFC 7741 §4.2). Video is VP8
 * (vp8.h), or H.264 (h264.h, RFC 6184) after cv_outstream_set_h264. A receiver that
 * joins late gets no video until a key frame, so its first picture decodes.
 * Pure: the mixer's timestamps come in, packets go out through a callback.
 * Owned by the receiver's network thread.
 */
#ifndef CV_OUTSTREAM_H
#define CV_OUTSTREAM_H

#include "h264.h"
#include "vp8.h"

#include <stddef.h>
#include <stdint.h>

#define CV_OUTSTREAM_DTX_MAX_BYTES 2 /* an Opus packet this short is DTX (no audio) */

typedef struct {
    uint32_t ssrc;
    int pt;
    int video;          /* VP8 packetising, picture ids, key frame gate */
    int h264;           /* video: H.264 packetising instead, no picture ids */
    uint16_t seq;       /* next sequence number */
    uint32_t ts_offset; /* added to the mixer's timestamps */
    uint16_t picture_id;
    int started;              /* video: a key frame went out */
    uint32_t packets, octets; /* for sender reports (payload octets) */
    uint32_t last_ts;         /* our timestamp of the last frame sent */
    int64_t last_us;          /* the mixer's clock of that frame */
    uint64_t skipped;         /* frames withheld before the first key frame */
    int in_dtx;               /* audio: the last packet was a DTX one (1-2 bytes) */
} cv_outstream_t;

/* One frame being packetised: cv_outstream_begin, then cv_outstream_next until
 * it returns 0. Borrows the frame's bytes until then. */
typedef struct {
    const uint8_t *data;
    size_t len;
    uint32_t ts; /* our timestamp */
    int64_t t_us;
    int done;
    int dtx; /* audio: a DTX frame (CV_OUTSTREAM_DTX_MAX_BYTES or less) */
    cv_vp8_pack_t pk;
    cv_h264_pack_t hk; /* with h264 */
} cv_outstream_frame_t;

/* Called once per packet built: pkt has len bytes and cap bytes of room
 * (the spare room is for SRTP). */
typedef void (*cv_outstream_emit_fn)(void *ud, uint8_t *pkt, size_t len, size_t cap);

/* seq0, ts_offset and picture_id0 should be random. */
void cv_outstream_init(cv_outstream_t *o, uint32_t ssrc, int pt, int video, uint16_t seq0,
                       uint32_t ts_offset, uint16_t picture_id0);
/* Its video is H.264 access units (Annex B), packetised per RFC 6184. */
void cv_outstream_set_h264(cv_outstream_t *o);
/* Starts sending one frame (the mixer's timestamp ts at its clock t_us).
 * Returns 1, or 0 when a delta frame is withheld before the first key frame. */
int cv_outstream_begin(cv_outstream_t *o, cv_outstream_frame_t *fr, const uint8_t *frame,
                       size_t len, uint32_t ts, int64_t t_us, int keyframe);
/* Sends other bytes for a frame just begun (e.g. its RED payload) under the
 * same header; the DTX decision stays the frame's own. Audio only. */
void cv_outstream_set_payload(cv_outstream_frame_t *fr, const uint8_t *data, size_t len);
/* Builds the frame's next RTP packet into out (cap bytes; leave room for SRTP
 * after max_payload + 12). Returns its length, 0 when the frame is done, or
 * CV_E_* (the frame is then given up). */
int cv_outstream_next(cv_outstream_t *o, cv_outstream_frame_t *fr, size_t max_payload, uint8_t *out,
                      size_t cap);
/* Packetises one frame (mixer timestamp ts at mixer clock t_us) into RTP
 * packets of at most max_payload payload bytes, built in scratch (cap bytes,
 * leave room for SRTP after max_payload + 12). Returns packets emitted
 * (0 when a delta frame is withheld before the first key frame) or CV_E_*. */
int cv_outstream_send(cv_outstream_t *o, const uint8_t *frame, size_t len, uint32_t ts,
                      int64_t t_us, int keyframe, size_t max_payload, uint8_t *scratch, size_t cap,
                      cv_outstream_emit_fn emit, void *ud);
/* Our RTP timestamp at time now_us (same clock as t_us), for a sender report. */
uint32_t cv_outstream_ts_at(const cv_outstream_t *o, int64_t now_us, uint32_t rate);

#endif
