/*
 * room.h - a room of the MCU: its participants, the composite picture encoded
 * once for everyone, and the audio mix with mix-minus (everyone hears
 * everyone but themselves). docs/ARCHITECTURE.md, The packet path.
 *
 * Threads:
 *  - network threads push a participant's input frames and pop its output
 *    frames (cv_part_*), through bounded queues;
 *  - a mixer worker runs cv_room_video_tick / cv_room_audio_tick; the two
 *    ticks of one room never run twice at once (the scheduler sees to that)
 *    and touch disjoint state; time comes in as now_us;
 *  - joins and leaves take the room lock for a pointer move; ticks take it to
 *    copy the participant list, never across a codec call.
 */
#ifndef CV_ROOM_H
#define CV_ROOM_H

#include "frame.h"

#include <stdint.h>

#define CV_ROOM_MAX_PARTICIPANTS 1000 /* a lecture hall; a grid shows CV_LAYOUT_MAX of them */
#define CV_ROOM_MAX_TIERS 4
#define CV_PART_NAME_MAX 256 /* bytes of a shown name: 64 characters of UTF-8 */

typedef struct {
    int width, height; /* composite size, even */
    int fps;           /* video ticks per second */
    int video_kbps;    /* composite bit rate */
    int audio_bps;     /* Opus bit rate of each mix */
    int max_participants;
    int self_monitor; /* echo check: one participant who sees and hears themselves */
    int max_speakers; /* voices decoded and mixed at once, 1..CV_ROOM_MAX_SPEAKERS; 0: 3 */
    int hidden_kbps;  /* video bit rate asked (REMB) of a sender not shown; 0: 50 */
    /* A monotonic clock in microseconds to time the codec calls with (the
     * CV_STAT_*_US counters of stats.h); NULL: they are not timed. */
    int64_t (*clock_us)(void);
    /* Called on a sender's network thread when a video frame of the lead
     * arrives (the picture shown largest: the speaker, the lecturer, a
     * screen), so that the mixer composes it at once instead of at the next
     * beat of its clock. NULL: the clock alone. */
    void (*on_lead_frame)(void *ud);
    void *lead_ud;
    /* Output tiers (docs/ARCHITECTURE.md, Output tiers), best first: each a
     * composite size, frame rate (at most fps) and bit rate, encoded once for
     * its receivers (cv_part_set_tier) and only while it has any. n_tiers 0:
     * one tier of width x height at fps and video_kbps. */
    int n_tiers;
    struct {
        int width, height, fps, kbps;
    } tiers[CV_ROOM_MAX_TIERS];
} cv_room_cfg_t;

#define CV_ROOM_MAX_SPEAKERS 16
#define CV_ROOM_DEFAULT_SPEAKERS 3
#define CV_ROOM_DEFAULT_HIDDEN_KBPS 50

typedef struct cv_room cv_room_t;
typedef struct cv_part cv_part_t;

typedef struct {
    uint64_t video_ticks, audio_ticks, video_encoded, keyframes;
    uint64_t decoded, decode_errors, concealed, audio_frames;
    double last_video_tick_ms, last_audio_tick_ms;
    uint64_t hidden_dropped; /* video of senders not shown: packets dropped by the network
                                thread (cv_part_count_hidden_drop) and queued frames dropped */
    uint64_t voices_dropped; /* Opus packets of voices not among the speakers, not decoded */
    uint64_t audio_decoded;  /* Opus packets decoded (or concealed) */
    uint64_t tier_frames[CV_ROOM_MAX_TIERS]; /* frames encoded per output tier */
    int active_tiers;                        /* bit t: tier t has receivers now */
    uint64_t portrait_frames;                /* frames encoded of the portrait tiers */
    int active_portrait;                     /* bit t: portrait tier t has receivers now */
} cv_room_stats_t;

/* NULL on bad configuration or codec failure. */
cv_room_t *cv_room_create(const cv_room_cfg_t *cfg, int64_t now_us);
/* Frees the room; no tick may be running and no participant left. NULL ok. */
void cv_room_destroy(cv_room_t *r);

enum {
    CV_ROLE_PARTICIPANT = 0, /* camera and microphone in, composite and mix out */
    CV_ROLE_SCREEN = 1,      /* a screen share: its picture shown large, nothing out */
    CV_ROLE_PUBLISHER = 2,   /* a send-only WHIP publisher: a tile and a voice, nothing out */
    CV_ROLE_VIEWER = 3,      /* a receive-only WHEP viewer: the composite and the full mix */
};

/* Adds a participant. notify(ud) is called from a worker when output is
 * waiting (and never after cv_room_leave returned). Returns the participant
 * (one reference, the caller's) or NULL when the room is full. */
cv_part_t *cv_room_join(cv_room_t *r, const char *name, void (*notify)(void *ud), void *ud);
cv_part_t *cv_room_join_as(cv_room_t *r, const char *name, int role, void (*notify)(void *ud),
                           void *ud);
/* Removes the participant from the room and drops the caller's reference. */
void cv_room_leave(cv_room_t *r, cv_part_t *p);
int cv_room_count(cv_room_t *r);
/* A new limit (1..CV_ROOM_MAX_PARTICIPANTS) for later joins; whoever is in
 * stays. Any thread. */
void cv_room_set_max_participants(cv_room_t *r, int n);
/* Receivers of output tiers better than t (0 is the best) get tier t, or the
 * room's last tier when it has fewer, until the floor is set back to 0: what
 * an overloaded mixer sheds (overload.h). Any thread. */
void cv_room_set_tier_floor(cv_room_t *r, int t);
void cv_room_get_stats(cv_room_t *r, cv_room_stats_t *st);

