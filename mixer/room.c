/*
 * room.c - compositing, mixing and fan-out of one room. Ticks run on a mixer
 * worker with time as an argument; the queues and the participant list are
 * the only state shared with other threads.
 * Mix-minus and one encode per output: DESIGN.md principle 3.
 */
#include "room.h"

#include "audio_codec.h"
#include "audio_mix.h"
#include "compositor.h"
#include "err.h"
#include "image.h"
#include "log.h"
#include "mem.h"
#include "playout.h"
#include "queue.h"
#include "stats.h"
#include "outtiers.h"
#include "video_codec.h"

#include <libyuv.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define VIN_CAP 16               /* complete video frames waiting for the next tick */
#define AIN_CAP 32               /* Opus packets waiting for the audio tick */
#define OUT_CAP 96               /* frames waiting for the network thread */
#define PICTURE_STALE_US 2000000 /* no picture for 2 s: show the placeholder */
#define KEYFRAME_MIN_US 300000   /* at most ~3 key frames a second */
#define SPEECH_DBFS -50.0        /* louder than this is speech (or at least sound) */
#define HANGOVER_US 400000       /* keep mixing a voice this long after it went quiet */
#define SPEAKER_HOLD_US 1000000  /* the active speaker border moves at most once a second */
#define PLAYOUT_TARGET 2         /* 40 ms of audio buffered per input */
#define DTX_SENT 3               /* DTX packets sent at the start of a DTX period */
#define OWN_MIX_HOLD_US 400000   /* a listener keeps its own encoder this long after it was heard */
#define LEVEL_KEEP_US 60000      /* a header level stands this long without a newer packet */
#define SPEAKER_MARGIN_DB 3.0    /* a voice must be this much louder to take a speaker's place */
#define RECENT_MAX 8             /* recent speakers remembered for the speaker layout */

_Static_assert((int)CV_LAYOUT_MODE_GRID == (int)CV_LAYOUT_GRID &&
                   (int)CV_LAYOUT_MODE_SPEAKER == (int)CV_LAYOUT_SPEAKER &&
                   (int)CV_LAYOUT_MODE_LECTURE == (int)CV_LAYOUT_LECTURE,
               "room.h and layout.h agree on the modes");
_Static_assert(CV_ROOM_MAX_TIERS == CV_OUTTIERS_MAX, "room.h and outtiers.h agree on the tiers");

struct cv_part {
    atomic_int refs;
    int index;
    char name[CV_PART_NAME_MAX + 1];
    cv_queue_t vin, ain, out;
    pthread_mutex_t notify_lock;
    void (*notify)(void *ud);
    void *ud;
    atomic_int decoder_error;
    atomic_int fresh; /* joined, has had no key frame yet */
    int role;         /* CV_ROLE_*, fixed at join */
    atomic_int muted, camera_off;
    atomic_int lecturer, tier, receive_loss;
    atomic_int video_wanted, keyframe_needed, cap_kbps, speaking;
    atomic_uint_fast64_t n_vdecoded, n_hidden, n_adecoded, n_vdropped;
    /* video tick */
    cv_vp8_dec_t *vdec;
    cv_image_t pic;
    int has_pic;
    int64_t pic_us;
    int visible;  /* shown with its own picture in the last composite */
    int need_key; /* discard video until a key frame (joined, or shown again) */
    int rx_tier;  /* output tier it received last (-1 none, -2 not yet) */
    int rx_wait;  /* its tier changed: nothing until that tier's next key frame */
    /* audio tick */
    cv_playout_t playout;
    cv_opus_dec_t *adec;
    cv_opus_enc_t *aenc;  /* this participant's mix-minus, while they are heard */
    int64_t own_until_us; /* its mix comes from aenc until then (no encoder flip-flop) */
    int sent_dtx;         /* DTX packets (1-2 bytes) it got since the last real one */
    int16_t fifo[CV_AUDIO_MAX_FRAME + CV_AUDIO_FRAME];
    int fifo_len;
    int16_t cur[CV_AUDIO_FRAME];
    int has_cur;
    double level_db, ema_db;
    int64_t loud_until_us;
    int level_ext;  /* the newest packet carried an RFC 6464 audio level */
    double hdr_db;  /* its level, dBov (-127 silence) */
    int64_t hdr_us; /* when it arrived (tick time) */
    int selected;   /* one of the speakers (mixed) since the last tick */
    int skipped;    /* packets were dropped undecoded: start clean on the next decode */
};

struct cv_room {
    cv_room_cfg_t cfg;
    int64_t start_us;
    pthread_mutex_t lock; /* parts, n, next_index, stats */
    cv_part_t *parts[CV_ROOM_MAX_PARTICIPANTS];
    int n, next_index;
    atomic_int want_keyframe;
    atomic_int active_index;
    atomic_int layout;     /* CV_LAYOUT_MODE_* */
    cv_room_stats_t stats; /* with the counters of participants who left */
    int shown_ids[CV_ROOM_MAX_PARTICIPANTS], n_shown;
    /* video tick */
    int recent[RECENT_MAX], n_recent;
    cv_outtiers_t tiers;
    /* audio tick */
    cv_opus_enc_t *aenc_shared;
    int64_t active_since_us;
};

/* Now on the room's clock for timing codec calls, 0 without one. */
static int64_t clk(const cv_room_t *r)
{
    return r->cfg.clock_us ? r->cfg.clock_us() : 0;
}

/* ---- participants ---- */

