/*
 * overload.c - the shed level from a second of the mixer's work (pure).
 */
#include "overload.h"

#define QUEUE_FULL_PRESSURE 50 /* frames lost on full queues in a window */
#define BUSY_PRESSURE_PCT 95   /* of the workers' time spent in ticks */
#define BUSY_CALM_PCT 60       /* one step less shed costs up to half as much again */
#define FLAP_US 30000000       /* a rise this soon after a fall doubles the hold */
#define RESET_US 60000000      /* this long at level 0: the hold is back to its base */
#define BACKOFF_MAX 3

void cv_overload_init(cv_overload_t *o, int64_t now_us)
{
    *o = (cv_overload_t){.changed_us = now_us, .fell_us = INT64_MIN, .calm_since_us = -1};
}

/* The mean delay of the window's video ticks is above period * num / den. */
static int late_start(const cv_overload_sample_t *s, int num, int den)
{
    return s->video_started > 0 && s->lateness_us * den > s->period_us * num * s->video_started;
}

/* The workers spent at least pct % of their time in ticks. */
static int busy(const cv_overload_sample_t *s, int pct)
{
    return s->workers > 0 && s->window_us > 0 &&
           s->busy_us * 100 >= s->window_us * s->workers * (int64_t)pct;
}

int cv_overload_classify(const cv_overload_sample_t *s)
{
    /* a fifth of the video ticks skipped, or started half a period late;
     * not in a second of joins (a burst of key frames and new decoders) */
    int video_behind =
        s->joins == 0 &&
        ((s->video_late >= 2 && s->video_late * 5 >= s->video_due) || late_start(s, 1, 2));
    int audio_behind = s->audio_late >= 2 && s->audio_late * 20 >= s->audio_due;
    if (video_behind || audio_behind || s->queue_full >= QUEUE_FULL_PRESSURE ||
        busy(s, BUSY_PRESSURE_PCT))
        return CV_OVERLOAD_PRESSURE;
    /* calm: one tick skipped now and then is the machine's noise */
    if (s->video_late <= 1 && s->audio_late <= 1 && s->queue_full == 0 && !late_start(s, 1, 4) &&
        !busy(s, BUSY_CALM_PCT))
        return CV_OVERLOAD_CALM;
    return CV_OVERLOAD_NEUTRAL;
}

static int pressed(unsigned history)
{
    return (history & 1) + (history >> 1 & 1) + (history >> 2 & 1);
}

int cv_overload_update(cv_overload_t *o, const cv_overload_sample_t *s, int64_t now_us)
{
    int cls = cv_overload_classify(s);
    o->history = (o->history << 1 | (cls == CV_OVERLOAD_PRESSURE)) & 7u;
    if (cls != CV_OVERLOAD_CALM)
        o->calm_since_us = -1;
    else if (o->calm_since_us < 0)
        o->calm_since_us = now_us - s->window_us;
    if (cls == CV_OVERLOAD_PRESSURE && pressed(o->history) >= 2 && o->level < CV_OVERLOAD_MAX) {
        if (o->fell_us != INT64_MIN && now_us - o->fell_us < FLAP_US && o->backoff < BACKOFF_MAX)
            o->backoff++;
        o->level++;
        o->rises++;
        o->changed_us = now_us;
        o->history = 0; /* the next step waits to see what this one did */
        return o->level;
    }
    int64_t hold = (int64_t)CV_OVERLOAD_HOLD_US << o->backoff;
    if (o->level > 0 && o->calm_since_us >= 0 && now_us - o->calm_since_us >= hold &&
        now_us - o->changed_us >= hold) {
        o->level--;
        o->falls++;
        o->changed_us = now_us;
        o->fell_us = now_us;
    } else if (o->level == 0 && o->backoff > 0 && now_us - o->changed_us >= RESET_US) {
        o->backoff = 0;
    }
    return o->level;
}

int cv_overload_video_runs(int level, uint64_t n)
{
    if (level <= 0)
        return 1;
    if (level == 1)
        return n % 3 != 2;
    return n % 2 == 0;
}

int cv_overload_audio_runs(int level)
{
    (void)level; /* everyone keeps hearing the room, whatever is shed */
    return 1;
}

int cv_overload_tier_floor(int level)
{
    return level >= 4 ? 2 : level == 3 ? 1 : 0;
}
