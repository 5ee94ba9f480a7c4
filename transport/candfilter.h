/*
 * candfilter.h - which remote ICE candidates the server sends connectivity
 * checks to, and which local interfaces hold a default route. Pure functions
 * on text: no socket, no system call.
 *
 * An offer names the addresses the server probes, so an offer must not turn
 * the server into a scanner of places no browser can be: never the
 * unspecified address, link-local, multicast, broadcast or reserved ranges,
 * or a port below 1024; loopback (127/8, ::1) and private ranges (10/8,
 * 172.16/12, 192.168/16, 100.64/10, fc00::/7) only when allowed:
 * "auto" allows a kind when one of the server's own media addresses is of
 * that kind (a loopback test set-up, a LAN deployment), "yes" always, "no"
 * never.
 */
#ifndef CV_CANDFILTER_H
#define CV_CANDFILTER_H

#include <stddef.h>

enum { CV_CAND_PRIVATE_AUTO = 0, CV_CAND_PRIVATE_YES, CV_CAND_PRIVATE_NO };

/* The kinds of address cv_addr_kind tells apart. */
enum {
    CV_ADDR_INVALID = 0, /* not an IP literal */
    CV_ADDR_NEVER,       /* unspecified, link-local, multicast, broadcast, reserved */
    CV_ADDR_LOOPBACK,
    CV_ADDR_PRIVATE,
    CV_ADDR_PUBLIC
};

int cv_addr_kind(const char *ip);

typedef struct {
    int loopback; /* loopback candidates are probed */
    int private_; /* private-range candidates are probed */
} cv_candfilter_t;

/* The filter for mode CV_CAND_PRIVATE_* and the server's own media
 * addresses (IP literals). */
void cv_candfilter_init(cv_candfilter_t *f, int mode, const char *const *local, int n_local);
/* 1: a check may be sent to ip:port; 0: the candidate is dropped. */
int cv_candfilter_allows(const cv_candfilter_t *f, const char *ip, int port);

#define CV_IFNAME_MAX 16

/* The interfaces that hold a default route, from the text of
 * /proc/net/route (IPv4) and /proc/net/ipv6_route (either may be NULL):
 * up to max names written to names, each once. Returns their count. */
int cv_default_route_ifaces(const char *route4, const char *route6, char (*names)[CV_IFNAME_MAX],
                            int max);

#endif
