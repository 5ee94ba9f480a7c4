/*
 * impair.c - the packet-fate decisions of the impairment relay. Pure: a
 * xorshift64* generator seeded by the caller, time as an argument.
 */
#include "impair.h"

#include <string.h>

static uint64_t next(cv_impair_t *im)
{
    uint64_t x = im->rng;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    im->rng = x;
    return x * 0x2545f4914f6cdd1dull;
}

/* Uniform in [0, 1). */
static double unit(cv_impair_t *im)
{
    return (double)(next(im) >> 11) / 9007199254740992.0;
}

void cv_impair_init(cv_impair_t *im, const cv_impair_profile_t *p, uint64_t seed)
{
    memset(im, 0, sizeof(*im));
    im->p = *p;
    im->rng = seed * 0x9e3779b97f4a7c15ull + 0x632be59bd9b4e019ull;
    if (!im->rng)
        im->rng = 1;
}

static int lost(cv_impair_t *im)
{
    /* draw every number every time, so a profile change does not shift the others */
    double r_loss = unit(im), r_state = unit(im), r_bad = unit(im);
    if (im->p.ge_p > 0) {
        if (im->bad ? r_state < im->p.ge_r : r_state < im->p.ge_p)
            im->bad = !im->bad;
        if (im->bad && r_bad < im->p.ge_bad_loss)
            return 1;
    }
    return r_loss < im->p.loss;
}

int cv_impair_packet(cv_impair_t *im, size_t len, int64_t now_us, int64_t *deliver_us)
{
    double r_jitter = unit(im);
    if (im->p.outage_len_us > 0 && now_us >= im->p.outage_at_us &&
        now_us < im->p.outage_at_us + im->p.outage_len_us) {
        im->outage_drops++;
        return CV_IMPAIR_OUTAGE;
    }
    if (lost(im)) {
        im->lost++;
        return CV_IMPAIR_LOSS;
    }
    int64_t out = now_us;
    if (im->p.rate_bps > 0) {
        int64_t start = im->link_free_us > now_us ? im->link_free_us : now_us;
        int64_t held = (start - now_us) * im->p.rate_bps / 8000000; /* bytes waiting */
        if (held + (int64_t)len > im->p.queue_bytes) {
            im->queue_drops++;
            return CV_IMPAIR_QUEUE;
        }
        im->link_free_us = start + (int64_t)len * 8000000 / im->p.rate_bps;
        out = im->link_free_us;
    }
    out += im->p.delay_us;
    if (im->p.jitter_us > 0)
        out += (int64_t)((2 * r_jitter - 1) * (double)im->p.jitter_us);
    *deliver_us = out < now_us ? now_us : out;
    im->passed++;
    return CV_IMPAIR_PASS;
}

int cv_impair_profile_named(const char *name, cv_impair_profile_t *p)
{
    memset(p, 0, sizeof(*p));
    if (strcmp(name, "clean") == 0)
        return 0;
    if (strcmp(name, "loss5") == 0) {
        p->loss = 0.05;
        return 0;
    }
    if (strcmp(name, "loss20") == 0) {
        p->loss = 0.20;
        return 0;
    }
    if (strcmp(name, "burst") == 0) { /* mean burst 4 packets, ~10 % of the time bad */
        p->ge_p = 0.0278;
        p->ge_r = 0.25;
        p->ge_bad_loss = 1.0;
        return 0;
    }
    if (strcmp(name, "loss20+delay100") == 0) {
        p->loss = 0.20;
        p->delay_us = 100000;
        return 0;
    }
    if (strcmp(name, "cap150") == 0) {
        p->rate_bps = 150000;
        p->queue_bytes = 15000; /* 0.8 s at 150 kbit/s */
        return 0;
    }
    if (strcmp(name, "cap300") == 0) {
        p->rate_bps = 300000;
        p->queue_bytes = 30000; /* 0.8 s at 300 kbit/s */
        return 0;
    }
    if (strcmp(name, "delay150") == 0) {
        p->delay_us = 150000;
        p->jitter_us = 40000;
        return 0;
    }
    if (strcmp(name, "outage3") == 0) {
        p->outage_at_us = 10000000;
        p->outage_len_us = 3000000;
        return 0;
    }
    return -1;
}
