/*
 * test_nack.c - missing-packet tracking for generic NACK.
 */
#include "check.h"
#include "nack.h"
#include "seq.h"

#define MS 1000

/* Feeds 16-bit numbers through an unwrapper, as the session does. */
static void feed(cv_nack_t *k, cv_seq_unwrap_t *u, uint16_t seq, int64_t now)
{
    cv_nack_on_packet(k, cv_seq_unwrap(u, seq), now);
}

static void test_gap_from(uint16_t start)
{
    cv_nack_t k;
    cv_seq_unwrap_t u = {0};
    uint16_t out[16];
    cv_nack_init(&k);
    feed(&k, &u, start, 0);
    feed(&k, &u, (uint16_t)(start + 1), 1 * MS);
    /* start+2 and start+3 lost */
    feed(&k, &u, (uint16_t)(start + 4), 2 * MS);
    int n = cv_nack_poll(&k, 2 * MS, 50 * MS, 1000 * MS, out, 16);
    CHECK_EQ(n, 2);
    CHECK_EQ(out[0], (uint16_t)(start + 2));
    CHECK_EQ(out[1], (uint16_t)(start + 3));
    /* not again before the retry interval */
    CHECK_EQ(cv_nack_poll(&k, 20 * MS, 50 * MS, 1000 * MS, out, 16), 0);
    /* start+2 arrives: only start+3 is asked again */
    feed(&k, &u, (uint16_t)(start + 2), 30 * MS);
    CHECK_EQ(k.recovered, 1);
    n = cv_nack_poll(&k, 60 * MS, 50 * MS, 1000 * MS, out, 16);
    CHECK_EQ(n, 1);
    CHECK_EQ(out[0], (uint16_t)(start + 3));
    /* third try, then given up */
    CHECK_EQ(cv_nack_poll(&k, 120 * MS, 50 * MS, 1000 * MS, out, 16), 1);
    CHECK_EQ(cv_nack_poll(&k, 180 * MS, 50 * MS, 1000 * MS, out, 16), 0);
    CHECK_EQ(k.given_up, 1);
    CHECK_EQ(k.n, 0);
    CHECK_EQ(k.requested, 4);
}

static void test_no_gap_no_nack(void)
{
    cv_nack_t k;
    uint16_t out[4];
    cv_nack_init(&k);
    for (uint64_t s = 100; s < 200; s++)
        cv_nack_on_packet(&k, s, (int64_t)s * MS);
    CHECK_EQ(cv_nack_poll(&k, 300 * MS, 50 * MS, 1000 * MS, out, 4), 0);
    /* reordered packet (older, never missing) changes nothing */
    cv_nack_on_packet(&k, 150, 301 * MS);
    CHECK_EQ(k.n, 0);
    CHECK_EQ(k.recovered, 0);
}

static void test_big_jump_is_restart(void)
{
    cv_nack_t k;
    uint16_t out[4];
    cv_nack_init(&k);
    cv_nack_on_packet(&k, 1000, 0);
    cv_nack_on_packet(&k, 1000 + CV_NACK_MAX_GAP + 1, 1 * MS);
    CHECK_EQ(k.n, 0);
    CHECK_EQ(cv_nack_poll(&k, 2 * MS, 50 * MS, 1000 * MS, out, 4), 0);
    /* a gap of exactly the limit is still loss */
    cv_nack_on_packet(&k, 1000 + 2 * CV_NACK_MAX_GAP + 1, 2 * MS);
    CHECK_EQ(k.n, CV_NACK_MAX); /* 199 missing, capped at the newest 128 */
    CHECK_EQ(k.given_up, CV_NACK_MAX_GAP - 1 - CV_NACK_MAX);
    CHECK_EQ(k.e[k.n - 1].seq, 1000 + 2 * CV_NACK_MAX_GAP);
}

static void test_age_limit_and_max(void)
{
    cv_nack_t k;
    uint16_t out[4];
    cv_nack_init(&k);
    cv_nack_on_packet(&k, 10, 0);
    cv_nack_on_packet(&k, 20, 0);                                     /* 11..19 missing: 9 */
    CHECK_EQ(cv_nack_poll(&k, 1 * MS, 50 * MS, 100 * MS, out, 4), 4); /* capped by max */
    CHECK_EQ(out[0], 11);
    CHECK_EQ(out[3], 14);
    CHECK_EQ(cv_nack_poll(&k, 2 * MS, 50 * MS, 100 * MS, out, 4), 4); /* the next ones */
    CHECK_EQ(out[0], 15);
    /* older than max_age: all dropped */
    CHECK_EQ(cv_nack_poll(&k, 200 * MS, 50 * MS, 100 * MS, out, 4), 0);
    CHECK_EQ(k.n, 0);
    CHECK_EQ(k.given_up, 9);
}

/* Reordering: a gap is first asked for first_delay_us after it showed; a
 * packet filling it by itself reports how late it came. */
static void test_first_delay(void)
{
    cv_nack_t k;
    uint16_t out[8];
    cv_nack_init(&k);
    k.first_delay_us = 30 * MS;
    k.answer_us = 20 * MS;
    cv_nack_on_packet(&k, 100, 0);
    CHECK_EQ(cv_nack_on_packet(&k, 103, 10 * MS), -1); /* 101, 102 missing */
    CHECK_EQ(cv_nack_poll(&k, 39 * MS, 50 * MS, 1000 * MS, out, 8), 0);
    CHECK_EQ(cv_nack_next_deadline(&k, 50 * MS, 1000 * MS), 40 * MS);
    CHECK_EQ(cv_nack_on_packet(&k, 101, 25 * MS), 15 * MS); /* late, never asked */
    CHECK_EQ(cv_nack_poll(&k, 40 * MS, 50 * MS, 1000 * MS, out, 8), 1);
    CHECK_EQ(out[0], 102);
    CHECK_EQ(cv_nack_on_packet(&k, 102, 50 * MS), 40 * MS); /* 10 ms after the ask: the original */
    CHECK_EQ(k.reordered, 2);
    cv_nack_on_packet(&k, 105, 60 * MS);
    CHECK_EQ(cv_nack_poll(&k, 90 * MS, 50 * MS, 1000 * MS, out, 8), 1);
    CHECK_EQ(cv_nack_on_packet(&k, 104, 120 * MS), -1); /* 30 ms after: the answer */
    CHECK_EQ(k.reordered, 2);
    cv_nack_reset(&k); /* keeps the owner's settings */
    CHECK_EQ(k.first_delay_us, 30 * MS);
    CHECK_EQ(k.answer_us, 20 * MS);
}

int main(void)
{
    test_first_delay();
    test_gap_from(0);
    test_gap_from(32767);
    test_gap_from(32768);
    test_gap_from(65535);
    test_gap_from(65533); /* the gap itself crosses the wrap */
    test_no_gap_no_nack();
    test_big_jump_is_restart();
    test_age_limit_and_max();
    return CHECK_DONE("test_nack");
}
