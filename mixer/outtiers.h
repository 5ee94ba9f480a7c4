/*
 * outtiers.h - a room's output tiers (docs/ARCHITECTURE.md, Output tiers): the
 * composite picture at a few sizes, frame rates and bit rates, each encoded
 * once for every receiver on that tier. A tier's picture and encoder exist
 * only while someone receives it. The room composes once, at the largest
 * active tier's size, and each smaller active tier is scaled down from it.
 *
 * Thread: owned by the room's video tick (one mixer worker at a time); time
 * is an argument. No RFCs (VP8 per RFC 6386 through video_codec.h).
 */
#ifndef CV_OUTTIERS_H
#define CV_OUTTIERS_H

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

typedef struct {
    cv_outtier_cfg_t cfg;
    cv_image_t img;    /* allocated while active */
    cv_vp8_enc_t *enc; /* exists while active */
    int64_t next_us;   /* a slower tier: the number of its last frame (time / period) */
    int64_t last_keyframe_us;
    int want_key; /* a key frame is wanted (rate-limited by the room) */
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

/* Makes the tiers in mask (bit t: tier t) active and the others not: a tier
 * becoming active gets its picture and encoder (its first frame is a key
 * frame), one becoming inactive loses them. Returns the mask of active
 * tiers (an encoder that cannot be made leaves its tier out, counted). */
unsigned cv_outtiers_set_active(cv_outtiers_t *ts, unsigned mask);

/* The active tier with the largest picture (the one to compose into), or -1. */
int cv_outtiers_top(const cv_outtiers_t *ts);

/* 1 if active tier t makes a frame at tick time now_us (its frame rate may
 * be below the room's), and moves its deadline on; else 0. */
int cv_outtiers_due(cv_outtiers_t *ts, int t, int64_t now_us);

/* Encodes active tier t: first scales src (the composite of the top tier)
 * into the tier's picture unless src is that picture. pts90k as
 * cv_vp8_enc_encode; force_key asks for a key frame. Returns the length
 * (data in ts->buf), 0 for a dropped frame, or CV_E_*. */
int cv_outtiers_encode(cv_outtiers_t *ts, int t, const cv_image_t *src, int64_t pts90k,
                       int force_key, int *key);

#endif
