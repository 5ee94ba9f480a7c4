/*
 * netlist.c - lists of IP networks (netlist.h).
 */
#include "netlist.h"

#include "err.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One entry "address[/prefix]" of n bytes into *e. */
static int parse_one(const char *s, size_t n, int *family, unsigned char *addr, int *prefix)
{
    char buf[64];
    if (n == 0 || n >= sizeof(buf))
        return -1;
    memcpy(buf, s, n);
    buf[n] = 0;
    char *slash = strchr(buf, '/');
    if (slash)
        *slash = 0;
    int max;
    if (inet_pton(AF_INET, buf, addr) == 1) {
        *family = AF_INET;
        max = 32;
    } else if (inet_pton(AF_INET6, buf, addr) == 1) {
        *family = AF_INET6;
        max = 128;
    } else {
        return -1;
    }
    *prefix = max;
    if (slash) {
        char *end;
        long p = strtol(slash + 1, &end, 10);
        if (!slash[1] || *end || slash[1] < '0' || slash[1] > '9' || p < 0 || p > max)
            return -1;
        *prefix = (int)p;
    }
    /* the host bits must be zero: 10.0.0.1/24 is more likely a mistake */
    int bytes = max / 8;
    for (int b = 0; b < bytes; b++) {
        int keep = *prefix - b * 8;
        unsigned char mask = keep >= 8 ? 0xff : keep <= 0 ? 0 : (unsigned char)(0xff << (8 - keep));
        if (addr[b] & ~mask)
            return -1;
    }
    return 0;
}

int cv_netlist_parse(const char *text, cv_netlist_t *out, char *why, size_t whycap)
{
    memset(out, 0, sizeof(*out));
    const char *v = text;
    while (*v == ' ' || *v == '\t')
        v++;
    if (!*v)
        return 0;
    for (;;) {
        const char *end = strchr(v, ',');
        size_t n = end ? (size_t)(end - v) : strlen(v);
        const char *s = v;
        while (n && (*s == ' ' || *s == '\t'))
            s++, n--;
        while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
            n--;
        if (out->n == CV_NETLIST_MAX) {
            snprintf(why, whycap, "more than %d networks", CV_NETLIST_MAX);
            return CV_E_INVAL;
        }
        if (parse_one(s, n, &out->net[out->n].family, out->net[out->n].addr,
                      &out->net[out->n].prefix) < 0) {
            snprintf(why, whycap,
                     "'%.*s' is not an address or a network (address/prefix, host bits zero)",
                     n < 48 ? (int)n : 48, s);
            return CV_E_INVAL;
        }
        out->n++;
        if (!end)
            return 0;
        v = end + 1;
    }
}

static int match(const cv_netlist_t *l, int family, const unsigned char *a)
{
    for (int i = 0; i < l->n; i++) {
        if (l->net[i].family != family)
            continue;
        int p = l->net[i].prefix, b = 0;
        for (; p >= 8; p -= 8, b++)
            if (a[b] != l->net[i].addr[b])
                break;
        if (p >= 8)
            continue;
        if (p == 0 || ((a[b] ^ l->net[i].addr[b]) & (0xff << (8 - p)) & 0xff) == 0)
            return 1;
    }
    return 0;
}

int cv_netlist_has(const cv_netlist_t *l, const char *ip)
{
    unsigned char a[16];
    if (inet_pton(AF_INET, ip, a) == 1)
        return match(l, AF_INET, a);
    if (inet_pton(AF_INET6, ip, a) != 1)
        return 0;
    static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (memcmp(a, mapped, 12) == 0)
        return match(l, AF_INET, a + 12);
    return match(l, AF_INET6, a);
}

int cv_netlist_has_sa(const cv_netlist_t *l, const struct sockaddr *sa)
{
    if (sa->sa_family == AF_INET)
        return match(l, AF_INET,
                     (const unsigned char *)&((const struct sockaddr_in *)sa)->sin_addr);
    if (sa->sa_family != AF_INET6)
        return 0;
    const unsigned char *a = ((const struct sockaddr_in6 *)sa)->sin6_addr.s6_addr;
    static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (memcmp(a, mapped, 12) == 0)
        return match(l, AF_INET, a + 12);
    return match(l, AF_INET6, a);
}
