/*
 * candfilter.c - the remote candidates the server probes, and the
 * interfaces with a default route (candfilter.h).
 */
#include "candfilter.h"

#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static int kind4(const unsigned char *a)
{
    uint32_t v = (uint32_t)a[0] << 24 | (uint32_t)a[1] << 16 | (uint32_t)a[2] << 8 | a[3];
    if ((v >> 24) == 0) /* 0/8: "this network", 0.0.0.0 */
        return CV_ADDR_NEVER;
    if ((v >> 24) == 127)
        return CV_ADDR_LOOPBACK;
    if ((v >> 16) == 0xa9fe) /* 169.254/16: link-local */
        return CV_ADDR_NEVER;
    if ((v >> 28) >= 0xe) /* 224/4 multicast; 240/4 reserved, broadcast */
        return CV_ADDR_NEVER;
    if ((v >> 24) == 10 || (v >> 20) == 0xac1 || (v >> 16) == 0xc0a8 ||
        (v >> 22) == (0x64400000u >> 22)) /* 10/8, 172.16/12, 192.168/16, 100.64/10 */
        return CV_ADDR_PRIVATE;
    return CV_ADDR_PUBLIC;
}

int cv_addr_kind(const char *ip)
{
    unsigned char a[16];
    if (!ip)
        return CV_ADDR_INVALID;
    if (inet_pton(AF_INET, ip, a) == 1)
        return kind4(a);
    if (inet_pton(AF_INET6, ip, a) != 1)
        return CV_ADDR_INVALID;
    static const unsigned char zero[16], mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (memcmp(a, mapped, 12) == 0) /* ::ffff:a.b.c.d is a.b.c.d */
        return kind4(a + 12);
    if (memcmp(a, zero, 15) == 0) /* :: is unspecified, ::1 loopback */
        return a[15] == 1 ? CV_ADDR_LOOPBACK : a[15] == 0 ? CV_ADDR_NEVER : CV_ADDR_PUBLIC;
    if (a[0] == 0xff) /* ff00::/8 multicast */
        return CV_ADDR_NEVER;
    if (a[0] == 0xfe && (a[1] & 0xc0) == 0x80) /* fe80::/10 link-local */
        return CV_ADDR_NEVER;
    if ((a[0] & 0xfe) == 0xfc) /* fc00::/7 unique local */
        return CV_ADDR_PRIVATE;
    return CV_ADDR_PUBLIC;
}

void cv_candfilter_init(cv_candfilter_t *f, int mode, const char *const *local, int n_local)
{
    f->loopback = f->private_ = mode == CV_CAND_PRIVATE_YES;
    if (mode != CV_CAND_PRIVATE_AUTO)
        return;
    for (int i = 0; i < n_local; i++) {
        int k = cv_addr_kind(local[i]);
        if (k == CV_ADDR_LOOPBACK)
            f->loopback = 1;
        else if (k == CV_ADDR_PRIVATE)
            f->private_ = 1;
    }
}

int cv_candfilter_allows(const cv_candfilter_t *f, const char *ip, int port)
{
    if (port < 1024 || port > 65535)
        return 0;
    switch (cv_addr_kind(ip)) {
    case CV_ADDR_PUBLIC: return 1;
    case CV_ADDR_LOOPBACK: return f->loopback;
    case CV_ADDR_PRIVATE: return f->private_;
    default: return 0;
    }
}

/* Adds name to names unless it is there; returns the new count. */
static int add_name(char (*names)[CV_IFNAME_MAX], int n, int max, const char *name)
{
    if (!name[0] || strcmp(name, "lo") == 0)
        return n;
    for (int i = 0; i < n; i++)
        if (strcmp(names[i], name) == 0)
            return n;
    if (n < max)
        snprintf(names[n++], CV_IFNAME_MAX, "%s", name);
    return n;
}

#define RTF_UP_ 0x0001
#define RTF_REJECT_ 0x0200

/* The next line of text from *p (without its newline) into line; 0 at the end. */
static int next_line(const char **p, char *line, size_t cap)
{
    if (!*p || !**p)
        return 0;
    const char *nl = strchr(*p, '\n');
    size_t n = nl ? (size_t)(nl - *p) : strlen(*p);
    snprintf(line, cap, "%.*s", n < cap ? (int)n : (int)cap - 1, *p);
    *p = nl ? nl + 1 : *p + n;
    return 1;
}

int cv_default_route_ifaces(const char *route4, const char *route6, char (*names)[CV_IFNAME_MAX],
                            int max)
{
    int n = 0;
    char line[512], ifname[CV_IFNAME_MAX + 1];
    const char *p = route4;
    /* Iface Destination Gateway Flags RefCnt Use Metric Mask ...: the first
     * line is the header, which does not parse as hex */
    while (next_line(&p, line, sizeof(line))) {
        unsigned dst, gw, flags, mask;
        int refcnt, use, metric;
        if (sscanf(line, "%16s %x %x %x %d %d %d %x", ifname, &dst, &gw, &flags, &refcnt, &use,
                   &metric, &mask) == 8 &&
            dst == 0 && mask == 0 && (flags & RTF_UP_) && !(flags & RTF_REJECT_))
            n = add_name(names, n, max, ifname);
    }
    /* dst dst_len src src_len next_hop metric refcnt use flags iface */
    p = route6;
    while (next_line(&p, line, sizeof(line))) {
        char dst[33], src[33], hop[33];
        unsigned dlen, slen, metric, refcnt, use, flags;
        if (sscanf(line, "%32s %x %32s %x %32s %x %x %x %x %16s", dst, &dlen, src, &slen, hop,
                   &metric, &refcnt, &use, &flags, ifname) == 10 &&
            dlen == 0 && strspn(dst, "0") == 32 && (flags & RTF_UP_) && !(flags & RTF_REJECT_))
            n = add_name(names, n, max, ifname);
    }
    return n;
}
