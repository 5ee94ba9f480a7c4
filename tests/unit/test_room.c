/*
 * test_room.c - a room end to end on a fake clock: synthetic camera pictures
 * encoded by per-participant VP8 encoders go in, the room decodes,
 * composites and encodes once, and what a participant pops is decoded again
 * and each tile compared with its source scaled the same way (Y PSNR).
 * Fan-out of the very same encoded frame, the first frame a key frame, a key
 * frame for a late joiner within the rate limit, tiles after a leave, the
 * placeholder of a participant without video, a corrupt input that hurts
 * nobody else. Audio: distinct tones per participant through Opus, mix-minus
 * (everyone hears the others, not themselves), the active speaker, a voice
 * dropped after its hangover, the self-monitor echo check.
 * docs/ARCHITECTURE.md, The packet path and Output tiers.
 */
#include "check.h"

#include "audio_codec.h"
#include "compositor.h"
#include "err.h"
#include "image.h"
#include "layout.h"
#include "room.h"
#include "stats.h"
#include "video_codec.h"
#include "vp8.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define W 640
#define H 360
#define SW 320 /* camera pictures */
#define SH 240
#define TICK_US 33333
#define AUDIO_US 20000
#define KEYFRAME_MIN_US 300000 /* room.c: at most one forced key frame per 300 ms */
#define HANGOVER_TICKS 20      /* room.c: 400 ms of audio ticks */
#define OWN_HOLD_TICKS 20      /* room.c: a listener keeps its own encoder 400 ms */
#define MIN_PSNR 28.0
#define ENC_CAP (SW * SH * 3 / 2 + 4096)
#define MAX_PER_TICK 8

static const cv_room_cfg_t CFG = {.width = W,
                                  .height = H,
                                  .fps = 30,
                                  .video_kbps = 1500,
                                  .audio_bps = 32000,
                                  .max_participants = 8,
                                  .self_monitor = 0};

static void on_notify(void *ud)
{
    (*(int *)ud)++;
}

/* ---- pictures ---- */

static uint8_t *py(const cv_image_t *im, int x, int y)
{
    return im->y + (size_t)y * im->stride_y + x;
}

/* A view (no copy) of the rectangle (x, y, w, h) of im; x, y even. */
static cv_image_t view(const cv_image_t *im, int x, int y, int w, int h)
{
    cv_image_t v = *im;
    v.mem = NULL;
    v.w = w;
    v.h = h;
    v.y = im->y + (size_t)y * im->stride_y + x;
    v.u = im->u + (size_t)(y / 2) * im->stride_u + x / 2;
    v.v = im->v + (size_t)(y / 2) * im->stride_v + x / 2;
    return v;
}

/* Three camera pictures a codec keeps well and that differ everywhere in
 * luma: a horizontal ramp with a checkerboard, a vertical ramp with
 * stripes, a diagonal ramp with diagonal bands; each in its own colour. */
static void make_source(cv_image_t *im, int which)
{
    cv_image_alloc(im, SW, SH);
    for (int y = 0; y < SH; y++) {
        for (int x = 0; x < SW; x++) {
            int v;
            if (which == 0)
                v = 40 + x * 140 / SW + ((x / 16 + y / 16) & 1) * 24;
            else if (which == 1)
                v = 180 - y * 140 / SH + ((x / 10) & 1) * 20;
            else
                v = 60 + (x + 2 * y) * 100 / (SW + 2 * SH) + (((x + y) / 14) & 1) * 30;
            *py(im, x, y) = (uint8_t)v;
        }
    }
    for (int y = 0; y < SH / 2; y++) {
        for (int x = 0; x < SW / 2; x++) {
            uint8_t u = which == 0 ? (uint8_t)(100 + x / 8) : which == 1 ? 80 : 170;
            uint8_t v = which == 0 ? 170 : which == 1 ? (uint8_t)(90 + y / 4) : 110;
            im->u[(size_t)y * im->stride_u + x] = u;
            im->v[(size_t)y * im->stride_v + x] = v;
        }
    }
}

static void copy_image(cv_image_t *dst, const cv_image_t *src)
{
    if (!dst->mem || dst->w != src->w || dst->h != src->h) {
        cv_image_free(dst);
        cv_image_alloc(dst, src->w, src->h);
    }
    for (int y = 0; y < src->h; y++)
        memcpy(dst->y + (size_t)y * dst->stride_y, src->y + (size_t)y * src->stride_y,
               (size_t)src->w);
    for (int y = 0; y < (src->h + 1) / 2; y++) {
        memcpy(dst->u + (size_t)y * dst->stride_u, src->u + (size_t)y * src->stride_u,
               (size_t)(src->w + 1) / 2);
        memcpy(dst->v + (size_t)y * dst->stride_v, src->v + (size_t)y * src->stride_v,
               (size_t)(src->w + 1) / 2);
    }
}

/* Y PSNR of the picture part of tile r (bars excluded) in got, against src
 * scaled into r the way the compositor does it. */
static double tile_psnr(const cv_image_t *got, const cv_rect_t *r, const cv_image_t *src)
{
    cv_image_t ref;
    cv_image_alloc(&ref, W, H);
    cv_image_blit_fit(&ref, r->x, r->y, r->w, r->h, src->y, src->stride_y, src->u, src->stride_u,
                      src->v, src->stride_v, src->w, src->h);
    int fx, fy, fw, fh;
    double p = -1.0;
    if (cv_image_fit_rect(r->x, r->y, r->w, r->h, src->w, src->h, &fx, &fy, &fw, &fh) == 0) {
        cv_image_t a = view(got, fx, fy, fw, fh), b = view(&ref, fx, fy, fw, fh);
        p = cv_image_psnr_y(&a, &b);
    }
    cv_image_free(&ref);
    return p;
}

/* The same inside the speaker's border (CV_COMPOSE_BORDER), which covers
 * the edges of the picture. */
static double tile_psnr_inner(const cv_image_t *got, const cv_rect_t *r, const cv_image_t *src)
{
    cv_image_t ref;
    cv_image_alloc(&ref, W, H);
    cv_image_blit_fit(&ref, r->x, r->y, r->w, r->h, src->y, src->stride_y, src->u, src->stride_u,
                      src->v, src->stride_v, src->w, src->h);
    int fx, fy, fw, fh, in = CV_COMPOSE_BORDER + 2;
    double p = -1.0;
    if (cv_image_fit_rect(r->x, r->y, r->w, r->h, src->w, src->h, &fx, &fy, &fw, &fh) == 0) {
        cv_image_t a = view(got, fx + in, fy + in, fw - 2 * in, fh - 2 * in),
                   b = view(&ref, fx + in, fy + in, fw - 2 * in, fh - 2 * in);
        p = cv_image_psnr_y(&a, &b);
    }
    cv_image_free(&ref);
    return p;
}

/* Y PSNR of rect r in got against the same rect of ref. */
static double rect_psnr(const cv_image_t *got, const cv_image_t *ref, const cv_rect_t *r)
{
    cv_image_t a = view(got, r->x, r->y, r->w, r->h), b = view(ref, r->x, r->y, r->w, r->h);
    return cv_image_psnr_y(&a, &b);
}

/* ---- participants: a camera that encodes, a screen that decodes ---- */

typedef struct {
    cv_part_t *p;
    const char *name;
    int notified;
    /* camera */
    cv_image_t src;
    cv_vp8_enc_t *enc;
    uint8_t *buf;
    /* screen: the frames popped in the last drain, and the decoded picture */
    cv_frame_t *got[MAX_PER_TICK];
    int ngot;
    cv_vp8_dec_t *dec;
    cv_image_t pic;
    int have_pic;
    int frames, keys, decode_errors, started;
    int64_t last_key_us;
} member_t;

static void member_init(member_t *m, cv_room_t *r, const char *name, int source)
{
    memset(m, 0, sizeof(*m));
    m->name = name;
    m->p = cv_room_join(r, name, on_notify, &m->notified);
    CHECK(m->p != NULL);
    m->dec = cv_vp8_dec_create();
    m->last_key_us = -1;
    if (source < 0)
        return;
    make_source(&m->src, source);
    cv_vp8_enc_cfg_t ec = {.width = SW,
                           .height = SH,
                           .fps = 30,
                           .bitrate_kbps = 1000,
                           .threads = 1,
                           .cpu_used = -6,
                           .keyframe_max_dist = 0};
    m->enc = cv_vp8_enc_create(&ec);
    CHECK(m->enc != NULL);
    m->buf = malloc(ENC_CAP);
}

static void drop_got(member_t *m)
{
    for (int i = 0; i < m->ngot; i++)
        cv_frame_unref(m->got[i]);
    m->ngot = 0;
}

static void member_leave(member_t *m, cv_room_t *r)
{
    if (m->p)
        cv_room_leave(r, m->p);
    m->p = NULL;
}

static void member_cleanup(member_t *m, cv_room_t *r)
{
    member_leave(m, r);
    drop_got(m);
    cv_vp8_enc_destroy(m->enc);
    cv_vp8_dec_destroy(m->dec);
    cv_image_free(&m->src);
    cv_image_free(&m->pic);
    free(m->buf);
}

/* The camera encodes its picture for time now and pushes the frame. */
static void camera_push(member_t *m, int64_t now)
{
    int key = 0;
    int len = cv_vp8_enc_encode(m->enc, &m->src, now * 9 / 100, m->buf, ENC_CAP, &key);
    CHECK(len > 0);
    if (len <= 0)
        return;
    cv_frame_t *f = cv_frame_new(CV_FRAME_VIDEO, (size_t)len);
    memcpy(f->data, m->buf, (size_t)len);
    f->keyframe = key;
    f->t_us = now;
    CHECK_EQ(cv_part_push(m->p, f), 0);
}

/* Pops everything waiting for m (kept in m->got until the next drain) and
 * decodes the video from the first key frame on, as a browser behind its
 * outstream would. */
static void screen_drain(member_t *m)
{
    drop_got(m);
    cv_frame_t *f;
    while (m->p && (f = cv_part_pop(m->p))) {
        if (m->ngot == MAX_PER_TICK) {
            CHECK(m->ngot < MAX_PER_TICK);
            cv_frame_unref(f);
            continue;
        }
        m->got[m->ngot++] = f;
        if (f->kind != CV_FRAME_VIDEO)
            continue;
        m->frames++;
        if (f->keyframe) {
            m->keys++;
            m->last_key_us = f->t_us;
            m->started = 1;
        }
        if (!m->started)
            continue;
        cv_image_t out;
        int rc = cv_vp8_dec_decode(m->dec, f->data, f->len, &out);
        if (rc == 1) {
            copy_image(&m->pic, &out);
            m->have_pic = 1;
        } else {
            m->decode_errors++;
        }
    }
}

