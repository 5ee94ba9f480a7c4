/*
 * test_candfilter.c - the remote candidates the server probes (candfilter.c):
 * the kind of each address range, the ports, auto/yes/no against the
 * server's own addresses, and the interfaces with a default route read from
 * /proc/net/route and /proc/net/ipv6_route texts.
 */
#include "candfilter.h"
#include "check.h"

static void test_kinds(void)
{
    CHECK_EQ(cv_addr_kind("0.0.0.0"), CV_ADDR_NEVER);
    CHECK_EQ(cv_addr_kind("0.1.2.3"), CV_ADDR_NEVER);
    CHECK_EQ(cv_addr_kind("::"), CV_ADDR_NEVER);
    CHECK_EQ(cv_addr_kind("169.254.1.1"), CV_ADDR_NEVER);
    CHECK_EQ(cv_addr_kind("fe80::1"), CV_ADDR_NEVER);
    CHECK_EQ(cv_addr_kind("febf::1"), CV_ADDR_NEVER);
    CHECK_EQ(cv_addr_kind("fec0::1"), CV_ADDR_PUBLIC); /* not fe80::/10 */
    CHECK_EQ(cv_addr_kind("224.0.0.1"), CV_ADDR_NEVER);
    CHECK_EQ(cv_addr_kind("239.255.255.250"), CV_ADDR_NEVER);
    CHECK_EQ(cv_addr_kind("255.255.255.255"), CV_ADDR_NEVER);
    CHECK_EQ(cv_addr_kind("ff02::1"), CV_ADDR_NEVER);
    CHECK_EQ(cv_addr_kind("127.0.0.1"), CV_ADDR_LOOPBACK);
    CHECK_EQ(cv_addr_kind("127.255.0.2"), CV_ADDR_LOOPBACK);
    CHECK_EQ(cv_addr_kind("::1"), CV_ADDR_LOOPBACK);
    CHECK_EQ(cv_addr_kind("::ffff:127.0.0.1"), CV_ADDR_LOOPBACK);
    CHECK_EQ(cv_addr_kind("::ffff:10.1.2.3"), CV_ADDR_PRIVATE);
    CHECK_EQ(cv_addr_kind("10.0.0.1"), CV_ADDR_PRIVATE);
    CHECK_EQ(cv_addr_kind("172.16.0.1"), CV_ADDR_PRIVATE);
    CHECK_EQ(cv_addr_kind("172.31.255.255"), CV_ADDR_PRIVATE);
    CHECK_EQ(cv_addr_kind("172.15.255.255"), CV_ADDR_PUBLIC);
    CHECK_EQ(cv_addr_kind("172.32.0.1"), CV_ADDR_PUBLIC);
    CHECK_EQ(cv_addr_kind("192.168.1.1"), CV_ADDR_PRIVATE);
    CHECK_EQ(cv_addr_kind("192.169.1.1"), CV_ADDR_PUBLIC);
    CHECK_EQ(cv_addr_kind("100.64.0.1"), CV_ADDR_PRIVATE);
    CHECK_EQ(cv_addr_kind("100.127.255.255"), CV_ADDR_PRIVATE);
    CHECK_EQ(cv_addr_kind("100.128.0.1"), CV_ADDR_PUBLIC);
    CHECK_EQ(cv_addr_kind("fc00::1"), CV_ADDR_PRIVATE);
    CHECK_EQ(cv_addr_kind("fd12:3456::1"), CV_ADDR_PRIVATE);
    CHECK_EQ(cv_addr_kind("203.0.113.9"), CV_ADDR_PUBLIC);
    CHECK_EQ(cv_addr_kind("2001:db8::9"), CV_ADDR_PUBLIC);
    CHECK_EQ(cv_addr_kind("8.8.8.8"), CV_ADDR_PUBLIC);
    CHECK_EQ(cv_addr_kind("host.local"), CV_ADDR_INVALID);
    CHECK_EQ(cv_addr_kind(""), CV_ADDR_INVALID);
    CHECK_EQ(cv_addr_kind(NULL), CV_ADDR_INVALID);
}

