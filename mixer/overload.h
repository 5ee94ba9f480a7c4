/*
 * overload.h - what the mixer sheds when the machine cannot keep up
 * (docs/ARCHITECTURE.md, Overload). Once a second the mixer's clock gives the
 * controller what the last second looked like (ticks skipped because the
 * previous one still ran, how late the video ticks started, how busy the
 * workers were, frames lost on full queues) and gets back a shed level:
 *
 *   0  nothing shed
 *   1  video at 2/3 of the room's frame rate (30 -> 20 fps)
 *   2  video at half the room's frame rate (30 -> 15 fps)
 *   3  as 2, and receivers of the best output tier get the next one down
 *   4  as 2, and the two best tiers are not made (a room keeps its last tier)
 *
 * Audio is never shed: its ticks run at every level. The level rises one
 * step when 2 of the last 3 seconds since its last change were under
 * pressure (one bad second is noise, and a step is given time to show its
 * effect; a second in which someone joined does not count its skipped or
 * late video ticks: a join costs key frames and a decoder, once). It falls
 * one step after CV_OVERLOAD_HOLD_US of seconds in a row with room to spare,
 * and that wait doubles (up to 8 times as long) each time the level has to
 * rise again within 30 s of a fall, so a load near the edge does not make it
 * go up and down. After a minute at 0 the wait is back to
 * CV_OVERLOAD_HOLD_US.
 *
 * Pure: no clock, time is an argument. One owner thread (the mixer's clock).
 * No RFCs.
 */
#ifndef CV_OVERLOAD_H
#define CV_OVERLOAD_H

#include <stdint.h>

#define CV_OVERLOAD_MAX 4
#define CV_OVERLOAD_HOLD_US 10000000 /* seconds of headroom before one step down */

/* One window (about a second) of the mixer's work. */
typedef struct {
    int64_t window_us;             /* its length */
    int64_t video_due, video_late; /* video ticks due (shed ones not counted); skipped: busy */
    int64_t audio_due, audio_late;
    int64_t video_started; /* video ticks that started in the window */
    int64_t lateness_us;   /* their summed delay from deadline to start */
    int64_t period_us;     /* the video tick period (1 / room fps) */
    int64_t busy_us;       /* worker time spent in ticks */
    int workers;           /* worker threads */
    int64_t queue_full;    /* frames dropped on full queues (stats.h CV_STAT_DROP_QUEUE_FULL) */
    int64_t joins;         /* participants who joined a room in the window */
} cv_overload_sample_t;

typedef struct {
    int level;
    unsigned history;      /* bit i: the window i windows ago was under pressure */
    int64_t changed_us;    /* the last change of level */
    int64_t fell_us;       /* the last step down, or INT64_MIN */
    int64_t calm_since_us; /* start of the run of calm windows, -1: none */
    int backoff;           /* the hold is CV_OVERLOAD_HOLD_US << backoff */
    uint64_t rises, falls;
} cv_overload_t;

enum { CV_OVERLOAD_CALM = 0, CV_OVERLOAD_PRESSURE = 1, CV_OVERLOAD_NEUTRAL = 2 };

void cv_overload_init(cv_overload_t *o, int64_t now_us);
/* What one window says: CV_OVERLOAD_PRESSURE (the machine falls behind),
 * CV_OVERLOAD_CALM (room to spare, even for one step less shed), or
 * CV_OVERLOAD_NEUTRAL (neither). */
int cv_overload_classify(const cv_overload_sample_t *s);
/* Takes one window ending at now_us; returns the new level. */
int cv_overload_update(cv_overload_t *o, const cv_overload_sample_t *s, int64_t now_us);

/* Whether the video tick number n (counted per room from 0) runs at level:
 * every one at 0, 2 of 3 at 1, 1 of 2 above. */
int cv_overload_video_runs(int level, uint64_t n);
/* Audio ticks run at every level: 1. */
int cv_overload_audio_runs(int level);
/* The best output tier (0 is the best) receivers may get at level. */
int cv_overload_tier_floor(int level);

#endif
