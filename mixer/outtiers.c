/*
 * outtiers.c - pictures and encoders of a room's output tiers, made when a tier
 * gets its first receiver (of that codec) and freed when it has none; the smaller tiers are
 * scaled down from the composite (cv_image_blit_fit, libyuv underneath).
 * Owned by the room's video tick.
 */
#include "outtiers.h"

#include "err.h"
#include "log.h"
#include "mem.h"

#include <stdlib.h>
#include <string.h>

#define KEYFRAME_MAX_DIST 3000 /* key frames come on request, and at least every 100 s */

int cv_outtiers_init(cv_outtiers_t *ts, const cv_outtier_cfg_t *cfg, int n, int room_fps)
{
    memset(ts, 0, sizeof(*ts));
    if (n < 1 || n > CV_OUTTIERS_MAX || !cfg || room_fps < 1)
        return CV_E_INVAL;
    size_t cap = 0;
    for (int i = 0; i < n; i++) {
        const cv_outtier_cfg_t *c = &cfg[i];
        if (c->width < 16 || c->height < 16 || c->width > 1920 || c->height > 1080 ||
            (c->width | c->height) & 1 || c->fps < 1 || c->fps > room_fps ||
            c->kbps < CV_VP8_MIN_KBPS || c->kbps > CV_VP8_MAX_KBPS)
            return CV_E_INVAL;
        ts->t[i].cfg = *c;
        size_t need = (size_t)c->width * (size_t)c->height * 3 / 2 + 4096;
        if (need > cap)
            cap = need;
    }
    ts->n = n;
    ts->room_fps = room_fps;
    ts->cap = cap;
    ts->buf = cv_xmalloc(cap);
    return 0;
}

static void drop_vp8(cv_outtiers_t *ts, cv_outtier_t *t)
{
    if (!t->enc)
        return;
    cv_vp8_enc_destroy(t->enc);
    t->enc = NULL;
    ts->destroyed++;
}

static void drop_h264(cv_outtiers_t *ts, cv_outtier_t *t)
{
    if (!t->henc)
        return;
    cv_h264_enc_destroy(t->henc);
    t->henc = NULL;
    ts->destroyed++;
}

static void deactivate(cv_outtiers_t *ts, cv_outtier_t *t)
{
    drop_vp8(ts, t);
    drop_h264(ts, t);
    if (t->active)
        cv_image_free(&t->img);
    t->active = 0;
}

void cv_outtiers_cleanup(cv_outtiers_t *ts)
{
    for (int i = 0; i < ts->n; i++)
        deactivate(ts, &ts->t[i]);
    free(ts->buf);
    ts->buf = NULL;
    ts->n = 0;
}

static int fail(cv_outtiers_t *ts, cv_outtier_t *t, const char *codec)
{
    ts->failures++;
    CV_WARN("could not make a %dx%d %s output encoder", t->cfg.width, t->cfg.height, codec);
    return CV_E_CODEC;
}

static int make_vp8(cv_outtiers_t *ts, cv_outtier_t *t)
{
    cv_vp8_enc_cfg_t ec = {.width = t->cfg.width,
                           .height = t->cfg.height,
                           .fps = t->cfg.fps,
                           .bitrate_kbps = t->cfg.kbps,
                           .threads = 1,
                           .cpu_used = -8,
                           .keyframe_max_dist = KEYFRAME_MAX_DIST};
    t->enc = cv_vp8_enc_create(&ec);
    if (!t->enc)
        return fail(ts, t, "VP8");
    t->key[CV_OUTTIER_VP8].want_key = 0; /* the encoder's first frame is a key frame anyway */
    ts->created++;
    return 0;
}

static int make_h264(cv_outtiers_t *ts, cv_outtier_t *t)
{
    cv_h264_enc_cfg_t ec = {.width = t->cfg.width,
                            .height = t->cfg.height,
                            .fps = t->cfg.fps,
                            .bitrate_kbps = t->cfg.kbps,
                            .keyframe_max_dist = KEYFRAME_MAX_DIST};
    t->henc = cv_h264_enc_create(&ec);
    if (!t->henc)
        return fail(ts, t, "H.264");
    t->key[CV_OUTTIER_H264].want_key = 0; /* its first picture is an IDR */
    ts->created++;
    return 0;
}

