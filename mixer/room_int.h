/*
 * room_int.h - what the parts of a room share, private to mixer/room*.c:
 * the participant and room structures and a few helpers. room.c holds the
 * participants and the room's lifecycle (any thread, under the room lock),
 * room_video.c the video tick and room_audio.c the audio tick (each run by
 * a mixer worker, time as an argument).
 */
#ifndef CV_ROOM_INT_H
#define CV_ROOM_INT_H

#include "room.h"

#include "audio_codec.h"
#include "image.h"
#include "outtiers.h"
#include "playout.h"
#include "queue.h"
#include "h264_codec.h"
#include "layout.h"
#include "video_codec.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#define RECENT_MAX 8 /* recent speakers remembered for the speaker layout */

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
    atomic_int h264_out; /* it receives the composite as H.264 (it offered no VP8) */
    atomic_int no_video; /* low data: it asked for no video at all */
    atomic_int portrait; /* its window is upright: it takes the portrait composite */
    atomic_int lead;     /* shown largest in the last composite (the video tick sets it) */
    void (*on_lead_frame)(void *ud); /* the room's, fixed at join */
    void *lead_ud;
    atomic_uint_fast64_t n_vdecoded, n_hidden, n_adecoded, n_vdropped, n_dec_freed;
    /* video tick */
    cv_vp8_dec_t *vdec;  /* made at its first frame shown, freed after a while hidden */
    cv_h264_dec_t *hdec; /* the same, for H.264 */
    cv_image_t pic;
    int has_pic;
    int64_t hidden_us; /* when it was last hidden */
    int64_t pic_us;
    int visible;  /* shown with its own picture in the last composite */
    int need_key; /* discard video until a key frame (joined, or shown again) */
    int rx_tier;  /* output stream it received last: tier, + CV_OUTTIERS_MAX for a portrait
                     one (-1 none, -2 not yet) */
    int rx_wait;  /* its tier changed: nothing until that tier's next key frame */
    int rx_codec; /* CV_OUTTIER_* it received last */
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

/* What one tick works on, kept in the room and reused: sized for the
 * participant list and grown with it (cv_room_snapshot), so a large room
 * costs no large stack frame. The video and audio ticks of a room may run at
 * once on two workers: each has its own. */
typedef struct {
    int cap;
    cv_part_t **parts;
    cv_layout_member_t *members; /* video: who may be shown */
    cv_part_t **who;             /* video: the participant of each member */
    int *tier_of, *codec_of;     /* video: each receiver's stream */
    double *db;                  /* audio: the speaker choice */
    int *cand, *was, *sel;
} cv_room_scratch_t;

struct cv_room {
    cv_room_cfg_t cfg;
    int64_t start_us;
    pthread_mutex_t lock; /* parts, n, next_index, stats */
    cv_part_t *parts[CV_ROOM_MAX_PARTICIPANTS];
    int n, next_index;
    atomic_int want_keyframe;
    atomic_int active_index;
    atomic_int layout;     /* CV_LAYOUT_MODE_* */
    atomic_int tier_floor; /* the best output tier anyone gets now (overload) */
    cv_room_stats_t stats; /* with the counters of participants who left */
    int shown_ids[CV_LAYOUT_MAX], n_shown;
    /* video tick */
    cv_room_scratch_t vs;
    int recent[RECENT_MAX], n_recent;
    cv_outtiers_t tiers;
    cv_outtiers_t ptiers; /* the portrait tiers: tiers[t] turned upright */
    /* audio tick */
    cv_room_scratch_t as;
    cv_opus_enc_t *aenc_shared;
    int64_t active_since_us;
};

/* Now on the room's clock for timing codec calls, 0 without one. */
static inline int64_t cv_room_clk(const cv_room_t *r)
{
    return r->cfg.clock_us ? r->cfg.clock_us() : 0;
}

/* The atomics of a participant are read through const pointers too. */
static inline cv_part_t *cv_part_mut(const cv_part_t *p)
{
    return (cv_part_t *)p;
}

/* Who gets the room's picture and sound. */
static inline int cv_part_receives(const cv_part_t *p)
{
    return p->role == CV_ROLE_PARTICIPANT || p->role == CV_ROLE_VIEWER;
}

/* Drops a reference; the last one frees the participant. NULL ok. */
void cv_part_unref(cv_part_t *p);
/* Calls the participant's notify callback (output is waiting). */
void cv_part_notify(cv_part_t *p);
/* Queues a reference to f for the participant's network thread; dropped
 * when its queue is full. f stays the caller's. */
void cv_part_deliver(cv_part_t *p, cv_frame_t *f);
/* Copies the participant list, each with a reference, into s->parts (room
 * lock held meanwhile), growing s first when the room holds more than
 * s->cap; returns the count. cv_room_release drops those references. */
int cv_room_snapshot(cv_room_t *r, cv_room_scratch_t *s);
void cv_room_release(cv_part_t **parts, int n);

#endif