/* Network thread side. Takes ownership of f (video: one complete VP8 frame;
 * audio: one Opus packet with f->seq). On a full queue f is dropped, counted,
 * and CV_E_FULL returned (for video, ask the sender for a key frame). */
int cv_part_push(cv_part_t *p, cv_frame_t *f);
/* Next output frame for this participant (caller owns it), or NULL. */
cv_frame_t *cv_part_pop(cv_part_t *p);
/* The receiver asked for a key frame (PLI/FIR). */
void cv_part_request_keyframe(cv_part_t *p);
/* Its composite is encoded as H.264 (codec CV_FRAME_H264: an offer without
 * VP8) or VP8 (CV_FRAME_VP8, the default); set after the join, any thread. */
void cv_part_set_video_codec(cv_part_t *p, int codec);
/* 1 once after decoding this participant's video failed (ask for a key frame). */
int cv_part_take_decoder_error(cv_part_t *p);
/* Muted: the voice is left out of every mix. Camera off: the placeholder tile
 * is shown whatever arrives. Any thread. */
void cv_part_set_muted(cv_part_t *p, int muted);
void cv_part_set_camera(cv_part_t *p, int on);

/* Layout of the composite, chosen by the room's moderator. Any thread. */
enum {
    CV_LAYOUT_MODE_GRID = 0,    /* everyone in a grid (a screen share large) */
    CV_LAYOUT_MODE_SPEAKER = 1, /* the active speaker large, recent speakers in a strip */
    CV_LAYOUT_MODE_LECTURE = 2, /* lecturer and screen share large, the speaking student small */
};
/* CV_E_INVAL for an unknown mode. */
int cv_room_set_layout(cv_room_t *r, int mode);
int cv_room_layout(cv_room_t *r);
/* The lecturer, shown large in the lecture layout. Any thread. */
void cv_part_set_lecturer(cv_part_t *p, int on);

/* Output tier of a receiver's video: 0 (best) .. tiers-1 (a larger value
 * means the last tier), or CV_TIER_AUDIO_ONLY (video paused, audio
 * continues). Chosen from the receiver's feedback on the network thread;
 * read by the mixer. After a change the receiver gets no video until a key
 * frame of its new tier, which the next video tick asks for (its outstream
 * keeps sequence numbers, timestamps and picture ids continuous). Any thread. */
#define CV_TIER_AUDIO_ONLY (-1)
void cv_part_set_tier(cv_part_t *p, int tier);
int cv_part_tier(const cv_part_t *p);
/* Low data: on 0 the receiver is sent no video at all (whatever its tier;
 * its own video still comes in), on 1 again (from a key frame). Any thread. */
void cv_part_set_receive_video(cv_part_t *p, int on);
int cv_part_receives_video(const cv_part_t *p);
/* Portrait: the receiver's window is upright, and it gets the portrait
 * composite (tiles laid out for a tall frame) of its tier instead: each tier
 * turned upright (W x H becomes H x W, scaled down to at most 1080 tall),
 * at the same frame rate and bit rate, so the tier control's choice stands;
 * composed and encoded only while someone takes it. From a key frame after
 * each change. Any thread. */
void cv_part_set_portrait(cv_part_t *p, int on);
int cv_part_portrait(const cv_part_t *p);
/* Fraction of this receiver's packets lost (0..255, RFC 3550 fraction lost),
 * from its receiver reports: sets the expected loss of the Opus encoders
 * it listens to (in-band FEC). Any thread. */
void cv_part_set_receive_loss(cv_part_t *p, int fraction_lost);

/* Cost follows what is seen and heard (docs/ARCHITECTURE.md, Output tiers).
 * 1 while this participant's video is shown in the composite (set by the
 * video tick; 1 from the join until the first tick decides). While 0 the
 * network thread drops its video packets before depacketising and counts
 * each with cv_part_count_hidden_drop. Any thread. */
int cv_part_video_wanted(const cv_part_t *p);
void cv_part_count_hidden_drop(cv_part_t *p);
/* 1 once when the mixer needs a key frame from this sender (its tile became
 * visible, or it just joined): the network thread sends a PLI. Any thread. */
int cv_part_take_keyframe_needed(cv_part_t *p);
/* The video bit rate (kbit/s) to ask of this sender by REMB: the composite's
 * while shown, the room's hidden_kbps while not. Any thread. */
int cv_part_send_cap_kbps(const cv_part_t *p);

typedef struct {
    uint64_t video_decoded;  /* pictures decoded */
    uint64_t hidden_dropped; /* video dropped while not shown (see cv_room_stats_t) */
    uint64_t audio_decoded;  /* Opus packets decoded or concealed */
    uint64_t voices_dropped; /* Opus packets dropped undecoded: not among the speakers */
    uint64_t decoders_freed; /* video decoders given back after a while hidden */
} cv_part_stats_t;
/* This participant's counters. Any thread. */
void cv_part_get_stats(const cv_part_t *p, cv_part_stats_t *st);
/* 1 while this voice is one of the room's speakers (mixed). Any thread. */
int cv_part_speaking(const cv_part_t *p);

/* The participants (cv_part_index) shown in the last composite, large tiles
 * first, at most cap; returns how many. Any thread. */
int cv_room_shown(cv_room_t *r, int *ids, int cap);

/* Mixer worker side: one video frame period / one 20 ms audio period. */
void cv_room_video_tick(cv_room_t *r, int64_t now_us);
void cv_room_audio_tick(cv_room_t *r, int64_t now_us);

/* For tests: the participant's id in join order, and the active speaker (or -1). */
int cv_part_index(const cv_part_t *p);
int cv_room_active_speaker(cv_room_t *r);

#endif