/* The same encoded frames, in the same order, for everyone in the room. */
static int same_frames(const member_t *a, const member_t *b)
{
    if (a->ngot != b->ngot)
        return 0;
    for (int i = 0; i < a->ngot; i++)
        if (a->got[i] != b->got[i] || a->got[i]->len != b->got[i]->len ||
            memcmp(a->got[i]->data, b->got[i]->data, a->got[i]->len) != 0)
            return 0;
    return 1;
}

/* ---- video ---- */

typedef struct {
    cv_room_t *r;
    member_t m[4]; /* A, B, C with cameras; D without */
    int64_t now;
    int tick;
    int all_same; /* every tick, every member got the same frames */
    int key_ticks[64];
    int nkeys;
} vroom_t;

/* One video tick at tick * TICK_US: the members with a camera and a place in
 * the room push a frame (skip: one who does not), the room ticks, everyone
 * drains. */
static void vtick(vroom_t *v, int skip)
{
    v->now = (int64_t)v->tick * TICK_US;
    for (int i = 0; i < 4; i++)
        if (v->m[i].p && v->m[i].enc && i != skip)
            camera_push(&v->m[i], v->now);
    cv_room_video_tick(v->r, v->now);
    const member_t *first = NULL;
    for (int i = 0; i < 4; i++) {
        if (!v->m[i].p)
            continue;
        screen_drain(&v->m[i]);
        if (!first)
            first = &v->m[i];
        else if (!same_frames(first, &v->m[i]))
            v->all_same = 0;
    }
    for (int i = 0; first && i < first->ngot; i++) {
        const cv_frame_t *f = first->got[i];
        CHECK_EQ(f->kind, CV_FRAME_VIDEO);
        CHECK_EQ(f->t_us, v->now);
        CHECK_EQ(f->rtp_ts, (uint32_t)(v->now * 9 / 100));
        if (f->keyframe && v->nkeys < 64)
            v->key_ticks[v->nkeys++] = v->tick;
        /* the flag tells the truth (RFC 6386 §9.1 frame tag) */
        CHECK_EQ(cv_vp8_is_keyframe(f->data, f->len, NULL, NULL), f->keyframe);
    }
    v->tick++;
}

static void check_tiles(const char *what, const member_t *viewer, const cv_image_t *const *srcs,
                        int n, double *psnr_out)
{
    cv_rect_t rects[4];
    CHECK_EQ(cv_layout_grid(n, W, H, rects), n);
    CHECK(viewer->have_pic);
    if (!viewer->have_pic)
        return;
    CHECK_EQ(viewer->pic.w, W);
    CHECK_EQ(viewer->pic.h, H);
    printf("  %s:", what);
    for (int i = 0; i < n; i++) {
        if (!srcs[i])
            continue;
        double p = tile_psnr(&viewer->pic, &rects[i], srcs[i]);
        if (psnr_out)
            psnr_out[i] = p;
        printf(" tile %d %.1f dB", i, p);
        CHECK(p >= MIN_PSNR);
        /* and it is not some other participant's picture */
        for (int j = 0; j < n; j++)
            if (j != i && srcs[j])
                CHECK(tile_psnr(&viewer->pic, &rects[i], srcs[j]) < 20.0);
    }
    printf("\n");
}

/* The grey placeholder of a participant without video, with its name. */
static void check_placeholder(const member_t *viewer, int n, int i, const char *name)
{
    cv_rect_t rects[4];
    cv_layout_grid(n, W, H, rects);
    const cv_rect_t *r = &rects[i];
    double my = 0, mu = 0, mv = 0;
    cv_image_mean(&viewer->pic, r->x, r->y, r->w, r->h, &my, &mu, &mv);
    /* grey 48 with some white text on it */
    CHECK(my > CV_COMPOSE_TILE_Y - 4 && my < CV_COMPOSE_TILE_Y + 30);
    CHECK(fabs(mu - 128) < 6 && fabs(mv - 128) < 6);
    /* the corners are plain grey, the text is there */
    double cy = 0;
    cv_image_mean(&viewer->pic, r->x + 2, r->y + 2, 16, 16, &cy, NULL, NULL);
    CHECK(fabs(cy - CV_COMPOSE_TILE_Y) < 6);
    int bright = 0;
    for (int y = r->y; y < r->y + r->h; y++)
        for (int x = r->x; x < r->x + r->w; x++)
            bright += *py(&viewer->pic, x, y) > 180;
    CHECK(bright > 100);
    /* against the compositor's own placeholder */
    cv_image_t ref;
    cv_image_alloc(&ref, W, H);
    cv_tile_t tiles[4] = {{0}};
    for (int k = 0; k < n; k++)
        tiles[k].name = k == i ? name : "";
    cv_compose_grid(&ref, tiles, n);
    double p = rect_psnr(&viewer->pic, &ref, r);
    printf("  placeholder: mean Y %.1f, %d text pixels, %.1f dB against the compositor's\n", my,
           bright, p);
    CHECK(p >= MIN_PSNR);
    cv_image_free(&ref);
}

static void test_video(void)
{
    vroom_t *v = calloc(1, sizeof(*v));
    v->all_same = 1;
    v->r = cv_room_create(&CFG, 0);
    CHECK(v->r != NULL);
    if (!v->r) {
        free(v);
        return;
    }
    static const char *names[4] = {"A", "B", "C", "D"};
    for (int i = 0; i < 3; i++)
        member_init(&v->m[i], v->r, names[i], i);
    CHECK_EQ(cv_room_count(v->r), 3);
    for (int i = 0; i < 3; i++)
        CHECK_EQ(cv_part_index(v->m[i].p), i);
    const cv_image_t *srcs3[4] = {&v->m[0].src, &v->m[1].src, &v->m[2].src, NULL};
    member_t *A = &v->m[0], *B = &v->m[1], *C = &v->m[2], *D = &v->m[3];

    /* 12 ticks of three cameras */
    for (int k = 0; k < 12; k++)
        vtick(v, -1);
    CHECK(A->frames >= 10); /* rate control may drop one or two */
    CHECK(A->ngot <= 1);
    CHECK_EQ(A->decode_errors, 0);
    CHECK(v->nkeys >= 1);
    CHECK_EQ(v->key_ticks[0], 0); /* the very first frame is a key frame */
    for (int i = 0; i < 3; i++)
        CHECK(v->m[i].notified >= A->frames);
    double psnr[4] = {0};
    check_tiles("3 tiles", A, srcs3, 3, psnr);
    /* the others decode exactly what A decodes: same bytes */
    CHECK(v->all_same);

    /* a corrupt frame from B: B's decoder error is raised once; A's and C's
     * tiles go on, B's keeps its last picture */
    {
        uint8_t junk[300];
        uint32_t seed = 99;
        for (size_t j = 0; j < sizeof(junk); j++) {
            seed = seed * 1103515245u + 12345u;
            junk[j] = (uint8_t)(seed >> 16);
        }
        junk[0] &= 0xfe; /* a key frame tag, so libvpx checks the start code */
        cv_frame_t *f = cv_frame_new(CV_FRAME_VIDEO, sizeof(junk));
        memcpy(f->data, junk, sizeof(junk));
        CHECK_EQ(cv_part_push(B->p, f), 0);
        CHECK_EQ(cv_part_take_decoder_error(B->p), 0);
        vtick(v, 1);
        CHECK_EQ(cv_part_take_decoder_error(B->p), 1);
        CHECK_EQ(cv_part_take_decoder_error(B->p), 0); /* once */
        CHECK_EQ(cv_part_take_decoder_error(A->p), 0);
        CHECK_EQ(cv_part_take_decoder_error(C->p), 0);
        cv_vp8_enc_request_keyframe(B->enc); /* B's browser answers the PLI */
        for (int k = 0; k < 3; k++)
            vtick(v, -1);
        CHECK_EQ(cv_part_take_decoder_error(B->p), 0);
        check_tiles("after B's corrupt frame", A, srcs3, 3, NULL);
        cv_room_stats_t st;
        cv_room_get_stats(v->r, &st);
        CHECK_EQ(st.decode_errors, 1);
        CHECK(st.decoded >= 3 * 15 - 2);
    }

    /* A asks for a key frame (PLI) once the last is KEYFRAME_MIN_US old: the
     * next tick makes one */
    while ((int64_t)(v->tick - v->key_ticks[v->nkeys - 1]) * TICK_US < KEYFRAME_MIN_US)
        vtick(v, -1);
    cv_part_request_keyframe(A->p);
    vtick(v, -1);
    CHECK_EQ(v->key_ticks[v->nkeys - 1], v->tick - 1);
    vtick(v, -1);

    /* D joins, without a camera, a tick after that key frame: the next key
     * frame comes at the first tick at least KEYFRAME_MIN_US after it */
    int last_key_tick = v->key_ticks[v->nkeys - 1];
    int keys_before = v->nkeys;
    int64_t last_key_us = (int64_t)last_key_tick * TICK_US;
    CHECK(v->tick - last_key_tick == 2); /* so the rate limit matters */
    member_init(D, v->r, names[3], -1);
    CHECK_EQ(cv_part_index(D->p), 3);
    int join_tick = v->tick;
    int due = join_tick;
    while ((int64_t)due * TICK_US - last_key_us < KEYFRAME_MIN_US)
        due++;
    for (int k = 0; k < due - join_tick + 6; k++)
        vtick(v, -1);
    CHECK(v->nkeys > keys_before);
    if (v->nkeys > keys_before) {
        int kt = v->key_ticks[keys_before];
        printf("  late joiner: last key frame at tick %d, D joined at tick %d, key frame at "
               "tick %d (due %d)\n",
               last_key_tick, join_tick, kt, due);
        CHECK(kt >= due);     /* not before the rate limit allows */
        CHECK(kt <= due + 2); /* and promptly then */
    }
    CHECK(D->keys >= 1);
    CHECK(D->have_pic);
    CHECK_EQ(D->decode_errors, 0);
    CHECK(v->all_same); /* D gets the same frames as everyone else */
    const cv_image_t *srcs4[4] = {&A->src, &B->src, &C->src, NULL};
    check_tiles("4 tiles", A, srcs4, 4, NULL);
    check_placeholder(A, 4, 3, "D");
    /* D sees the same picture as A */
    CHECK(cv_image_psnr_y(&A->pic, &D->pic) == 99.0);

    /* D leaves: three tiles again, D hears of nothing more */
    int d_notified = D->notified;
    drop_got(D);
    member_leave(D, v->r);
    CHECK_EQ(cv_room_count(v->r), 3);
    for (int k = 0; k < 4; k++)
        vtick(v, -1);
    CHECK_EQ(D->notified, d_notified);
    check_tiles("D left", A, srcs3, 3, NULL);

    /* C leaves: two tiles side by side; where C's tile was is now black bars
     * and the lower parts of A's and B's tiles */
    cv_rect_t r3[3], r2[2];
    cv_layout_grid(3, W, H, r3);
    cv_layout_grid(2, W, H, r2);
    member_leave(C, v->r);
    CHECK_EQ(cv_room_count(v->r), 2);
    for (int k = 0; k < 5; k++)
        vtick(v, -1);
    const cv_image_t *srcs2[2] = {&A->src, &B->src};
    check_tiles("C left", A, srcs2, 2, NULL);
    {
        cv_image_t ref2, ref3;
        cv_image_alloc(&ref2, W, H);
        cv_image_alloc(&ref3, W, H);
        cv_tile_t t[3] = {{&A->src, "A", 0}, {&B->src, "B", 0}, {&C->src, "C", 0}};
        cv_compose_grid(&ref2, t, 2);
        cv_compose_grid(&ref3, t, 3);
        double p_new = rect_psnr(&A->pic, &ref2, &r3[2]);
        double p_old = rect_psnr(&A->pic, &ref3, &r3[2]);
        printf("  C's old tile: %.1f dB against the 2-tile layout, %.1f dB against C\n", p_new,
               p_old);
        CHECK(p_new >= MIN_PSNR);
        CHECK(p_old < 20.0);
        /* the whole canvas is the 2-tile layout */
        cv_rect_t all = {0, 0, W, H};
        CHECK(rect_psnr(&A->pic, &ref2, &all) >= MIN_PSNR);
        /* a black bar below A's picture, inside C's old rect */
        int fx, fy, fw, fh;
        cv_image_fit_rect(r2[0].x, r2[0].y, r2[0].w, r2[0].h, SW, SH, &fx, &fy, &fw, &fh);
        double my = 0;
        cv_image_mean(&A->pic, fx + 8, fy + fh + 8, fw - 16, r2[0].y + r2[0].h - fy - fh - 16, &my,
                      NULL, NULL);
        CHECK(fy + fh < r3[2].y + r3[2].h);
        CHECK(fabs(my - CV_IMAGE_BLACK_Y) < 4);
        cv_image_free(&ref2);
        cv_image_free(&ref3);
    }

    cv_room_stats_t st;
    cv_room_get_stats(v->r, &st);
    CHECK_EQ(st.video_ticks, (uint64_t)v->tick);
    CHECK_EQ(st.video_encoded, (uint64_t)A->frames);
    CHECK_EQ(st.keyframes, (uint64_t)v->nkeys);
    CHECK_EQ(st.decode_errors, 1);
    CHECK(v->all_same);
    printf("  video: %d ticks, %d frames, %d key frames at ticks", v->tick, A->frames, v->nkeys);
    for (int i = 0; i < v->nkeys; i++)
        printf(" %d", v->key_ticks[i]);
    printf("\n");

    for (int i = 0; i < 4; i++)
        member_cleanup(&v->m[i], v->r);
    CHECK_EQ(cv_room_count(v->r), 0);
    cv_room_destroy(v->r);
    free(v);
}