static void part_unref(cv_part_t *p)
{
    if (!p || atomic_fetch_sub(&p->refs, 1) != 1)
        return;
    cv_queue_cleanup(&p->vin, cv_frame_unref_void);
    cv_queue_cleanup(&p->ain, cv_frame_unref_void);
    cv_queue_cleanup(&p->out, cv_frame_unref_void);
    cv_vp8_dec_destroy(p->vdec);
    cv_image_free(&p->pic);
    cv_playout_cleanup(&p->playout);
    cv_opus_dec_destroy(p->adec);
    cv_opus_enc_destroy(p->aenc);
    pthread_mutex_destroy(&p->notify_lock);
    free(p);
}

static void part_notify(cv_part_t *p)
{
    pthread_mutex_lock(&p->notify_lock);
    if (p->notify)
        p->notify(p->ud);
    pthread_mutex_unlock(&p->notify_lock);
}

static void deliver(cv_part_t *p, cv_frame_t *f)
{
    if (cv_queue_push(&p->out, cv_frame_ref(f)) < 0)
        cv_frame_unref(f);
}

int cv_part_push(cv_part_t *p, cv_frame_t *f)
{
    cv_queue_t *q = f->kind == CV_FRAME_VIDEO ? &p->vin : &p->ain;
    if (cv_queue_push(q, f) < 0) {
        cv_frame_unref(f);
        return CV_E_FULL;
    }
    return 0;
}

cv_frame_t *cv_part_pop(cv_part_t *p)
{
    return cv_queue_pop(&p->out);
}

int cv_part_take_decoder_error(cv_part_t *p)
{
    return atomic_exchange(&p->decoder_error, 0);
}

int cv_part_index(const cv_part_t *p)
{
    return p->index;
}

/* The atomics of a participant are read through const pointers too. */
static cv_part_t *mut(const cv_part_t *p)
{
    return (cv_part_t *)p;
}

int cv_part_video_wanted(const cv_part_t *p)
{
    return atomic_load(&mut(p)->video_wanted);
}

void cv_part_count_hidden_drop(cv_part_t *p)
{
    atomic_fetch_add(&p->n_hidden, 1);
}

int cv_part_take_keyframe_needed(cv_part_t *p)
{
    return atomic_exchange(&p->keyframe_needed, 0);
}

int cv_part_send_cap_kbps(const cv_part_t *p)
{
    return atomic_load(&mut(p)->cap_kbps);
}

int cv_part_speaking(const cv_part_t *p)
{
    return atomic_load(&mut(p)->speaking);
}

void cv_part_get_stats(const cv_part_t *p, cv_part_stats_t *st)
{
    cv_part_t *m = mut(p);
    st->video_decoded = atomic_load(&m->n_vdecoded);
    st->hidden_dropped = atomic_load(&m->n_hidden);
    st->audio_decoded = atomic_load(&m->n_adecoded);
    st->voices_dropped = atomic_load(&m->n_vdropped);
}

/* Adds a participant's counters to the room's. */
static void add_part_stats(cv_room_stats_t *st, const cv_part_t *p)
{
    cv_part_stats_t ps;
    cv_part_get_stats(p, &ps);
    st->hidden_dropped += ps.hidden_dropped;
    st->voices_dropped += ps.voices_dropped;
    st->audio_decoded += ps.audio_decoded;
}

/* ---- room ---- */

cv_room_t *cv_room_create(const cv_room_cfg_t *cfg, int64_t now_us)
{
    if (cfg->width < 16 || cfg->height < 16 || cfg->width % 2 || cfg->height % 2 || cfg->fps < 1 ||
        cfg->fps > 60 || cfg->max_participants < 1 ||
        cfg->max_participants > CV_ROOM_MAX_PARTICIPANTS || cfg->max_speakers < 0 ||
        cfg->max_speakers > CV_ROOM_MAX_SPEAKERS || cfg->hidden_kbps < 0)
        return NULL;
    cv_room_t *r = cv_xcalloc(1, sizeof(*r));
    r->cfg = *cfg;
    if (!r->cfg.max_speakers)
        r->cfg.max_speakers = CV_ROOM_DEFAULT_SPEAKERS;
    if (!r->cfg.hidden_kbps)
        r->cfg.hidden_kbps = CV_ROOM_DEFAULT_HIDDEN_KBPS;
    r->start_us = now_us;
    pthread_mutex_init(&r->lock, NULL);
    atomic_init(&r->active_index, -1);
    atomic_init(&r->want_keyframe, 1);
    cv_outtier_cfg_t tc[CV_OUTTIERS_MAX] = {
        {.width = cfg->width, .height = cfg->height, .fps = cfg->fps, .kbps = cfg->video_kbps}};
    int nt = cfg->n_tiers ? cfg->n_tiers : 1;
    for (int i = 0; i < cfg->n_tiers && i < CV_OUTTIERS_MAX; i++)
        tc[i] = (cv_outtier_cfg_t){.width = cfg->tiers[i].width,
                                   .height = cfg->tiers[i].height,
                                   .fps = cfg->tiers[i].fps,
                                   .kbps = cfg->tiers[i].kbps};
    if (cfg->n_tiers < 0 || cfg->n_tiers > CV_OUTTIERS_MAX ||
        cv_outtiers_init(&r->tiers, tc, nt, cfg->fps) < 0)
        goto fail;
    r->aenc_shared = cv_opus_enc_create(1, cfg->audio_bps, 1, 1);
    if (!r->aenc_shared)
        goto fail;
    return r;
fail:
    cv_room_destroy(r);
    return NULL;
}

