/*
 * test_netlist.c - lists of IP networks (netlist.c): parsing, refusals
 * (bad address, bad prefix, host bits set, too many), and membership of
 * IPv4, IPv6 and IPv4-mapped addresses at prefix edges.
 */
#include "check.h"
#include "netlist.h"

#include <arpa/inet.h>
#include <netinet/in.h>

static void test_parse(void)
{
    cv_netlist_t l;
    char why[128];
    CHECK_EQ(cv_netlist_parse("", &l, why, sizeof(why)), 0);
    CHECK_EQ(l.n, 0);
    CHECK_EQ(cv_netlist_parse("  ", &l, why, sizeof(why)), 0);
    CHECK_EQ(l.n, 0);
    CHECK_EQ(cv_netlist_parse("10.0.0.0/24, 192.0.2.7 ,2001:db8::/64", &l, why, sizeof(why)), 0);
    CHECK_EQ(l.n, 3);
    CHECK_EQ(l.net[1].prefix, 32);
    CHECK_EQ(l.net[2].prefix, 64);
    CHECK(cv_netlist_parse("10.0.0.1/24", &l, why, sizeof(why)) < 0); /* host bits */
    CHECK(strstr(why, "10.0.0.1/24") != NULL);
    CHECK(cv_netlist_parse("10.0.0.0/33", &l, why, sizeof(why)) < 0);
    CHECK(cv_netlist_parse("10.0.0.0/", &l, why, sizeof(why)) < 0);
    CHECK(cv_netlist_parse("10.0.0.0/-1", &l, why, sizeof(why)) < 0);
    CHECK(cv_netlist_parse("10.0.0.0/8x", &l, why, sizeof(why)) < 0);
    CHECK(cv_netlist_parse("example.org", &l, why, sizeof(why)) < 0);
    CHECK(cv_netlist_parse("10.0.0.0/8,", &l, why, sizeof(why)) < 0);
    CHECK(cv_netlist_parse("10.0.0.0/8,,10.1.0.0/16", &l, why, sizeof(why)) < 0);
    CHECK(cv_netlist_parse("2001:db8::1/64", &l, why, sizeof(why)) < 0);
    CHECK_EQ(cv_netlist_parse("0.0.0.0/0", &l, why, sizeof(why)), 0);
    char many[400] = "";
    for (int i = 0; i <= CV_NETLIST_MAX; i++)
        snprintf(many + strlen(many), sizeof(many) - strlen(many), "%s10.%d.0.0/16", i ? "," : "",
                 i);
    CHECK(cv_netlist_parse(many, &l, why, sizeof(why)) < 0);
}

static void test_has(void)
{
    cv_netlist_t l;
    char why[128];
    CHECK_EQ(cv_netlist_parse("10.0.0.0/24,172.16.0.0/12,192.0.2.7,2001:db8:1::/48,10.1.0.0/17", &l,
                              why, sizeof(why)),
             0);
    CHECK(cv_netlist_has(&l, "10.0.0.0"));
    CHECK(cv_netlist_has(&l, "10.0.0.255"));
    CHECK(!cv_netlist_has(&l, "10.0.1.0"));
    CHECK(cv_netlist_has(&l, "172.31.255.255"));
    CHECK(!cv_netlist_has(&l, "172.32.0.0"));
    CHECK(cv_netlist_has(&l, "192.0.2.7"));
    CHECK(!cv_netlist_has(&l, "192.0.2.8"));
    CHECK(cv_netlist_has(&l, "10.1.127.9"));
    CHECK(!cv_netlist_has(&l, "10.1.128.0"));
    CHECK(cv_netlist_has(&l, "::ffff:10.0.0.9"));
    CHECK(cv_netlist_has(&l, "2001:db8:1:ffff::1"));
    CHECK(!cv_netlist_has(&l, "2001:db8:2::1"));
    CHECK(!cv_netlist_has(&l, "127.0.0.1"));
    CHECK(!cv_netlist_has(&l, "not an address"));
    struct sockaddr_in v4 = {.sin_family = AF_INET};
    inet_pton(AF_INET, "10.0.0.11", &v4.sin_addr);
    CHECK(cv_netlist_has_sa(&l, (struct sockaddr *)&v4));
    inet_pton(AF_INET, "10.0.2.11", &v4.sin_addr);
    CHECK(!cv_netlist_has_sa(&l, (struct sockaddr *)&v4));
    struct sockaddr_in6 v6 = {.sin6_family = AF_INET6};
    inet_pton(AF_INET6, "::ffff:192.0.2.7", &v6.sin6_addr);
    CHECK(cv_netlist_has_sa(&l, (struct sockaddr *)&v6));
    inet_pton(AF_INET6, "2001:db8:1::5", &v6.sin6_addr);
    CHECK(cv_netlist_has_sa(&l, (struct sockaddr *)&v6));
    inet_pton(AF_INET6, "2001:db9::5", &v6.sin6_addr);
    CHECK(!cv_netlist_has_sa(&l, (struct sockaddr *)&v6));
    /* the empty list holds nothing; /0 everything of its family */
    CHECK_EQ(cv_netlist_parse("", &l, why, sizeof(why)), 0);
    CHECK(!cv_netlist_has(&l, "10.0.0.1"));
    CHECK_EQ(cv_netlist_parse("0.0.0.0/0", &l, why, sizeof(why)), 0);
    CHECK(cv_netlist_has(&l, "203.0.113.1"));
    CHECK(!cv_netlist_has(&l, "2001:db8::1"));
}

int main(void)
{
    test_parse();
    test_has();
    return CHECK_DONE("netlist");
}
