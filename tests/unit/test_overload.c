/*
 * test_overload.c - the overload controller on a fake clock: one window a
 * second, each built by hand as calm (workers 30 % busy, nothing late),
 * pressed (a third of the video ticks skipped) or in between.
 */
#include "check.h"
#include "overload.h"

#include <stdint.h>

#define SEC 1000000

/* One second of one room at 30 fps on 2 workers, busy_pct % of their time busy. */
static cv_overload_sample_t window_of(int busy_pct, int video_late, int audio_late,
                                      int64_t lateness_each_us, int64_t queue_full)
{
    cv_overload_sample_t s = {.window_us = SEC,
                              .video_due = 30,
                              .video_late = video_late,
                              .audio_due = 50,
                              .audio_late = audio_late,
                              .video_started = 30 - video_late,
                              .period_us = 33333,
                              .busy_us = (int64_t)busy_pct * 2 * SEC / 100,
                              .workers = 2,
                              .queue_full = queue_full};
    s.lateness_us = lateness_each_us * s.video_started;
    return s;
}

static cv_overload_sample_t calm(void)
{
    return window_of(30, 0, 0, 1000, 0);
}

static cv_overload_sample_t pressed(void)
{
    return window_of(99, 10, 0, 30000, 0);
}

/* Between the two: a busy second with nothing skipped (neither rises nor lets it fall). */
static cv_overload_sample_t neutral(void)
{
    return window_of(75, 0, 0, 2000, 0);
}

struct run {
    cv_overload_t o;
    int64_t now;
    int changes, last;
};

static int step(struct run *r, cv_overload_sample_t s)
{
    r->now += SEC;
    int l = cv_overload_update(&r->o, &s, r->now);
    r->changes += l != r->last;
    r->last = l;
    return l;
}

static void start(struct run *r)
{
    *r = (struct run){.now = 1000 * (int64_t)SEC};
    cv_overload_init(&r->o, r->now);
}

static void test_classify(void)
{
    cv_overload_sample_t s = calm();
    CHECK_EQ(cv_overload_classify(&s), CV_OVERLOAD_CALM);
    s = pressed();
    CHECK_EQ(cv_overload_classify(&s), CV_OVERLOAD_PRESSURE);
    s = neutral();
    CHECK_EQ(cv_overload_classify(&s), CV_OVERLOAD_NEUTRAL);
    /* each sign alone: 6 of 30 video ticks skipped (a fifth) */
    s = window_of(30, 6, 0, 1000, 0);
    CHECK_EQ(cv_overload_classify(&s), CV_OVERLOAD_PRESSURE);
    s = window_of(30, 5, 0, 1000, 0);
    CHECK_EQ(cv_overload_classify(&s), CV_OVERLOAD_NEUTRAL);
    s = window_of(30, 1, 0, 1000, 0); /* one skipped tick is noise: still calm */
    CHECK_EQ(cv_overload_classify(&s), CV_OVERLOAD_CALM);
    s = window_of(30, 2, 0, 1000, 0);
    CHECK_EQ(cv_overload_classify(&s), CV_OVERLOAD_NEUTRAL);
    /* a second with joins: skipped and late video ticks are theirs */
    s = window_of(30, 10, 0, 20000, 0);
    s.joins = 3;
    CHECK_EQ(cv_overload_classify(&s), CV_OVERLOAD_NEUTRAL);
    s.audio_late = 3; /* but not the sound */
    CHECK_EQ(cv_overload_classify(&s), CV_OVERLOAD_PRESSURE);
    s = window_of(30, 0, 0, 1000, 60); /* nor the frames lost */
    s.joins = 3;
    CHECK_EQ(cv_overload_classify(&s), CV_OVERLOAD_PRESSURE);
    s = window_of(30, 0, 3, 1000, 0); /* audio: 3 of 50 */
    CHECK_EQ(cv_overload_classify(&s), CV_OVERLOAD_PRESSURE);
    s = window_of(30, 0, 0, 17000, 0); /* started more than half a period late, on average */
    CHECK_EQ(cv_overload_classify(&s), CV_OVERLOAD_PRESSURE);
    s = window_of(30, 0, 0, 16000, 0);
    CHECK_EQ(cv_overload_classify(&s), CV_OVERLOAD_NEUTRAL);
    s = window_of(30, 0, 0, 1000, 50); /* frames lost on full queues */
    CHECK_EQ(cv_overload_classify(&s), CV_OVERLOAD_PRESSURE);
    s = window_of(30, 0, 0, 1000, 49);
    CHECK_EQ(cv_overload_classify(&s), CV_OVERLOAD_NEUTRAL);
    s = window_of(95, 0, 0, 1000, 0); /* the workers never rest */
    CHECK_EQ(cv_overload_classify(&s), CV_OVERLOAD_PRESSURE);
    s = window_of(59, 0, 0, 1000, 0);
    CHECK_EQ(cv_overload_classify(&s), CV_OVERLOAD_CALM);
    /* no rooms at all */
    s = (cv_overload_sample_t){.window_us = SEC, .workers = 2, .period_us = 33333};
    CHECK_EQ(cv_overload_classify(&s), CV_OVERLOAD_CALM);
}

/* The bench rooms on a normal machine: busy 35..55 % with a skipped tick and
 * a slow start now and then, for ten minutes: always 0. */
static void test_normal_load_stays(void)
{
    struct run r;
    start(&r);
    uint32_t x = 12345;
    int max = 0;
    for (int i = 0; i < 600; i++) {
        x = x * 1103515245u + 12345u;
        int busy = 35 + (int)(x >> 16) % 21;
        int late = (x >> 8) % 17 == 0; /* about one second in 17 has a skipped tick */
        int64_t lateness = (x >> 4) % 23 == 0 ? 12000 : 800;
        int l = step(&r, window_of(busy, late, 0, lateness, 0));
        max = l > max ? l : max;
    }
    CHECK_EQ(max, 0);
    CHECK_EQ(r.changes, 0);
}