void cv_room_destroy(cv_room_t *r)
{
    if (!r)
        return;
    for (int i = 0; i < r->n; i++)
        part_unref(r->parts[i]);
    cv_outtiers_cleanup(&r->tiers);
    cv_opus_enc_destroy(r->aenc_shared);
    pthread_mutex_destroy(&r->lock);
    free(r);
}

static void copy_name(char *dst, const char *src)
{
    size_t n = 0;
    if (src)
        for (; src[n] && n < CV_PART_NAME_MAX; n++)
            dst[n] = (unsigned char)src[n] < 32 ? '?' : src[n];
    dst[n] = 0;
}

cv_part_t *cv_room_join(cv_room_t *r, const char *name, void (*notify)(void *ud), void *ud)
{
    return cv_room_join_as(r, name, CV_ROLE_PARTICIPANT, notify, ud);
}

void cv_part_set_muted(cv_part_t *p, int muted)
{
    atomic_store(&p->muted, !!muted);
}

void cv_part_set_camera(cv_part_t *p, int on)
{
    atomic_store(&p->camera_off, !on);
}

int cv_room_set_layout(cv_room_t *r, int mode)
{
    if (mode < CV_LAYOUT_MODE_GRID || mode > CV_LAYOUT_MODE_LECTURE)
        return CV_E_INVAL;
    atomic_store(&r->layout, mode);
    atomic_store(&r->want_keyframe, 1);
    return 0;
}

int cv_room_layout(cv_room_t *r)
{
    return atomic_load(&r->layout);
}

void cv_part_set_lecturer(cv_part_t *p, int on)
{
    atomic_store(&p->lecturer, !!on);
}

void cv_part_set_tier(cv_part_t *p, int tier)
{
    atomic_store(&p->tier, tier); /* the video tick notices the change (rx_tier) */
}

int cv_part_tier(const cv_part_t *p)
{
    return atomic_load(&((cv_part_t *)p)->tier);
}

void cv_part_set_receive_loss(cv_part_t *p, int fraction_lost)
{
    atomic_store(&p->receive_loss, fraction_lost < 0     ? 0
                                   : fraction_lost > 255 ? 255
                                                         : fraction_lost);
}

cv_part_t *cv_room_join_as(cv_room_t *r, const char *name, int role, void (*notify)(void *ud),
                           void *ud)
{
    cv_part_t *p = cv_xcalloc(1, sizeof(*p));
    p->role = role;
    atomic_init(&p->refs, 2); /* the room's and the caller's */
    copy_name(p->name, name);
    cv_queue_init(&p->vin, VIN_CAP);
    cv_queue_init(&p->ain, AIN_CAP);
    cv_queue_init(&p->out, OUT_CAP);
    pthread_mutex_init(&p->notify_lock, NULL);
    p->notify = notify;
    p->ud = ud;
    atomic_init(&p->fresh, 1);
    atomic_init(&p->video_wanted, 1);
    atomic_init(&p->keyframe_needed, 1);
    atomic_init(&p->cap_kbps, r->cfg.video_kbps);
    p->visible = 1;
    p->need_key = 1;
    p->rx_tier = -2;
    p->hdr_db = -127.0;
    p->hdr_us = INT64_MIN; /* no level heard yet */
    cv_playout_init(&p->playout, PLAYOUT_TARGET);
    p->vdec = cv_vp8_dec_create();
    p->adec = cv_opus_dec_create(1);
    if (!p->vdec || !p->adec) {
        atomic_store(&p->refs, 1);
        part_unref(p);
        return NULL;
    }
    pthread_mutex_lock(&r->lock);
    if (r->n >= r->cfg.max_participants) {
        pthread_mutex_unlock(&r->lock);
        atomic_store(&p->refs, 1);
        part_unref(p);
        return NULL;
    }
    p->index = r->next_index++;
    r->parts[r->n++] = p;
    pthread_mutex_unlock(&r->lock);
    atomic_store(&r->want_keyframe, 1); /* the newcomer needs a picture to start from */
    return p;
}

void cv_room_leave(cv_room_t *r, cv_part_t *p)
{
    if (!p)
        return;
    pthread_mutex_lock(&r->lock);
    for (int i = 0; i < r->n; i++) {
        if (r->parts[i] == p) {
            /* keep join order: tiles must not jump around */
            memmove(&r->parts[i], &r->parts[i + 1], (size_t)(r->n - i - 1) * sizeof(p));
            r->n--;
            add_part_stats(&r->stats, p); /* the room's counters keep what it did */
            part_unref(p);                /* the room's reference */
            break;
        }
    }
    pthread_mutex_unlock(&r->lock);
    pthread_mutex_lock(&p->notify_lock);
    p->notify = NULL;
    pthread_mutex_unlock(&p->notify_lock);
    part_unref(p);
}

int cv_room_count(cv_room_t *r)
{
    pthread_mutex_lock(&r->lock);
    int n = r->n;
    pthread_mutex_unlock(&r->lock);
    return n;
}

void cv_room_set_max_participants(cv_room_t *r, int n)
{
    if (n < 1 || n > CV_ROOM_MAX_PARTICIPANTS)
        return;
    pthread_mutex_lock(&r->lock);
    r->cfg.max_participants = n;
    pthread_mutex_unlock(&r->lock);
}

void cv_room_get_stats(cv_room_t *r, cv_room_stats_t *st)
{
    pthread_mutex_lock(&r->lock);
    *st = r->stats;
    for (int i = 0; i < r->n; i++)
        add_part_stats(st, r->parts[i]);
    pthread_mutex_unlock(&r->lock);
}

