/*
 * relay.c - a UDP impairment relay for the weak-link bench and tests (shell:
 * sockets, clock). It listens on LISTEN:P for every port P of a range and
 * forwards to TARGET:P, with one upstream socket per client address (as a
 * NAT does), so the server's answers come back through it; each direction
 * goes through its own cv_impair_t (transport/impair.h), seeded for
 * reproducible runs. Time 0 of the profile is the first packet.
 *
 *   relay --listen 127.0.0.2 --target 127.0.0.1 --ports 41000-41020 \
 *         --profile loss20 [--seed 1]
 *
 * A client reaches the server through it when it is told the server's
 * candidate is LISTEN:P (tests/e2e rewrite the SDP answer for that). Counts
 * go to stderr at exit (SIGINT/SIGTERM). Loopback only.
 */
#include "impair.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_PORTS 128
#define MAX_CLIENTS 64
#define MAX_PENDING 8192
#define PKT_MAX 2048

struct client {
    int listen_idx;          /* which listening socket it came to */
    struct sockaddr_in addr; /* the client's address */
    int up_fd;               /* our socket towards the target */
};

struct pending {
    int64_t at_us;
    int fd;
    struct sockaddr_in to;
    uint16_t len;
    uint8_t data[PKT_MAX];
};

static volatile sig_atomic_t stop;
static int listen_fd[MAX_PORTS], n_ports, port0;
static struct client clients[MAX_CLIENTS];
static int n_clients;
static struct pending *pend;
static int n_pend;
static cv_impair_t up, down;
static int64_t t0 = -1;
static struct in_addr target;

static void on_signal(int sig)
{
    (void)sig;
    stop = 1;
}

static int64_t mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int bind_udp(struct in_addr a, int port)
{
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in sa = {
        .sin_family = AF_INET, .sin_port = htons((uint16_t)port), .sin_addr = a};
    if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        fprintf(stderr, "relay: bind %s:%d: %s\n", inet_ntoa(a), port, strerror(errno));
        exit(1);
    }
    return fd;
}

/* The client's upstream socket, made on its first packet. */
static struct client *client_for(int li, const struct sockaddr_in *from)
{
    for (int i = 0; i < n_clients; i++)
        if (clients[i].listen_idx == li && clients[i].addr.sin_port == from->sin_port &&
            clients[i].addr.sin_addr.s_addr == from->sin_addr.s_addr)
            return &clients[i];
    if (n_clients == MAX_CLIENTS)
        return NULL;
    struct client *c = &clients[n_clients++];
    c->listen_idx = li;
    c->addr = *from;
    c->up_fd = bind_udp(target, 0);
    return c;
}

static void schedule(cv_impair_t *im, int fd, const struct sockaddr_in *to, const uint8_t *data,
                     size_t len, int64_t now)
{
    int64_t at;
    if (t0 < 0)
        t0 = now;
    if (cv_impair_packet(im, len, now - t0, &at) != CV_IMPAIR_PASS || n_pend == MAX_PENDING)
        return;
    struct pending *p = &pend[n_pend++];
    p->at_us = at + t0;
    p->fd = fd;
    p->to = *to;
    p->len = (uint16_t)len;
    memcpy(p->data, data, len);
}

/* Sends what is due, in the order it came (packets of equal time must not
 * overtake each other), keeps the rest in order; returns ms until the next
 * one (-1: none). */
static int flush_due(int64_t now)
{
    int64_t next = INT64_MAX;
    int kept = 0;
    for (int i = 0; i < n_pend; i++) {
        struct pending *p = &pend[i];
        if (p->at_us <= now) {
            sendto(p->fd, p->data, p->len, 0, (struct sockaddr *)&p->to, sizeof(p->to));
            continue;
        }
        if (p->at_us < next)
            next = p->at_us;
        if (kept != i)
            pend[kept] = *p;
        kept++;
    }
    n_pend = kept;
    if (next == INT64_MAX)
        return -1;
    return (int)((next - now + 999) / 1000);
}

static void usage(void)
{
    fprintf(stderr, "usage: relay --listen IP --target IP --ports MIN-MAX --profile NAME "
                    "[--seed N]\nprofiles: clean loss5 loss20 burst cap300 cap150 delay150 "
                    "loss20+delay100 outage3\n");
    exit(2);
}

/* Reads one datagram from socket fd (index i of the poll set) and schedules
 * it; 0 when there was none. */
