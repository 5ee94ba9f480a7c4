/*
 * outtiers.h - a room's output tiers (docs/ARCHITECTURE.md, Output tiers): the
 * composite picture at a few sizes, frame rates and bit rates, each encoded
 * once for every receiver on that tier. A tier's picture and encoder exist
 * only while someone receives it. The room composes once, at the largest
 * active tier's size, and each smaller active tier is scaled down from it.
 * A tier has one encoder per codec its receivers take: VP8, and H.264 for
 * receivers that offered no VP8 (h264_codec.h), each made with its first
 * receiver and freed with its last.
 *
 * Thread: owned by the room's video tick (one mixer worker at a time); time
 * is an argument. No RFCs (VP8 per RFC 6386 through video_codec.h, H.264
 * through h264_codec.h).
 */
#ifndef CV_OUTTIERS_H
#define CV_OUTTIERS_H

#include "h264_codec.h"
#include "image.h"
#include "video_codec.h"

#include <stddef.h>
#include <stdint.h>

#define CV_OUTTIERS_MAX 4

typedef struct {
    int width, height; /* even, 16..1920 x 16..1080 */
    int fps;           /* 1..room ticks a second */
    int kbps;          /* CV_VP8_MIN_KBPS..CV_VP8_MAX_KBPS */
} cv_outtier_cfg_t;

enum { CV_OUTTIER_VP8 = 0, CV_OUTTIER_H264 = 1, CV_OUTTIER_CODECS = 2 };

/* One codec's stream of a tier: its key frame state. */
typedef struct {
    int64_t last_keyframe_us;
    int want_key; /* a key frame is wanted (rate-limited by the room) */
} cv_outtier_key_t;

typedef struct {
    cv_outtier_cfg_t cfg;
    int active;          /* someone receives it: img allocated */
    cv_image_t img;      /* allocated while active */
    cv_vp8_enc_t *enc;   /* exists while it has a VP8 receiver */
    cv_h264_enc_t *henc; /* exists while it has an H.264 receiver */
    int64_t next_us;     /* a slower tier: the number of its last frame (time / period) */
    cv_outtier_key_t key[CV_OUTTIER_CODECS];
} cv_outtier_t;

typedef struct {
    cv_outtier_t t[CV_OUTTIERS_MAX];
    int n;
    int room_fps;
    uint8_t *buf; /* encoder output, large enough for the largest tier */
    size_t cap;
    uint64_t created, destroyed, failures; /* encoders */
} cv_outtiers_t;

/* Checks the n (1..CV_OUTTIERS_MAX) tiers (fps at most room_fps). Returns 0,
 * or CV_E_INVAL. Nothing is active yet. */
int cv_outtiers_init(cv_outtiers_t *ts, const cv_outtier_cfg_t *cfg, int n, int room_fps);
/* Frees every picture and encoder. Safe on a zeroed struct. */
void cv_outtiers_cleanup(cv_outtiers_t *ts);

/* Makes the tiers in mask (bit t: tier t) active with a VP8 encoder each and
 * the others not: cv_outtiers_set_codecs(ts, mask, 0). */
unsigned cv_outtiers_set_active(cv_outtiers_t *ts, unsigned mask);
/* Makes the tiers in vp8 | h264 active and the others not: an active tier
 * has its picture, a VP8 encoder while its bit is in vp8 and an H.264 encoder
 * while it is in h264 (a new encoder's first frame is a key frame); what is
 * no longer wanted is freed. Returns the mask of active tiers (an encoder
 * that cannot be made leaves its codec out, counted; a tier left with no
 * encoder is not active). */
unsigned cv_outtiers_set_codecs(cv_outtiers_t *ts, unsigned vp8, unsigned h264);

/* The active tier with the largest picture (the one to compose into), or -1. */
int cv_outtiers_top(const cv_outtiers_t *ts);

/* 1 if active tier t makes a frame at tick time now_us (its frame rate may
 * be below the room's), and moves its deadline on; else 0. */
int cv_outtiers_due(cv_outtiers_t *ts, int t, int64_t now_us);

/* Scales src (the composite of the top tier) into active tier t's picture,
 * unless src is that picture. */
void cv_outtiers_scale(cv_outtiers_t *ts, int t, const cv_image_t *src);
/* Encodes active tier t with its VP8 encoder: first cv_outtiers_scale. pts90k
 * as cv_vp8_enc_encode; force_key asks for a key frame. Returns the length
 * (data in ts->buf), 0 for a dropped frame, or CV_E_* (CV_E_INVAL: no VP8
 * encoder). */
int cv_outtiers_encode(cv_outtiers_t *ts, int t, const cv_image_t *src, int64_t pts90k,
                       int force_key, int *key);
/* Encodes tier t's picture as it stands (scaled already) with its H.264
 * encoder, into ts->buf; as cv_outtiers_encode otherwise. */
int cv_outtiers_encode_h264(cv_outtiers_t *ts, int t, int64_t pts90k, int force_key, int *key);

#endif
