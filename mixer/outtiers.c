/*
 * outtiers.c - pictures and encoders of a room's output tiers, made when a tier
 * gets its first receiver and freed when it has none; the smaller tiers are
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

static void deactivate(cv_outtiers_t *ts, cv_outtier_t *t)
{
    if (!t->enc)
        return;
    cv_vp8_enc_destroy(t->enc);
    t->enc = NULL;
    cv_image_free(&t->img);
    ts->destroyed++;
}

void cv_outtiers_cleanup(cv_outtiers_t *ts)
{
    for (int i = 0; i < ts->n; i++)
        deactivate(ts, &ts->t[i]);
    free(ts->buf);
    ts->buf = NULL;
    ts->n = 0;
}

static int activate(cv_outtiers_t *ts, cv_outtier_t *t)
{
    cv_vp8_enc_cfg_t ec = {.width = t->cfg.width,
                           .height = t->cfg.height,
                           .fps = t->cfg.fps,
                           .bitrate_kbps = t->cfg.kbps,
                           .threads = 1,
                           .cpu_used = -8,
                           .keyframe_max_dist = KEYFRAME_MAX_DIST};
    if (cv_image_alloc(&t->img, t->cfg.width, t->cfg.height) < 0)
        goto fail;
    t->enc = cv_vp8_enc_create(&ec);
    if (!t->enc)
        goto fail;
    t->next_us = -1;
    t->want_key = 0; /* the encoder's first frame is a key frame anyway */
    ts->created++;
    return 0;
fail:
    cv_image_free(&t->img);
    ts->failures++;
    CV_WARN("could not make a %dx%d output encoder", t->cfg.width, t->cfg.height);
    return CV_E_CODEC;
}

unsigned cv_outtiers_set_active(cv_outtiers_t *ts, unsigned mask)
{
    unsigned active = 0;
    for (int i = 0; i < ts->n; i++) {
        cv_outtier_t *t = &ts->t[i];
        if (!(mask & (1u << i)))
            deactivate(ts, t);
        else if (t->enc || activate(ts, t) == 0)
            active |= 1u << i;
    }
    return active;
}

int cv_outtiers_top(const cv_outtiers_t *ts)
{
    int top = -1;
    for (int i = 0; i < ts->n; i++) {
        const cv_outtier_cfg_t *c = &ts->t[i].cfg;
        if (ts->t[i].enc && (top < 0 || (int64_t)c->width * c->height >
                                            (int64_t)ts->t[top].cfg.width * ts->t[top].cfg.height))
            top = i;
    }
    return top;
}

int cv_outtiers_due(cv_outtiers_t *ts, int t, int64_t now_us)
{
    cv_outtier_t *x = &ts->t[t];
    if (!x->enc)
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

int cv_outtiers_encode(cv_outtiers_t *ts, int t, const cv_image_t *src, int64_t pts90k,
                       int force_key, int *key)
{
    cv_outtier_t *x = &ts->t[t];
    *key = 0;
    if (!x->enc)
        return CV_E_INVAL;
    if (src != &x->img) {
        cv_image_fill(&x->img, CV_IMAGE_BLACK_Y, CV_IMAGE_BLACK_U, CV_IMAGE_BLACK_V);
        cv_image_blit_fit(&x->img, 0, 0, x->img.w, x->img.h, src->y, src->stride_y, src->u,
                          src->stride_u, src->v, src->stride_v, src->w, src->h);
    }
    if (force_key)
        cv_vp8_enc_request_keyframe(x->enc);
    return cv_vp8_enc_encode(x->enc, &x->img, pts90k, ts->buf, ts->cap, key);
}