int cv_room_shown(cv_room_t *r, int *ids, int cap)
{
    pthread_mutex_lock(&r->lock);
    int n = r->n_shown < cap ? r->n_shown : cap;
    if (n > 0)
        memcpy(ids, r->shown_ids, (size_t)n * sizeof(int));
    pthread_mutex_unlock(&r->lock);
    return n < 0 ? 0 : n;
}

int cv_room_active_speaker(cv_room_t *r)
{
    return atomic_load(&r->active_index);
}

/* Served by the next video tick that may make a key frame. */
void cv_part_request_keyframe(cv_part_t *p)
{
    atomic_store(&p->fresh, 1);
}

/* Copies the participant list, each with a reference, into out. */
static int snapshot(cv_room_t *r, cv_part_t **out)
{
    pthread_mutex_lock(&r->lock);
    int n = r->n;
    for (int i = 0; i < n; i++) {
        out[i] = r->parts[i];
        atomic_fetch_add(&out[i]->refs, 1);
    }
    pthread_mutex_unlock(&r->lock);
    return n;
}

static void release(cv_part_t **parts, int n)
{
    for (int i = 0; i < n; i++)
        part_unref(parts[i]);
}

/* ---- video ---- */

/* Keeps an owned copy of the newest picture: the decoder's own buffer is not
 * ours past its next call. */
static void keep_picture(cv_part_t *p, const cv_image_t *v, int64_t now)
{
    if (!p->has_pic || p->pic.w != v->w || p->pic.h != v->h) {
        cv_image_free(&p->pic);
        if (cv_image_alloc(&p->pic, (v->w + 1) & ~1, (v->h + 1) & ~1) < 0)
            return;
        p->pic.w = v->w;
        p->pic.h = v->h;
    }
    I420Copy(v->y, v->stride_y, v->u, v->stride_u, v->v, v->stride_v, p->pic.y, p->pic.stride_y,
             p->pic.u, p->pic.stride_u, p->pic.v, p->pic.stride_v, v->w, v->h);
    p->has_pic = 1;
    p->pic_us = now;
}

/* Decodes the queued frames of a shown participant; after a gap (joined,
 * or hidden until now) from a key frame on. */
static void decode_video(cv_room_stats_t *st, cv_part_t *p, int64_t now)
{
    cv_frame_t *f;
    while ((f = cv_queue_pop(&p->vin))) {
        if (p->need_key && !f->keyframe) {
            cv_frame_unref(f); /* no reference to decode it against */
            continue;
        }
        p->need_key = 0;
        cv_image_t view;
        int rc = cv_vp8_dec_decode(p->vdec, f->data, f->len, &view);
        if (rc == 1) {
            keep_picture(p, &view, now);
            st->decoded++;
            atomic_fetch_add(&p->n_vdecoded, 1);
        } else if (rc < 0) {
            st->decode_errors++;
            atomic_store(&p->decoder_error, 1);
        }
        cv_frame_unref(f);
    }
}

/* A participant not shown: its queued frames go undecoded. */
static void drop_video(cv_part_t *p)
{
    cv_frame_t *f;
    while ((f = cv_queue_pop(&p->vin))) {
        atomic_fetch_add(&p->n_hidden, 1);
        cv_frame_unref(f);
    }
}

static void make_tile(cv_room_t *r, cv_part_t *p, int n, int64_t now, cv_tile_t *t)
{
    int fresh = p->visible && p->has_pic && now - p->pic_us < PICTURE_STALE_US;
    t->pic = fresh && !atomic_load(&p->camera_off) ? &p->pic : NULL;
    t->name = p->name;
    t->speaking = !r->cfg.self_monitor && n > 1 && p->index == atomic_load(&r->active_index) &&
                  p->role != CV_ROLE_SCREEN;
}

/* Who gets the room's picture and sound, and who is seen in it. */
static int receives(const cv_part_t *p)
{
    return p->role == CV_ROLE_PARTICIPANT || p->role == CV_ROLE_VIEWER;
}

static int receives_video(const cv_part_t *p)
{
    return receives(p) && cv_part_tier(p) != CV_TIER_AUDIO_ONLY;
}

static int seen(const cv_part_t *p)
{
    return p->role != CV_ROLE_VIEWER;
}

/* The active speaker goes to the front of the recent speakers (distinct,
 * most recent first); those who left are forgotten. */
static void note_speaker(cv_room_t *r, cv_part_t **parts, int n)
{
    int a = atomic_load(&r->active_index), k = 0;
    int keep[RECENT_MAX];
    if (a >= 0)
        keep[k++] = a;
    for (int i = 0; i < r->n_recent && k < RECENT_MAX; i++) {
        int present = 0;
        for (int j = 0; j < n && !present; j++)
            present = parts[j]->index == r->recent[i];
        if (present && r->recent[i] != a)
            keep[k++] = r->recent[i];
    }
    memcpy(r->recent, keep, sizeof(int) * (size_t)k);
    r->n_recent = k;
}

/* Who is shown where, for the room's layout mode (layout.c decides); nobody
 * while no one receives video. Returns the count, with the parts in shown. */