static int read_one(int fd, int i, uint8_t *buf)
{
    struct sockaddr_in from;
    socklen_t fl = sizeof(from);
    ssize_t n = recvfrom(fd, buf, PKT_MAX, MSG_DONTWAIT, (struct sockaddr *)&from, &fl);
    if (n <= 0)
        return 0;
    if (i < n_ports) { /* client -> server */
        struct client *c = client_for(i, &from);
        struct sockaddr_in to = {
            .sin_family = AF_INET, .sin_port = htons((uint16_t)(port0 + i)), .sin_addr = target};
        if (c)
            schedule(&up, c->up_fd, &to, buf, (size_t)n, mono_us());
    } else { /* server -> client */
        struct client *c = &clients[i - n_ports];
        schedule(&down, listen_fd[c->listen_idx], &c->addr, buf, (size_t)n, mono_us());
    }
    return 1;
}

static void drain(struct pollfd *fds, int nfds);

static void poll_once(int64_t now)
{
    struct pollfd fds[MAX_PORTS + MAX_CLIENTS];
    for (int i = 0; i < n_ports; i++)
        fds[i] = (struct pollfd){.fd = listen_fd[i], .events = POLLIN};
    for (int i = 0; i < n_clients; i++)
        fds[n_ports + i] = (struct pollfd){.fd = clients[i].up_fd, .events = POLLIN};
    int nfds = n_ports + n_clients;
    int wait = flush_due(now);
    if (poll(fds, (nfds_t)nfds, wait < 0 || wait > 100 ? 100 : wait) <= 0)
        return;
    drain(fds, nfds);
    flush_due(mono_us()); /* what passes undelayed goes out now, not at the next wake-up */
}

/* Reads every datagram waiting on the ready sockets. */
static void drain(struct pollfd *fds, int nfds)
{
    uint8_t buf[PKT_MAX];
    for (int i = 0; i < nfds; i++) {
        if (fds[i].revents & POLLIN)
            while (read_one(fds[i].fd, i, buf))
                ;
    }
}

int main(int argc, char **argv)
{
    const char *listen_ip = NULL, *target_ip = NULL, *ports = NULL, *profile = NULL;
    uint64_t seed = 1;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--listen"))
            listen_ip = argv[i + 1];
        else if (!strcmp(argv[i], "--target"))
            target_ip = argv[i + 1];
        else if (!strcmp(argv[i], "--ports"))
            ports = argv[i + 1];
        else if (!strcmp(argv[i], "--profile"))
            profile = argv[i + 1];
        else if (!strcmp(argv[i], "--seed"))
            seed = strtoull(argv[i + 1], NULL, 10);
        else
            usage();
    }
    int pmin, pmax;
    struct in_addr la;
    cv_impair_profile_t prof;
    if (!listen_ip || !target_ip || !ports || !profile ||
        sscanf(ports, "%d-%d", &pmin, &pmax) != 2 || pmin < 1 || pmax > 65535 || pmax < pmin ||
        pmax - pmin >= MAX_PORTS || inet_pton(AF_INET, listen_ip, &la) != 1 ||
        inet_pton(AF_INET, target_ip, &target) != 1 || cv_impair_profile_named(profile, &prof) < 0)
        usage();
    port0 = pmin;
    n_ports = pmax - pmin + 1;
    for (int i = 0; i < n_ports; i++)
        listen_fd[i] = bind_udp(la, pmin + i);
    pend = calloc(MAX_PENDING, sizeof(*pend));
    if (!pend)
        return 1;
    cv_impair_init(&up, &prof, seed);
    cv_impair_init(&down, &prof, seed + 1);
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    fprintf(stderr, "relay: %s:%d-%d -> %s, profile %s, seed %llu\n", listen_ip, pmin, pmax,
            target_ip, profile, (unsigned long long)seed);
    while (!stop)
        poll_once(mono_us());
    fprintf(stderr,
            "relay: up passed %llu lost %llu queue %llu outage %llu; down passed %llu lost %llu "
            "queue %llu outage %llu\n",
            (unsigned long long)up.passed, (unsigned long long)up.lost,
            (unsigned long long)up.queue_drops, (unsigned long long)up.outage_drops,
            (unsigned long long)down.passed, (unsigned long long)down.lost,
            (unsigned long long)down.queue_drops, (unsigned long long)down.outage_drops);
    return 0;
}
