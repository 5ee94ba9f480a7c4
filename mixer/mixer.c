/*
 * mixer.c - rooms table and tick scheduler (shell: owns a thread, reads the
 * clock). The table lock is held for list changes and the scheduler's scan,
 * never across a tick.
 */
#include "mixer.h"

#include "clock.h"
#include "err.h"
#include "log.h"
#include "mem.h"
#include "overload.h"
#include "stats.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <string.h>
#include <strings.h>
#include <time.h>

#define AUDIO_PERIOD_US 20000
#define MAX_SLEEP_US 1000000
/* A video tick runs when a frame of the room's lead arrives, this share of a
 * period after the last one at the earliest (no faster than the room's rate
 * with some jitter); while the lead's frames come, the clock waits this much
 * longer than a period for one before it composes without it. */
#define LEAD_GAP_PCT 85
#define LEAD_WAIT_PCT 125
#define WINDOW_US 1000000 /* the overload controller looks at one second at a time */

struct cv_mixer_room {
    atomic_int refs; /* the table's, and one per tick in flight */
    char name[65];   /* "" for a private echo room */
    cv_mixer_t *m;
    cv_room_t *room;
    int64_t next_video_us, next_audio_us, video_period_us;
    int64_t last_video_us; /* when the last video tick was submitted */
    int64_t lead_us;       /* when the lead's last frame arrived */
    uint64_t video_n;      /* video deadlines met so far, run or shed */
    atomic_int video_busy, audio_busy;
    cv_mixer_room_t *next;
};

struct cv_mixer {
    cv_mixer_cfg_t cfg;
    char *names;
    cv_pool_t *pool;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    cv_mixer_room_t *rooms;
    int n_rooms;
    int n_named; /* of them, rooms with a name: echo checks do not count to max_rooms */
    int stopping;
    uint64_t late_ticks;
    /* overload (overload.h), under the lock: the controller and this window's counts */
    cv_overload_t ov;
    cv_overload_sample_t win;
    int64_t win_start_us;
    uint64_t queue_full_seen, shed;
    /* added to by the ticks as they end */
    atomic_llong busy_us, video_started, lateness_us;
    atomic_int inflight; /* ticks submitted to the pool and not yet over */
    pthread_t clock_thread;
    int clock_started;
};

struct tick {
    cv_mixer_t *m;
    cv_mixer_room_t *e;
    int video;
    int64_t due_us; /* the deadline it was submitted for */
};

static void entry_unref(cv_mixer_room_t *e)
{
    if (e && atomic_fetch_sub(&e->refs, 1) == 1) {
        cv_room_destroy(e->room);
        free(e);
#ifdef __GLIBC__
        /* a room's decoders, pictures and queues came from many threads'
         * arenas: without this glibc keeps most of a big room's memory
         * after it ends */
        malloc_trim(0);
#endif
    }
}

static void run_tick(void *arg)
{
    struct tick *t = arg;
    int64_t now = cv_now_us(), took;
    if (t->video) {
        cv_room_video_tick(t->e->room, now);
        took = cv_now_us() - now;
        cv_stats_observe_us(CV_HIST_VIDEO_TICK, took);
        atomic_fetch_add(&t->m->video_started, 1);
        atomic_fetch_add(&t->m->lateness_us, now > t->due_us ? now - t->due_us : 0);
        atomic_store(&t->e->video_busy, 0);
    } else {
        cv_room_audio_tick(t->e->room, now);
        took = cv_now_us() - now;
        cv_stats_observe_us(CV_HIST_AUDIO_TICK, took);
        atomic_store(&t->e->audio_busy, 0);
    }
    cv_mixer_t *m = t->m;
    atomic_fetch_add(&m->busy_us, took);
    entry_unref(t->e);
    free(t);
    atomic_fetch_sub(&m->inflight, 1); /* the last touch of m: cv_mixer_destroy waits for it */
}

/* Under the lock: submits the tick unless the overload level sheds it or
 * the previous one still runs, and moves the deadline on by one period
 * (past now if we fell behind). */
