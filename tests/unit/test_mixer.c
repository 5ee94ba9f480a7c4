/*
 * test_mixer.c - unit tests of mixer/mixer.c: the limits a reload changes
 * (cv_mixer_set_limits) take effect for the next join, in rooms already
 * open too, while whoever is in stays; an echo check keeps its one place
 * and does not count to max_rooms (rooms cannot starve it); the pool runs
 * urgent jobs (audio ticks) before the others queued; a mixer whose worker
 * is held sheds video and keeps every audio tick; a frame of the room's lead
 * brings its video tick forward.
 */
#include "check.h"
#include "clock.h"
#include "err.h"
#include "frame.h"
#include "mixer.h"

#include <pthread.h>
#include <stddef.h>
#include <string.h>
#include <time.h>

static void no_notify(void *ud)
{
    (void)ud;
}

struct member {
    cv_part_t *p;
    cv_mixer_room_t *h;
};

/* Joins room (NULL: an echo check); returns 0 or the error. */
static int join(cv_mixer_t *m, const char *room, struct member *out)
{
    int err = 0;
    out->p = cv_mixer_join(m, room, "x", CV_ROLE_PARTICIPANT, no_notify, NULL, &out->h, &err);
    return out->p ? 0 : err;
}

/* A mixer of small pictures: fps, places a room, rooms; any room name. */
static cv_mixer_cfg_t small_cfg(int fps, int max_participants, int max_rooms)
{
    return (cv_mixer_cfg_t){
        .room = {.width = 160,
                 .height = 90,
                 .fps = fps,
                 .video_kbps = 100,
                 .audio_bps = 16000,
                 .max_participants = max_participants},
        .max_rooms = max_rooms,
        .open_rooms = 1,
        .names = "",
    };
}

static void test_set_limits(void)
{
    cv_pool_t *pool = cv_pool_create(1);
    cv_mixer_cfg_t cfg = small_cfg(10, 1, 3);
    cv_mixer_t *m = cv_mixer_create(pool, &cfg);
    CHECK(m != NULL);
    struct member a1, a2, a3, b1, c1, e1, e2, e3;
    CHECK_EQ(join(m, "a", &a1), 0);
    CHECK_EQ(join(m, "a", &a2), CV_E_FULL);

    cfg.room.max_participants = 2; /* the open room "a" takes one more */
    cv_mixer_set_limits(m, &cfg);
    CHECK_EQ(join(m, "a", &a2), 0);
    CHECK_EQ(join(m, "a", &a3), CV_E_FULL);
    CHECK_EQ(join(m, NULL, &e1), 0); /* an echo check stays a room of one */
    CHECK_EQ(join(m, NULL, &e2), 0); /* (each its own room) */

    cfg.open_rooms = 0; /* only "b" from now on, "a" included */
    char names[] = "b";
    cfg.names = names;
    cv_mixer_set_limits(m, &cfg);
    names[0] = 'z'; /* the mixer keeps its own copy */
    cfg.names = "b";
    CHECK_EQ(join(m, "a", &a3), CV_E_NOTFOUND);
    CHECK_EQ(join(m, "c", &c1), CV_E_NOTFOUND);
    cv_mixer_stats_t st;
    cv_mixer_get_stats(m, &st);
    CHECK_EQ(st.rooms, 3); /* a and the two echo checks */
    cfg.max_rooms = 1;
    cv_mixer_set_limits(m, &cfg);
    CHECK_EQ(join(m, "b", &b1), CV_E_FULL); /* allowed, but max_rooms 1: "a" */
    CHECK_EQ(join(m, NULL, &e3), 0);        /* the echo check is not counted */
    cv_mixer_leave(m, e3.h, e3.p);

    cfg.max_rooms = 2;
    cv_mixer_set_limits(m, &cfg);
    CHECK_EQ(join(m, "b", &b1), 0);
    cv_mixer_get_stats(m, &st);
    CHECK_EQ(st.rooms, 4);
    CHECK_EQ(st.participants, 5); /* nobody was put out by the changes */

    cfg.room.max_participants = 1; /* lower than "a" holds: they stay */
    cfg.open_rooms = 1;
    cv_mixer_set_limits(m, &cfg);
    cv_mixer_get_stats(m, &st);
    CHECK_EQ(st.participants, 5);
    CHECK_EQ(join(m, "a", &a3), CV_E_FULL);

    cv_mixer_leave(m, a1.h, a1.p);
    cv_mixer_leave(m, a2.h, a2.p);
    cv_mixer_leave(m, b1.h, b1.p);
    cv_mixer_leave(m, e1.h, e1.p);
    cv_mixer_leave(m, e2.h, e2.p);
    cv_mixer_get_stats(m, &st);
    CHECK_EQ(st.rooms, 0);
    cv_mixer_destroy(m);
    cv_pool_destroy(pool);
}