/*
 * BUG (mixer/room.c, cv_room_video_tick / wants_keyframe): a key frame that
 * was not forced by wants_keyframe (the encoder's first frame, or one libvpx
 * makes by itself, e.g. after CV_E_NOSPACE) leaves r->want_keyframe set, so
 * one more key frame is forced as soon as the 300 ms rate limit allows,
 * although every participant already had one. With the room created at
 * now = 0, the first tick's request is not honoured (now - last_keyframe_us
 * = 0 < KEYFRAME_MIN_US, last_keyframe_us starting at 0), the encoder's first
 * frame is a key frame anyway, and a second key frame follows at tick 10
 * (333 ms) with nobody joining or asking. Expected: one key frame in 20
 * ticks. Fix: clear want_keyframe whenever a key frame goes out (the fresh
 * flags still cover joiners not in the tick's snapshot), and start
 * last_keyframe_us far in the past.
 */
static void test_bug_redundant_keyframe(void)
{
    vroom_t *v = calloc(1, sizeof(*v));
    v->all_same = 1;
    v->r = cv_room_create(&CFG, 0);
    CHECK(v->r != NULL);
    if (!v->r) {
        free(v);
        return;
    }
    static const char *names[2] = {"A", "B"};
    for (int i = 0; i < 2; i++)
        member_init(&v->m[i], v->r, names[i], i);
    for (int k = 0; k < 20; k++)
        vtick(v, -1);
    CHECK_EQ(v->key_ticks[0], 0);
    CHECK_EQ(v->nkeys, 1); /* BUG: 2, the second at tick 10 */
    for (int i = 0; i < 4; i++)
        member_cleanup(&v->m[i], v->r);
    cv_room_destroy(v->r);
    free(v);
}

/* Someone who receives no video (a publisher, or a receiver on audio only)
 * never gets the key frame it "needs" as a newcomer, so it must not make the
 * room force one every KEYFRAME_MIN_US: one key frame in 30 ticks. Back from
 * audio only, a receiver gets a key frame. */
static void test_no_keyframes_for_non_receivers(void)
{
    vroom_t *v = calloc(1, sizeof(*v));
    v->all_same = 1;
    v->r = cv_room_create(&CFG, 0);
    member_init(&v->m[0], v->r, "A", 0);
    member_init(&v->m[1], v->r, "B", 1);
    cv_room_leave(v->r, v->m[1].p); /* B again, as a send-only publisher */
    v->m[1].p = cv_room_join_as(v->r, "B", CV_ROLE_PUBLISHER, on_notify, &v->m[1].notified);
    for (int k = 0; k < 30; k++)
        vtick(v, -1);
    CHECK_EQ(v->nkeys, 1);
    CHECK_EQ(v->m[1].frames, 0);
    /* A goes audio only: no video for A, and none made at all (nobody receives) */
    int frames = v->m[0].frames;
    cv_part_set_tier(v->m[0].p, CV_TIER_AUDIO_ONLY);
    for (int k = 0; k < 10; k++)
        vtick(v, -1);
    CHECK_EQ(v->m[0].frames, frames);
    CHECK_EQ(cv_part_video_wanted(v->m[1].p), 0); /* nobody sees B: not decoded */
    cv_part_set_tier(v->m[0].p, 0);
    int keys = v->m[0].keys;
    for (int k = 0; k < 3; k++)
        vtick(v, -1);
    CHECK(v->m[0].frames > frames);
    CHECK_EQ(v->m[0].keys, keys + 1);
    CHECK_EQ(cv_part_video_wanted(v->m[1].p), 1);
    for (int i = 0; i < 4; i++)
        member_cleanup(&v->m[i], v->r);
    cv_room_destroy(v->r);
    free(v);
}

/* Output tiers: a tier is encoded only while someone receives it; a
 * receiver who switches gets nothing of the new tier before its key frame,
 * then pictures of the new size showing the same composite, on the same
 * clock; the slow tier runs at its own frame rate. */
static void test_tiers(void)
{
    cv_room_cfg_t c = CFG;
    c.n_tiers = 3;
    c.tiers[0].width = W, c.tiers[0].height = H, c.tiers[0].fps = 30, c.tiers[0].kbps = 1500;
    c.tiers[1].width = W / 2, c.tiers[1].height = H / 2, c.tiers[1].fps = 30;
    c.tiers[1].kbps = 500;
    c.tiers[2].width = W / 4, c.tiers[2].height = H / 4, c.tiers[2].fps = 15;
    c.tiers[2].kbps = 150;
    cv_room_cfg_t bad = c;
    bad.tiers[2].fps = 31; /* faster than the room ticks */
    CHECK(cv_room_create(&bad, 0) == NULL);
    bad = c;
    bad.n_tiers = CV_ROOM_MAX_TIERS + 1;
    CHECK(cv_room_create(&bad, 0) == NULL);
    vroom_t *v = calloc(1, sizeof(*v));
    v->r = cv_room_create(&c, 0);
    CHECK(v->r != NULL);
    if (!v->r) {
        free(v);
        return;
    }
    member_t *A = &v->m[0], *B = &v->m[1], *C = &v->m[2];
    member_init(A, v->r, "A", 0);
    member_init(B, v->r, "B", 1);
    member_init(C, v->r, "C", 2);
    for (int k = 0; k < 10; k++)
        vtick(v, -1);
    cv_room_stats_t st;
    cv_room_get_stats(v->r, &st);
    CHECK_EQ(st.active_tiers, 1); /* everyone on tier 0: no other encoder */
    CHECK_EQ(st.tier_frames[1] + st.tier_frames[2], 0);
    CHECK(B->have_pic && B->pic.w == W && B->pic.h == H);
    /* B goes to tier 1, C to tier 2 */
    int b_frames = B->frames, b_keys = B->keys;
    uint32_t last_ts = (uint32_t)(v->now * 9 / 100);
    cv_part_set_tier(B->p, 1);
    cv_part_set_tier(C->p, 7); /* beyond the last: the last */
    vtick(v, -1);
    CHECK(B->ngot >= 1);
    if (B->ngot >= 1) {
        CHECK(B->got[0]->keyframe);
        /* one clock for every tier: the next timestamp after tier 0's last one */
        CHECK_EQ(B->got[0]->rtp_ts, (uint32_t)(v->now * 9 / 100));
        CHECK(B->got[0]->rtp_ts - last_ts >= 2999 && B->got[0]->rtp_ts - last_ts <= 3000);
    }
    for (int k = 0; k < 19; k++)
        vtick(v, -1);
    cv_room_get_stats(v->r, &st);
    printf("  tiers: frames per tier %llu %llu %llu in %d ticks, active mask %d\n",
           (unsigned long long)st.tier_frames[0], (unsigned long long)st.tier_frames[1],
           (unsigned long long)st.tier_frames[2], v->tick, st.active_tiers);
    CHECK_EQ(st.active_tiers, 7);
    CHECK(st.tier_frames[1] >= 18 && st.tier_frames[1] <= 20);
    CHECK(st.tier_frames[2] >= 9 && st.tier_frames[2] <= 11); /* 15 of the room's 30 fps */
    CHECK_EQ(B->keys, b_keys + 1);
    CHECK(B->frames - b_frames >= 18);
    CHECK_EQ(B->decode_errors + C->decode_errors, 0);
    CHECK(B->pic.w == W / 2 && B->pic.h == H / 2);
    CHECK(C->pic.w == W / 4 && C->pic.h == H / 4);
    /* the same composite, smaller: B's picture against A's scaled down */
    cv_image_t ref;
    cv_image_alloc(&ref, W / 2, H / 2);
    cv_image_blit_fit(&ref, 0, 0, W / 2, H / 2, A->pic.y, A->pic.stride_y, A->pic.u,
                      A->pic.stride_u, A->pic.v, A->pic.stride_v, A->pic.w, A->pic.h);
    double p = cv_image_psnr_y(&B->pic, &ref);
    printf("  tier 1 picture against tier 0's scaled down: %.1f dB\n", p);
    CHECK(p >= MIN_PSNR);
    cv_image_free(&ref);
    /* B back to tier 0 just after a key frame there, C audio only: B gets
     * nothing until the next key frame the rate limit allows (A's inter
     * frames are not for B's decoder), then only tier 0 is encoded */
    cv_part_request_keyframe(A->p);
    int a_keys = A->keys;
    vtick(v, -1);
    CHECK_EQ(A->keys, a_keys + 1);
    cv_part_set_tier(B->p, 0);
    cv_part_set_tier(C->p, CV_TIER_AUDIO_ONLY);
    int c_frames = C->frames, b_keys2 = B->keys, b_frames2 = B->frames;
    vtick(v, -1);
    CHECK_EQ(B->frames, b_frames2);
    for (int k = 0; k < 11; k++)
        vtick(v, -1);
    CHECK_EQ(B->keys, b_keys2 + 1);
    CHECK(B->frames > b_frames2 + 1);
    cv_room_get_stats(v->r, &st);
    CHECK_EQ(st.active_tiers, 1);
    CHECK_EQ(C->frames, c_frames);
    CHECK(B->pic.w == W);
    CHECK_EQ(B->decode_errors, 0);
    /* an overloaded mixer sheds tier 0: A and B get tier 1 (from its next
     * key frame), and tier 0 is no longer encoded; then back */
    cv_room_set_tier_floor(v->r, 1);
    uint64_t t0_frames = st.tier_frames[0];
    for (int k = 0; k < 12; k++)
        vtick(v, -1);
    cv_room_get_stats(v->r, &st);
    CHECK_EQ(st.active_tiers, 2);
    CHECK(st.tier_frames[0] <= t0_frames + 1); /* the tick that set the floor may have one */
    CHECK(A->pic.w == W / 2 && B->pic.w == W / 2);
    cv_room_set_tier_floor(v->r, 0);
    for (int k = 0; k < 12; k++)
        vtick(v, -1);
    cv_room_get_stats(v->r, &st);
    CHECK_EQ(st.active_tiers, 1);
    CHECK(A->pic.w == W && B->pic.w == W);
    CHECK_EQ(A->decode_errors + B->decode_errors, 0);
    for (int i = 0; i < 4; i++)
        member_cleanup(&v->m[i], v->r);
    cv_room_destroy(v->r);
    free(v);
}

