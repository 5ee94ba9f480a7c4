/*
 * test_impair.c - the impairment relay's packet fates: reproducible from the
 * seed, loss rates within bounds over 10000 packets, bursts, a bounded queue
 * behind the rate cap, delay and jitter bounds, the outage window.
 */
#include "check.h"
#include "impair.h"

#define MS 1000LL

/* 10000 packets of 1000 bytes, one per ms; counts of each fate. */
static void run(const cv_impair_profile_t *p, uint64_t seed, int *fates, int64_t *max_late,
                int64_t *min_late)
{
    cv_impair_t im;
    cv_impair_init(&im, p, seed);
    for (int i = 0; i < 4; i++)
        fates[i] = 0;
    *max_late = 0;
    *min_late = INT64_MAX;
    for (int i = 0; i < 10000; i++) {
        int64_t now = i * MS, at = -1;
        int f = cv_impair_packet(&im, 1000, now, &at);
        fates[f]++;
        if (f == CV_IMPAIR_PASS) {
            if (at - now > *max_late)
                *max_late = at - now;
            if (at - now < *min_late)
                *min_late = at - now;
        }
    }
}

static void test_same_seed_same_fates(void)
{
    cv_impair_profile_t p;
    CHECK_EQ(cv_impair_profile_named("loss20", &p), 0);
    p.jitter_us = 40 * MS;
    cv_impair_t a, b, c;
    cv_impair_init(&a, &p, 42);
    cv_impair_init(&b, &p, 42);
    cv_impair_init(&c, &p, 43);
    int same = 1, differ = 0;
    for (int i = 0; i < 2000; i++) {
        int64_t ta = 0, tb = 0, tc = 0;
        int fa = cv_impair_packet(&a, 500, i * MS, &ta);
        int fb = cv_impair_packet(&b, 500, i * MS, &tb);
        int fc = cv_impair_packet(&c, 500, i * MS, &tc);
        if (fa != fb || (fa == CV_IMPAIR_PASS && ta != tb))
            same = 0;
        if (fa != fc)
            differ++;
    }
    CHECK(same);
    CHECK(differ > 100); /* another seed, another sequence */
}

static void test_loss_rates(void)
{
    cv_impair_profile_t p;
    int f[4];
    int64_t hi, lo;
    CHECK_EQ(cv_impair_profile_named("loss5", &p), 0);
    run(&p, 1, f, &hi, &lo);
    CHECK(f[CV_IMPAIR_LOSS] > 400 && f[CV_IMPAIR_LOSS] < 600); /* 5 % +- 2 %: > 4 sigma */
    CHECK_EQ(f[CV_IMPAIR_PASS] + f[CV_IMPAIR_LOSS], 10000);
    CHECK_EQ(hi, 0); /* no delay in this profile */
    CHECK_EQ(cv_impair_profile_named("loss20", &p), 0);
    run(&p, 7, f, &hi, &lo);
    CHECK(f[CV_IMPAIR_LOSS] > 1800 && f[CV_IMPAIR_LOSS] < 2200);
    CHECK_EQ(cv_impair_profile_named("clean", &p), 0);
    CHECK_EQ(cv_impair_profile_named("cap150", &p), 0);
    CHECK_EQ(p.rate_bps, 150000);
    CHECK_EQ(cv_impair_profile_named("loss20+delay100", &p), 0);
    CHECK(p.loss == 0.20 && p.delay_us == 100000);
    CHECK_EQ(cv_impair_profile_named("cap", &p), -1);
    run(&p, 7, f, &hi, &lo);
    CHECK_EQ(f[CV_IMPAIR_PASS], 10000);
}

/* Gilbert-Elliott: about the same average, but in runs. */
static void test_bursts(void)
{
    cv_impair_profile_t p;
    CHECK_EQ(cv_impair_profile_named("burst", &p), 0);
    cv_impair_t im;
    cv_impair_init(&im, &p, 3);
    int lost = 0, runs = 0, prev = 0;
    for (int i = 0; i < 10000; i++) {
        int64_t at;
        int l = cv_impair_packet(&im, 1000, i * MS, &at) == CV_IMPAIR_LOSS;
        lost += l;
        runs += l && !prev;
        prev = l;
    }
    CHECK(lost > 700 && lost < 1400);             /* ~10 % */
    CHECK(runs > 0 && (double)lost / runs > 2.5); /* mean burst ~4 */
}

/* 300 kbit/s with a 30 kB queue offered 8 Mbit/s: ~3.75 % gets through, the
 * rest is tail-dropped, and no packet waits longer than the queue allows. */
static void test_rate_cap(void)
{
    cv_impair_profile_t p;
    int f[4];
    int64_t hi, lo;
    CHECK_EQ(cv_impair_profile_named("cap300", &p), 0);
    run(&p, 5, f, &hi, &lo);
    int64_t bound = (p.queue_bytes + 1000) * 8000000 / p.rate_bps;
    CHECK(hi <= bound);
    CHECK(f[CV_IMPAIR_QUEUE] > 9000);
    /* 10 s at 300 kbit/s is 375 packets of 1000 bytes, plus a queue's worth */
    CHECK(f[CV_IMPAIR_PASS] >= 370 && f[CV_IMPAIR_PASS] <= 410);
    /* under the cap nothing is dropped and nothing waits */
    cv_impair_t im;
    cv_impair_init(&im, &p, 5);
    int drops = 0;
    for (int i = 0; i < 1000; i++) {
        int64_t at;
        drops += cv_impair_packet(&im, 1000, i * 40 * MS, &at) != CV_IMPAIR_PASS; /* 200 kbit/s */
    }
    CHECK_EQ(drops, 0);
}

static void test_delay_and_outage(void)
{
    cv_impair_profile_t p;
    int f[4];
    int64_t hi, lo;
    CHECK_EQ(cv_impair_profile_named("delay150", &p), 0);
    run(&p, 9, f, &hi, &lo);
    CHECK_EQ(f[CV_IMPAIR_PASS], 10000);
    CHECK(hi <= 190 * MS && hi > 180 * MS);
    CHECK(lo >= 110 * MS && lo < 120 * MS);
    CHECK_EQ(cv_impair_profile_named("outage3", &p), 0);
    cv_impair_t im;
    cv_impair_init(&im, &p, 1);
    int64_t at;
    CHECK_EQ(cv_impair_packet(&im, 100, 9999 * MS, &at), CV_IMPAIR_PASS);
    CHECK_EQ(cv_impair_packet(&im, 100, 10000 * MS, &at), CV_IMPAIR_OUTAGE);
    CHECK_EQ(cv_impair_packet(&im, 100, 12999 * MS, &at), CV_IMPAIR_OUTAGE);
    CHECK_EQ(cv_impair_packet(&im, 100, 13000 * MS, &at), CV_IMPAIR_PASS);
    CHECK_EQ(cv_impair_profile_named("nonsense", &p), -1);
}

int main(void)
{
    test_same_seed_same_fates();
    test_loss_rates();
    test_bursts();
    test_rate_cap();
    test_delay_and_outage();
    return CHECK_DONE("impair");
}
