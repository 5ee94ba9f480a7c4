/*
 * room.c - the participants of a room and the room's lifecycle: joins,
 * leaves, settings and counters, from any thread under the room lock or
 * through atomics. The ticks are in room_video.c and room_audio.c
 * (room_int.h holds what they share).
 * Mix-minus and one encode per output: docs/ARCHITECTURE.md, Output tiers.
 */
#include "room_int.h"

#include "err.h"
#include "mem.h"

#include <stdlib.h>
#include <string.h>

#define VIN_CAP 16       /* complete video frames waiting for the next tick */
#define AIN_CAP 32       /* Opus packets waiting for the audio tick */
#define OUT_CAP 96       /* frames waiting for the network thread */
#define PLAYOUT_TARGET 2 /* 40 ms of audio buffered per input */

/* ---- participants ---- */

void cv_part_unref(cv_part_t *p)
{
    if (!p || atomic_fetch_sub(&p->refs, 1) != 1)
        return;
    cv_queue_cleanup(&p->vin, cv_frame_unref_void);
    cv_queue_cleanup(&p->ain, cv_frame_unref_void);
    cv_queue_cleanup(&p->out, cv_frame_unref_void);
    cv_vp8_dec_destroy(p->vdec);
    cv_h264_dec_destroy(p->hdec);
    cv_image_free(&p->pic);
    cv_playout_cleanup(&p->playout);
    cv_opus_dec_destroy(p->adec);
    cv_opus_enc_destroy(p->aenc);
    pthread_mutex_destroy(&p->notify_lock);
    free(p);
}

void cv_part_notify(cv_part_t *p)
{
    pthread_mutex_lock(&p->notify_lock);
    if (p->notify)
        p->notify(p->ud);
    pthread_mutex_unlock(&p->notify_lock);
}

void cv_part_deliver(cv_part_t *p, cv_frame_t *f)
{
    if (cv_queue_push(&p->out, cv_frame_ref(f)) < 0)
        cv_frame_unref(f);
}