/* Portrait and low data: a portrait receiver gets its tier turned upright
 * (from a key frame), composed and encoded only while someone takes it,
 * while the others keep the landscape stream; back to landscape, the
 * portrait encoder stops. A low-data receiver gets no frame at all. */
static void test_portrait_and_low_data(void)
{
    cv_room_cfg_t c = CFG;
    c.n_tiers = 2;
    c.tiers[0].width = W, c.tiers[0].height = H, c.tiers[0].fps = 30, c.tiers[0].kbps = 1500;
    c.tiers[1].width = W / 2, c.tiers[1].height = H / 2, c.tiers[1].fps = 30;
    c.tiers[1].kbps = 500;
    vroom_t *v = calloc(1, sizeof(*v));
    v->r = cv_room_create(&c, 0);
    CHECK(v->r != NULL);
    if (!v->r) {
        free(v);
        return;
    }
    member_t *A = &v->m[0], *B = &v->m[1], *C = &v->m[2];
    member_init(A, v->r, "A", 0);
    member_init(B, v->r, "B", 1);
    member_init(C, v->r, "C", 2);
    for (int k = 0; k < 10; k++)
        vtick(v, -1);
    cv_room_stats_t st;
    cv_room_get_stats(v->r, &st);
    CHECK_EQ(st.portrait_frames, 0); /* nobody upright: no portrait picture */
    CHECK_EQ(st.active_portrait, 0);
    CHECK(A->have_pic && A->pic.w == W && A->pic.h == H);
    int a_keys = A->keys, b_frames = B->frames;
    cv_part_set_portrait(A->p, 1);
    CHECK_EQ(cv_part_portrait(A->p), 1);
    for (int k = 0; k < 20; k++)
        vtick(v, -1);
    cv_room_get_stats(v->r, &st);
    printf("  portrait: A's picture %dx%d, portrait frames %llu, active mask %d\n", A->pic.w,
           A->pic.h, (unsigned long long)st.portrait_frames, st.active_portrait);
    CHECK(A->pic.h > A->pic.w);
    CHECK(A->pic.w == H && A->pic.h == W); /* 640x360 upright */
    CHECK_EQ(A->keys, a_keys + 1);
    CHECK_EQ(st.active_portrait, 1);
    CHECK(st.portrait_frames >= 18);
    CHECK(B->frames - b_frames >= 18); /* the others keep their stream */
    CHECK(B->pic.w == W && B->pic.h == H);
    CHECK_EQ(A->decode_errors + B->decode_errors, 0);
    /* portrait on tier 1: its own tier upright */
    cv_part_set_tier(A->p, 1);
    for (int k = 0; k < 12; k++)
        vtick(v, -1);
    CHECK(A->pic.w == H / 2 && A->pic.h == W / 2);
    /* back to landscape: the portrait encoder stops */
    cv_part_set_portrait(A->p, 0);
    cv_part_set_tier(A->p, 0);
    for (int k = 0; k < 12; k++)
        vtick(v, -1);
    cv_room_get_stats(v->r, &st);
    uint64_t pf = st.portrait_frames;
    CHECK_EQ(st.active_portrait, 0);
    CHECK(A->pic.w == W && A->pic.h == H);
    for (int k = 0; k < 5; k++)
        vtick(v, -1);
    cv_room_get_stats(v->r, &st);
    CHECK_EQ(st.portrait_frames, pf);
    CHECK_EQ(A->decode_errors, 0);
    /* low data: C gets nothing, the others go on; video again from a key frame */
    cv_part_set_receive_video(C->p, 0);
    CHECK_EQ(cv_part_receives_video(C->p), 0);
    vtick(v, -1);
    int c_frames = C->frames, c_keys = C->keys;
    b_frames = B->frames;
    for (int k = 0; k < 10; k++)
        vtick(v, -1);
    CHECK_EQ(C->frames, c_frames);
    CHECK(B->frames - b_frames >= 9);
    cv_part_set_receive_video(C->p, 1);
    for (int k = 0; k < 12; k++)
        vtick(v, -1);
    CHECK(C->frames > c_frames);
    CHECK_EQ(C->keys, c_keys + 1);
    CHECK_EQ(C->decode_errors, 0);
    for (int i = 0; i < 4; i++)
        member_cleanup(&v->m[i], v->r);
    cv_room_destroy(v->r);
    free(v);
}

/* An empty room ticks without output; a full room refuses a join. */
static int64_t fake_now_us;

/* A clock for timing codec calls: every reading is 250 us after the last. */
static int64_t fake_clock(void)
{
    return fake_now_us += 250;
}

/* With a clock in its configuration the room counts the time of its codec
 * calls and the frames (stats.h); cv_room_set_max_participants moves the
 * limit for later joins only. */
static void test_room_codec_time(void)
{
    cv_room_cfg_t c = CFG;
    c.width = 160;
    c.height = 90;
    c.max_participants = 1;
    c.clock_us = fake_clock;
    cv_room_t *r = cv_room_create(&c, 0);
    CHECK(r != NULL);
    if (!r)
        return;
    int n = 0;
    cv_part_t *p = cv_room_join(r, "one", on_notify, &n);
    CHECK(p != NULL);
    CHECK(cv_room_join(r, "two", NULL, NULL) == NULL);
    cv_room_set_max_participants(r, 2);
    cv_part_t *q = cv_room_join(r, "two", NULL, NULL);
    CHECK(q != NULL);
    cv_room_set_max_participants(r, 1); /* both stay */
    CHECK_EQ(cv_room_count(r), 2);
    cv_room_set_max_participants(r, 0); /* out of range: ignored */
    cv_room_set_max_participants(r, CV_ROOM_MAX_PARTICIPANTS + 1);
    CHECK(cv_room_join(r, "three", NULL, NULL) == NULL);

    uint64_t enc_us = cv_stats_get(CV_STAT_VIDEO_ENCODE_US);
    uint64_t dec_us = cv_stats_get(CV_STAT_VIDEO_DECODE_US);
    uint64_t comp_us = cv_stats_get(CV_STAT_VIDEO_COMPOSE_US);
    uint64_t enc = cv_stats_get(CV_STAT_VIDEO_ENCODED);
    cv_room_video_tick(r, 0);
    cv_room_video_tick(r, TICK_US);
    CHECK_EQ(cv_stats_get(CV_STAT_VIDEO_ENCODE_US) - enc_us, 2 * 250);
    CHECK_EQ(cv_stats_get(CV_STAT_VIDEO_DECODE_US) - dec_us, 2 * 250);
    CHECK_EQ(cv_stats_get(CV_STAT_VIDEO_COMPOSE_US) - comp_us, 2 * 250);
    CHECK_EQ(cv_stats_get(CV_STAT_VIDEO_ENCODED) - enc, 2);
    uint64_t aenc_us = cv_stats_get(CV_STAT_AUDIO_ENCODE_US);
    uint64_t adec_us = cv_stats_get(CV_STAT_AUDIO_DECODE_US);
    uint64_t aenc = cv_stats_get(CV_STAT_AUDIO_ENCODED);
    cv_room_audio_tick(r, AUDIO_US);
    CHECK_EQ(cv_stats_get(CV_STAT_AUDIO_DECODE_US) - adec_us, 250);
    uint64_t calls = cv_stats_get(CV_STAT_AUDIO_ENCODED) - aenc;
    CHECK(calls >= 1); /* silence: the shared mix at least */
    CHECK_EQ(cv_stats_get(CV_STAT_AUDIO_ENCODE_US) - aenc_us, calls * 250);
    cv_room_leave(r, p);
    cv_room_leave(r, q);
    cv_room_destroy(r);

    /* without a clock nothing is timed, frames are still counted */
    c.clock_us = NULL;
    r = cv_room_create(&c, 0);
    p = cv_room_join(r, "one", on_notify, &n);
    enc_us = cv_stats_get(CV_STAT_VIDEO_ENCODE_US);
    enc = cv_stats_get(CV_STAT_VIDEO_ENCODED);
    cv_room_video_tick(r, 0);
    CHECK_EQ(cv_stats_get(CV_STAT_VIDEO_ENCODE_US), enc_us);
    CHECK_EQ(cv_stats_get(CV_STAT_VIDEO_ENCODED) - enc, 1);
    cv_room_leave(r, p);
    cv_room_destroy(r);
}

