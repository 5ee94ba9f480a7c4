/*
 * test_jitter.c - reorder buffer: in-order release, reordering, waiting for and skipping
 * missing packets on a fake clock, duplicates, extended seq around 16-bit wrap points,
 * jumps and overflow of the window.
 */
#include "check.h"
#include "err.h"
#include "jitter.h"

#define WAIT 40000 /* 40 ms */

/* A fake RTP packet: 12-byte header with the 16-bit seq, then a marker byte. */
static size_t pkt(uint8_t *b, uint64_t seq)
{
    static const uint8_t hdr[12] = {
        0x80, 0x60,             /* V=2, PT 96 */
        0x00, 0x00,             /* seq, set below */
        0x00, 0x00, 0x0b, 0xb8, /* timestamp 3000 */
        0x11, 0x22, 0x33, 0x44, /* SSRC */
    };
    memcpy(b, hdr, sizeof(hdr));
    b[2] = (uint8_t)(seq >> 8);
    b[3] = (uint8_t)seq;
    b[12] = (uint8_t)(seq * 31);
    return 13;
}

static int push(cv_jitter_t *j, uint64_t seq, int64_t now)
{
    uint8_t b[16];
    size_t n = pkt(b, seq);
    return cv_jitter_push(j, seq, b, n, now);
}

/* pops one packet and checks it is seq with its own bytes; returns 1 if so */
static int pop_is(cv_jitter_t *j, int64_t now, uint64_t want)
{
    uint64_t seq = 0;
    const uint8_t *data = NULL;
    int n = cv_jitter_pop(j, now, &seq, &data);
    uint8_t b[16];
    pkt(b, want);
    int ok = n == 13 && seq == want && data && memcmp(data, b, 13) == 0;
    if (!ok)
        fprintf(stderr, "  pop: n=%d seq=%llu, wanted %llu\n", n, (unsigned long long)seq,
                (unsigned long long)want);
    return ok;
}

static int pop_none(cv_jitter_t *j, int64_t now)
{
    uint64_t seq;
    const uint8_t *data;
    return cv_jitter_pop(j, now, &seq, &data) == 0;
}

static void test_in_order(void)
{
    cv_jitter_t j;
    cv_jitter_init(&j, WAIT);
    CHECK(pop_none(&j, 0));
    CHECK_EQ(cv_jitter_next_deadline(&j), -1);
    uint64_t starts[] = {0, 32767, 32768, 65535};
    for (int k = 0; k < 4; k++) {
        cv_jitter_reset(&j);
        for (uint64_t s = starts[k]; s < starts[k] + 5; s++) {
            CHECK_EQ(push(&j, s, 1000), 1);
            CHECK_EQ(cv_jitter_next_deadline(&j), 1000); /* ready: a time in the past */
            CHECK(pop_is(&j, 1000, s));
            CHECK(pop_none(&j, 1000));
        }
    }
    CHECK_EQ(j.pushed, 20);
    CHECK_EQ(j.popped, 20);
    CHECK_EQ(j.lost, 0);
    CHECK_EQ(cv_jitter_next_deadline(&j), -1);

    /* bytes are copied: the caller's buffer may change after push */
    cv_jitter_reset(&j);
    uint8_t b[3] = {1, 2, 3};
    CHECK_EQ(cv_jitter_push(&j, 9, b, 3, 0), 1);
    b[0] = 9;
    uint64_t seq;
    const uint8_t *data;
    CHECK_EQ(cv_jitter_pop(&j, 0, &seq, &data), 3);
    CHECK_EQ(data[0], 1);
    cv_jitter_cleanup(&j);
    cv_jitter_cleanup(&j); /* twice is harmless */
}

static void test_reorder(void)
{
    cv_jitter_t j;
    cv_jitter_init(&j, WAIT);
    CHECK_EQ(push(&j, 1, 0), 1);
    CHECK(pop_is(&j, 0, 1));
    CHECK_EQ(push(&j, 3, 1000), 1);
    CHECK(pop_none(&j, 1000)); /* waits for 2 */
    CHECK_EQ(cv_jitter_next_deadline(&j), 1000 + WAIT);
    CHECK_EQ(push(&j, 2, 2000), 1);
    CHECK(pop_is(&j, 2000, 2));
    CHECK(pop_is(&j, 2000, 3));
    CHECK(pop_none(&j, 2000));
    CHECK_EQ(j.lost, 0);

    /* several reversed: 8 7 6 5 4 */
    for (uint64_t s = 8; s >= 4; s--)
        CHECK_EQ(push(&j, s, 3000), 1);
    for (uint64_t s = 4; s <= 8; s++)
        CHECK(pop_is(&j, 3000, s));
    CHECK_EQ(j.lost, 0);
    cv_jitter_cleanup(&j);
}

