/*
 * test_ice_tcp.c - ICE-TCP in transport/ice.c with real sockets on 127.0.0.1:
 * TCP-passive candidates beside the UDP ones only when asked for, the TCP
 * listener bound inside the configured port range (so the range bounds the
 * agents), and the guard of pending connections: more than
 * CV_ICE_TCP_PER_ADDR from one address are ended within about a second, the
 * others once 5 s old, another address keeps its own allowance, and each
 * ending is counted in stats.h. The socket sources an agent attaches may
 * recurse (GLib does not take them out of the poll set, with two eventfd
 * writes, at each datagram).
 */
#include "check.h"
#include "ice.h"
#include "stats.h"

#include <arpa/inet.h>
#include <errno.h>
#include <gio/gio.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static const char *const lo[] = {"127.0.0.1"};
static const cv_ice_cb_t no_cb = {NULL, NULL};

static const cv_ice_cand_t *find(cv_ice_t *ice, int tcp, int *count)
{
    const cv_ice_cand_t *c, *first = NULL;
    int n = cv_ice_local_candidates(ice, &c);
    *count = 0;
    for (int i = 0; i < n; i++)
        if (c[i].tcp == tcp) {
            (*count)++;
            if (!first)
                first = &c[i];
        }
    return first;
}

/* Runs ctx for ms milliseconds. */
static void spin_ms(GMainContext *ctx, int ms)
{
    gint64 end = g_get_monotonic_time() + (gint64)ms * 1000;
    while (g_get_monotonic_time() < end) {
        while (g_main_context_iteration(ctx, FALSE))
            ;
        g_usleep(5000);
    }
}

/* A TCP connection from src (NULL: any) to 127.0.0.1:port, non-blocking once up. */
static int dial(const char *src, int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET};
    if (src) {
        inet_pton(AF_INET, src, &a.sin_addr);
        if (bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
            close(fd);
            return -1;
        }
    }
    a.sin_port = htons((uint16_t)port);
    inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    if (connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
        close(fd);
        return -1;
    }
    struct timeval tv = {0, 1000};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    return fd;
}

/* The server ended the connection (end of stream or reset). */
static int ended(int fd)
{
    char b[64];
    ssize_t n = recv(fd, b, sizeof(b), 0);
    return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK);
}

static int count_ended(const int *fds, int n)
{
    int e = 0;
    for (int i = 0; i < n; i++)
        e += fds[i] >= 0 && ended(fds[i]);
    return e;
}

static void test_candidates(GMainContext *ctx)
{
    cv_ice_cfg_t cfg = {.addresses = lo, .n_addresses = 1};
    cv_ice_t *ice = cv_ice_create(ctx, &cfg, &no_cb, NULL);
    CHECK(ice != NULL);
    int n_udp, n_tcp;
    CHECK(find(ice, 0, &n_udp) != NULL);
    CHECK(find(ice, 1, &n_tcp) == NULL);
    CHECK_EQ(n_udp, 1);
    CHECK_EQ(n_tcp, 0);
    cv_ice_destroy(ice);

    cfg.tcp = 1;
    ice = cv_ice_create(ctx, &cfg, &no_cb, NULL);
    CHECK(ice != NULL);
    const cv_ice_cand_t *u = find(ice, 0, &n_udp), *t = find(ice, 1, &n_tcp);
    CHECK_EQ(n_udp, 1);
    CHECK_EQ(n_tcp, 1); /* the passive one only: no active candidate is announced */
    CHECK(u && t && strcmp(t->addr, "127.0.0.1") == 0 && t->port > 0);
    CHECK(u && t && t->priority < u->priority); /* UDP is preferred */
    /* something listens there */
    int fd = t ? dial(NULL, t->port) : -1;
    CHECK(fd >= 0);
    if (fd >= 0)
        close(fd);
    cv_ice_destroy(ice);
}

/* A port free for both UDP and TCP on 127.0.0.1 now. */
static int free_port(void)
{
    for (int tries = 0; tries < 50; tries++) {
        int t = socket(AF_INET, SOCK_STREAM, 0), u = socket(AF_INET, SOCK_DGRAM, 0);
        struct sockaddr_in a = {.sin_family = AF_INET};
        socklen_t l = sizeof(a);
        inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
        int ok = bind(t, (struct sockaddr *)&a, sizeof(a)) == 0 &&
                 getsockname(t, (struct sockaddr *)&a, &l) == 0 &&
                 bind(u, (struct sockaddr *)&a, sizeof(a)) == 0;
        close(t);
        close(u);
        if (ok)
            return ntohs(a.sin_port);
    }
    return -1;
}