static void test_room_limits(void)
{
    cv_room_cfg_t bad = CFG;
    bad.width = 641;
    CHECK(cv_room_create(&bad, 0) == NULL);
    bad = CFG;
    bad.fps = 0;
    CHECK(cv_room_create(&bad, 0) == NULL);
    bad = CFG;
    bad.max_participants = CV_ROOM_MAX_PARTICIPANTS + 1;
    CHECK(cv_room_create(&bad, 0) == NULL);

    cv_room_cfg_t c = CFG;
    c.width = 160;
    c.height = 90;
    c.max_participants = 2;
    cv_room_t *r = cv_room_create(&c, 5000000);
    CHECK(r != NULL);
    if (!r)
        return;
    cv_room_video_tick(r, 5000000);
    cv_room_audio_tick(r, 5000000);
    cv_room_stats_t st;
    cv_room_get_stats(r, &st);
    CHECK_EQ(st.video_encoded, 0);
    CHECK_EQ(cv_room_active_speaker(r), -1);
    int n1 = 0, n2 = 0;
    cv_part_t *p1 = cv_room_join(r, "one", on_notify, &n1);
    cv_part_t *p2 = cv_room_join(r, "two\x01", on_notify, &n2);
    CHECK(p1 && p2);
    CHECK(cv_room_join(r, "three", NULL, NULL) == NULL);
    CHECK_EQ(cv_room_count(r), 2);
    cv_room_leave(r, p1);
    cv_part_t *p3 = cv_room_join(r, "three", NULL, NULL);
    CHECK(p3 != NULL);
    CHECK_EQ(cv_part_index(p3), 2); /* ids are never reused */
    /* a full input queue drops and says so */
    int full = 0;
    for (int i = 0; i < 40; i++) {
        cv_frame_t *f = cv_frame_new(CV_FRAME_VIDEO, 1);
        f->data[0] = 0;
        full += cv_part_push(p2, f) == CV_E_FULL;
    }
    CHECK(full > 0);
    cv_room_leave(r, p2);
    cv_room_leave(r, p3);
    cv_room_leave(r, NULL);
    CHECK_EQ(cv_room_count(r), 0);
    cv_room_destroy(r);
    cv_room_destroy(NULL);
}

/* ---- audio ---- */

typedef struct {
    cv_part_t *p;
    int notified;
    double freq, amp; /* the tone this participant speaks; amp 0: silence */
    int64_t phase;    /* samples spoken so far */
    uint64_t seq;
    cv_opus_enc_t *enc;
    cv_opus_dec_t *dec;
    int16_t *heard; /* decoded output, CV_AUDIO_FRAME samples per received frame */
    int nheard, capheard;
    cv_frame_t *got; /* the audio frame popped this tick, or NULL */
    uint32_t last_ts;
    int ts_ok, nframes;
    int sends_level; /* puts the RFC 6464 level of its tone in each packet */
    int own_part;    /* joined by speaker_init (else attached to a member's) */
} speaker_t;

static void speaker_init(speaker_t *s, cv_room_t *r, const char *name, double freq, double amp,
                         uint64_t seq0)
{
    memset(s, 0, sizeof(*s));
    s->p = cv_room_join(r, name, on_notify, &s->notified);
    s->own_part = 1;
    CHECK(s->p != NULL);
    s->freq = freq;
    s->amp = amp;
    s->seq = seq0;
    s->enc = cv_opus_enc_create(1, 32000, 0, 0);
    s->dec = cv_opus_dec_create(1);
    s->capheard = 400;
    s->heard = calloc((size_t)s->capheard * CV_AUDIO_FRAME, sizeof(int16_t));
    s->ts_ok = 1;
}

static void speaker_cleanup(speaker_t *s, cv_room_t *r)
{
    if (s->p && s->own_part)
        cv_room_leave(r, s->p);
    cv_frame_unref(s->got);
    cv_opus_enc_destroy(s->enc);
    cv_opus_dec_destroy(s->dec);
    free(s->heard);
}

/* 20 ms of the speaker's tone, encoded and pushed with the next sequence number. */
static void speak(speaker_t *s)
{
    int16_t pcm[CV_AUDIO_FRAME];
    for (int i = 0; i < CV_AUDIO_FRAME; i++, s->phase++)
        pcm[i] = (int16_t)lrint(s->amp * 32767.0 *
                                sin(2.0 * M_PI * s->freq * (double)s->phase / CV_AUDIO_RATE));
    uint8_t pkt[1500];
    int n = cv_opus_enc_encode(s->enc, pcm, pkt, sizeof(pkt));
    CHECK(n > 0);
    if (n <= 0)
        return;
    cv_frame_t *f = cv_frame_new(CV_FRAME_AUDIO, (size_t)n);
    memcpy(f->data, pkt, (size_t)n);
    f->seq = s->seq++;
    f->level = -1;
    if (s->sends_level) { /* RFC 6464: -dBov of the packet, a sine's RMS is amp / sqrt(2) */
        double dbov = s->amp > 0 ? -20.0 * log10(s->amp / sqrt(2.0)) : 127.0;
        f->level = dbov > 127.0 ? 127 : (int)lrint(dbov);
    }
    CHECK_EQ(cv_part_push(s->p, f), 0);
}

/* Pops this tick's output (at most one audio frame) and decodes it. */
static void listen(speaker_t *s)
{
    cv_frame_unref(s->got);
    s->got = NULL;
    cv_frame_t *f;
    while ((f = cv_part_pop(s->p))) {
        CHECK_EQ(f->kind, CV_FRAME_AUDIO);
        if (s->got) {
            CHECK(s->got == NULL); /* one per 20 ms */
            cv_frame_unref(f);
            continue;
        }
        s->got = f;
        /* one RTP clock: +960 per 20 ms, more after a period without a packet (DTX) */
        uint32_t d = f->rtp_ts - s->last_ts;
        if (s->nframes > 0 && (d == 0 || d % CV_AUDIO_FRAME != 0 || d > 100 * CV_AUDIO_FRAME))
            s->ts_ok = 0;
        s->last_ts = f->rtp_ts;
        s->nframes++;
        if (s->nheard == s->capheard)
            continue;
        /* a DTX packet decodes (to comfort noise) but is not kept as heard */
        int dtx = f->len <= CV_OPUS_DTX_MAX_BYTES;
        int16_t cn[CV_AUDIO_FRAME];
        int n = cv_opus_dec_decode(s->dec, f->data, f->len,
                                   dtx ? cn : s->heard + (size_t)s->nheard * CV_AUDIO_FRAME,
                                   CV_AUDIO_FRAME, 0);
        CHECK_EQ(n, CV_AUDIO_FRAME);
        if (n == CV_AUDIO_FRAME && !dtx)
            s->nheard++;
    }
}

/* Mean tone power at freq over the decoded frames from..nheard-1 (0 if none). */
static double heard_power_from(const speaker_t *s, double freq, int from)
{
    if (from < 0)
        from = 0;
    if (from >= s->nheard)
        return 0.0;
    double acc = 0;
    for (int b = from; b < s->nheard; b++)
        acc += cv_audio_tone_power(s->heard + (size_t)b * CV_AUDIO_FRAME, CV_AUDIO_FRAME,
                                   CV_AUDIO_RATE, freq);
    return acc / (s->nheard - from);
}

/* Mean tone power at freq over the last `blocks` decoded frames. */
static double heard_power(const speaker_t *s, double freq, int blocks)
{
    if (s->nheard < blocks || blocks <= 0)
        return -1.0;
    return heard_power_from(s, freq, s->nheard - blocks);
}

static double db(double ratio)
{
    return 10.0 * log10(ratio > 1e-30 ? ratio : 1e-30);
}

static void atick(cv_room_t *r, speaker_t *sp, int n, int k)
{
    for (int i = 0; i < n; i++)
        if (sp[i].p)
            speak(&sp[i]);
    cv_room_audio_tick(r, (int64_t)k * AUDIO_US);
    for (int i = 0; i < n; i++)
        if (sp[i].p)
            listen(&sp[i]);
}

/* ---- a lecture hall ---- */

#define BIG 500

/* 500 in one room: every join up to the limit taken and the next refused,
 * video and audio ticks over all of them (the composite and the mix reach
 * everyone), the grid showing CV_LAYOUT_MAX: the first to join, then the one
 * who speaks in place of the last of them; a key frame asked for comes
 * 1.5 s after the last (0.3 s for each 100 receivers); everyone leaves. */
static void test_room_big(void)
{
    cv_room_cfg_t c = CFG;
    c.width = 320;
    c.height = 180;
    c.max_participants = BIG;
    cv_room_t *r = cv_room_create(&c, 0);
    CHECK(r != NULL);
    if (!r)
        return;
    cv_part_t **p = calloc(BIG, sizeof(*p));
    int *notes = calloc(BIG, sizeof(*notes)), *vgot = calloc(BIG, sizeof(*vgot));
    int *agot = calloc(BIG, sizeof(*agot));
    speaker_t sp;
    const int talker = 450; /* joins 451st and speaks */
    int joined = 0;
    for (int i = 0; i < BIG; i++) {
        char name[16];
        snprintf(name, sizeof(name), "p%d", i);
        if (i == talker) {
            speaker_init(&sp, r, name, 700.0, 0.3, 1);
            p[i] = sp.p;
        } else {
            p[i] = cv_room_join(r, name, on_notify, &notes[i]);
        }
        joined += p[i] != NULL;
    }
    CHECK_EQ(joined, BIG);
    CHECK_EQ(cv_room_count(r), BIG);
    CHECK(cv_room_join(r, "one too many", NULL, NULL) == NULL);
    int ids[CV_ROOM_MAX_PARTICIPANTS];
    int order = 1, talker_shown = 0, last_shown = 0;
    cv_opus_dec_t *dec0 = cv_opus_dec_create(1); /* what participant 0 hears */
    double tone0 = 0;
    for (int k = 0; k < 60; k++) {
        int64_t now = (int64_t)k * AUDIO_US;
        sp.amp = k < 5 ? 0.0 : 0.3; /* silent at the first video tick */
        speak(&sp);
        if (k == 10) /* a PLI after the first key frame: 500 receivers wait 1.5 s */
            cv_part_request_keyframe(p[0]);
        cv_room_audio_tick(r, now);
        if (k % 2 == 0)
            cv_room_video_tick(r, now);
        if (k == 0) {
            CHECK_EQ(cv_room_shown(r, ids, CV_ROOM_MAX_PARTICIPANTS), CV_LAYOUT_MAX);
            for (int i = 0; i < CV_LAYOUT_MAX; i++)
                order &= ids[i] == cv_part_index(p[i]);
            CHECK(order);
        }
        for (int i = 0; i < BIG; i++) {
            cv_frame_t *f;
            while ((f = cv_part_pop(p[i]))) {
                vgot[i] += f->kind == CV_FRAME_VIDEO;
                agot[i] += f->kind == CV_FRAME_AUDIO;
                int16_t pcm[CV_AUDIO_FRAME];
                if (i == 0 && f->kind == CV_FRAME_AUDIO && k >= 40 &&
                    cv_opus_dec_decode(dec0, f->data, f->len, pcm, CV_AUDIO_FRAME, 0) > 0)
                    tone0 += cv_audio_tone_power(pcm, CV_AUDIO_FRAME, CV_AUDIO_RATE, 700.0) / 20;
                else if (i == 0 && f->kind == CV_FRAME_AUDIO)
                    cv_opus_dec_decode(dec0, f->data, f->len, pcm, CV_AUDIO_FRAME, 0);
                cv_frame_unref(f);
            }
        }
    }
    int n = cv_room_shown(r, ids, CV_ROOM_MAX_PARTICIPANTS);
    CHECK_EQ(n, CV_LAYOUT_MAX);
    for (int i = 0; i < n; i++) {
        talker_shown |= ids[i] == cv_part_index(sp.p);
        last_shown |= ids[i] == cv_part_index(p[CV_LAYOUT_MAX - 1]);
    }
    CHECK(talker_shown && !last_shown);
    CHECK_EQ(cv_room_active_speaker(r), cv_part_index(sp.p));
    CHECK_EQ(cv_part_speaking(sp.p), 1);
    CHECK_EQ(cv_part_video_wanted(sp.p), 1);
    CHECK_EQ(cv_part_video_wanted(p[CV_LAYOUT_MAX - 1]), 0);
    CHECK_EQ(cv_part_video_wanted(p[CV_LAYOUT_MAX - 2]), 1);
    int vmin = 1 << 30, amin = 1 << 30;
    for (int i = 0; i < BIG; i++) {
        if (i != talker && vgot[i] < vmin)
            vmin = vgot[i];
        if (agot[i] < amin)
            amin = agot[i];
    }
    printf("  %d in a room: each got at least %d video and %d audio frames in 30 video ticks,"
           " %d shown; participant 0 hears the talker's tone at %.3g (want 0.09)\n",
           BIG, vmin, amin, n, tone0);
    CHECK(tone0 > 0.02);
    cv_opus_dec_destroy(dec0);
    CHECK(vmin >= 25);
    CHECK(amin >= 3); /* DTX: a quiet mix sends its first packets only */
    cv_room_stats_t st;
    cv_room_get_stats(r, &st);
    CHECK_EQ(st.video_ticks, 30);
    CHECK_EQ(st.audio_ticks, 60);
    CHECK_EQ(st.keyframes, 1);
    cv_room_video_tick(r, 1480000);
    cv_room_get_stats(r, &st);
    CHECK_EQ(st.keyframes, 1);
    cv_room_video_tick(r, 1520000);
    cv_room_get_stats(r, &st);
    CHECK_EQ(st.keyframes, 2);
    for (int i = 0; i < BIG; i++)
        if (i != talker)
            cv_room_leave(r, p[i]);
    speaker_cleanup(&sp, r);
    CHECK_EQ(cv_room_count(r), 0);
    cv_room_video_tick(r, 60 * AUDIO_US);
    cv_room_audio_tick(r, 60 * AUDIO_US);
    cv_room_destroy(r);
    free(p);
    free(notes);
    free(vgot);
    free(agot);
}