static void due(cv_mixer_t *m, cv_mixer_room_t *e, int video, int64_t now)
{
    int64_t *next = video ? &e->next_video_us : &e->next_audio_us;
    int64_t period = video ? e->video_period_us : AUDIO_PERIOD_US;
    atomic_int *busy = video ? &e->video_busy : &e->audio_busy;
    int64_t *n_due = video ? &m->win.video_due : &m->win.audio_due;
    int64_t *n_late = video ? &m->win.video_late : &m->win.audio_late;
    if (now < *next)
        return;
    int runs = video ? cv_overload_video_runs(m->ov.level, e->video_n++)
                     : cv_overload_audio_runs(m->ov.level);
    if (!runs) {
        m->shed++;
    } else if (atomic_exchange(busy, 1)) {
        m->late_ticks++;
        cv_stats_add(video ? CV_STAT_LATE_VIDEO_TICKS : CV_STAT_LATE_AUDIO_TICKS, 1);
        ++*n_late;
    } else {
        struct tick *t = cv_xmalloc(sizeof(*t));
        t->m = m;
        t->e = e;
        t->video = video;
        t->due_us = *next;
        atomic_fetch_add(&e->refs, 1);
        atomic_fetch_add(&m->inflight, 1);
        if (video)
            cv_pool_submit(m->pool, run_tick, t);
        else /* the sound first when the workers fall behind */
            cv_pool_submit_urgent(m->pool, run_tick, t);
    }
    *n_due += runs;
    if (video) {
        /* the lead's frames set the pace while they come; else the clock */
        e->last_video_us = now;
        if (now - e->lead_us < 2 * period)
            *next = now + period * LEAD_WAIT_PCT / 100;
        else
            *next += period;
    } else {
        *next += period;
    }
    if (*next <= now)
        *next = now + period;
}

/* The room's lead sent a frame (a network thread): its video tick comes now,
 * or as soon as the gap since the last one allows. */
static void on_lead_frame(void *ud)
{
    cv_mixer_room_t *e = ud;
    cv_mixer_t *m = e->m;
    int64_t now = cv_now_us();
    pthread_mutex_lock(&m->lock);
    e->lead_us = now;
    int64_t at = e->last_video_us + e->video_period_us * LEAD_GAP_PCT / 100;
    if (at < now)
        at = now;
    if (at < e->next_video_us) {
        e->next_video_us = at;
        pthread_cond_signal(&m->wake);
    }
    pthread_mutex_unlock(&m->lock);
}

static const char *const shed_words[CV_OVERLOAD_MAX + 1] = {
    "nothing shed", "video at 2/3 frame rate", "video at half frame rate",
    "half frame rate, best output tier shed", "half frame rate, two best output tiers shed"};

/* Under the lock, once a window: the controller's new level, applied to
 * every room; a warning when it rises, a note when it is back to 0. Neither
 * names a room. */
static void overload_window(cv_mixer_t *m, int64_t now)
{
    cv_overload_sample_t *s = &m->win;
    uint64_t qf = cv_stats_get(CV_STAT_DROP_QUEUE_FULL);
    s->window_us = now - m->win_start_us;
    s->video_started = atomic_exchange(&m->video_started, 0);
    s->lateness_us = atomic_exchange(&m->lateness_us, 0);
    s->busy_us = atomic_exchange(&m->busy_us, 0);
    s->workers = cv_pool_size(m->pool);
    s->period_us = 1000000 / (m->cfg.room.fps > 0 ? m->cfg.room.fps : 30);
    s->queue_full = (int64_t)(qf - m->queue_full_seen);
    m->queue_full_seen = qf;
    int was = m->ov.level, level = cv_overload_update(&m->ov, s, now);
    if (level > was) /* with what the last second looked like */
        CV_WARN("overload: the mixer falls behind, shed level %d (%s); audio is kept; in the "
                "last second %lld of %lld video and %lld of %lld audio ticks skipped, video "
                "ticks %lld ms late on average, workers %lld %% busy, %lld frames lost on full "
                "queues",
                level, shed_words[level], (long long)s->video_late, (long long)s->video_due,
                (long long)s->audio_late, (long long)s->audio_due,
                (long long)(s->video_started ? s->lateness_us / s->video_started / 1000 : 0),
                (long long)(s->workers ? s->busy_us * 100 / s->window_us / s->workers : 0),
                (long long)s->queue_full);
    memset(s, 0, sizeof(*s));
    m->win_start_us = now;
    if (level == was)
        return;
    if (level == 0)
        CV_INFO("overload: the mixer keeps up again, nothing shed");
    else if (level < was)
        CV_INFO("overload: shed level %d (%s)", level, shed_words[level]);
    for (cv_mixer_room_t *e = m->rooms; e; e = e->next)
        cv_room_set_tier_floor(e->room, cv_overload_tier_floor(level));
}