static int plan(cv_room_t *r, cv_part_t **parts, int n, const cv_image_t *canvas, cv_part_t **shown,
                cv_rect_t *rects)
{
    cv_layout_member_t m[CV_ROOM_MAX_PARTICIPANTS];
    cv_part_t *who[CV_ROOM_MAX_PARTICIPANTS];
    int k = 0, any_receiver = 0;
    note_speaker(r, parts, n);
    for (int i = 0; i < n; i++) {
        any_receiver |= receives_video(parts[i]);
        if (!seen(parts[i]))
            continue;
        m[k] = (cv_layout_member_t){.id = parts[i]->index,
                                    .screen = parts[i]->role == CV_ROLE_SCREEN,
                                    .lecturer = atomic_load(&parts[i]->lecturer),
                                    .speaking = atomic_load(&parts[i]->speaking)};
        who[k++] = parts[i];
    }
    int pos[CV_ROOM_MAX_PARTICIPANTS];
    int c = any_receiver && canvas
                ? cv_layout_plan(cv_room_layout(r), m, k, atomic_load(&r->active_index), r->recent,
                                 r->n_recent, canvas->w, canvas->h, pos, rects)
                : 0;
    if (c < 0)
        c = 0;
    for (int i = 0; i < c; i++)
        shown[i] = who[pos[i]];
    pthread_mutex_lock(&r->lock);
    for (int i = 0; i < c; i++)
        r->shown_ids[i] = shown[i]->index;
    r->n_shown = c;
    pthread_mutex_unlock(&r->lock);
    return c;
}

/* Marks who is decoded: those shown with their camera on. A sender shown
 * again starts from a key frame, which the network thread asks for; a
 * hidden one is asked (REMB) to send little. */
static void set_visible(cv_room_t *r, cv_part_t **parts, int n, cv_part_t **shown, int c)
{
    for (int i = 0; i < n; i++) {
        cv_part_t *p = parts[i];
        int want = 0;
        for (int j = 0; j < c && !want; j++)
            want = shown[j] == p;
        want = want && !atomic_load(&p->camera_off);
        if (want == p->visible)
            continue;
        p->visible = want;
        atomic_store(&p->video_wanted, want);
        atomic_store(&p->cap_kbps, want ? r->cfg.video_kbps : r->cfg.hidden_kbps);
        if (want) {
            p->need_key = 1;
            atomic_store(&p->keyframe_needed, 1);
        } else {
            p->has_pic = 0; /* stale by the time it is shown again */
        }
    }
}

static void compose(cv_room_t *r, cv_image_t *canvas, cv_part_t **shown, const cv_rect_t *rects,
                    int c, int n_seen, int64_t now)
{
    cv_tile_t tiles[CV_ROOM_MAX_PARTICIPANTS];
    for (int i = 0; i < c; i++)
        make_tile(r, shown[i], n_seen, now, &tiles[i]);
    if (cv_compose_rects(canvas, tiles, rects, c) < 0)
        cv_compose_rects(canvas, NULL, NULL, 0);
}

/* The output tier of each participant this tick (-1: no video for it), and
 * the mask of tiers someone receives. A receiver whose tier changed waits
 * for that tier's next key frame. */
static unsigned tier_mask(cv_room_t *r, cv_part_t **parts, int n, int *tier_of)
{
    unsigned mask = 0;
    for (int i = 0; i < n; i++) {
        cv_part_t *p = parts[i];
        int t = -1;
        if (receives_video(p)) {
            t = cv_part_tier(p);
            t = t < 0 ? 0 : t >= r->tiers.n ? r->tiers.n - 1 : t;
            mask |= 1u << t;
        }
        if (t != p->rx_tier) {
            if (p->rx_tier != -2 && t >= 0)
                p->rx_wait = 1; /* its decoder has the old stream: inter frames would break it */
            p->rx_tier = t;
        }
        tier_of[i] = t;
    }
    return mask;
}

/* Whether tier t's frame now is to be a key frame: someone on it needs one
 * (joined, switched to it, asked by PLI) or the layout changed; at most one
 * every KEYFRAME_MIN_US. */
static int wants_keyframe(cv_room_t *r, int t, cv_part_t **parts, int n, const int *tier_of,
                          int64_t now)
{
    cv_outtier_t *x = &r->tiers.t[t];
    int want = x->want_key;
    for (int i = 0; i < n; i++)
        if (tier_of[i] == t && (parts[i]->rx_wait || atomic_load(&parts[i]->fresh)))
            want = 1;
    x->want_key = want;
    return want && now - x->last_keyframe_us >= KEYFRAME_MIN_US;
}

/* Encodes tier t (scaled from the composite src) and hands the same frame to
 * every receiver on it. Returns the length, 0 or CV_E_*. */
static int encode_tier(cv_room_t *r, int t, const cv_image_t *src, cv_part_t **parts, int n,
                       const int *tier_of, int64_t now_us, int *key)
{
    cv_outtier_t *x = &r->tiers.t[t];
    int force = wants_keyframe(r, t, parts, n, tier_of, now_us);
    int64_t pts = (now_us - r->start_us) * 9 / 100; /* one clock for every tier */
    int64_t t0 = clk(r);
    int len = cv_outtiers_encode(&r->tiers, t, src, pts, force, key);
    cv_stats_add(CV_STAT_VIDEO_ENCODE_US, (uint64_t)(clk(r) - t0));
    cv_stats_add(CV_STAT_VIDEO_ENCODED, 1);
    if (len <= 0)
        return len; /* a dropped forced key frame stays wanted */
    cv_frame_t *f = cv_frame_new(CV_FRAME_VIDEO, (size_t)len);
    memcpy(f->data, r->tiers.buf, (size_t)len);
    f->rtp_ts = (uint32_t)pts;
    f->t_us = now_us;
    f->keyframe = *key;
    if (*key) { /* forced or not, it serves every pending request */
        x->last_keyframe_us = now_us;
        x->want_key = 0;
    }
    for (int i = 0; i < n; i++) {
        cv_part_t *p = parts[i];
        if (tier_of[i] != t)
            continue; /* another tier, or no video (a screen, a publisher, audio only) */
        if (*key) {
            atomic_store(&p->fresh, 0);
            p->rx_wait = 0;
        } else if (p->rx_wait) {
            continue;
        }
        deliver(p, f);
        part_notify(p);
    }
    cv_frame_unref(f);
    return len;
}