/* One port in the range: one agent gets it for UDP and TCP, a second gets nothing. */
static void test_range(GMainContext *ctx)
{
    int p = free_port();
    CHECK(p > 0);
    cv_ice_cfg_t cfg = {.addresses = lo, .n_addresses = 1, .port_min = p, .port_max = p, .tcp = 1};
    cv_ice_t *a = cv_ice_create(ctx, &cfg, &no_cb, NULL);
    CHECK(a != NULL);
    int n;
    const cv_ice_cand_t *u = a ? find(a, 0, &n) : NULL, *t = a ? find(a, 1, &n) : NULL;
    CHECK(u && u->port == p);
    CHECK(t && t->port == p);
    cv_ice_t *b = cv_ice_create(ctx, &cfg, &no_cb, NULL);
    CHECK(b == NULL);
    cv_ice_destroy(b);
    cv_ice_destroy(a);
}

static void test_guard(GMainContext *ctx)
{
    cv_ice_cfg_t cfg = {.addresses = lo, .n_addresses = 1, .tcp = 1};
    cv_ice_t *ice = cv_ice_create(ctx, &cfg, &no_cb, NULL);
    CHECK(ice != NULL);
    int n;
    const cv_ice_cand_t *t = ice ? find(ice, 1, &n) : NULL;
    CHECK(t != NULL);
    if (!t) {
        cv_ice_destroy(ice);
        return;
    }
    enum { FROM_A = CV_ICE_TCP_PER_ADDR + 3, FROM_B = 2 };
    int a[FROM_A], b[FROM_B];
    uint64_t excess0 = cv_stats_get(CV_STAT_ICE_TCP_CLOSED_EXCESS);
    uint64_t idle0 = cv_stats_get(CV_STAT_ICE_TCP_CLOSED_IDLE);
    for (int i = 0; i < FROM_A; i++) {
        a[i] = dial("127.0.0.1", t->port);
        spin_ms(ctx, 20); /* accepted one by one, in order */
    }
    for (int i = 0; i < FROM_B; i++)
        b[i] = dial("127.0.0.2", t->port);
    for (int i = 0; i < FROM_A; i++)
        CHECK(a[i] >= 0);
    /* within a sweep or two: the newest beyond the allowance of 127.0.0.1 end */
    spin_ms(ctx, 2500);
    int ea = count_ended(a, FROM_A), eb = count_ended(b, FROM_B);
    CHECK_EQ(ea, FROM_A - CV_ICE_TCP_PER_ADDR);
    CHECK_EQ(eb, 0); /* another address has its own allowance */
    for (int i = 0; i < CV_ICE_TCP_PER_ADDR; i++)
        CHECK(!ended(a[i])); /* the oldest stay, for now */
    CHECK_EQ(cv_stats_get(CV_STAT_ICE_TCP_CLOSED_EXCESS) - excess0, FROM_A - CV_ICE_TCP_PER_ADDR);
    /* none of them became a selected pair: all end once 5 s old */
    spin_ms(ctx, 6000);
    CHECK_EQ(count_ended(a, CV_ICE_TCP_PER_ADDR), CV_ICE_TCP_PER_ADDR);
    CHECK_EQ(count_ended(b, FROM_B), FROM_B);
    CHECK_EQ(cv_stats_get(CV_STAT_ICE_TCP_CLOSED_IDLE) - idle0, CV_ICE_TCP_PER_ADDR + FROM_B);
    for (int i = 0; i < FROM_A; i++)
        if (a[i] >= 0)
            close(a[i]);
    for (int i = 0; i < FROM_B; i++)
        if (b[i] >= 0)
            close(b[i]);
    cv_ice_destroy(ice);
}

/* Every GSocket source on a fresh context after an agent was made (UDP and
 * the TCP listener) may recurse: none is blocked while it dispatches. */
static void test_sources_recurse(void)
{
    GMainContext *ctx = g_main_context_new();
    cv_ice_cfg_t cfg = {.addresses = lo, .n_addresses = 1, .tcp = 1};
    cv_ice_t *ice = cv_ice_create(ctx, &cfg, &no_cb, NULL);
    CHECK(ice != NULL);
    GSocket *probe =
        g_socket_new(G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM, G_SOCKET_PROTOCOL_UDP, NULL);
    GSource *ps = g_socket_create_source(probe, G_IO_IN, NULL);
    int sockets = 0, recursing = 0;
    for (guint id = 1; id < 200; id++) {
        GSource *src = g_main_context_find_source_by_id(ctx, id);
        if (src && src->source_funcs == ps->source_funcs) {
            sockets++;
            recursing += g_source_get_can_recurse(src) ? 1 : 0;
        }
    }
    printf("  %d socket sources, %d may recurse\n", sockets, recursing);
    CHECK(sockets >= 2); /* the UDP socket and the TCP listener */
    CHECK_EQ(recursing, sockets);
    g_source_unref(ps);
    g_object_unref(probe);
    cv_ice_destroy(ice);
    spin_ms(ctx, 20);
    g_main_context_unref(ctx);
}

int main(void)
{
    test_sources_recurse();
    GMainContext *ctx = g_main_context_new();
    test_candidates(ctx);
    test_range(ctx);
    test_guard(ctx);
    spin_ms(ctx, 50);
    g_main_context_unref(ctx);
    return CHECK_DONE("test_ice_tcp");
}