/* Pool order: one worker held by a job that waits for a gate; then jobs
 * v1 v2 (plain), a1 a2 (urgent), v3: the urgent ones run meanwhile on their
 * own worker, and all run a1 a2 v1 v2 v3. */
static pthread_mutex_t order_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t order_cond = PTHREAD_COND_INITIALIZER;
static int gate_open, gate_entered;
static char order[8];
static int n_order;

static void gate_job(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&order_lock);
    gate_entered = 1;
    pthread_cond_broadcast(&order_cond);
    while (!gate_open)
        pthread_cond_wait(&order_cond, &order_lock);
    pthread_mutex_unlock(&order_lock);
}

static void note_job(void *arg)
{
    pthread_mutex_lock(&order_lock);
    if (n_order < (int)sizeof(order) - 1)
        order[n_order++] = *(const char *)arg;
    pthread_mutex_unlock(&order_lock);
}

/* Waits (up to 5 s) until n jobs have noted themselves; returns how many did. */
static int wait_noted(int n)
{
    int got = 0;
    for (int i = 0; i < 500; i++) {
        pthread_mutex_lock(&order_lock);
        got = n_order;
        pthread_mutex_unlock(&order_lock);
        if (got >= n)
            break;
        struct timespec ts = {.tv_sec = 0, .tv_nsec = 10000000L};
        nanosleep(&ts, NULL);
    }
    return got;
}

static void test_urgent_first(void)
{
    cv_pool_t *pool = cv_pool_create(1);
    cv_pool_submit(pool, gate_job, NULL);
    pthread_mutex_lock(&order_lock);
    while (!gate_entered)
        pthread_cond_wait(&order_cond, &order_lock);
    pthread_mutex_unlock(&order_lock);
    static const char v1 = '1', v2 = '2', v3 = '3', a1 = 'a', a2 = 'b';
    cv_pool_submit(pool, note_job, (void *)&v1);
    cv_pool_submit(pool, note_job, (void *)&v2);
    cv_pool_submit_urgent(pool, note_job, (void *)&a1);
    cv_pool_submit_urgent(pool, note_job, (void *)&a2);
    cv_pool_submit(pool, note_job, (void *)&v3);
    CHECK_EQ(wait_noted(2), 2); /* with the other worker still held */
    pthread_mutex_lock(&order_lock);
    gate_open = 1;
    pthread_cond_broadcast(&order_cond);
    pthread_mutex_unlock(&order_lock);
    cv_pool_destroy(pool); /* runs what is queued */
    CHECK_EQ(n_order, 5);
    CHECK(strcmp(order, "ab123") == 0);
    /* urgent into an empty queue, then plain, then urgent again */
    n_order = 0;
    memset(order, 0, sizeof(order));
    gate_open = 0;
    gate_entered = 0;
    pool = cv_pool_create(1);
    cv_pool_submit(pool, gate_job, NULL);
    pthread_mutex_lock(&order_lock);
    while (!gate_entered)
        pthread_cond_wait(&order_cond, &order_lock);
    pthread_mutex_unlock(&order_lock);
    cv_pool_submit_urgent(pool, note_job, (void *)&a1);
    cv_pool_submit(pool, note_job, (void *)&v1);
    cv_pool_submit_urgent(pool, note_job, (void *)&a2);
    CHECK_EQ(wait_noted(2), 2);
    pthread_mutex_lock(&order_lock);
    gate_open = 1;
    pthread_cond_broadcast(&order_cond);
    pthread_mutex_unlock(&order_lock);
    cv_pool_destroy(pool);
    CHECK(strcmp(order, "ab1") == 0);
}

