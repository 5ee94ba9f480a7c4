/*
 * h264_codec.h - H.264 decoder and encoder over FFmpeg's libavcodec, for
 * participants whose offer had H.264 and no VP8 (docs/ARCHITECTURE.md, The
 * packet path): their video is decoded here, and an output tier that has such
 * a receiver is encoded here too (libx264, constrained baseline) beside its
 * VP8 encoder (video_codec.h).
 *
 * Thread: each decoder is single-owner - created, used and destroyed by one
 * mixer worker thread at a time. Not thread-safe; no shared state between
 * instances. libavcodec runs no threads of its own here (thread_count 1):
 * the mixer's workers already share the cores among rooms.
 *
 * Bitstream: ITU-T H.264 Annex B, one complete access unit per call as the
 * depacketiser (transport/h264.h, RFC 6184) assembles it, with its parameter
 * sets in front of every IDR picture.
 */
#ifndef CV_H264_CODEC_H
#define CV_H264_CODEC_H

#include "image.h"

#include <stddef.h>
#include <stdint.h>

/* Largest picture accepted from a peer (each side, and area), as for VP8. */
#define CV_H264_DEC_MAX_DIM 4096
#define CV_H264_DEC_MAX_PIXELS (4096 * 2304)

typedef struct cv_h264_dec cv_h264_dec_t;

/* A decoder: one thread, low delay, errors reported rather than hidden.
 * Returns NULL when libavcodec has no H.264 decoder or refuses to start. */
cv_h264_dec_t *cv_h264_dec_create(void);

/* Destroys the decoder; NULL does nothing. Invalidates any borrowed picture. */
void cv_h264_dec_destroy(cv_h264_dec_t *d);

/*
 * Decodes one access unit of len bytes (borrowed until return); keyframe says
 * it holds an IDR picture and its parameter sets.
 * Returns:
 *   1  a picture was produced: *out is a view (mem == NULL) of planes owned by
 *      the decoder, valid until the next decode or destroy; I420, its size the
 *      stream's (may be odd).
 *   0  no picture yet (a decoder may hold one back); *out untouched.
 *   CV_E_CODEC  the access unit is corrupt, or the picture is marked corrupt,
 *      not 8-bit 4:2:0, or larger than CV_H264_DEC_MAX_*; or an earlier one
 *      failed and this is no key frame. The decoder stays usable and takes
 *      nothing but a key frame until one decodes: the caller asks the sender
 *      for one (PLI) and keeps showing its last good picture.
 *   CV_E_INVAL  NULL arguments, len == 0 or len > INT_MAX.
 */
int cv_h264_dec_decode(cv_h264_dec_t *d, const uint8_t *data, size_t len, int keyframe,
                       cv_image_t *out);

typedef struct {
    int width, height;     /* even, 16..1920 x 16..1080 */
    int fps;               /* nominal frame rate, 1..120 */
    int bitrate_kbps;      /* target, 10..50000 */
    int keyframe_max_dist; /* frames between automatic IDR pictures; 0 means 3000 */
} cv_h264_enc_cfg_t;

typedef struct cv_h264_enc cv_h264_enc_t;

/*
 * A real-time H.264 encoder: libx264 through libavcodec, constrained baseline
 * profile (what every WebRTC browser decodes), preset ultrafast, tune
 * zerolatency (no lookahead, no frame delay), no B-frames, one thread, bit
 * rate capped by a one-second buffer, SPS and PPS in front of every IDR.
 * Returns NULL on a bad configuration or when libavcodec has no libx264.
 */
cv_h264_enc_t *cv_h264_enc_create(const cv_h264_enc_cfg_t *cfg);

/* Destroys the encoder; NULL does nothing. */
void cv_h264_enc_destroy(cv_h264_enc_t *e);

/* The next picture produced is an IDR (the request stays pending across
 * pictures the encoder drops). */
void cv_h264_enc_request_keyframe(cv_h264_enc_t *e);

/*
 * Encodes one picture (borrowed until return; width x height of the
 * configuration) at pts90k (1/90000 s; a pts not after the previous one is
 * moved to previous + 1) into one Annex-B access unit. Returns:
 *   > 0  its length, copied into out (cap bytes); *keyframe 1 for an IDR;
 *   0    no access unit this time; *keyframe = 0;
 *   CV_E_INVAL    wrong picture size or NULL arguments;
 *   CV_E_NOSPACE  it did not fit in cap bytes: lost, the next one is an IDR;
 *   CV_E_CODEC    libavcodec failed.
 */
int cv_h264_enc_encode(cv_h264_enc_t *e, const cv_image_t *im, int64_t pts90k, uint8_t *out,
                       size_t cap, int *keyframe);

#endif