static void test_audio_mix_minus(void)
{
    cv_room_t *r = cv_room_create(&CFG, 0);
    CHECK(r != NULL);
    if (!r)
        return;
    speaker_t sp[3];
    /* tones with whole periods in 20 ms, so the Goertzel bins are clean;
     * A the loudest. Sequence numbers cross 65535 -> 65536. */
    static const double freq[3] = {400.0, 700.0, 1100.0};
    static const double amp[3] = {0.3, 0.2, 0.15};
    static const char *names[3] = {"A", "B", "C"};
    for (int i = 0; i < 3; i++)
        speaker_init(&sp[i], r, names[i], freq[i], amp[i], 65536 - 20 + (uint64_t)i * 7);
    CHECK_EQ(cv_room_active_speaker(r), -1);
    int k = 0;
    for (; k < 50; k++)
        atick(r, sp, 3, k);

    /* everyone hears the two others, and not themselves */
    for (int i = 0; i < 3; i++) {
        double self = heard_power(&sp[i], freq[i], 20);
        double o1 = heard_power(&sp[i], freq[(i + 1) % 3], 20);
        double o2 = heard_power(&sp[i], freq[(i + 2) % 3], 20);
        double weaker = o1 < o2 ? o1 : o2;
        printf("  %s hears: own %.2g, others %.3g %.3g (want %.3g %.3g): %.1f dB above own\n",
               names[i], self, o1, o2, amp[(i + 1) % 3] * amp[(i + 1) % 3],
               amp[(i + 2) % 3] * amp[(i + 2) % 3], db(weaker / self));
        CHECK(sp[i].nframes >= 45);
        CHECK(db(weaker / self) > 30.0);
        /* at about the level they spoke (within 3 dB) */
        CHECK(fabs(db(o1 / (amp[(i + 1) % 3] * amp[(i + 1) % 3]))) < 3.0);
        CHECK(fabs(db(o2 / (amp[(i + 2) % 3] * amp[(i + 2) % 3]))) < 3.0);
        CHECK(sp[i].ts_ok);
        CHECK(sp[i].notified >= sp[i].nframes);
    }
    /* the active speaker is one of the participants, the loudest */
    int active = cv_room_active_speaker(r);
    CHECK(active >= 0 && active <= 2);
    CHECK_EQ(active, cv_part_index(sp[0].p));
    /* while everyone speaks, everyone's mix is their own encode */
    CHECK(sp[0].got && sp[1].got && sp[0].got != sp[1].got && sp[1].got != sp[2].got);

    /* B and C go quiet (digital silence, packets still flowing): after the
     * hangover they leave the mix, and the two of them then get the one
     * shared encode of A's voice */
    sp[1].amp = 0;
    sp[2].amp = 0;
    int quiet_at = k, shared_at = -1, shared_stays = 1, a_from = -1;
    for (; k < quiet_at + 45; k++) {
        atick(r, sp, 3, k);
        int shared = sp[1].got && sp[1].got == sp[2].got;
        if (shared && shared_at < 0)
            shared_at = k;
        if (!shared && shared_at >= 0)
            shared_stays = 0;
        if (k == quiet_at + HANGOVER_TICKS + 5)
            a_from = sp[0].nheard; /* A's frames from well after the hangover */
    }
    printf("  B and C quiet from tick %d, out of the mix at tick %d (%d ms later)\n", quiet_at,
           shared_at, (shared_at - quiet_at) * AUDIO_US / 1000);
    CHECK(shared_at >= quiet_at + HANGOVER_TICKS + OWN_HOLD_TICKS);     /* not before */
    CHECK(shared_at <= quiet_at + HANGOVER_TICKS + OWN_HOLD_TICKS + 5); /* and soon after */
    CHECK(shared_stays);
    /* B and C hear A; A hears (close to) nothing */
    for (int i = 1; i < 3; i++) {
        double pa = heard_power(&sp[i], freq[0], 10);
        CHECK(fabs(db(pa / (amp[0] * amp[0]))) < 3.0);
    }
    double a_b = heard_power_from(&sp[0], freq[1], a_from);
    double a_c = heard_power_from(&sp[0], freq[2], a_from);
    printf("  A hears after the hangover: %.2g %.2g (%d frames)\n", a_b, a_c,
           sp[0].nheard - a_from);
    CHECK(a_b < 1e-5 && a_c < 1e-5);
    CHECK_EQ(cv_room_active_speaker(r), cv_part_index(sp[0].p));

    cv_room_stats_t st;
    cv_room_get_stats(r, &st);
    CHECK_EQ(st.audio_ticks, (uint64_t)k);
    CHECK(st.audio_frames >= (uint64_t)(3 * (k - 2)));
    CHECK_EQ(st.concealed, 0);
    for (int i = 0; i < 3; i++)
        speaker_cleanup(&sp[i], r);
    cv_room_destroy(r);
}

/* Self-monitor: one participant hears their own voice (an echo test); in a
 * normal room a lone participant hears nothing of themselves. */
static void run_alone(int self_monitor, double *power, int *frames)
{
    cv_room_cfg_t c = CFG;
    c.self_monitor = self_monitor;
    cv_room_t *r = cv_room_create(&c, 0);
    CHECK(r != NULL);
    if (!r)
        return;
    speaker_t s;
    speaker_init(&s, r, "solo", 500.0, 0.25, 32767);
    for (int k = 0; k < 30; k++)
        atick(r, &s, 1, k);
    *power = s.nheard >= 10 ? heard_power(&s, 500.0, 10) : 0.0;
    *frames = s.nframes;
    speaker_cleanup(&s, r);
    cv_room_destroy(r);
}

static void test_audio_self_monitor(void)
{
    double p_on = 0, p_off = 0;
    int n_on = 0, n_off = 0;
    run_alone(1, &p_on, &n_on);
    run_alone(0, &p_off, &n_off);
    printf("  alone: self_monitor=1 hears own tone at %.3g (%d frames); self_monitor=0 %.2g "
           "(%d frames)\n",
           p_on, n_on, p_off, n_off);
    CHECK(n_on >= 25);
    CHECK(fabs(db(p_on / (0.25 * 0.25))) < 3.0);
    CHECK(p_off < 1e-5);
}

/* A muted participant is left out of every mix, and heard again once unmuted. */
static void test_audio_mute(void)
{
    cv_room_t *r = cv_room_create(&CFG, 0);
    CHECK(r != NULL);
    if (!r)
        return;
    speaker_t sp[2];
    speaker_init(&sp[0], r, "A", 400.0, 0.3, 1 << 16);
    speaker_init(&sp[1], r, "B", 700.0, 0.3, 1 << 16);
    int k = 0;
    for (; k < 40; k++)
        atick(r, sp, 2, k);
    double before = heard_power(&sp[1], 400.0, 10);
    CHECK(before > 0.01); /* B hears A */
    cv_part_set_muted(sp[0].p, 1);
    for (; k < 80; k++)
        atick(r, sp, 2, k);
    double muted = heard_power(&sp[1], 400.0, 10);
    CHECK(db(before / (muted + 1e-12)) > 40.0);   /* A is gone from B's mix */
    CHECK(heard_power(&sp[0], 700.0, 10) > 0.01); /* A still hears B */
    cv_part_set_muted(sp[0].p, 0);
    for (; k < 120; k++)
        atick(r, sp, 2, k);
    CHECK(heard_power(&sp[1], 400.0, 10) > 0.01); /* and back */
    printf("    mute: A at B %.3g, muted %.3g (%.1f dB down)\n", before, muted,
           db(before / (muted + 1e-12)));
    speaker_cleanup(&sp[0], r);
    speaker_cleanup(&sp[1], r);
    cv_room_destroy(r);
}

/* A WHEP viewer hears everyone and is not heard; a WHIP publisher is heard
 * and gets nothing back. */
