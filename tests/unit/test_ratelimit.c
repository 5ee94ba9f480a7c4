/*
 * test_ratelimit.c - joins per address per minute (ratelimit.c) on a fake
 * clock: the limit, Retry-After seconds, independent addresses, forgetting
 * after a minute, limit 0, and bounded memory under a flood of addresses.
 */
#include "check.h"
#include "ratelimit.h"

#include <stdio.h>

#define S 1000000LL /* one second in microseconds */
#define T0 (1000 * S)

static void test_limit_and_retry_after(void)
{
    cv_ratelimit_t *rl = cv_ratelimit_create(64, 1);
    for (int i = 0; i < 5; i++)
        CHECK_EQ(cv_ratelimit_hit(rl, "192.0.2.7", 5, T0 + i * S), 0);
    /* the sixth within the minute is refused: the window began at T0 */
    CHECK_EQ(cv_ratelimit_hit(rl, "192.0.2.7", 5, T0 + 10 * S), 50);
    CHECK_EQ(cv_ratelimit_hit(rl, "192.0.2.7", 5, T0 + 59 * S), 1);
    /* part of a second left rounds up, never 0 */
    CHECK_EQ(cv_ratelimit_hit(rl, "192.0.2.7", 5, T0 + 59 * S + S / 2), 1);
    CHECK_EQ(cv_ratelimit_hit(rl, "192.0.2.7", 5, T0 + 60 * S - 1), 1);
    /* a new window after the minute */
    CHECK_EQ(cv_ratelimit_hit(rl, "192.0.2.7", 5, T0 + 60 * S), 0);
    for (int i = 1; i < 5; i++)
        CHECK_EQ(cv_ratelimit_hit(rl, "192.0.2.7", 5, T0 + 61 * S), 0);
    CHECK_EQ(cv_ratelimit_hit(rl, "192.0.2.7", 5, T0 + 61 * S), 59);
    cv_ratelimit_destroy(rl);
}

static void test_addresses_apart(void)
{
    cv_ratelimit_t *rl = cv_ratelimit_create(64, 2);
    CHECK_EQ(cv_ratelimit_hit(rl, "192.0.2.7", 1, T0), 0);
    CHECK(cv_ratelimit_hit(rl, "192.0.2.7", 1, T0) > 0);
    /* another address, also one differing in one byte, has its own count */
    CHECK_EQ(cv_ratelimit_hit(rl, "192.0.2.8", 1, T0), 0);
    CHECK_EQ(cv_ratelimit_hit(rl, "2001:db8::7", 1, T0), 0);
    CHECK(cv_ratelimit_hit(rl, "192.0.2.8", 1, T0) > 0);
    CHECK_EQ(cv_ratelimit_count(rl, T0), 3);
    cv_ratelimit_destroy(rl);
}

static void test_forgets_after_a_minute(void)
{
    cv_ratelimit_t *rl = cv_ratelimit_create(64, 3);
    CHECK_EQ(cv_ratelimit_hit(rl, "198.51.100.1", 3, T0), 0);
    CHECK_EQ(cv_ratelimit_hit(rl, "198.51.100.2", 3, T0 + 30 * S), 0);
    CHECK_EQ(cv_ratelimit_count(rl, T0 + 30 * S), 2);
    CHECK_EQ(cv_ratelimit_count(rl, T0 + 60 * S - 1), 2);
    CHECK_EQ(cv_ratelimit_count(rl, T0 + 60 * S), 1);
    CHECK_EQ(cv_ratelimit_count(rl, T0 + 90 * S), 0);
    cv_ratelimit_destroy(rl);
}

static void test_refused_not_counted(void)
{
    /* refusals do not stretch the window: the address is free after the minute */
    cv_ratelimit_t *rl = cv_ratelimit_create(64, 4);
    CHECK_EQ(cv_ratelimit_hit(rl, "a", 1, T0), 0);
    for (int i = 1; i < 60; i++)
        CHECK_EQ(cv_ratelimit_hit(rl, "a", 1, T0 + i * S), 60 - i);
    CHECK_EQ(cv_ratelimit_hit(rl, "a", 1, T0 + 60 * S), 0);
    cv_ratelimit_destroy(rl);
}