int cv_part_push(cv_part_t *p, cv_frame_t *f)
{
    int video = f->kind == CV_FRAME_VIDEO;
    if (cv_queue_push(video ? &p->vin : &p->ain, f) < 0) {
        cv_frame_unref(f);
        return CV_E_FULL;
    }
    if (video && p->on_lead_frame && atomic_load(&p->lead))
        p->on_lead_frame(p->lead_ud);
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

int cv_part_video_wanted(const cv_part_t *p)
{
    return atomic_load(&cv_part_mut(p)->video_wanted);
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
    return atomic_load(&cv_part_mut(p)->cap_kbps);
}

int cv_part_speaking(const cv_part_t *p)
{
    return atomic_load(&cv_part_mut(p)->speaking);
}

void cv_part_get_stats(const cv_part_t *p, cv_part_stats_t *st)
{
    cv_part_t *m = cv_part_mut(p);
    st->video_decoded = atomic_load(&m->n_vdecoded);
    st->hidden_dropped = atomic_load(&m->n_hidden);
    st->audio_decoded = atomic_load(&m->n_adecoded);
    st->voices_dropped = atomic_load(&m->n_vdropped);
    st->decoders_freed = atomic_load(&m->n_dec_freed);
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

static void scratch_free(cv_room_scratch_t *s)
{
    free(s->parts);
    free(s->members);
    free(s->who);
    free(s->tier_of);
    free(s->codec_of);
    free(s->db);
    free(s->cand);
    free(s->was);
    free(s->sel);
    memset(s, 0, sizeof(*s));
}

/* Room for at least n (its old contents are not kept: a tick fills them). */
static void scratch_grow(cv_room_scratch_t *s, int n)
{
    int cap = s->cap * 2 > n ? s->cap * 2 : n < 16 ? 16 : n;
    if (cap > CV_ROOM_MAX_PARTICIPANTS)
        cap = CV_ROOM_MAX_PARTICIPANTS;
    scratch_free(s);
    size_t c = (size_t)cap;
    s->parts = cv_xcalloc(c, sizeof(*s->parts));
    s->members = cv_xcalloc(c, sizeof(*s->members));
    s->who = cv_xcalloc(c, sizeof(*s->who));
    s->tier_of = cv_xcalloc(c, sizeof(*s->tier_of));
    s->codec_of = cv_xcalloc(c, sizeof(*s->codec_of));
    s->db = cv_xcalloc(c, sizeof(*s->db));
    s->cand = cv_xcalloc(c, sizeof(*s->cand));
    s->was = cv_xcalloc(c, sizeof(*s->was));
    s->sel = cv_xcalloc(c, sizeof(*s->sel));
    s->cap = cap;
}

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
    atomic_init(&r->tier_floor, 0);
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
    for (int i = 0; i < nt; i++) { /* upright, at most 1080 tall */
        int w = tc[i].height, h = tc[i].width;
        if (h > 1080) {
            w = (int)((int64_t)w * 1080 / h) & ~1;
            h = 1080;
        }
        tc[i].width = w < 16 ? 16 : w;
        tc[i].height = h;
    }
    if (cv_outtiers_init(&r->ptiers, tc, nt, cfg->fps) < 0)
        goto fail;
    /* one tick encodes one stream at a time, each copied out at once, and an
     * upright tier has no more pixels than its own: the output buffer is shared */
    free(r->ptiers.buf);
    r->ptiers.buf = r->tiers.buf;
    r->ptiers.cap = r->tiers.cap;
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
        cv_part_unref(r->parts[i]);
    if (r->ptiers.buf == r->tiers.buf)
        r->ptiers.buf = NULL; /* shared: freed with tiers */
    cv_outtiers_cleanup(&r->ptiers);
    cv_outtiers_cleanup(&r->tiers);
    cv_opus_enc_destroy(r->aenc_shared);
    scratch_free(&r->vs);
    scratch_free(&r->as);
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

void cv_part_set_receive_video(cv_part_t *p, int on)
{
    atomic_store(&p->no_video, !on); /* the video tick notices the change (rx_tier) */
}

int cv_part_receives_video(const cv_part_t *p)
{
    return !atomic_load(&((cv_part_t *)p)->no_video);
}

void cv_part_set_portrait(cv_part_t *p, int on)
{
    atomic_store(&p->portrait, !!on); /* the video tick notices the change (rx_tier) */
}

int cv_part_portrait(const cv_part_t *p)
{
    return atomic_load(&((cv_part_t *)p)->portrait);
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
    p->on_lead_frame = r->cfg.on_lead_frame;
    p->lead_ud = r->cfg.lead_ud;
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
    p->adec = cv_opus_dec_create(1);
    if (!p->adec) {
        atomic_store(&p->refs, 1);
        cv_part_unref(p);
        return NULL;
    }
    pthread_mutex_lock(&r->lock);
    if (r->n >= r->cfg.max_participants) {
        pthread_mutex_unlock(&r->lock);
        atomic_store(&p->refs, 1);
        cv_part_unref(p);
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
            cv_part_unref(p);             /* the room's reference */
            break;
        }
    }
    pthread_mutex_unlock(&r->lock);
    pthread_mutex_lock(&p->notify_lock);
    p->notify = NULL;
    pthread_mutex_unlock(&p->notify_lock);
    cv_part_unref(p);
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

void cv_room_set_tier_floor(cv_room_t *r, int t)
{
    atomic_store(&r->tier_floor, t < 0 ? 0 : t);
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

void cv_part_set_video_codec(cv_part_t *p, int codec)
{
    atomic_store(&p->h264_out, codec == CV_FRAME_H264);
}

/* The copy is made under the lock; growing the scratch is not: a room that
 * grew meanwhile is looked at again. */
int cv_room_snapshot(cv_room_t *r, cv_room_scratch_t *s)
{
    for (;;) {
        pthread_mutex_lock(&r->lock);
        int n = r->n;
        if (n <= s->cap) {
            for (int i = 0; i < n; i++) {
                s->parts[i] = r->parts[i];
                atomic_fetch_add(&s->parts[i]->refs, 1);
            }
            pthread_mutex_unlock(&r->lock);
            return n;
        }
        pthread_mutex_unlock(&r->lock);
        scratch_grow(s, n);
    }
}

void cv_room_release(cv_part_t **parts, int n)
{
    for (int i = 0; i < n; i++)
        cv_part_unref(parts[i]);
}