static void test_modes(void)
{
    cv_candfilter_t f;
    const char *lo[] = {"127.0.0.1"}, *lan[] = {"192.168.1.5"}, *pub[] = {"203.0.113.1"},
               *v6lo[] = {"::1"}, *both[] = {"203.0.113.1", "10.0.0.11"};

    /* auto, server on loopback: loopback probed, private ranges not */
    cv_candfilter_init(&f, CV_CAND_PRIVATE_AUTO, lo, 1);
    CHECK(cv_candfilter_allows(&f, "127.0.0.1", 40000));
    CHECK(cv_candfilter_allows(&f, "127.0.0.2", 5000));
    CHECK(!cv_candfilter_allows(&f, "10.1.2.3", 5000));
    CHECK(!cv_candfilter_allows(&f, "192.168.0.1", 5000));
    CHECK(cv_candfilter_allows(&f, "203.0.113.9", 5000));
    /* ports below 1024 never, nor out of range */
    CHECK(!cv_candfilter_allows(&f, "127.0.0.2", 9));
    CHECK(!cv_candfilter_allows(&f, "203.0.113.9", 1023));
    CHECK(cv_candfilter_allows(&f, "203.0.113.9", 1024));
    CHECK(!cv_candfilter_allows(&f, "203.0.113.9", 0));
    CHECK(!cv_candfilter_allows(&f, "203.0.113.9", 65536));
    /* never: whatever the mode */
    CHECK(!cv_candfilter_allows(&f, "0.0.0.0", 5000));
    CHECK(!cv_candfilter_allows(&f, "169.254.0.9", 5000));
    CHECK(!cv_candfilter_allows(&f, "224.0.0.251", 5353));
    CHECK(!cv_candfilter_allows(&f, "example.org", 5000));

    /* auto, a LAN server: private ranges probed, loopback not */
    cv_candfilter_init(&f, CV_CAND_PRIVATE_AUTO, lan, 1);
    CHECK(!cv_candfilter_allows(&f, "127.0.0.1", 40000));
    CHECK(!cv_candfilter_allows(&f, "::1", 40000));
    CHECK(cv_candfilter_allows(&f, "10.1.2.3", 5000));
    CHECK(cv_candfilter_allows(&f, "fd00::5", 5000));
    CHECK(!cv_candfilter_allows(&f, "fe80::5", 5000));

    /* auto, a public server: neither */
    cv_candfilter_init(&f, CV_CAND_PRIVATE_AUTO, pub, 1);
    CHECK(!cv_candfilter_allows(&f, "127.0.0.1", 40000));
    CHECK(!cv_candfilter_allows(&f, "10.1.2.3", 5000));
    CHECK(!cv_candfilter_allows(&f, "100.64.1.1", 5000));
    CHECK(cv_candfilter_allows(&f, "198.51.100.3", 5000));
    cv_candfilter_init(&f, CV_CAND_PRIVATE_AUTO, NULL, 0);
    CHECK(!cv_candfilter_allows(&f, "127.0.0.1", 40000));

    /* auto: any own address of a kind allows the kind */
    cv_candfilter_init(&f, CV_CAND_PRIVATE_AUTO, v6lo, 1);
    CHECK(cv_candfilter_allows(&f, "127.0.0.1", 40000));
    cv_candfilter_init(&f, CV_CAND_PRIVATE_AUTO, both, 2);
    CHECK(cv_candfilter_allows(&f, "172.20.0.1", 5000));
    CHECK(!cv_candfilter_allows(&f, "127.0.0.1", 5000));

    /* yes: both kinds whatever the own addresses; no: neither */
    cv_candfilter_init(&f, CV_CAND_PRIVATE_YES, pub, 1);
    CHECK(cv_candfilter_allows(&f, "127.0.0.1", 40000));
    CHECK(cv_candfilter_allows(&f, "10.1.2.3", 5000));
    CHECK(!cv_candfilter_allows(&f, "169.254.1.1", 5000));
    CHECK(!cv_candfilter_allows(&f, "10.1.2.3", 80));
    cv_candfilter_init(&f, CV_CAND_PRIVATE_NO, lo, 1);
    CHECK(!cv_candfilter_allows(&f, "127.0.0.1", 40000));
    CHECK(!cv_candfilter_allows(&f, "10.1.2.3", 5000));
    CHECK(cv_candfilter_allows(&f, "203.0.113.9", 5000));
}

static void test_default_route(void)
{
    char names[4][CV_IFNAME_MAX];
    const char *r4 =
        "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\t"
        "IRTT\n"
        "eth0\t0002000A\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n"
        "wlan0\t00000000\t0101A8C0\t0003\t0\t0\t600\t00000000\t0\t0\t0\n"
        "wlan0\t0001A8C0\t00000000\t0001\t0\t0\t600\t00FFFFFF\t0\t0\t0\n"
        "docker0\t000011AC\t00000000\t0001\t0\t0\t0\t0000FFFF\t0\t0\t0\n";
    CHECK_EQ(cv_default_route_ifaces(r4, NULL, names, 4), 1);
    CHECK_STR(names[0], "wlan0");

    /* a reject route and a route that is down are no default route; a
     * default route with a mask is not one either */
    const char *r4b = "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\n"
                      "eth1\t00000000\t00000000\t0201\t0\t0\t0\t00000000\n"
                      "eth2\t00000000\t0101A8C0\t0002\t0\t0\t0\t00000000\n"
                      "eth3\t00000000\t0101A8C0\t0003\t0\t0\t0\t000000FF\n";
    CHECK_EQ(cv_default_route_ifaces(r4b, NULL, names, 4), 0);

    const char *r6 =
        "fd000000000000000000000000000000 40 00000000000000000000000000000000 00 "
        "00000000000000000000000000000000 00000100 00000001 00000000 00000001     eth0\n"
        "00000000000000000000000000000000 00 00000000000000000000000000000000 00 "
        "fd000000000000000000000000000001 00000400 00000002 00000000 00000003     eth1\n"
        "00000000000000000000000000000000 00 00000000000000000000000000000000 00 "
        "00000000000000000000000000000000 ffffffff 00000001 00000000 00200200       lo\n";
    CHECK_EQ(cv_default_route_ifaces(NULL, r6, names, 4), 1);
    CHECK_STR(names[0], "eth1");
    /* both tables: each interface once, IPv4's first */
    const char *r4c = "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\n"
                      "eth1\t00000000\t0101A8C0\t0003\t0\t0\t0\t00000000\n"
                      "eth9\t00000000\t0101A8C0\t0003\t0\t0\t100\t00000000\n";
    CHECK_EQ(cv_default_route_ifaces(r4c, r6, names, 4), 2);
    CHECK_STR(names[0], "eth1");
    CHECK_STR(names[1], "eth9");
    /* at most max */
    CHECK_EQ(cv_default_route_ifaces(r4c, r6, names, 1), 1);
    /* no route at all (a namespace with only lo): none */
    CHECK_EQ(cv_default_route_ifaces("Iface\tDestination\n", "", names, 4), 0);
    CHECK_EQ(cv_default_route_ifaces(NULL, NULL, names, 4), 0);
}

int main(void)
{
    test_kinds();
    test_modes();
    test_default_route();
    return CHECK_DONE("candfilter");
}