static void test_audio_roles(void)
{
    cv_room_t *r = cv_room_create(&CFG, 0);
    CHECK(r != NULL);
    if (!r)
        return;
    speaker_t sp[3];
    speaker_init(&sp[0], r, "A", 400.0, 0.3, 1 << 16); /* a participant */
    cv_room_leave(r, sp[0].p);
    sp[0].p = cv_room_join_as(r, "A", CV_ROLE_PARTICIPANT, on_notify, &sp[0].notified);
    speaker_init(&sp[1], r, "P", 700.0, 0.3, 1 << 16);
    cv_room_leave(r, sp[1].p);
    sp[1].p = cv_room_join_as(r, "P", CV_ROLE_PUBLISHER, on_notify, &sp[1].notified);
    speaker_init(&sp[2], r, "V", 1100.0, 0.3, 1 << 16);
    cv_room_leave(r, sp[2].p);
    sp[2].p = cv_room_join_as(r, "V", CV_ROLE_VIEWER, on_notify, &sp[2].notified);
    for (int k = 0; k < 50; k++) {
        speak(&sp[0]);
        speak(&sp[1]);
        speak(&sp[2]); /* the viewer's sound must be ignored even if it sends some */
        cv_room_audio_tick(r, (int64_t)k * AUDIO_US);
        for (int i = 0; i < 3; i++)
            listen(&sp[i]);
    }
    CHECK(heard_power(&sp[0], 700.0, 10) > 0.01);  /* A hears the publisher */
    CHECK(heard_power(&sp[0], 400.0, 10) < 1e-4);  /* not itself */
    CHECK(heard_power(&sp[0], 1100.0, 10) < 1e-4); /* nor the viewer */
    CHECK(heard_power(&sp[2], 400.0, 10) > 0.01);  /* the viewer hears A */
    CHECK(heard_power(&sp[2], 700.0, 10) > 0.01);  /* and the publisher */
    CHECK_EQ(sp[1].nframes, 0);                    /* the publisher gets nothing */
    for (int i = 0; i < 3; i++)
        speaker_cleanup(&sp[i], r);
    cv_room_destroy(r);
}

/* ---- cost follows what is seen and heard ---- */

/* A voice for a member's participant, sending RFC 6464 levels. */
static void speaker_attach(speaker_t *s, cv_part_t *p, double freq, double amp)
{
    memset(s, 0, sizeof(*s));
    s->p = p;
    s->freq = freq;
    s->amp = amp;
    s->seq = 1000;
    s->enc = cv_opus_enc_create(1, 32000, 0, 0);
    s->dec = cv_opus_dec_create(1);
    s->capheard = 400;
    s->heard = calloc((size_t)s->capheard * CV_AUDIO_FRAME, sizeof(int16_t));
    s->ts_ok = 1;
    s->sends_level = 1;
}

/* A room of members with cameras and voices on a shared fake clock: every
 * 20 ms an audio tick, every other one a video tick (40 ms). */
typedef struct {
    cv_room_t *r;
    member_t m[4];
    speaker_t sp[4];
    int n;
    int k;          /* audio ticks so far */
    int answer_pli; /* cameras answer the room's key frame requests at once */
} avroom_t;

static void av_init(avroom_t *v, const cv_room_cfg_t *cfg, int n, const double *amp)
{
    memset(v, 0, sizeof(*v));
    v->r = cv_room_create(cfg, 0);
    CHECK(v->r != NULL);
    v->n = n;
    static const char *names[4] = {"L", "S1", "S2", "S3"};
    static const double freq[4] = {400.0, 700.0, 1100.0, 1500.0};
    for (int i = 0; i < n; i++) {
        member_init(&v->m[i], v->r, names[i], i % 3);
        speaker_attach(&v->sp[i], v->m[i].p, freq[i], amp[i]);
    }
}

static void av_cleanup(avroom_t *v)
{
    for (int i = 0; i < v->n; i++) {
        speaker_cleanup(&v->sp[i], v->r);
        member_cleanup(&v->m[i], v->r);
    }
    cv_room_destroy(v->r);
}

/* One 20 ms step; skip_video: a member whose camera pushes nothing. */
static void av_step(avroom_t *v)
{
    int64_t now = (int64_t)v->k * AUDIO_US;
    for (int i = 0; i < v->n; i++)
        speak(&v->sp[i]);
    cv_room_audio_tick(v->r, now);
    if (v->k % 2 == 0) {
        for (int i = 0; i < v->n; i++) {
            if (v->answer_pli && cv_part_take_keyframe_needed(v->m[i].p))
                cv_vp8_enc_request_keyframe(v->m[i].enc);
            camera_push(&v->m[i], now);
        }
        cv_room_video_tick(v->r, now);
    }
    for (int i = 0; i < v->n; i++) {
        /* the output holds audio and video: keep only the video for the screen */
        screen_drain(&v->m[i]);
    }
    v->k++;
}

static uint64_t decoded_of(const member_t *m)
{
    cv_part_stats_t st;
    cv_part_get_stats(m->p, &st);
    return st.video_decoded;
}

static void part_stats(const member_t *m, cv_part_stats_t *st)
{
    cv_part_get_stats(m->p, st);
}

/* Lecture: the lecturer and the one student speaking are decoded and shown;
 * the two silent students' video and voices are not decoded at all. When
 * another student speaks, their tile starts from a key frame they are asked
 * for, and nothing of theirs is decoded before it. */
static void test_lecture_decodes_only_shown(void)
{
    static const double amp[4] = {0.0, 0.3, 0.0, 0.0}; /* S1 speaks */
    avroom_t *v = calloc(1, sizeof(*v));
    av_init(v, &CFG, 4, amp);
    member_t *L = &v->m[0], *S1 = &v->m[1], *S2 = &v->m[2], *S3 = &v->m[3];
    CHECK_EQ(cv_room_set_layout(v->r, CV_LAYOUT_MODE_LECTURE), 0);
    CHECK_EQ(cv_room_set_layout(v->r, 3), CV_E_INVAL);
    CHECK_EQ(cv_room_layout(v->r), CV_LAYOUT_MODE_LECTURE);
    cv_part_set_lecturer(L->p, 1);
    for (int i = 0; i < 4; i++)
        CHECK_EQ(cv_part_video_wanted(v->m[i].p), 1); /* until the first tick decides */
    for (int j = 0; j < 30; j++)
        av_step(v);
    cv_part_stats_t b[4], a[4];
    for (int i = 0; i < 4; i++)
        part_stats(&v->m[i], &b[i]);
    for (int j = 0; j < 30; j++)
        av_step(v);
    for (int i = 0; i < 4; i++)
        part_stats(&v->m[i], &a[i]);
    printf("  lecture: video decoded in 15 ticks L %llu S1 %llu S2 %llu S3 %llu; "
           "S2 dropped %llu frames, %llu voice packets\n",
           (unsigned long long)(a[0].video_decoded - b[0].video_decoded),
           (unsigned long long)(a[1].video_decoded - b[1].video_decoded),
           (unsigned long long)(a[2].video_decoded - b[2].video_decoded),
           (unsigned long long)(a[3].video_decoded - b[3].video_decoded),
           (unsigned long long)a[2].hidden_dropped, (unsigned long long)a[2].voices_dropped);
    CHECK(a[0].video_decoded - b[0].video_decoded >= 14);
    CHECK(a[1].video_decoded - b[1].video_decoded >= 14);
    CHECK_EQ(a[2].video_decoded, 0);
    CHECK_EQ(a[3].video_decoded, 0);
    CHECK(a[2].hidden_dropped >= 29 && a[3].hidden_dropped >= 29);
    CHECK_EQ(a[0].hidden_dropped, 0);
    /* voices: S1 decoded; the silent students' packets dropped undecoded */
    CHECK(a[1].audio_decoded - b[1].audio_decoded >= 29);
    CHECK_EQ(a[2].audio_decoded, 0);
    CHECK_EQ(a[3].audio_decoded, 0);
    CHECK(a[2].voices_dropped >= 55);
    /* what the network thread sees */
    CHECK_EQ(cv_part_video_wanted(L->p), 1);
    CHECK_EQ(cv_part_video_wanted(S1->p), 1);
    CHECK_EQ(cv_part_video_wanted(S2->p), 0);
    CHECK_EQ(cv_part_video_wanted(S3->p), 0);
    CHECK_EQ(cv_part_send_cap_kbps(S2->p), CV_ROOM_DEFAULT_HIDDEN_KBPS);
    CHECK_EQ(cv_part_send_cap_kbps(L->p), CFG.video_kbps);
    cv_part_count_hidden_drop(S3->p);
    cv_part_stats_t s3;
    part_stats(S3, &s3);
    CHECK_EQ(s3.hidden_dropped, a[3].hidden_dropped + 1);
    cv_room_stats_t rs;
    cv_room_get_stats(v->r, &rs);
    CHECK(rs.hidden_dropped >= a[2].hidden_dropped + s3.hidden_dropped);
    CHECK(rs.voices_dropped >= a[2].voices_dropped + a[3].voices_dropped);
    int ids[8];
    CHECK_EQ(cv_room_shown(v->r, ids, 8), 2);
    CHECK(ids[0] == cv_part_index(L->p) && ids[1] == cv_part_index(S1->p));
    /* the picture: the lecturer large, S1 small, as cv_layout_lecture places them */
    cv_rect_t rects[2];
    CHECK_EQ(cv_layout_lecture(1, 1, W, H, rects), 2);
    CHECK(S2->have_pic);
    if (S2->have_pic) {
        double pl = tile_psnr(&S2->pic, &rects[0], &L->src);
        double ps = tile_psnr_inner(&S2->pic, &rects[1], &S1->src);
        printf("  lecture picture: lecturer %.1f dB, speaking student %.1f dB\n", pl, ps);
        CHECK(pl >= MIN_PSNR);
        CHECK(ps >= MIN_PSNR);
    }
    /* S1 stops, S2 speaks: once S1's hang-over is over S2 is shown, the room
     * asks S2 for a key frame, and S2's inter frames are not decoded */
    while (cv_part_take_keyframe_needed(S2->p))
        ;
    v->sp[1].amp = 0;
    v->sp[2].amp = 0.3;
    int shown_at = -1;
    for (int j = 0; j < 40 && shown_at < 0; j++) {
        av_step(v);
        if (cv_part_video_wanted(S2->p))
            shown_at = j;
    }
    CHECK(shown_at >= 0);
    CHECK_EQ(cv_part_take_keyframe_needed(S2->p), 1);
    CHECK_EQ(cv_part_take_keyframe_needed(S2->p), 0); /* once */
    CHECK_EQ(cv_part_send_cap_kbps(S2->p), CFG.video_kbps);
    for (int j = 0; j < 6; j++)
        av_step(v); /* S2's camera goes on with inter frames */
    CHECK_EQ(decoded_of(S2), 0);
    cv_vp8_enc_request_keyframe(S2->enc); /* S2's browser answers the PLI */
    for (int j = 0; j < 6; j++)
        av_step(v);
    uint64_t d2 = decoded_of(S2);
    printf("  S2 shown %d ms after speaking: decoded %llu frames from its key frame on\n",
           (shown_at + 1) * AUDIO_US / 1000, (unsigned long long)d2);
    CHECK(d2 >= 2);
    CHECK_EQ(cv_part_video_wanted(S1->p), 0);
    CHECK_EQ(cv_part_video_wanted(S3->p), 0);
    /* hidden 5 s, S1 gives its decoder back; the shown keep theirs, and S3,
     * never shown after its first tick, never had one */
    v->k += 2 * (5000000 / AUDIO_US / 2) + 2; /* 5 s later, on a video tick */
    for (int j = 0; j < 4; j++)
        av_step(v);
    cv_part_stats_t fr[4];
    for (int i = 0; i < 4; i++)
        part_stats(&v->m[i], &fr[i]);
    CHECK_EQ(fr[0].decoders_freed, 0);
    CHECK_EQ(fr[1].decoders_freed, 1);
    CHECK_EQ(fr[2].decoders_freed, 0);
    CHECK_EQ(fr[3].decoders_freed, 0);
    CHECK_EQ(fr[3].video_decoded, 0);
    cv_room_get_stats(v->r, &rs);
    CHECK_EQ(rs.decode_errors, 0);
    av_cleanup(v);
    free(v);
}

