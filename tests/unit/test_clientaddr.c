/*
 * test_clientaddr.c - what the per-client limits count a client by (an IPv4
 * address, an IPv6 /64) and the bounded count of open requests: the limit,
 * giving back, clients apart, a flood of clients in fixed memory.
 */
#include "check.h"
#include "clientaddr.h"

#include <stdio.h>

static void test_keys(void)
{
    char k[CV_CLIENT_KEY_MAX], k2[CV_CLIENT_KEY_MAX];
    CHECK_EQ(cv_client_key("192.0.2.7", k, sizeof(k)), 0);
    CHECK_STR(k, "192.0.2.7");
    /* every address of one /64 is one client */
    CHECK_EQ(cv_client_key("2001:db8:1:2:aaaa:bbbb:cccc:dddd", k, sizeof(k)), 0);
    CHECK_STR(k, "2001:db8:1:2::/64");
    CHECK_EQ(cv_client_key("2001:db8:1:2::1", k2, sizeof(k2)), 0);
    CHECK_STR(k, k2);
    /* the next /64 is another */
    CHECK_EQ(cv_client_key("2001:db8:1:3::1", k2, sizeof(k2)), 0);
    CHECK_STR(k2, "2001:db8:1:3::/64");
    /* one spelling per client, whatever the text */
    CHECK_EQ(cv_client_key("2001:DB8:0001:0002:0:0:0:9", k2, sizeof(k2)), 0);
    CHECK_STR(k2, "2001:db8:1:2::/64");
    /* an IPv4-mapped address is the IPv4 client */
    CHECK_EQ(cv_client_key("::ffff:192.0.2.7", k, sizeof(k)), 0);
    CHECK_STR(k, "192.0.2.7");
    CHECK_EQ(cv_client_key("::1", k, sizeof(k)), 0);
    CHECK_STR(k, "::/64");
    CHECK_EQ(cv_client_key("example.org", k, sizeof(k)), -1);
    CHECK_EQ(cv_client_key("", k, sizeof(k)), -1);
    CHECK_EQ(cv_client_key("192.0.2.7/24", k, sizeof(k)), -1);
    /* the longest key fits */
    CHECK_EQ(cv_client_key("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", k, sizeof(k)), 0);
    CHECK_STR(k, "ffff:ffff:ffff:ffff::/64");
}

static void test_hash(void)
{
    CHECK(cv_client_hash(1, "192.0.2.7") != 0);
    CHECK_EQ(cv_client_hash(1, "192.0.2.7"), cv_client_hash(1, "192.0.2.7"));
    CHECK(cv_client_hash(1, "192.0.2.7") != cv_client_hash(1, "192.0.2.8"));
    /* keyed: another seed, another value */
    CHECK(cv_client_hash(1, "192.0.2.7") != cv_client_hash(2, "192.0.2.7"));
}

static void test_take_and_give(void)
{
    cv_openreq_t *t = cv_openreq_create(64, 3);
    uint64_t a = cv_openreq_token(t, "192.0.2.7"), b = cv_openreq_token(t, "192.0.2.8");
    for (int i = 0; i < 4; i++)
        CHECK_EQ(cv_openreq_take(t, a, 4), 1);
    CHECK_EQ(cv_openreq_count(t, a), 4);
    /* the fifth is refused and not counted */
    CHECK_EQ(cv_openreq_take(t, a, 4), 0);
    CHECK_EQ(cv_openreq_count(t, a), 4);
    /* another client is apart */
    CHECK_EQ(cv_openreq_take(t, b, 4), 1);
    CHECK_EQ(cv_openreq_count(t, b), 1);
    /* one given back: one more may open */
    cv_openreq_give(t, a);
    CHECK_EQ(cv_openreq_take(t, a, 4), 1);
    CHECK_EQ(cv_openreq_take(t, a, 4), 0);
    for (int i = 0; i < 4; i++)
        cv_openreq_give(t, a);
    CHECK_EQ(cv_openreq_count(t, a), 0);
    /* giving back more than was taken does not go below 0 */
    cv_openreq_give(t, a);
    CHECK_EQ(cv_openreq_count(t, a), 0);
    CHECK_EQ(cv_openreq_count(t, b), 1);
    cv_openreq_destroy(t);
    cv_openreq_destroy(NULL);
}

/* Many clients at once in 64 counters a row: a client is never counted
 * below its own open requests, and most clients are not hurt by others. */
static void test_flood(void)
{
    cv_openreq_t *t = cv_openreq_create(0, 9); /* rounded up to 64 */
    char key[32];
    uint64_t tok[40];
    for (int i = 0; i < 40; i++) {
        snprintf(key, sizeof(key), "198.51.100.%d", i);
        tok[i] = cv_openreq_token(t, key);
        cv_openreq_take(t, tok[i], 1000);
    }
    int exact = 0;
    for (int i = 0; i < 40; i++) {
        CHECK(cv_openreq_count(t, tok[i]) >= 1);
        exact += cv_openreq_count(t, tok[i]) == 1;
    }
    CHECK(exact >= 30);
    cv_openreq_destroy(t);
}

int main(void)
{
    test_keys();
    test_hash();
    test_take_and_give();
    test_flood();
    return CHECK_DONE("clientaddr");
}