/* Composes once into the largest tier someone receives, then encodes every
 * tier due this tick. */
static void encode_tiers(cv_room_t *r, cv_part_t **parts, int n, const int *tier_of,
                         unsigned active, int64_t now_us, cv_room_stats_t *st)
{
    int top = cv_outtiers_top(&r->tiers);
    if (atomic_exchange(&r->want_keyframe, 0))
        for (int t = 0; t < r->tiers.n; t++)
            r->tiers.t[t].want_key = 1;
    for (int t = 0; t < r->tiers.n; t++) {
        if (!(active & (1u << t)) || !cv_outtiers_due(&r->tiers, t, now_us))
            continue;
        int key = 0;
        int len = encode_tier(r, t, &r->tiers.t[top].img, parts, n, tier_of, now_us, &key);
        if (len > 0) {
            st->video_encoded++;
            st->tier_frames[t]++;
            st->keyframes += key;
        }
    }
}

void cv_room_video_tick(cv_room_t *r, int64_t now_us)
{
    cv_part_t *parts[CV_ROOM_MAX_PARTICIPANTS], *shown[CV_ROOM_MAX_PARTICIPANTS];
    cv_rect_t rects[CV_ROOM_MAX_PARTICIPANTS];
    int tier_of[CV_ROOM_MAX_PARTICIPANTS];
    int n = snapshot(r, parts);
    if (n == 0)
        return;
    cv_room_stats_t st = {0};
    unsigned active = cv_outtiers_set_active(&r->tiers, tier_mask(r, parts, n, tier_of));
    int top = cv_outtiers_top(&r->tiers);
    cv_image_t *canvas = top >= 0 ? &r->tiers.t[top].img : NULL;
    int c = plan(r, parts, n, canvas, shown, rects);
    set_visible(r, parts, n, shown, c);
    int n_seen = 0;
    int64_t t0 = clk(r);
    for (int i = 0; i < n; i++) {
        n_seen += seen(parts[i]);
        if (parts[i]->visible)
            decode_video(&st, parts[i], now_us);
        else
            drop_video(parts[i]);
    }
    cv_stats_add(CV_STAT_VIDEO_DECODE_US, (uint64_t)(clk(r) - t0));
    cv_stats_add(CV_STAT_VIDEO_DECODED, st.decoded);
    cv_stats_add(CV_STAT_VIDEO_DECODE_ERRORS, st.decode_errors);
    if (canvas) { /* no picture is made that nobody receives */
        compose(r, canvas, shown, rects, c, n_seen, now_us);
        encode_tiers(r, parts, n, tier_of, active, now_us, &st);
    }
    pthread_mutex_lock(&r->lock);
    r->stats.decoded += st.decoded;
    r->stats.decode_errors += st.decode_errors;
    r->stats.video_ticks++;
    r->stats.video_encoded += st.video_encoded;
    r->stats.keyframes += st.keyframes;
    for (int t = 0; t < CV_ROOM_MAX_TIERS; t++)
        r->stats.tier_frames[t] += st.tier_frames[t];
    r->stats.active_tiers = (int)active;
    pthread_mutex_unlock(&r->lock);
    release(parts, n);
}

/* ---- audio ---- */

/* Moves the arrived packets into the playout buffer and notes the newest
 * RFC 6464 level (RFC 6464 §3: 0 loudest .. 127 silence, in -dBov). */
static void ingest(cv_part_t *p, int64_t now)
{
    cv_frame_t *f;
    while ((f = cv_queue_pop(&p->ain))) {
        p->level_ext = f->level >= 0 && f->level <= 127;
        if (p->level_ext) {
            double db = -(double)f->level;
            /* the loudest of the packets that came in this period */
            if (p->hdr_us != now || db > p->hdr_db)
                p->hdr_db = db;
            p->hdr_us = now;
        }
        cv_playout_push(&p->playout, f);
    }
}

/* Fills the FIFO with at least one 20 ms frame if the input has one. */
static void pull_audio(cv_room_stats_t *st, cv_part_t *p)
{
    cv_frame_t *f;
    int room_left = (int)(sizeof(p->fifo) / sizeof(p->fifo[0])) - p->fifo_len;
    while (p->fifo_len < CV_AUDIO_FRAME) {
        const cv_frame_t *fec;
        int what = cv_playout_pop(&p->playout, &f, &fec);
        int got = 0;
        if (what == CV_PLAYOUT_SILENT)
            break;
        if (what == CV_PLAYOUT_FRAME) {
            got = cv_opus_dec_decode(p->adec, f->data, f->len, p->fifo + p->fifo_len,
                                     room_left - CV_AUDIO_FRAME >= CV_AUDIO_MAX_FRAME
                                         ? CV_AUDIO_MAX_FRAME
                                         : CV_AUDIO_FRAME,
                                     0);
            cv_frame_unref(f);
        } else {
            got = cv_opus_dec_decode(p->adec, fec ? fec->data : NULL, fec ? fec->len : 0,
                                     p->fifo + p->fifo_len, CV_AUDIO_FRAME, fec ? 1 : 0);
            st->concealed++;
        }
        atomic_fetch_add(&p->n_adecoded, 1);
        if (got <= 0)
            got = 0;
        p->fifo_len += got;
        room_left -= got;
        if (got == 0)
            break;
    }
}

/* A voice not heard this period: its next 20 ms leave the playout buffer
 * undecoded (counted), so it stays in time for when it is heard again. */