static void *clock_main(void *arg)
{
    cv_mixer_t *m = arg;
    pthread_mutex_lock(&m->lock);
    while (!m->stopping) {
        int64_t now = cv_now_us();
        int64_t wake_at = now + MAX_SLEEP_US;
        if (now - m->win_start_us >= WINDOW_US)
            overload_window(m, now);
        if (m->win_start_us + WINDOW_US < wake_at)
            wake_at = m->win_start_us + WINDOW_US;
        for (cv_mixer_room_t *e = m->rooms; e; e = e->next) {
            due(m, e, 0, now);
            due(m, e, 1, now);
            if (e->next_audio_us < wake_at)
                wake_at = e->next_audio_us;
            if (e->next_video_us < wake_at)
                wake_at = e->next_video_us;
        }
        struct timespec ts = {.tv_sec = wake_at / 1000000, .tv_nsec = (wake_at % 1000000) * 1000};
        pthread_cond_timedwait(&m->wake, &m->lock, &ts);
    }
    pthread_mutex_unlock(&m->lock);
    return NULL;
}

cv_mixer_t *cv_mixer_create(cv_pool_t *pool, const cv_mixer_cfg_t *cfg)
{
    cv_mixer_t *m = cv_xcalloc(1, sizeof(*m));
    m->cfg = *cfg;
    m->names = cv_xstrdup(cfg->names ? cfg->names : "");
    m->cfg.names = m->names;
    m->pool = pool;
    pthread_mutex_init(&m->lock, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&m->wake, &ca);
    pthread_condattr_destroy(&ca);
    m->win_start_us = cv_now_us();
    cv_overload_init(&m->ov, m->win_start_us);
    m->queue_full_seen = cv_stats_get(CV_STAT_DROP_QUEUE_FULL);
    if (pthread_create(&m->clock_thread, NULL, clock_main, m) != 0) {
        cv_mixer_destroy(m);
        return NULL;
    }
    pthread_setname_np(m->clock_thread, "cv-mix-clock");
    m->clock_started = 1;
    return m;
}

void cv_mixer_destroy(cv_mixer_t *m)
{
    if (!m)
        return;
    pthread_mutex_lock(&m->lock);
    m->stopping = 1;
    pthread_cond_signal(&m->wake);
    pthread_mutex_unlock(&m->lock);
    if (m->clock_started)
        pthread_join(m->clock_thread, NULL);
    /* no tick is submitted now; those on the pool's workers still use m */
    while (atomic_load(&m->inflight) > 0) {
        struct timespec ms = {.tv_sec = 0, .tv_nsec = 1000000};
        nanosleep(&ms, NULL);
    }
    /* rooms still listed (participants that never left) go with the table */
    while (m->rooms) {
        cv_mixer_room_t *e = m->rooms;
        m->rooms = e->next;
        entry_unref(e);
    }
    pthread_cond_destroy(&m->wake);
    pthread_mutex_destroy(&m->lock);
    free(m->names);
    free(m);
}

static int name_allowed(const cv_mixer_t *m, const char *room)
{
    if (m->cfg.open_rooms)
        return 1;
    size_t n = strlen(room);
    for (const char *p = m->names; *p;) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len == n && strncasecmp(p, room, n) == 0) /* room names ignore case */
            return 1;
        p += len + (end ? 1 : 0);
    }
    return 0;
}

/* Under the lock. */
static cv_mixer_room_t *find_room(cv_mixer_t *m, const char *room)
{
    for (cv_mixer_room_t *e = m->rooms; e; e = e->next)
        if (e->name[0] && strcmp(e->name, room) == 0)
            return e;
    return NULL;
}

static cv_mixer_room_t *new_room(cv_mixer_t *m, const char *room, int64_t now)
{
    cv_room_cfg_t rc = m->cfg.room;
    rc.clock_us = cv_now_us;
    if (!room) { /* the echo check: a small picture is enough to see oneself */
        rc.self_monitor = 1;
        rc.max_participants = 1;
        rc.width = 640;
        rc.height = 360;
        rc.video_kbps = rc.video_kbps < 600 ? rc.video_kbps : 600;
        rc.n_tiers = 0; /* one tier of that */
    }
    cv_mixer_room_t *e = cv_xcalloc(1, sizeof(*e));
    rc.on_lead_frame = on_lead_frame;
    rc.lead_ud = e;
    e->room = cv_room_create(&rc, now);
    if (!e->room) {
        free(e);
        return NULL;
    }
    cv_room_set_tier_floor(e->room, cv_overload_tier_floor(m->ov.level));
    atomic_init(&e->refs, 1);
    e->m = m;
    snprintf(e->name, sizeof(e->name), "%s", room ? room : "");
    e->video_period_us = 1000000 / rc.fps;
    e->next_audio_us = now + AUDIO_PERIOD_US;
    e->next_video_us = now + e->video_period_us;
    e->last_video_us = now;
    e->lead_us = INT64_MIN / 2;
    return e;
}