static void sleep_ms(int ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* The only worker is held (as by a long video tick on a machine that
 * cannot keep up): every video tick due meanwhile is skipped, and within a
 * few seconds the mixer sheds video, while the audio ticks run on their own
 * worker all along, 50 a second. Let go, the room runs at the shed frame
 * rate (20 or 15 of its 30 fps: the level holds for seconds of headroom
 * before it falls), its audio ticks still all run. */
static void test_overload_sheds_video(void)
{
    cv_pool_t *pool = cv_pool_create(1);
    cv_mixer_cfg_t cfg = small_cfg(30, 2, 1);
    cv_mixer_t *m = cv_mixer_create(pool, &cfg);
    struct member a;
    CHECK_EQ(join(m, "ov", &a), 0);
    cv_mixer_stats_t ms;
    cv_mixer_get_stats(m, &ms);
    CHECK_EQ(ms.overload_level, 0);
    gate_open = 0;
    gate_entered = 0;
    cv_room_stats_t h0, h1;
    cv_room_get_stats(cv_mixer_room_of(a.h), &h0);
    cv_pool_submit(pool, gate_job, NULL);
    int waited = 0;
    for (; waited < 8000; waited += 50) {
        cv_mixer_get_stats(m, &ms);
        if (ms.overload_level >= 1)
            break;
        sleep_ms(50);
    }
    printf("  overload: level %d after %d ms with the worker held, %llu ticks late\n",
           ms.overload_level, waited, (unsigned long long)ms.late_ticks);
    CHECK(ms.overload_level >= 1);
    CHECK(ms.late_ticks > 0);
    cv_room_get_stats(cv_mixer_room_of(a.h), &h1);
    printf("  overload: %llu audio ticks and %llu video ticks while the worker was held\n",
           (unsigned long long)(h1.audio_ticks - h0.audio_ticks),
           (unsigned long long)(h1.video_ticks - h0.video_ticks));
    /* 50 a second (less a tick that may be running at either end) */
    CHECK(h1.audio_ticks - h0.audio_ticks + 3 >= (uint64_t)waited * 50 / 1000);
    CHECK(h1.video_ticks - h0.video_ticks <= 2);
    pthread_mutex_lock(&order_lock);
    gate_open = 1;
    pthread_cond_broadcast(&order_cond);
    pthread_mutex_unlock(&order_lock);
    sleep_ms(300); /* the queued ticks run */
    cv_room_stats_t r0, r1;
    cv_mixer_stats_t m0 = ms;
    cv_room_get_stats(cv_mixer_room_of(a.h), &r0);
    sleep_ms(2000);
    cv_room_get_stats(cv_mixer_room_of(a.h), &r1);
    cv_mixer_get_stats(m, &ms);
    uint64_t video = r1.video_ticks - r0.video_ticks, audio = r1.audio_ticks - r0.audio_ticks;
    printf("  overload: in 2 s at level %d: %llu video ticks, %llu audio ticks, %llu shed\n",
           ms.overload_level, (unsigned long long)video, (unsigned long long)audio,
           (unsigned long long)(ms.overload_shed - m0.overload_shed));
    CHECK(ms.overload_level >= 1);
    CHECK(video >= 10 && video <= 44); /* 40 at 20 fps, 30 at 15; 60 unshed */
    CHECK(audio >= 90);                /* 100 */
    CHECK(ms.overload_shed - m0.overload_shed >= 16);
    cv_mixer_leave(m, a.h, a.p);
    cv_mixer_destroy(m);
    cv_pool_destroy(pool);
}

static uint64_t video_ticks(cv_mixer_room_t *h)
{
    cv_room_stats_t st;
    cv_room_get_stats(cv_mixer_room_of(h), &st);
    return st.video_ticks;
}

/* The time of the next video tick after `after` (polled each ms), or -1
 * past deadline. */
static int64_t next_tick(cv_mixer_room_t *h, uint64_t after, int64_t deadline)
{
    while (cv_now_us() < deadline) {
        if (video_ticks(h) > after)
            return cv_now_us();
        sleep_ms(1);
    }
    return -1;
}

/* A room at 2 fps (a beat every 500 ms) whose one member is its lead once
 * the first tick has shown them: each of their frames, 450 ms apart (after
 * the least gap between ticks, 85 % of the period), is composed at once
 * instead of waiting up to 500 ms for the clock. Without frames the clock
 * keeps its beat. */
static void test_lead_frame(void)
{
    cv_pool_t *pool = cv_pool_create(1);
    cv_mixer_cfg_t cfg = small_cfg(2, 2, 1);
    cv_mixer_t *m = cv_mixer_create(pool, &cfg);
    struct member a;
    CHECK_EQ(join(m, "lead", &a), 0);
    int64_t t0 = cv_now_us();
    int64_t t1 = next_tick(a.h, 0, t0 + 2000000); /* the first beat, which shows a */
    CHECK(t1 > 0);
    int prompt = 0;
    for (int i = 0; i < 6; i++) {
        int64_t push_at = t1 + 450000 * (i + 1);
        while (cv_now_us() < push_at)
            sleep_ms(1);
        uint64_t before = video_ticks(a.h);
        cv_frame_t *f = cv_frame_new(CV_FRAME_VIDEO, 1);
        f->data[0] = 0xff; /* not a picture: the tick counts a decode error */
        cv_part_push(a.p, f);
        int64_t at = next_tick(a.h, before, cv_now_us() + 1000000);
        CHECK(at > 0);
        /* at once rather than at the beat, which is up to 500 ms away */
        prompt += at > 0 && at - push_at < 100000;
    }
    CHECK(prompt >= 5);
    /* no frames: the clock alone, a tick about every 500 ms */
    uint64_t n0 = video_ticks(a.h);
    sleep_ms(1600);
    uint64_t beats = video_ticks(a.h) - n0;
    CHECK(beats >= 2 && beats <= 4);
    cv_mixer_leave(m, a.h, a.p);
    cv_mixer_destroy(m);
    cv_pool_destroy(pool);
}

int main(void)
{
    test_lead_frame();
    test_urgent_first();
    test_set_limits();
    test_overload_sheds_video();
    return CHECK_DONE("mixer");
}
