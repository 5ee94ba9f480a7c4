/*
 * test_http.c - the pure part of the HTTP shell (http.c): which listen and
 * peer addresses count as loopback (plain HTTP binds only those; loopback
 * clients are not rate limited; X-Forwarded-For is trusted only from them).
 */
#include "check.h"
#include "http.h"

int main(void)
{
    /* 127.0.0.0/8, ::1 and IPv4-mapped 127/8 */
    CHECK_EQ(cv_http_is_loopback("127.0.0.1"), 1);
    CHECK_EQ(cv_http_is_loopback("127.0.0.2"), 1);
    CHECK_EQ(cv_http_is_loopback("127.255.255.254"), 1);
    CHECK_EQ(cv_http_is_loopback("::1"), 1);
    CHECK_EQ(cv_http_is_loopback("::ffff:127.0.0.1"), 1);
    /* everything else, the wildcards included */
    CHECK_EQ(cv_http_is_loopback("0.0.0.0"), 0);
    CHECK_EQ(cv_http_is_loopback("::"), 0);
    CHECK_EQ(cv_http_is_loopback("128.0.0.1"), 0);
    CHECK_EQ(cv_http_is_loopback("126.255.255.255"), 0);
    CHECK_EQ(cv_http_is_loopback("10.0.0.1"), 0);
    CHECK_EQ(cv_http_is_loopback("192.0.2.10"), 0);
    CHECK_EQ(cv_http_is_loopback("::2"), 0);
    CHECK_EQ(cv_http_is_loopback("fe80::1"), 0);
    CHECK_EQ(cv_http_is_loopback("::ffff:10.0.0.1"), 0);
    /* not an address literal */
    CHECK_EQ(cv_http_is_loopback("localhost"), 0);
    CHECK_EQ(cv_http_is_loopback("127.0.0.1 "), 0);
    CHECK_EQ(cv_http_is_loopback(""), 0);
    return CHECK_DONE("http");
}