static void test_rise_hold_recover(void)
{
    struct run r;
    start(&r);
    /* one bad second is not enough */
    CHECK_EQ(step(&r, pressed()), 0);
    CHECK_EQ(step(&r, calm()), 0);
    CHECK_EQ(step(&r, calm()), 0);
    /* two of three are: 1, then a step each two seconds of pressure up to the top */
    CHECK_EQ(step(&r, pressed()), 0);
    CHECK_EQ(step(&r, pressed()), 1);
    CHECK_EQ(step(&r, pressed()), 1);
    CHECK_EQ(step(&r, pressed()), 2);
    for (int i = 0; i < 20; i++)
        step(&r, pressed());
    CHECK_EQ(r.last, CV_OVERLOAD_MAX);
    CHECK_EQ(r.o.rises, (uint64_t)CV_OVERLOAD_MAX);
    /* holding: shedding made room, but not for CV_OVERLOAD_HOLD_US yet */
    for (int i = 0; i < CV_OVERLOAD_HOLD_US / SEC - 1; i++)
        CHECK_EQ(step(&r, calm()), CV_OVERLOAD_MAX);
    /* a busy second in between starts the count again */
    CHECK_EQ(step(&r, neutral()), CV_OVERLOAD_MAX);
    for (int i = 0; i < CV_OVERLOAD_HOLD_US / SEC - 1; i++)
        CHECK_EQ(step(&r, calm()), CV_OVERLOAD_MAX);
    /* then one step down each hold */
    CHECK_EQ(step(&r, calm()), CV_OVERLOAD_MAX - 1);
    int64_t fell = r.now;
    while (r.last > 0 && r.now - fell < 100 * (int64_t)SEC)
        step(&r, calm());
    CHECK_EQ(r.last, 0);
    CHECK_EQ(r.now - fell, (int64_t)(CV_OVERLOAD_MAX - 1) * CV_OVERLOAD_HOLD_US);
    CHECK_EQ(r.o.falls, (uint64_t)CV_OVERLOAD_MAX);
}

/* Pressure that comes back right after each fall: the wait before the next
 * fall doubles, so the level changes a few times, not every few seconds. */
static void test_backoff(void)
{
    struct run r;
    start(&r);
    step(&r, pressed());
    step(&r, pressed()); /* 1 */
    int64_t t0 = r.now;
    /* 5 minutes: calm at 1 (20 fps fits), pressure each time it falls to 0 */
    while (r.now - t0 < 300 * (int64_t)SEC) {
        step(&r, r.last == 0 ? pressed() : calm());
    }
    printf("  backoff: %d changes in 5 minutes, hold now %lld s\n", r.changes,
           (long long)((CV_OVERLOAD_HOLD_US << r.o.backoff) / SEC));
    /* waits of 10, 20, 40, 80, 80 s: at most 5 falls, each with its rise */
    CHECK(r.o.falls <= 5);
    CHECK(r.o.falls >= 3);
    CHECK_EQ(r.o.backoff, 3);
    CHECK(r.changes <= 11);
}

/* A noisy signal: pressure one second in four, calm otherwise, never two of
 * three seconds: no rise. Then alternating pressure and calm (a real
 * overload, half the time behind): it rises and does not come back down
 * while the noise lasts. */
static void test_noise_no_flap(void)
{
    struct run r;
    start(&r);
    for (int i = 0; i < 200; i++)
        step(&r, i % 4 == 0 ? pressed() : calm());
    CHECK_EQ(r.last, 0);
    CHECK_EQ(r.changes, 0);
    int falls = (int)r.o.falls;
    for (int i = 0; i < 200; i++)
        step(&r, i % 2 == 0 ? pressed() : calm());
    CHECK_EQ(r.last, CV_OVERLOAD_MAX);
    CHECK_EQ((int)r.o.falls, falls); /* never down while it keeps falling behind */
    CHECK_EQ(r.changes, CV_OVERLOAD_MAX);
}

static void test_shed_what(void)
{
    /* video: all ticks at 0, 20 of 30 at 1, 15 of 30 at 2 and above */
    int runs[CV_OVERLOAD_MAX + 1] = {0};
    for (int l = 0; l <= CV_OVERLOAD_MAX; l++)
        for (uint64_t n = 0; n < 30; n++)
            runs[l] += cv_overload_video_runs(l, n);
    CHECK_EQ(runs[0], 30);
    CHECK_EQ(runs[1], 20);
    CHECK_EQ(runs[2], 15);
    CHECK_EQ(runs[3], 15);
    CHECK_EQ(runs[4], 15);
    /* evenly spread at 1: never two shed in a row */
    for (uint64_t n = 0; n + 1 < 300; n++)
        CHECK(cv_overload_video_runs(1, n) || cv_overload_video_runs(1, n + 1));
    /* audio: every tick at every level */
    for (int l = 0; l <= CV_OVERLOAD_MAX; l++)
        CHECK_EQ(cv_overload_audio_runs(l), 1);
    /* tiers: none shed before 3 */
    CHECK_EQ(cv_overload_tier_floor(0), 0);
    CHECK_EQ(cv_overload_tier_floor(2), 0);
    CHECK_EQ(cv_overload_tier_floor(3), 1);
    CHECK_EQ(cv_overload_tier_floor(4), 2);
}

int main(void)
{
    test_classify();
    test_normal_load_stays();
    test_rise_hold_recover();
    test_backoff();
    test_noise_no_flap();
    test_shed_what();
    return CHECK_DONE("overload");
}