static void skip_frame(cv_part_t *p)
{
    cv_frame_t *f;
    const cv_frame_t *fec;
    if (cv_playout_pop(&p->playout, &f, &fec) == CV_PLAYOUT_FRAME) {
        cv_frame_unref(f);
        atomic_fetch_add(&p->n_vdropped, 1);
    }
    p->fifo_len = 0;
    p->has_cur = 0;
    p->skipped = 1;
}

/* Takes this tick's 20 ms of an input into p->cur (decoding it); returns
 * its PCM level in dBFS. A voice that was skipped starts clean. */
static double take_frame(cv_room_stats_t *st, cv_part_t *p)
{
    if (p->skipped) {
        cv_opus_dec_reset(p->adec);
        p->fifo_len = 0;
        p->skipped = 0;
    }
    pull_audio(st, p);
    p->has_cur = p->fifo_len >= CV_AUDIO_FRAME;
    if (!p->has_cur)
        return -180.0;
    memcpy(p->cur, p->fifo, sizeof(p->cur));
    p->fifo_len -= CV_AUDIO_FRAME;
    memmove(p->fifo, p->fifo + CV_AUDIO_FRAME, (size_t)p->fifo_len * sizeof(int16_t));
    st->audio_frames++;
    return cv_mix_level_dbfs(p->cur, CV_AUDIO_FRAME);
}

/* Level of this period: sound keeps a voice a candidate for HANGOVER_US. */
static void measure(cv_part_t *p, double db, int64_t now)
{
    p->level_db = db;
    if (db > SPEECH_DBFS)
        p->loud_until_us = now + HANGOVER_US;
    p->ema_db = 0.8 * p->ema_db + 0.2 * (db < -100 ? -100 : db);
}

/* A voice that may be mixed: not a viewer's, not muted, sound lately. */
static int candidate(const cv_part_t *p, int64_t now)
{
    return p->role != CV_ROLE_VIEWER && !atomic_load(&mut(p)->muted) && p->loud_until_us > now;
}

/* Measures every input: from the RFC 6464 level in the packets when the
 * sender sends it (nothing decoded yet), else by decoding it. */
static void measure_all(cv_room_stats_t *st, cv_part_t **parts, int n, int64_t now)
{
    for (int i = 0; i < n; i++) {
        cv_part_t *p = parts[i];
        ingest(p, now);
        if (p->role == CV_ROLE_VIEWER || atomic_load(&p->muted)) {
            skip_frame(p);
            p->loud_until_us = 0;
            measure(p, -180.0, now);
        } else if (p->level_ext) {
            p->has_cur = 0;
            measure(p, now - p->hdr_us <= LEVEL_KEEP_US ? p->hdr_db : -127.0, now);
        } else {
            measure(p, take_frame(st, p), now);
        }
    }
}

/* The speakers: the loudest max_speakers candidates, a speaker keeping its
 * place unless another is SPEAKER_MARGIN_DB louder. */
static void select_speakers(cv_room_t *r, cv_part_t **parts, int n, int64_t now)
{
    double db[CV_ROOM_MAX_PARTICIPANTS];
    int cand[CV_ROOM_MAX_PARTICIPANTS], was[CV_ROOM_MAX_PARTICIPANTS],
        sel[CV_ROOM_MAX_PARTICIPANTS];
    for (int i = 0; i < n; i++) {
        db[i] = parts[i]->ema_db;
        cand[i] = candidate(parts[i], now);
        was[i] = parts[i]->selected;
    }
    cv_mix_pick(db, cand, was, n, r->cfg.max_speakers, SPEAKER_MARGIN_DB, sel);
    for (int i = 0; i < n; i++) {
        parts[i]->selected = sel[i];
        atomic_store(&parts[i]->speaking, sel[i]);
    }
}

/* Decodes the speakers who send levels; the other voices' packets are dropped. */
static void decode_speakers(cv_room_stats_t *st, cv_part_t **parts, int n)
{
    for (int i = 0; i < n; i++) {
        cv_part_t *p = parts[i];
        if (p->role == CV_ROLE_VIEWER || atomic_load(&p->muted) || !p->level_ext)
            continue; /* dropped or decoded already */
        if (p->selected)
            take_frame(st, p);
        else
            skip_frame(p);
    }
}

/* A voice in the mix: one of the speakers, with sound this period. */
static int heard(const cv_part_t *p, int64_t now)
{
    (void)now;
    return p->selected && p->has_cur;
}

/* The active speaker: the loudest voice being heard, held for a second. */
static void pick_speaker(cv_room_t *r, cv_part_t **parts, int n, int64_t now)
{
    int cur = atomic_load(&r->active_index);
    cv_part_t *best = NULL, *current = NULL;
    for (int i = 0; i < n; i++) {
        if (parts[i]->index == cur)
            current = parts[i];
        if (heard(parts[i], now) && (!best || parts[i]->ema_db > best->ema_db))
            best = parts[i];
    }
    if (!best || best == current)
        return;
    if (current && heard(current, now) && now - r->active_since_us < SPEAKER_HOLD_US)
        return;
    atomic_store(&r->active_index, best->index);
    r->active_since_us = now;
}

/* Sends a listener this tick's packet. The first DTX_SENT DTX packets
 * (1-2 bytes) of a DTX period go out, so the receiver knows the silence is
 * meant and plays comfort noise instead of concealing a loss (sent more than
 * once: one lost would leave up to 400 ms concealed); the following ones are
 * left out (the RTP clock runs on across the gap). */