/* Tier t wanted with these codecs: its picture, and one encoder each. */
static int activate(cv_outtiers_t *ts, cv_outtier_t *t, int vp8, int h264)
{
    if (!t->active) {
        if (cv_image_alloc(&t->img, t->cfg.width, t->cfg.height) < 0) {
            ts->failures++; /* not for sizes init took */
            return CV_E_CODEC;
        }
        t->active = 1;
        t->next_us = -1;
    }
    if (!vp8)
        drop_vp8(ts, t);
    else if (!t->enc)
        make_vp8(ts, t);
    if (!h264)
        drop_h264(ts, t);
    else if (!t->henc)
        make_h264(ts, t);
    if (!t->enc && !t->henc) {
        deactivate(ts, t);
        return CV_E_CODEC;
    }
    return 0;
}

unsigned cv_outtiers_set_codecs(cv_outtiers_t *ts, unsigned vp8, unsigned h264)
{
    unsigned active = 0;
    for (int i = 0; i < ts->n; i++) {
        cv_outtier_t *t = &ts->t[i];
        unsigned bit = 1u << i;
        if (!((vp8 | h264) & bit))
            deactivate(ts, t);
        else if (activate(ts, t, !!(vp8 & bit), !!(h264 & bit)) == 0)
            active |= bit;
    }
    return active;
}

unsigned cv_outtiers_set_active(cv_outtiers_t *ts, unsigned mask)
{
    return cv_outtiers_set_codecs(ts, mask, 0);
}

int cv_outtiers_top(const cv_outtiers_t *ts)
{
    int top = -1;
    for (int i = 0; i < ts->n; i++) {
        const cv_outtier_cfg_t *c = &ts->t[i].cfg;
        if (ts->t[i].active &&
            (top < 0 ||
             (int64_t)c->width * c->height > (int64_t)ts->t[top].cfg.width * ts->t[top].cfg.height))
            top = i;
    }
    return top;
}

int cv_outtiers_due(cv_outtiers_t *ts, int t, int64_t now_us)
{
    cv_outtier_t *x = &ts->t[t];
    if (!x->active)
        return 0;
    if (x->cfg.fps >= ts->room_fps)
        return 1; /* every room tick */
    /* a slower tier: one frame each time its own frame count moves on */
    int64_t frame = now_us / (1000000 / x->cfg.fps);
    if (frame == x->next_us)
        return 0;
    x->next_us = frame;
    return 1;
}

void cv_outtiers_scale(cv_outtiers_t *ts, int t, const cv_image_t *src)
{
    cv_outtier_t *x = &ts->t[t];
    if (!x->active || src == &x->img)
        return;
    cv_image_fill(&x->img, CV_IMAGE_BLACK_Y, CV_IMAGE_BLACK_U, CV_IMAGE_BLACK_V);
    cv_image_blit_fit(&x->img, 0, 0, x->img.w, x->img.h, src->y, src->stride_y, src->u,
                      src->stride_u, src->v, src->stride_v, src->w, src->h);
}

int cv_outtiers_encode(cv_outtiers_t *ts, int t, const cv_image_t *src, int64_t pts90k,
                       int force_key, int *key)
{
    cv_outtier_t *x = &ts->t[t];
    *key = 0;
    if (!x->enc)
        return CV_E_INVAL;
    cv_outtiers_scale(ts, t, src);
    if (force_key)
        cv_vp8_enc_request_keyframe(x->enc);
    return cv_vp8_enc_encode(x->enc, &x->img, pts90k, ts->buf, ts->cap, key);
}

int cv_outtiers_encode_h264(cv_outtiers_t *ts, int t, int64_t pts90k, int force_key, int *key)
{
    cv_outtier_t *x = &ts->t[t];
    *key = 0;
    if (!x->henc)
        return CV_E_INVAL;
    if (force_key)
        cv_h264_enc_request_keyframe(x->henc);
    return cv_h264_enc_encode(x->henc, &x->img, pts90k, ts->buf, ts->cap, key);
}
