/*
 * impair.h - a reproducible network impairment for benchmarks and tests (the
 * relay of bench/relay.c): random loss, bursty loss (Gilbert-Elliott two-state
 * model), delay with jitter (which reorders), a rate cap with a bounded queue
 * (tail drop), and an outage. The fate of each packet is a pure function of
 * the seed, the profile and the sequence of (time, size) it is given.
 * Pure: time comes in as now_us (from the start of the run). One owner.
 */
#ifndef CV_IMPAIR_H
#define CV_IMPAIR_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    double loss;           /* independent loss probability, 0..1 */
    double ge_p, ge_r;     /* Gilbert-Elliott: P(good -> bad), P(bad -> good) per packet */
    double ge_bad_loss;    /* loss probability in the bad state (good state: none) */
    int64_t delay_us;      /* one-way delay added */
    int64_t jitter_us;     /* plus uniform -jitter..+jitter (packets may overtake) */
    int64_t rate_bps;      /* link rate, 0 = unlimited */
    int64_t queue_bytes;   /* bytes the capped link may hold waiting; more are dropped */
    int64_t outage_at_us;  /* everything dropped from here ... */
    int64_t outage_len_us; /* ... for this long (0 = no outage) */
} cv_impair_profile_t;

enum {
    CV_IMPAIR_PASS = 0,
    CV_IMPAIR_LOSS = 1,   /* random or burst loss */
    CV_IMPAIR_QUEUE = 2,  /* the rate cap's queue was full */
    CV_IMPAIR_OUTAGE = 3, /* during the outage */
};

typedef struct {
    cv_impair_profile_t p;
    uint64_t rng;
    int bad;              /* Gilbert-Elliott state */
    int64_t link_free_us; /* when the capped link has sent what it holds */
    uint64_t passed, lost, queue_drops, outage_drops;
} cv_impair_t;

void cv_impair_init(cv_impair_t *im, const cv_impair_profile_t *p, uint64_t seed);
/* One packet of len bytes offered at now_us (non-decreasing). Returns CV_IMPAIR_PASS
 * with *deliver_us (>= now_us) when it should come out, or the reason it is dropped. */
int cv_impair_packet(cv_impair_t *im, size_t len, int64_t now_us, int64_t *deliver_us);
/* Named profiles: "clean", "loss5", "loss20", "burst" (Gilbert-Elliott, ~10 % in
 * bursts of ~4), "cap300" (300 kbit/s, 30 kB queue), "cap150" (150 kbit/s, 15 kB
 * queue), "delay150" (150 ms +- 40 ms), "loss20+delay100", "outage3" (3 s at
 * t = 10 s). Returns 0 or -1 for an unknown name. */
int cv_impair_profile_named(const char *name, cv_impair_profile_t *p);

#endif