static void send_audio(cv_part_t *p, cv_frame_t *f)
{
    if (f->len > CV_OPUS_DTX_MAX_BYTES)
        p->sent_dtx = 0;
    else if (p->sent_dtx >= DTX_SENT)
        return;
    else
        p->sent_dtx++;
    deliver(p, f);
    part_notify(p);
}

static cv_frame_t *encode_audio(const cv_room_t *r, cv_opus_enc_t *enc, const int16_t *pcm,
                                uint32_t ts, int64_t now)
{
    uint8_t pkt[1500];
    int64_t t0 = clk(r);
    /* DTX only while the mix is quiet: Opus's voice detector takes a steady
     * sound (a held note, a tone) for background and would drop it */
    cv_opus_enc_set_dtx(enc, cv_mix_level_dbfs(pcm, CV_AUDIO_FRAME) <= SPEECH_DBFS);
    int n = cv_opus_enc_encode(enc, pcm, pkt, sizeof(pkt));
    cv_stats_add(CV_STAT_AUDIO_ENCODE_US, (uint64_t)(clk(r) - t0));
    cv_stats_add(CV_STAT_AUDIO_ENCODED, 1);
    if (n <= 0)
        return NULL; /* an error: nothing to send this period */
    cv_frame_t *f = cv_frame_new(CV_FRAME_AUDIO, (size_t)n);
    memcpy(f->data, pkt, (size_t)n);
    f->rtp_ts = ts;
    f->t_us = now;
    return f;
}

/* Sizes an encoder's in-band FEC for the worst receiver report of those who
 * may hear it (RFC 6716 §2.1.7; fraction lost x 256 -> %). */
static void set_expected_loss(cv_opus_enc_t *enc, cv_part_t **listeners, int n)
{
    int worst = 0;
    for (int i = 0; i < n; i++)
        if (receives(listeners[i]) && atomic_load(&listeners[i]->receive_loss) > worst)
            worst = atomic_load(&listeners[i]->receive_loss);
    cv_opus_enc_set_loss(enc, (worst * 100 + 255) / 256);
}

/* Whether a listener's mix is its own encode (mix-minus): while it is heard,
 * and for OWN_MIX_HOLD_US after, so that a voice flickering in and out of
 * the mix (jittery arrival) does not flip its listener between two encoders
 * whose states have nothing in common. Updates the hold. */
static int own_mix(const cv_room_t *r, cv_part_t *p, int is_heard, int64_t now)
{
    if (r->cfg.self_monitor || p->role != CV_ROLE_PARTICIPANT)
        return 0;
    if (is_heard)
        p->own_until_us = now + OWN_MIX_HOLD_US;
    return is_heard || now < p->own_until_us;
}

void cv_room_audio_tick(cv_room_t *r, int64_t now_us)
{
    cv_part_t *parts[CV_ROOM_MAX_PARTICIPANTS];
    int n = snapshot(r, parts);
    if (n == 0)
        return;
    cv_mix_in_t in[CV_ROOM_MAX_PARTICIPANTS];
    cv_room_stats_t st = {0};
    int64_t t0 = clk(r);
    measure_all(&st, parts, n, now_us);
    select_speakers(r, parts, n, now_us);
    decode_speakers(&st, parts, n);
    cv_stats_add(CV_STAT_AUDIO_DECODE_US, (uint64_t)(clk(r) - t0));
    cv_stats_add(CV_STAT_AUDIO_DECODED, st.audio_frames + st.concealed);
    for (int i = 0; i < n; i++)
        in[i].pcm = heard(parts[i], now_us) ? parts[i]->cur : NULL;
    pick_speaker(r, parts, n, now_us);
    int32_t total[CV_AUDIO_FRAME];
    int16_t mix[CV_AUDIO_FRAME];
    cv_mix_sum(in, n, total);
    /* one RTP clock for all: 960 per elapsed 20 ms */
    uint32_t ts = (uint32_t)((now_us - r->start_us) / 20000) * CV_AUDIO_FRAME;
    /* the shared mix (everyone heard) goes to every receiver who is not heard */
    int need_shared = r->cfg.self_monitor;
    for (int i = 0; i < n; i++)
        if (receives(parts[i]) && !own_mix(r, parts[i], in[i].pcm != NULL, now_us))
            need_shared = 1;
    cv_frame_t *shared = NULL;
    if (need_shared) {
        set_expected_loss(r->aenc_shared, parts, n);
        cv_mix_minus(total, NULL, mix);
        shared = encode_audio(r, r->aenc_shared, mix, ts, now_us);
    }
    for (int i = 0; i < n; i++) {
        cv_part_t *p = parts[i];
        cv_frame_t *f = NULL;
        if (!receives(p))
            continue;
        if (own_mix(r, p, in[i].pcm != NULL, now_us)) {
            if (!p->aenc)
                p->aenc = cv_opus_enc_create(1, r->cfg.audio_bps, 1, 1);
            if (p->aenc) {
                set_expected_loss(p->aenc, &p, 1);
                cv_mix_minus(total, in[i].pcm, mix); /* everyone but themselves */
                f = encode_audio(r, p->aenc, mix, ts, now_us);
            }
        } else if (shared) {
            f = cv_frame_ref(shared);
        }
        if (f) {
            send_audio(p, f);
            cv_frame_unref(f);
        }
    }
    cv_frame_unref(shared);
    pthread_mutex_lock(&r->lock);
    r->stats.concealed += st.concealed;
    r->stats.audio_frames += st.audio_frames;
    r->stats.audio_ticks++;
    pthread_mutex_unlock(&r->lock);
    release(parts, n);
}