/* Speaker layout: the loudest large; after a change, the new speaker large
 * and the previous one in the strip. */
static void count_lead(void *ud)
{
    (*(int *)ud)++;
}

/* Pushes a 1-byte video frame of m's (junk to a decoder): the lead callbacks it made. */
static int lead_calls(member_t *m, int *n_lead)
{
    int before = *n_lead;
    cv_frame_t *f = cv_frame_new(CV_FRAME_VIDEO, 1);
    f->data[0] = 0xff;
    cv_part_push(m->p, f);
    return *n_lead - before;
}

static void test_speaker_layout(void)
{
    static const double amp[3] = {0.05, 0.3, 0.0}; /* B the loudest */
    static int n_lead;
    avroom_t *v = calloc(1, sizeof(*v));
    cv_room_cfg_t cfg = CFG;
    cfg.on_lead_frame = count_lead;
    cfg.lead_ud = &n_lead;
    av_init(v, &cfg, 3, amp);
    member_t *A = &v->m[0], *B = &v->m[1], *C = &v->m[2];
    CHECK_EQ(cv_room_set_layout(v->r, CV_LAYOUT_MODE_SPEAKER), 0);
    v->answer_pli = 1;
    for (int j = 0; j < 30; j++)
        av_step(v);
    int ids[8];
    int k = cv_room_shown(v->r, ids, 8);
    CHECK(k >= 1);
    CHECK_EQ(ids[0], cv_part_index(B->p));
    CHECK_EQ(cv_room_active_speaker(v->r), cv_part_index(B->p));
    cv_rect_t rects[CV_LAYOUT_STRIP_MAX + 1];
    CHECK_EQ(cv_layout_speaker(k - 1, W, H, rects), k);
    CHECK(A->have_pic);
    if (A->have_pic) {
        double pb = tile_psnr_inner(&A->pic, &rects[0], &B->src);
        double pa = tile_psnr_inner(&A->pic, &rects[0], &A->src);
        printf("  speaker layout: B large %.1f dB (A's picture there: %.1f dB)\n", pb, pa);
        CHECK(pb >= MIN_PSNR);
        CHECK(pa < 20.0);
    }
    CHECK_EQ(cv_part_video_wanted(C->p), 0); /* never spoke: not shown */
    /* B, shown large, is the lead: only B's frames call for a tick at once */
    CHECK_EQ(lead_calls(A, &n_lead), 0);
    CHECK_EQ(lead_calls(B, &n_lead), 1);
    CHECK_EQ(lead_calls(C, &n_lead), 0);
    /* C speaks loudest, B goes quiet: C large, B first in the strip */
    v->sp[1].amp = 0;
    v->sp[2].amp = 0.4;
    for (int j = 0; j < 80; j++)
        av_step(v);
    k = cv_room_shown(v->r, ids, 8);
    CHECK(k >= 2);
    CHECK_EQ(ids[0], cv_part_index(C->p));
    CHECK_EQ(ids[1], cv_part_index(B->p));
    CHECK_EQ(cv_part_video_wanted(C->p), 1);
    CHECK_EQ(lead_calls(B, &n_lead), 0); /* the lead is now C */
    CHECK_EQ(lead_calls(C, &n_lead), 1);
    av_cleanup(v);
    free(v);
}

/* max_speakers 2 of 5 voices with levels: a viewer's mix holds the two
 * loudest and none of the others, whose packets are never decoded; a voice
 * without levels is decoded to measure it. When the loudest stops, the next
 * one comes in. */
static void test_max_speakers(void)
{
    cv_room_cfg_t c = CFG;
    c.max_speakers = 2;
    c.max_participants = 8;
    cv_room_t *r = cv_room_create(&c, 0);
    CHECK(r != NULL);
    if (!r)
        return;
    static const double freq[6] = {400.0, 700.0, 1100.0, 1500.0, 1900.0, 2300.0};
    static const double amp[6] = {0.30, 0.22, 0.16, 0.12, 0.08, 0.0};
    speaker_t sp[7];
    for (int i = 0; i < 6; i++) {
        speaker_init(&sp[i], r, "voice", freq[i], amp[i], 100);
        sp[i].sends_level = i < 5; /* the sixth sends no level: decoded to measure */
    }
    speaker_init(&sp[6], r, "V", 3000.0, 0.0, 100);
    cv_room_leave(r, sp[6].p);
    sp[6].p = cv_room_join_as(r, "V", CV_ROLE_VIEWER, on_notify, &sp[6].notified);
    int k = 0;
    for (; k < 50; k++)
        atick(r, sp, 7, k);
    printf("  max_speakers 2 of 5, the viewer hears:");
    for (int i = 0; i < 5; i++)
        printf(" %.0f Hz %.2g", freq[i], heard_power(&sp[6], freq[i], 20));
    printf("\n");
    for (int i = 0; i < 2; i++)
        CHECK(fabs(db(heard_power(&sp[6], freq[i], 20) / (amp[i] * amp[i]))) < 3.0);
    for (int i = 2; i < 5; i++)
        CHECK(heard_power(&sp[6], freq[i], 20) < 1e-5);
    cv_part_stats_t st[6];
    for (int i = 0; i < 6; i++)
        cv_part_get_stats(sp[i].p, &st[i]);
    CHECK(st[0].audio_decoded >= 45 && st[1].audio_decoded >= 45);
    for (int i = 2; i < 5; i++) {
        CHECK_EQ(st[i].audio_decoded, 0);
        CHECK(st[i].voices_dropped >= 45);
    }
    CHECK(st[5].audio_decoded >= 45); /* no level: decoded, though silent */
    CHECK(cv_part_speaking(sp[0].p) && cv_part_speaking(sp[1].p) && !cv_part_speaking(sp[2].p));
    /* the loudest stops: after its hang-over the third comes in */
    sp[0].amp = 0;
    for (; k < 100; k++)
        atick(r, sp, 7, k);
    CHECK(heard_power(&sp[6], freq[0], 20) < 1e-5);
    CHECK(fabs(db(heard_power(&sp[6], freq[2], 20) / (amp[2] * amp[2]))) < 3.0);
    CHECK(heard_power(&sp[6], freq[3], 20) < 1e-5);
    cv_part_get_stats(sp[2].p, &st[2]);
    printf("  the loudest stopped: the viewer hears %.0f Hz at %.2g (%llu packets decoded)\n",
           freq[2], heard_power(&sp[6], freq[2], 20), (unsigned long long)st[2].audio_decoded);
    CHECK(st[2].audio_decoded >= 20);
    for (int i = 0; i < 7; i++)
        speaker_cleanup(&sp[i], r);
    cv_room_destroy(r);
}

/* A listener whose own voice arrives in bursts (a jittery uplink: nothing
 * for 140 ms, then 8 packets at once; its playout runs dry after 60 ms of
 * concealment) flickers in and out of the mix. Its mix (the other's tone) must still be one stream
 * from one encoder (not flipping to the shared one, which a silent C gets), with a packet every 20
 * ms tick except in a DTX period that a 1-2 byte packet announced (else a browser conceals the gap
 * as loss), decodable and with A's tone. */
static void test_audio_flicker(void)
{
    cv_room_t *r = cv_room_create(&CFG, 0);
    CHECK(r != NULL);
    if (!r)
        return;
    speaker_t sp[3];
    speaker_init(&sp[0], r, "A", 400.0, 0.3, 100);
    speaker_init(&sp[1], r, "B", 700.0, 0.2, 500);
    speaker_init(&sp[2], r, "C", 1100.0, 0.0, 900);
    const int ticks = 300, from = 50, burst = 8;
    int frames = 0, gaps = 0, flips = 0, was_shared = -1, in_dtx = 0;
    for (int k = 0; k < ticks; k++) {
        speak(&sp[0]);
        speak(&sp[2]);
        if (k % burst == burst - 1)
            for (int j = 0; j < burst; j++)
                speak(&sp[1]);
        cv_room_audio_tick(r, (int64_t)k * AUDIO_US);
        for (int i = 0; i < 3; i++)
            listen(&sp[i]);
        if (k < from)
            continue;
        const cv_frame_t *g = sp[1].got;
        if (g) {
            frames++;
            in_dtx = g->len <= CV_OPUS_DTX_MAX_BYTES;
            int shared = g == sp[2].got;
            if (was_shared >= 0 && shared != was_shared)
                flips++;
            was_shared = shared;
        } else if (!in_dtx) {
            gaps++; /* nothing, and no DTX announced: a loss to the receiver */
        }
    }
    double tone = heard_power_from(&sp[1], 400.0, 0);
    printf("  flicker: B got %d packets in %d ticks, %d "
           "unannounced gaps, %d encoder flips; hears A at %.3g\n",
           frames, ticks - from, gaps, flips, tone);
    CHECK_EQ(gaps, 0);
    CHECK_EQ(frames, ticks - from); /* A's tone is sound: never DTX */
    CHECK_EQ(flips, 0);
    CHECK(sp[1].ts_ok);
    CHECK(fabs(db(tone / (0.3 * 0.3))) < 6.0);
    for (int i = 0; i < 3; i++)
        speaker_cleanup(&sp[i], r);
    cv_room_destroy(r);
}

int main(void)
{
    test_audio_flicker();
    test_audio_mute();
    test_audio_roles();
    test_room_limits();
    test_room_big();
    test_room_codec_time();
    test_video();
    test_audio_mix_minus();
    test_audio_self_monitor();
    test_bug_redundant_keyframe();
    test_no_keyframes_for_non_receivers();
    test_tiers();
    test_portrait_and_low_data();
    test_lecture_decodes_only_shown();
    test_speaker_layout();
    test_max_speakers();
    return CHECK_DONE("test_room");
}
