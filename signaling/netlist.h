/*
 * netlist.h - a list of IP networks ("10.0.0.0/24, 2001:db8::/64, 192.0.2.7"),
 * as [http] proxy_networks gives them, and the test of an address against
 * it. Pure: no system call.
 */
#ifndef CV_NETLIST_H
#define CV_NETLIST_H

#include <stddef.h>
#include <sys/socket.h>

#define CV_NETLIST_MAX 16

typedef struct {
    int n;
    struct {
        int family;             /* AF_INET or AF_INET6 */
        unsigned char addr[16]; /* network address (4 bytes for IPv4) */
        int prefix;             /* bits */
    } net[CV_NETLIST_MAX];
} cv_netlist_t;

/* Parses a comma-separated list of address[/prefix] entries (blanks around
 * the commas ignored; no prefix: the address alone; "" is the empty list).
 * 0, or CV_E_INVAL with the reason in why. */
int cv_netlist_parse(const char *text, cv_netlist_t *out, char *why, size_t whycap);
/* 1 when ip (a literal; ::ffff:a.b.c.d counts as a.b.c.d) is in one of the networks. */
int cv_netlist_has(const cv_netlist_t *l, const char *ip);
/* The same for a socket address. */
int cv_netlist_has_sa(const cv_netlist_t *l, const struct sockaddr *sa);

#endif