static void test_unlimited(void)
{
    cv_ratelimit_t *rl = cv_ratelimit_create(64, 5);
    for (int i = 0; i < 1000; i++)
        CHECK_EQ(cv_ratelimit_hit(rl, "192.0.2.7", 0, T0), 0);
    CHECK_EQ(cv_ratelimit_count(rl, T0), 0);
    cv_ratelimit_destroy(rl);
}

static void test_flood_bounded(void)
{
    /* 10000 addresses into 16 slots: never more than 16 remembered, each
     * answer 0 (a new address always gets a slot, evicting the oldest) */
    cv_ratelimit_t *rl = cv_ratelimit_create(16, 6);
    char addr[32];
    int refused = 0;
    for (int i = 0; i < 10000; i++) {
        snprintf(addr, sizeof(addr), "10.%d.%d.%d", i >> 16, (i >> 8) & 255, i & 255);
        refused += cv_ratelimit_hit(rl, addr, 1, T0 + i) != 0;
    }
    CHECK_EQ(refused, 0);
    CHECK_EQ(cv_ratelimit_count(rl, T0 + 10000), 16);
    /* the most recent address is still remembered and limited */
    CHECK(cv_ratelimit_hit(rl, addr, 1, T0 + 10000) > 0);
    cv_ratelimit_destroy(rl);
}

static void test_sizes(void)
{
    cv_ratelimit_t *rl = cv_ratelimit_create(0, 7); /* rounded up to 16 */
    char addr[16];
    for (int i = 0; i < 100; i++) {
        snprintf(addr, sizeof(addr), "h%d", i);
        cv_ratelimit_hit(rl, addr, 1, T0);
    }
    CHECK_EQ(cv_ratelimit_count(rl, T0), 16);
    cv_ratelimit_destroy(rl);
    cv_ratelimit_destroy(NULL);
}

static void test_bucket(void)
{
    cv_bucket_t b = {0};
    /* a zeroed bucket is full: 10 at once, the 11th waits */
    for (int i = 0; i < 10; i++)
        CHECK_EQ(cv_bucket_take(&b, 2, 10, T0), 0);
    CHECK_EQ(cv_bucket_take(&b, 2, 10, T0), 1);
    CHECK_EQ(cv_bucket_take(&b, 2, 10, T0 + S / 4), 1);
    /* one more each half second at 2 a second */
    CHECK_EQ(cv_bucket_take(&b, 2, 10, T0 + S / 2), 0);
    CHECK(cv_bucket_take(&b, 2, 10, T0 + S / 2) > 0);
    CHECK_EQ(cv_bucket_take(&b, 2, 10, T0 + S), 0);
    /* refused events were not counted: after 5 s idle, a full burst again */
    int n = 0;
    for (int i = 0; i < 50; i++)
        n += cv_bucket_take(&b, 2, 10, T0 + 6 * S) == 0;
    CHECK_EQ(n, 10);
    /* the wait grows with the debt: at 1 a second after 600 tries, still 1 s */
    cv_bucket_t c = {0};
    n = 0;
    int wait = 0;
    for (int i = 0; i < 600; i++) {
        int w = cv_bucket_take(&c, 1, 8, T0 + i * 400); /* 600 in 0.24 s */
        n += w == 0;
        if (w)
            wait = w;
    }
    CHECK_EQ(n, 8);
    CHECK_EQ(wait, 1);
    /* a long idle bucket holds no more than burst */
    cv_bucket_t d = {0};
    CHECK_EQ(cv_bucket_take(&d, 5, 3, T0), 0);
    n = 0;
    for (int i = 0; i < 10; i++)
        n += cv_bucket_take(&d, 5, 3, T0 + 3600 * S) == 0;
    CHECK_EQ(n, 3);
}

int main(void)
{
    test_bucket();
    test_limit_and_retry_after();
    test_addresses_apart();
    test_forgets_after_a_minute();
    test_refused_not_counted();
    test_unlimited();
    test_flood_bounded();
    test_sizes();
    return CHECK_DONE("ratelimit");
}