static void test_skip_after_wait(void)
{
    cv_jitter_t j;
    cv_jitter_init(&j, WAIT);
    CHECK_EQ(push(&j, 10, 0), 1);
    CHECK(pop_is(&j, 0, 10));
    CHECK_EQ(push(&j, 12, 1000), 1); /* 11 missing */
    CHECK(pop_none(&j, 1000 + WAIT - 1));
    CHECK(pop_is(&j, 1000 + WAIT, 12));
    CHECK_EQ(j.lost, 1);
    /* 11 arrives too late */
    CHECK_EQ(push(&j, 11, 50000), 0);
    CHECK_EQ(j.late, 1);

    /* two holes: 13 and 15 missing; 14 at t=100000, 16 at t=130000 */
    CHECK_EQ(push(&j, 14, 100000), 1);
    CHECK_EQ(push(&j, 16, 130000), 1);
    CHECK_EQ(cv_jitter_next_deadline(&j), 100000 + WAIT);
    CHECK(pop_none(&j, 139999));
    CHECK(pop_is(&j, 140000, 14));
    /* 15 has been missing since 16 arrived */
    CHECK_EQ(cv_jitter_next_deadline(&j), 130000 + WAIT);
    CHECK(pop_none(&j, 140000));
    CHECK(pop_is(&j, 170000, 16));
    CHECK_EQ(j.lost, 3);
    CHECK_EQ(cv_jitter_next_deadline(&j), -1);

    /* the earliest arrival counts even if it is not the lowest seq: 20 (t=200000) then
     * 18 (t=210000), 17 and 19 missing */
    CHECK_EQ(push(&j, 20, 200000), 1);
    CHECK_EQ(push(&j, 18, 210000), 1);
    CHECK_EQ(cv_jitter_next_deadline(&j), 200000 + WAIT);
    CHECK(pop_is(&j, 240000, 18));
    CHECK(pop_is(&j, 240000, 20));
    CHECK_EQ(j.lost, 5);

    /* max_wait 0: holes are skipped at once */
    cv_jitter_t z;
    cv_jitter_init(&z, 0);
    CHECK_EQ(push(&z, 0, 0), 1);
    CHECK_EQ(push(&z, 2, 0), 1);
    CHECK(pop_is(&z, 0, 0));
    CHECK(pop_is(&z, 0, 2));
    CHECK_EQ(z.lost, 1);
    cv_jitter_cleanup(&z);
    cv_jitter_cleanup(&j);
}

static void test_duplicates(void)
{
    cv_jitter_t j;
    cv_jitter_init(&j, WAIT);
    CHECK_EQ(push(&j, 5, 0), 1);
    CHECK_EQ(push(&j, 5, 0), 0); /* held twice */
    CHECK_EQ(j.duplicates, 1);
    CHECK_EQ(push(&j, 7, 0), 1);
    CHECK_EQ(push(&j, 7, 10), 0);
    CHECK_EQ(j.duplicates, 2);
    CHECK(pop_is(&j, 0, 5));
    CHECK_EQ(push(&j, 5, 0), 0); /* already released */
    CHECK_EQ(j.late, 1);
    CHECK_EQ(push(&j, 6, 20), 1);
    CHECK(pop_is(&j, 20, 6));
    CHECK(pop_is(&j, 20, 7));
    CHECK(pop_none(&j, 1000000));
    CHECK_EQ(j.pushed, 3);
    CHECK_EQ(j.popped, 3);

    uint8_t big[CV_JITTER_MTU + 1] = {0};
    CHECK_EQ(cv_jitter_push(&j, 8, big, sizeof(big), 0), CV_E_NOSPACE);
    CHECK_EQ(cv_jitter_push(&j, 8, big, 0, 0), CV_E_INVAL);
    CHECK_EQ(cv_jitter_push(&j, 8, NULL, 5, 0), CV_E_INVAL);
    CHECK_EQ(j.bad, 3);
    CHECK_EQ(cv_jitter_push(&j, 8, big, CV_JITTER_MTU, 0), 1); /* exactly MTU fits */
    uint64_t seq;
    const uint8_t *data;
    CHECK_EQ(cv_jitter_pop(&j, 0, &seq, &data), CV_JITTER_MTU);
    cv_jitter_cleanup(&j);
}