cv_part_t *cv_mixer_join(cv_mixer_t *m, const char *room, const char *name, int role,
                         void (*notify)(void *ud), void *ud, cv_mixer_room_t **handle, int *err)
{
    pthread_mutex_lock(&m->lock);
    if (room && !name_allowed(m, room)) { /* checked on every join: names may be reloaded */
        *err = CV_E_NOTFOUND;
        goto fail;
    }
    cv_mixer_room_t *e = room ? find_room(m, room) : NULL;
    if (!e) {
        if (room && m->n_named >= m->cfg.max_rooms) {
            *err = CV_E_FULL;
            goto fail;
        }
        e = new_room(m, room, cv_now_us());
        if (!e) {
            *err = CV_E_CODEC;
            goto fail;
        }
        e->next = m->rooms;
        m->rooms = e;
        m->n_rooms++;
        m->n_named += room != NULL;
        pthread_cond_signal(&m->wake);
    }
    cv_part_t *p = cv_room_join_as(e->room, name, role, notify, ud);
    m->win.joins += p != NULL;
    if (!p) {
        *err = CV_E_FULL;
        if (cv_room_count(e->room) == 0) {
            /* a room made for this join: take it back */
            cv_mixer_room_t **pp = &m->rooms;
            while (*pp != e)
                pp = &(*pp)->next;
            *pp = e->next;
            m->n_rooms--;
            m->n_named -= e->name[0] != 0;
            pthread_mutex_unlock(&m->lock);
            entry_unref(e);
            return NULL;
        }
        goto fail;
    }
    *handle = e;
    pthread_mutex_unlock(&m->lock);
    return p;
fail:
    pthread_mutex_unlock(&m->lock);
    return NULL;
}

void cv_mixer_leave(cv_mixer_t *m, cv_mixer_room_t *e, cv_part_t *p)
{
    int drop = 0;
    pthread_mutex_lock(&m->lock);
    cv_room_leave(e->room, p);
    if (cv_room_count(e->room) == 0) {
        cv_mixer_room_t **pp = &m->rooms;
        while (*pp && *pp != e)
            pp = &(*pp)->next;
        if (*pp) {
            *pp = e->next;
            m->n_rooms--;
            m->n_named -= e->name[0] != 0;
            drop = 1;
        }
    }
    pthread_mutex_unlock(&m->lock);
    if (drop)
        entry_unref(e); /* freed now, or by the last tick in flight */
}

void cv_mixer_set_limits(cv_mixer_t *m, const cv_mixer_cfg_t *cfg)
{
    char *names = cv_xstrdup(cfg->names ? cfg->names : "");
    pthread_mutex_lock(&m->lock);
    char *old = m->names;
    m->names = names;
    m->cfg.names = names;
    m->cfg.open_rooms = cfg->open_rooms;
    m->cfg.max_rooms = cfg->max_rooms;
    m->cfg.room.max_participants = cfg->room.max_participants;
    for (cv_mixer_room_t *e = m->rooms; e; e = e->next)
        if (e->name[0]) /* not an echo check */
            cv_room_set_max_participants(e->room, cfg->room.max_participants);
    pthread_mutex_unlock(&m->lock);
    free(old);
}

void cv_mixer_get_stats(cv_mixer_t *m, cv_mixer_stats_t *st)
{
    memset(st, 0, sizeof(*st));
    pthread_mutex_lock(&m->lock);
    st->rooms = m->n_rooms;
    for (cv_mixer_room_t *e = m->rooms; e; e = e->next)
        st->participants += cv_room_count(e->room);
    st->late_ticks = m->late_ticks;
    st->overload_level = m->ov.level;
    st->overload_shed = m->shed;
    pthread_mutex_unlock(&m->lock);
}

cv_room_t *cv_mixer_room_of(cv_mixer_room_t *e)
{
    return e->room;
}

int cv_mixer_active_speaker(cv_mixer_room_t *e)
{
    return cv_room_active_speaker(e->room);
}
