/*
 * video_codec.h - VP8 decoder and encoder wrappers over libvpx, tuned for the
 * MCU: one decoder per visible input, one real-time CBR encoder per output
 * tier (docs/ARCHITECTURE.md, The packet path).
 *
 * Thread: each wrapper is single-owner - created, used and destroyed by one
 * mixer worker thread at a time. Not thread-safe; no shared state between
 * instances. (libvpx may run its own worker threads inside one encoder when
 * threads > 1; that is invisible to the caller.)
 *
 * Bitstream: VP8, RFC 6386. Input is one complete frame as reassembled by the
 * depacketiser (RFC 7741); no fragments, no partitions.
 */
#ifndef CV_VIDEO_CODEC_H
#define CV_VIDEO_CODEC_H

#include "image.h"

#include <stddef.h>
#include <stdint.h>

/* Largest picture the decoder accepts from a peer (each side, and area). */
#define CV_VP8_DEC_MAX_DIM 4096
#define CV_VP8_DEC_MAX_PIXELS (4096 * 2304)

typedef struct cv_vp8_dec cv_vp8_dec_t;

/* A VP8 decoder: 1 thread, error concealment and post-processing off.
 * Returns NULL if libvpx refuses to initialise. */
cv_vp8_dec_t *cv_vp8_dec_create(void);

/* Destroys the decoder; NULL does nothing. Invalidates any borrowed picture. */
void cv_vp8_dec_destroy(cv_vp8_dec_t *d);

/*
 * Decodes one complete VP8 frame of len bytes (borrowed until return).
 * Returns:
 *   1  a picture was produced: *out is a view (mem == NULL) of planes owned by
 *      the decoder, valid until the next decode or destroy. Its size is the
 *      stream's and may be odd (chroma (w+1)/2 x (h+1)/2).
 *   0  the frame produced no picture (e.g. not shown); *out untouched.
 *   CV_E_CODEC  the frame is corrupt or could not be decoded, or it depends on
 *      a reference that was corrupt (libvpx VP8D_GET_FRAME_CORRUPTED), or it is
 *      a key frame larger than CV_VP8_DEC_MAX_*; no picture. The decoder stays
 *      usable: the caller should ask the sender for a key frame (PLI) and keep
 *      showing its last good picture. Inter frames keep failing until a key
 *      frame arrives.
 *   CV_E_INVAL  NULL arguments or len == 0 (or len > UINT_MAX).
 */
int cv_vp8_dec_decode(cv_vp8_dec_t *d, const uint8_t *data, size_t len, cv_image_t *out);

typedef struct {
    int width, height;     /* even, 2..CV_IMAGE_MAX_DIM */
    int fps;               /* nominal frame rate, 1..120 */
    int bitrate_kbps;      /* target, CV_VP8_MIN_KBPS..CV_VP8_MAX_KBPS */
    int threads;           /* libvpx worker threads, 1..16 (0 means 1) */
    int cpu_used;          /* VP8E_SET_CPUUSED, -16..16; e.g. -8 (negative = real-time speed) */
    int keyframe_max_dist; /* frames between automatic key frames; 0 means 3000 */
} cv_vp8_enc_cfg_t;

#define CV_VP8_MIN_KBPS 10
#define CV_VP8_MAX_KBPS 50000

typedef struct cv_vp8_enc cv_vp8_enc_t;

/*
 * A real-time VP8 encoder: one pass CBR, VPX_DL_REALTIME, error resilient,
 * no lag (no alt-ref), one token partition, noise sensitivity 0, quantizer
 * 2..56, small decoder buffer model for low delay (0.5/0.6/1 s), frame
 * dropping when the buffer runs low (30 %), key frames capped in size.
 * Returns NULL on a bad configuration or if libvpx refuses it.
 */
cv_vp8_enc_t *cv_vp8_enc_create(const cv_vp8_enc_cfg_t *cfg);

/* Destroys the encoder; NULL does nothing. */
void cv_vp8_enc_destroy(cv_vp8_enc_t *e);

/* The next frame actually produced will be a key frame (the request stays
 * pending across dropped frames). */
void cv_vp8_enc_request_keyframe(cv_vp8_enc_t *e);

/*
 * Encodes one picture (borrowed until return; must be width x height of the
 * configuration). pts90k is its time in 1/90000 s (the RTP video clock); a
 * pts not after the previous one is moved to previous + 1.
 * Produces at most one frame. Returns:
 *   > 0  the frame's length, copied into out (cap bytes); *keyframe set to 1
 *        for a key frame, else 0;
 *   0    the encoder dropped this picture (rate control); *keyframe = 0;
 *   CV_E_INVAL    wrong picture size or NULL arguments;
 *   CV_E_NOSPACE  the frame did not fit in cap bytes: it is lost, so the
 *                 next frame produced is made a key frame;
 *   CV_E_CODEC    libvpx failed.
 */
int cv_vp8_enc_encode(cv_vp8_enc_t *e, const cv_image_t *im, int64_t pts90k, uint8_t *out,
                      size_t cap, int *keyframe);

#endif
