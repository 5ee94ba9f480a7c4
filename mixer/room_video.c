/*
 * room_video.c - the video tick of a room: who is shown where, decoding the
 * shown senders, composing once and encoding each output tier once for all
 * its receivers (once in VP8, and once in H.264 while it has receivers that
 * offered no VP8). Run by a mixer worker, time as an argument; it shares only
 * the queues and the participant list with other threads.
 * docs/ARCHITECTURE.md, The packet path and Output tiers.
 */
#include "room_int.h"

#include "compositor.h"
#include "err.h"
#include "mem.h"
#include "stats.h"

#include <libyuv.h>
#include <string.h>

#define PICTURE_STALE_US 2000000 /* no picture for 2 s: show the placeholder */
#define KEYFRAME_MIN_US 300000   /* at most ~3 key frames a second ... */
#define KEYFRAME_PER_RX 100      /* ... to up to 100 receivers; 0.3 s more per 100 more */
#define DECODER_IDLE_US 5000000  /* hidden this long: its decoder and picture are freed */

_Static_assert((int)CV_LAYOUT_MODE_GRID == (int)CV_LAYOUT_GRID &&
                   (int)CV_LAYOUT_MODE_SPEAKER == (int)CV_LAYOUT_SPEAKER &&
                   (int)CV_LAYOUT_MODE_LECTURE == (int)CV_LAYOUT_LECTURE,
               "room.h and layout.h agree on the modes");
_Static_assert(CV_ROOM_MAX_PARTICIPANTS <= CV_LAYOUT_MEMBERS_MAX,
               "layout.c chooses among everyone in a room");

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