static void test_wrap(void)
{
    cv_jitter_t j;
    cv_jitter_init(&j, WAIT);
    /* extended 65534, 65536, 65535, 65537 (16-bit 65534, 0, 65535, 1) */
    CHECK_EQ(push(&j, 65534, 0), 1);
    CHECK_EQ(push(&j, 65536, 0), 1);
    CHECK_EQ(push(&j, 65535, 0), 1);
    CHECK_EQ(push(&j, 65537, 0), 1);
    CHECK(pop_is(&j, 0, 65534));
    CHECK(pop_is(&j, 0, 65535));
    CHECK(pop_is(&j, 0, 65536));
    CHECK(pop_is(&j, 0, 65537));
    CHECK_EQ(j.lost, 0);
    /* a hole exactly at 65536 + 65535 -> 131071 missing, 131072 present */
    CHECK_EQ(push(&j, 131070, 0), 1);
    CHECK_EQ(j.resets, 1); /* far ahead of 65538 while empty: the window moves */
    CHECK(pop_is(&j, 0, 131070));
    CHECK_EQ(push(&j, 131072, 10), 1);
    CHECK(pop_none(&j, 10));
    CHECK(pop_is(&j, 10 + WAIT, 131072));
    CHECK_EQ(j.lost, 1);
    /* start at 32767 with 32768 first */
    cv_jitter_reset(&j);
    CHECK_EQ(push(&j, 32767, 0), 1);
    CHECK_EQ(push(&j, 32769, 0), 1);
    CHECK_EQ(push(&j, 32768, 0), 1);
    CHECK(pop_is(&j, 0, 32767));
    CHECK(pop_is(&j, 0, 32768));
    CHECK(pop_is(&j, 0, 32769));
    cv_jitter_cleanup(&j);
}

static void test_jump(void)
{
    cv_jitter_t j;
    cv_jitter_init(&j, WAIT);
    CHECK_EQ(push(&j, 100, 0), 1);
    CHECK(pop_is(&j, 0, 100));
    /* +1000 while empty: the window moves, no waiting for 101..1099 */
    CHECK_EQ(push(&j, 1100, 10), 1);
    CHECK_EQ(j.resets, 1);
    CHECK(pop_is(&j, 10, 1100));
    CHECK_EQ(j.lost, 0); /* a jump is not counted as lost: the consumer sees it */

    /* +1000 while a packet waits behind a hole: refused, then the held one is released at
     * once and the retried push succeeds */
    CHECK_EQ(push(&j, 1102, 20), 1); /* 1101 missing */
    CHECK(pop_none(&j, 20));
    CHECK_EQ(push(&j, 2102, 30), CV_E_FULL);
    CHECK_EQ(j.overflows, 1);
    CHECK_EQ(cv_jitter_next_deadline(&j), 20); /* due now */
    CHECK(pop_is(&j, 30, 1102));
    CHECK(pop_none(&j, 30));
    CHECK_EQ(push(&j, 2102, 30), 1);
    CHECK_EQ(j.resets, 2);
    CHECK(pop_is(&j, 30, 2102));
    /* a window just inside: +127 is kept and waited for */
    CHECK_EQ(push(&j, 2102 + 128, 40), 1);
    CHECK_EQ(j.resets, 2);
    CHECK(pop_none(&j, 40));
    CHECK(pop_is(&j, 40 + WAIT, 2102 + 128));
    CHECK_EQ(j.lost, 1 + 127);
    cv_jitter_cleanup(&j);
}

static void test_full(void)
{
    cv_jitter_t j;
    cv_jitter_init(&j, WAIT);
    CHECK_EQ(push(&j, 0, 0), 1);
    CHECK(pop_is(&j, 0, 0));
    /* 1 missing; 2..128 fill the window [1, 129) */
    for (uint64_t s = 2; s <= CV_JITTER_SLOTS; s++)
        CHECK_EQ(push(&j, s, 100), 1);
    CHECK_EQ(j.count, CV_JITTER_SLOTS - 1);
    CHECK(pop_none(&j, 200));
    CHECK_EQ(push(&j, CV_JITTER_SLOTS + 1, 300), CV_E_FULL);
    CHECK_EQ(push(&j, CV_JITTER_SLOTS + 1, 300), CV_E_FULL);
    CHECK_EQ(j.overflows, 2);
    /* waiting is over: everything held comes out now, in order */
    int ok = 1;
    for (uint64_t s = 2; s <= CV_JITTER_SLOTS; s++)
        ok &= pop_is(&j, 300, s);
    CHECK(ok);
    CHECK_EQ(j.lost, 1);
    CHECK(pop_none(&j, 300));
    CHECK_EQ(j.hurry, 0);
    /* the retried packet is the next one in sequence */
    CHECK_EQ(push(&j, CV_JITTER_SLOTS + 1, 300), 1);
    CHECK_EQ(j.resets, 0);
    CHECK(pop_is(&j, 300, CV_JITTER_SLOTS + 1));
    /* after hurrying, holes are waited for again */
    CHECK_EQ(push(&j, CV_JITTER_SLOTS + 3, 400), 1);
    CHECK(pop_none(&j, 400));
    CHECK(pop_is(&j, 400 + WAIT, CV_JITTER_SLOTS + 3));
    CHECK_EQ(j.pushed, CV_JITTER_SLOTS + 2);
    CHECK_EQ(j.popped, CV_JITTER_SLOTS + 2);
    cv_jitter_cleanup(&j);
}

int main(void)
{
    test_in_order();
    test_reorder();
    test_skip_after_wait();
    test_duplicates();
    test_wrap();
    test_jump();
    test_full();
    return CHECK_DONE("test_jitter");
}
