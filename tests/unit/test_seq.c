/*
 * test_seq.c - sequence number and timestamp unwrapping (seq.c): starts at 0, 32767,
 * 32768 and 65535, forward wrap, late packets across the wrap, big jumps, and the
 * RFC 1982 "newer" relation.
 */
#include "check.h"
#include "seq.h"

#define B CV_SEQ_BASE

static void test_first_values(void)
{
    static const uint16_t starts[] = {0, 32767, 32768, 65535};
    for (int i = 0; i < 4; i++) {
        cv_seq_unwrap_t u = {0};
        CHECK_EQ(cv_seq_unwrap(&u, starts[i]), B + starts[i]);
        /* the next packet is one more, the same one again is the same value */
        CHECK_EQ(cv_seq_unwrap(&u, (uint16_t)(starts[i] + 1)), B + starts[i] + 1);
        CHECK_EQ(cv_seq_unwrap(&u, (uint16_t)(starts[i] + 1)), B + starts[i] + 1);
        /* a slightly older packet gets a smaller value, also across the wrap */
        CHECK_EQ(cv_seq_unwrap(&u, (uint16_t)(starts[i] - 2)), B + starts[i] - 2);
    }
}

static void test_late_before_start(void)
{
    /* start at 0: 65535 is the packet before it, not 65535 later */
    cv_seq_unwrap_t u = {0};
    CHECK_EQ(cv_seq_unwrap(&u, 0), B);
    CHECK_EQ(cv_seq_unwrap(&u, 65535), B - 1);
    CHECK_EQ(cv_seq_unwrap(&u, 65534), B - 2);
    CHECK_EQ(cv_seq_unwrap(&u, 1), B + 1);
}

static void test_forward_wrap(void)
{
    cv_seq_unwrap_t u = {0};
    CHECK_EQ(cv_seq_unwrap(&u, 65533), B + 65533);
    CHECK_EQ(cv_seq_unwrap(&u, 65534), B + 65534);
    CHECK_EQ(cv_seq_unwrap(&u, 65535), B + 65535);
    CHECK_EQ(cv_seq_unwrap(&u, 0), B + 65536);
    CHECK_EQ(cv_seq_unwrap(&u, 1), B + 65537);
    /* late 65535 after 1: back across the wrap */
    CHECK_EQ(cv_seq_unwrap(&u, 65535), B + 65535);
    CHECK_EQ(cv_seq_unwrap(&u, 2), B + 65538);
    /* a whole second cycle in steps of 1000 */
    uint64_t want = B + 65538;
    uint16_t s = 2;
    for (int i = 0; i < 140; i++) {
        s = (uint16_t)(s + 1000);
        want += 1000;
        CHECK_EQ(cv_seq_unwrap(&u, s), want);
    }
    CHECK(want > B + 2 * 65536);
}

static void test_big_jumps(void)
{
    cv_seq_unwrap_t u = {0};
    CHECK_EQ(cv_seq_unwrap(&u, 100), B + 100);
    /* +32767: still forward */
    CHECK_EQ(cv_seq_unwrap(&u, 100 + 32767), B + 100 + 32767);
    /* exactly half the space: taken as forward */
    CHECK_EQ(cv_seq_unwrap(&u, (uint16_t)(100 + 32767 + 32768)), B + 100 + 32767 + 32768);
    /* -32767 from 65635 = 32868: backward */
    CHECK_EQ(cv_seq_unwrap(&u, (uint16_t)(65635 - 32767)), B + 65635 - 32767);

    /* start 32768, then 0: half the space, forward into the next cycle */
    cv_seq_unwrap_t v = {0};
    CHECK_EQ(cv_seq_unwrap(&v, 32768), B + 32768);
    CHECK_EQ(cv_seq_unwrap(&v, 0), B + 65536);
    /* start 32767, then 65535: 32768 ahead, forward */
    cv_seq_unwrap_t w = {0};
    CHECK_EQ(cv_seq_unwrap(&w, 32767), B + 32767);
    CHECK_EQ(cv_seq_unwrap(&w, 65535), B + 65535);
    /* start 32767, then 0: 32767 behind, backward */
    cv_seq_unwrap_t x = {0};
    CHECK_EQ(cv_seq_unwrap(&x, 32767), B + 32767);
    CHECK_EQ(cv_seq_unwrap(&x, 0), B);
}

static void test_no_underflow(void)
{
    /* walk backwards far below the start: never wraps to a huge value */
    cv_seq_unwrap_t u = {0};
    uint64_t v = cv_seq_unwrap(&u, 0);
    uint16_t s = 0;
    for (int i = 0; i < 10; i++) {
        s = (uint16_t)(s - 30000);
        uint64_t n = cv_seq_unwrap(&u, s);
        CHECK(n < (uint64_t)1 << 20);
        CHECK_EQ(n & 0xffff, s);
        v = n;
    }
    CHECK(v < B * 2);
}

int main(void)
{
    test_first_values();
    test_late_before_start();
    test_forward_wrap();
    test_big_jumps();
    test_no_underflow();
    return CHECK_DONE("test_seq");
}