/* One frame through the decoder of its codec, made when first needed. */
static int decode_frame(cv_part_t *p, const cv_frame_t *f, cv_image_t *view)
{
    if (f->codec != CV_FRAME_H264) {
        if (!p->vdec && !(p->vdec = cv_vp8_dec_create()))
            return CV_E_CODEC;
        return cv_vp8_dec_decode(p->vdec, f->data, f->len, view);
    }
    if (!p->hdec && !(p->hdec = cv_h264_dec_create()))
        return CV_E_CODEC;
    return cv_h264_dec_decode(p->hdec, f->data, f->len, f->keyframe, view);
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
        int rc = decode_frame(p, f, &view);
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

/* A participant not shown: its queued frames go undecoded, and once it has
 * been hidden DECODER_IDLE_US its decoders and picture are freed (about
 * 1 MiB at 640x480: in a big room most senders are never shown). Shown
 * again, it starts from a key frame anyway. */
static void drop_video(cv_part_t *p, int64_t now)
{
    cv_frame_t *f;
    while ((f = cv_queue_pop(&p->vin))) {
        atomic_fetch_add(&p->n_hidden, 1);
        cv_frame_unref(f);
    }
    if ((p->vdec || p->hdec || p->pic.mem) && now - p->hidden_us >= DECODER_IDLE_US) {
        if (p->vdec || p->hdec)
            atomic_fetch_add(&p->n_dec_freed, 1);
        cv_vp8_dec_destroy(p->vdec);
        cv_h264_dec_destroy(p->hdec);
        p->vdec = NULL;
        p->hdec = NULL;
        cv_image_free(&p->pic);
        p->has_pic = 0;
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

/* Who gets the room's picture, and who is seen in it. */
static int receives_video(const cv_part_t *p)
{
    return cv_part_receives(p) && cv_part_tier(p) != CV_TIER_AUDIO_ONLY &&
           !atomic_load(&p->no_video);
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

/* Who is shown where on canvas, for the room's layout mode (layout.c
 * decides); nobody while no one receives video. Returns the count (at most
 * CV_LAYOUT_MAX), with the parts in shown. */
static int plan_on(cv_room_t *r, cv_part_t **parts, int n, const cv_image_t *canvas,
                   cv_part_t **shown, cv_rect_t *rects)
{
    cv_layout_member_t *m = r->vs.members;
    cv_part_t **who = r->vs.who;
    int k = 0, any_receiver = 0;
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
    int pos[CV_LAYOUT_MAX];
    int c = any_receiver && canvas
                ? cv_layout_plan(cv_room_layout(r), m, k, atomic_load(&r->active_index), r->recent,
                                 r->n_recent, canvas->w, canvas->h, pos, rects)
                : 0;
    if (c < 0)
        c = 0;
    for (int i = 0; i < c; i++)
        shown[i] = who[pos[i]];
    return c;
}

/* The lead of a composite: the one shown largest, or among equals the
 * active speaker; -1 for none (a grid where nobody speaks). */
static int lead_of(const cv_room_t *r, cv_part_t **shown, const cv_rect_t *rects, int c)
{
    int best = -1, tie = 0;
    long best_area = 0;
    for (int i = 0; i < c; i++) {
        long area = (long)rects[i].w * rects[i].h;
        if (best < 0 || area > best_area) {
            best = i;
            best_area = area;
            tie = 0;
        } else if (area == best_area) {
            tie = 1;
        }
    }
    if (best < 0 || !tie)
        return best;
    int a = atomic_load(&r->active_index);
    for (int i = 0; i < c; i++)
        if (shown[i]->index == a && (long)rects[i].w * rects[i].h == best_area)
            return i;
    return -1;
}

/* plan_on, the room's record of who is shown (cv_room_shown), and its lead
 * (whose frames the mixer composes as they come). */
static int plan(cv_room_t *r, cv_part_t **parts, int n, const cv_image_t *canvas, cv_part_t **shown,
                cv_rect_t *rects)
{
    note_speaker(r, parts, n);
    int c = plan_on(r, parts, n, canvas, shown, rects);
    int lead = lead_of(r, shown, rects, c);
    for (int i = 0; i < n; i++)
        atomic_store(&parts[i]->lead, lead >= 0 && parts[i] == shown[lead]);
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
static void set_visible(cv_room_t *r, cv_part_t **parts, int n, cv_part_t **shown, int c,
                        cv_part_t **pshown, int pc, int64_t now)
{
    for (int i = 0; i < n; i++) {
        cv_part_t *p = parts[i];
        int want = 0;
        for (int j = 0; j < c && !want; j++)
            want = shown[j] == p;
        for (int j = 0; j < pc && !want; j++) /* shown in the portrait composite only */
            want = pshown[j] == p;
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
            p->hidden_us = now;
        }
    }
}

static void compose(cv_room_t *r, cv_image_t *canvas, cv_part_t **shown, const cv_rect_t *rects,
                    int c, int n_seen, int64_t now)
{
    cv_tile_t tiles[CV_LAYOUT_MAX];
    int64_t t0 = cv_room_clk(r);
    for (int i = 0; i < c; i++)
        make_tile(r, shown[i], n_seen, now, &tiles[i]);
    if (cv_compose_rects(canvas, tiles, rects, c) < 0)
        cv_compose_rects(canvas, NULL, NULL, 0);
    cv_stats_add(CV_STAT_VIDEO_COMPOSE_US, (uint64_t)(cv_room_clk(r) - t0));
}

/* The output stream and codec of each participant this tick (-1: no video
 * for it; a tier t, or CV_OUTTIERS_MAX + t for portrait tier t), and the
 * masks of tiers someone receives as VP8 and as H.264, landscape (m[0], m[1])
 * and portrait (m[2], m[3]). A receiver whose stream or codec changed waits
 * for that stream's next key frame. */
static void tier_mask(cv_room_t *r, cv_part_t **parts, int n, int *tier_of, int *codec_of,
                      unsigned m[4])
{
    m[0] = m[1] = m[2] = m[3] = 0;
    int best = atomic_load(&r->tier_floor);
    for (int i = 0; i < n; i++) {
        cv_part_t *p = parts[i];
        int t = -1, codec = atomic_load(&p->h264_out) ? CV_OUTTIER_H264 : CV_OUTTIER_VP8;
        if (receives_video(p)) {
            t = cv_part_tier(p);
            t = t < best ? best : t; /* the better tiers are shed */
            t = t < 0 ? 0 : t >= r->tiers.n ? r->tiers.n - 1 : t;
            int up = atomic_load(&p->portrait);
            m[2 * up + (codec == CV_OUTTIER_H264)] |= 1u << t;
            t += up ? CV_OUTTIERS_MAX : 0;
        }
        if (t != p->rx_tier || codec != p->rx_codec) {
            if (p->rx_tier != -2 && t >= 0)
                p->rx_wait = 1; /* its decoder has the old stream: inter frames would break it */
            p->rx_tier = t;
            p->rx_codec = codec;
        }
        tier_of[i] = t;
        codec_of[i] = codec;
    }
}

/* Whether tier t's frame now in codec c is to be a key frame: someone on it
 * needs one (joined, switched to it, asked by PLI or FIR) or the layout
 * changed; at most one every KEYFRAME_MIN_US for each codec, longer for a
 * stream of more than KEYFRAME_PER_RX receivers: a key frame goes to each of
 * them, so its cost on the network thread grows with the room. */
static int wants_keyframe(cv_outtiers_t *ts, int base, int t, int c, cv_part_t **parts, int n,
                          const int *tier_of, const int *codec_of, int64_t now)
{
    cv_outtier_key_t *k = &ts->t[t].key[c];
    int want = k->want_key, rx = 0;
    for (int i = 0; i < n; i++) {
        if (tier_of[i] != base + t || codec_of[i] != c)
            continue;
        rx++;
        if (parts[i]->rx_wait || atomic_load(&parts[i]->fresh))
            want = 1;
    }
    k->want_key = want;
    int64_t gap = KEYFRAME_MIN_US * (int64_t)(1 + (rx - 1) / KEYFRAME_PER_RX);
    return want && now - k->last_keyframe_us >= gap;
}

/* Encodes tier t of ts (landscape or portrait: base 0 or CV_OUTTIERS_MAX in
 * tier_of) in codec c (VP8: scaled from the composite src first; H.264:
 * from the tier's picture as it stands) and hands the same frame to every
 * receiver of that stream. Returns the length, 0 or CV_E_*. */
static int encode_tier(cv_room_t *r, cv_outtiers_t *ts, int base, int t, int c,
                       const cv_image_t *src, cv_part_t **parts, int n, const int *tier_of,
                       const int *codec_of, int64_t now_us, int *key)
{
    cv_outtier_key_t *k = &ts->t[t].key[c];
    int force = wants_keyframe(ts, base, t, c, parts, n, tier_of, codec_of, now_us);
    int64_t pts = (now_us - r->start_us) * 9 / 100; /* one clock for every tier */
    int64_t t0 = cv_room_clk(r);
    int len = c == CV_OUTTIER_H264 ? cv_outtiers_encode_h264(ts, t, pts, force, key)
                                   : cv_outtiers_encode(ts, t, src, pts, force, key);
    cv_stats_add(CV_STAT_VIDEO_ENCODE_US, (uint64_t)(cv_room_clk(r) - t0));
    cv_stats_add(CV_STAT_VIDEO_ENCODED, 1);
    if (len <= 0)
        return len; /* a dropped forced key frame stays wanted */
    cv_frame_t *f = cv_frame_new(CV_FRAME_VIDEO, (size_t)len);
    memcpy(f->data, ts->buf, (size_t)len);
    f->rtp_ts = (uint32_t)pts;
    f->t_us = now_us;
    f->keyframe = *key;
    f->codec = c == CV_OUTTIER_H264 ? CV_FRAME_H264 : CV_FRAME_VP8;
    if (*key) { /* forced or not, it serves every pending request */
        k->last_keyframe_us = now_us;
        k->want_key = 0;
    }
    for (int i = 0; i < n; i++) {
        cv_part_t *p = parts[i];
        if (tier_of[i] != base + t || codec_of[i] != c)
            continue; /* another stream, or no video (a screen, a publisher, audio only) */
        if (*key) {
            atomic_store(&p->fresh, 0);
            p->rx_wait = 0;
        } else if (p->rx_wait) {
            continue;
        }
        cv_part_deliver(p, f);
        cv_part_notify(p);
    }
    cv_frame_unref(f);
    return len;
}

static void count_frame(cv_room_stats_t *st, int base, int t, int len, int key)
{
    if (len > 0) {
        st->video_encoded++;
        if (base)
            st->portrait_frames++;
        else
            st->tier_frames[t]++;
        st->keyframes += key;
    }
}

/* Encodes every tier of ts (landscape, base 0, or portrait, base
 * CV_OUTTIERS_MAX) due this tick, in each codec it has receivers of: the
 * largest active one holds the composite, the others are scaled from it. */
static void encode_tiers(cv_room_t *r, cv_outtiers_t *ts, int base, cv_part_t **parts, int n,
                         const int *tier_of, const int *codec_of, unsigned active, int64_t now_us,
                         cv_room_stats_t *st)
{
    int top = cv_outtiers_top(ts);
    const cv_image_t *src = &ts->t[top].img;
    for (int t = 0; t < ts->n; t++) {
        if (!(active & (1u << t)) || !cv_outtiers_due(ts, t, now_us))
            continue;
        int key = 0, len;
        if (ts->t[t].enc) {
            len = encode_tier(r, ts, base, t, CV_OUTTIER_VP8, src, parts, n, tier_of, codec_of,
                              now_us, &key);
            count_frame(st, base, t, len, key);
        } else {
            cv_outtiers_scale(ts, t, src);
        }
        if (ts->t[t].henc) {
            len = encode_tier(r, ts, base, t, CV_OUTTIER_H264, src, parts, n, tier_of, codec_of,
                              now_us, &key);
            count_frame(st, base, t, len, key);
        }
    }
}

/* A new layout: a key frame of every stream. */
static void want_keys(cv_outtiers_t *ts)
{
    for (int t = 0; t < ts->n; t++)
        for (int c = 0; c < CV_OUTTIER_CODECS; c++)
            ts->t[t].key[c].want_key = 1;
}

void cv_room_video_tick(cv_room_t *r, int64_t now_us)
{
    cv_part_t *shown[CV_LAYOUT_MAX], *pshown[CV_LAYOUT_MAX];
    cv_rect_t rects[CV_LAYOUT_MAX], prects[CV_LAYOUT_MAX];
    int n = cv_room_snapshot(r, &r->vs);
    if (n == 0)
        return;
    cv_part_t **parts = r->vs.parts;
    int *tier_of = r->vs.tier_of, *codec_of = r->vs.codec_of;
    cv_room_stats_t st = {0};
    unsigned m[4];
    tier_mask(r, parts, n, tier_of, codec_of, m);
    unsigned active = cv_outtiers_set_codecs(&r->tiers, m[0], m[1]);
    unsigned pactive = cv_outtiers_set_codecs(&r->ptiers, m[2], m[3]);
    int top = cv_outtiers_top(&r->tiers), ptop = cv_outtiers_top(&r->ptiers);
    cv_image_t *canvas = top >= 0 ? &r->tiers.t[top].img : NULL;
    cv_image_t *pcanvas = ptop >= 0 ? &r->ptiers.t[ptop].img : NULL;
    /* the portrait composite is laid out on its own frame, only while someone takes it */
    int c = plan(r, parts, n, canvas ? canvas : pcanvas, shown, rects), pc = 0;
    if (canvas && pcanvas)
        pc = plan_on(r, parts, n, pcanvas, pshown, prects);
    set_visible(r, parts, n, shown, c, pshown, pc, now_us);
    int n_seen = 0;
    int64_t t0 = cv_room_clk(r);
    for (int i = 0; i < n; i++) {
        n_seen += seen(parts[i]);
        if (parts[i]->visible)
            decode_video(&st, parts[i], now_us);
        else
            drop_video(parts[i], now_us);
    }
    cv_mem_trim_due(); /* the decoders drop_video freed */
    cv_stats_add(CV_STAT_VIDEO_DECODE_US, (uint64_t)(cv_room_clk(r) - t0));
    cv_stats_add(CV_STAT_VIDEO_DECODED, st.decoded);
    cv_stats_add(CV_STAT_VIDEO_DECODE_ERRORS, st.decode_errors);
    if ((canvas || pcanvas) && atomic_exchange(&r->want_keyframe, 0)) {
        want_keys(&r->tiers);
        want_keys(&r->ptiers);
    }
    if (canvas) { /* no picture is made that nobody receives */
        compose(r, canvas, shown, rects, c, n_seen, now_us);
        encode_tiers(r, &r->tiers, 0, parts, n, tier_of, codec_of, active, now_us, &st);
    }
    if (pcanvas) {
        if (canvas)
            compose(r, pcanvas, pshown, prects, pc, n_seen, now_us);
        else
            compose(r, pcanvas, shown, rects, c, n_seen, now_us);
        encode_tiers(r, &r->ptiers, CV_OUTTIERS_MAX, parts, n, tier_of, codec_of, pactive, now_us,
                     &st);
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
    r->stats.portrait_frames += st.portrait_frames;
    r->stats.active_portrait = (int)pactive;
    pthread_mutex_unlock(&r->lock);
    cv_room_release(parts, n);
}
