/*
 * test_poller.c - the network loops' epoll (poller.h) answers as poll(2)
 * does: over thousands of random steps on socket pairs (data in and out,
 * peers closed, entries added, dropped, changed and listed twice, pairs
 * closed and their numbers reused) each call's revents and count are
 * poll(2)'s. It waits its time-out when nothing is ready, also with data
 * pending on a descriptor no longer listed; a file reads ready, a closed
 * descriptor G_IO_NVAL. A descriptor closed and its number reused under an
 * unchanged array is heard at the next re-registration, and counted. The
 * GLib poll function on the thread's own poller answers and counts its waits.
 */
#include "check.h"
#include "clock.h"
#include "poller.h"
#include "stats.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define PAIRS 12
#define MAX_ENTRIES 24

static int pair_fd[PAIRS][2]; /* [0] is listed, [1] is its peer (-1: closed) */

static void open_pair(int i)
{
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) != 0) {
        perror("socketpair");
        exit(2);
    }
    pair_fd[i][0] = sv[0];
    pair_fd[i][1] = sv[1];
}

static void drain(int fd)
{
    char buf[4096];
    while (read(fd, buf, sizeof(buf)) > 0) {
    }
}

static void fill(int fd)
{
    char buf[4096] = {0};
    while (write(fd, buf, sizeof(buf)) > 0) {
    }
}

static const gushort event_sets[] = {G_IO_IN, G_IO_OUT, G_IO_IN | G_IO_OUT, 0, G_IO_IN | G_IO_PRI};

static int answers_ready, answers_idle; /* entries compared, by poll(2)'s answer */

/* poll(2) and the poller on copies of the same array: equal answers? */
static int same_answer(cv_poller_t *p, const GPollFD *fds, unsigned n, int64_t now)
{
    GPollFD a[MAX_ENTRIES], b[MAX_ENTRIES];
    memcpy(a, fds, n * sizeof(*fds));
    memcpy(b, fds, n * sizeof(*fds));
    int ra = cv_poller_poll(p, a, n, 0, now);
    int rb = g_poll(b, n, 0);
    int same = ra == rb;
    for (unsigned i = 0; i < n; i++) {
        same &= a[i].revents == b[i].revents;
        answers_ready += b[i].revents != 0;
        answers_idle += b[i].revents == 0;
    }
    if (!same) {
        fprintf(stderr, "poller %d, poll(2) %d:", ra, rb);
        for (unsigned i = 0; i < n; i++)
            fprintf(stderr, " fd %d ev %x: %x/%x", fds[i].fd, fds[i].events, a[i].revents,
                    b[i].revents);
        fprintf(stderr, "\n");
    }
    return same;
}

static void test_random(void)
{
    cv_poller_t *p = cv_poller_new();
    CHECK(p != NULL);
    for (int i = 0; i < PAIRS; i++)
        open_pair(i);
    GPollFD fds[MAX_ENTRIES];
    int owner[MAX_ENTRIES]; /* the pair of each entry */
    unsigned n = 0;
    int64_t now = 1000000;
    int differ = 0, steps = 0;
    srand(7);
    for (int step = 0; step < 4000; step++) {
        int k = rand() % PAIRS, op = rand() % 10;
        switch (op) {
        case 0: /* data for k */
        case 1:
            if (pair_fd[k][1] >= 0 && write(pair_fd[k][1], "x", 1) < 0 && errno != EAGAIN)
                perror("write");
            break;
        case 2: /* k read empty */ drain(pair_fd[k][0]); break;
        case 3: /* k's send buffer full, or emptied by its peer */
            if (pair_fd[k][1] >= 0) {
                if (rand() % 2)
                    fill(pair_fd[k][0]);
                else
                    drain(pair_fd[k][1]);
            }
            break;
        case 4: /* a new entry, maybe a second one for the same descriptor */
            if (n < MAX_ENTRIES) {
                fds[n] = (GPollFD){.fd = pair_fd[k][0], .events = event_sets[rand() % 5]};
                owner[n++] = k;
            }
            break;
        case 5: /* an entry dropped */
            if (n) {
                unsigned i = (unsigned)rand() % n;
                memmove(&fds[i], &fds[i + 1], (n - i - 1) * sizeof(*fds));
                memmove(&owner[i], &owner[i + 1], (n - i - 1) * sizeof(*owner));
                n--;
            }
            break;
        case 6: /* an entry asks for other events */
            if (n)
                fds[rand() % n].events = event_sets[rand() % 5];
            break;
        case 7: /* the peer of k hangs up */
            if (pair_fd[k][1] >= 0 && rand() % 4 == 0) {
                close(pair_fd[k][1]);
                pair_fd[k][1] = -1;
            }
            break;
        case 8: { /* k closed (its entries first, as GLib's owners do) and opened anew */
            unsigned j = 0;
            for (unsigned i = 0; i < n; i++)
                if (owner[i] != k) {
                    fds[j] = fds[i];
                    owner[j++] = owner[i];
                }
            n = j;
            CHECK(same_answer(p, fds, n, ++now));
            close(pair_fd[k][0]);
            if (pair_fd[k][1] >= 0)
                close(pair_fd[k][1]);
            open_pair(k);
            break;
        }
        default: break;
        }
        differ += !same_answer(p, fds, n, ++now);
        steps++;
    }
    CHECK_EQ(differ, 0);
    CHECK_EQ(steps, 4000);
    /* the steps made descriptors ready and not, many times each */
    CHECK(answers_ready > 2000);
    CHECK(answers_idle > 2000);
    for (int i = 0; i < PAIRS; i++) {
        close(pair_fd[i][0]);
        if (pair_fd[i][1] >= 0)
            close(pair_fd[i][1]);
    }
    cv_poller_free(p);
}

static void test_wait(void)
{
    cv_poller_t *p = cv_poller_new();
    open_pair(0);
    open_pair(1);
    GPollFD fds[2] = {{.fd = pair_fd[0][0], .events = G_IO_IN},
                      {.fd = pair_fd[1][0], .events = G_IO_IN}};
    int64_t t0 = cv_now_us();
    CHECK_EQ(cv_poller_poll(p, fds, 2, 40, t0), 0);
    CHECK(cv_now_us() - t0 >= 38000);
    CHECK(write(pair_fd[1][1], "x", 1) == 1);
    CHECK_EQ(cv_poller_poll(p, fds, 2, 1000, cv_now_us()), 1);
    CHECK_EQ(fds[0].revents, 0);
    CHECK_EQ(fds[1].revents, G_IO_IN);
    /* pair 1 no longer listed, its data unread: no wake-up for it */
    t0 = cv_now_us();
    CHECK_EQ(cv_poller_poll(p, fds, 1, 30, t0), 0);
    CHECK(cv_now_us() - t0 >= 28000);
    /* a file: ready, as poll(2) says; a closed descriptor: G_IO_NVAL */
    FILE *f = tmpfile();
    int dead = dup(pair_fd[0][0]);
    close(dead);
    GPollFD odd[3] = {{.fd = fileno(f), .events = G_IO_IN},
                      {.fd = dead, .events = G_IO_IN},
                      {.fd = pair_fd[0][0], .events = G_IO_IN}};
    t0 = cv_now_us();
    CHECK_EQ(cv_poller_poll(p, odd, 3, 1000, cv_now_us()), 2);
    CHECK(cv_now_us() - t0 < 500000);
    CHECK_EQ(odd[0].revents, G_IO_IN);
    CHECK_EQ(odd[1].revents, G_IO_NVAL);
    CHECK_EQ(odd[2].revents, 0);
    /* once they are gone the wait is a wait again */
    t0 = cv_now_us();
    CHECK_EQ(cv_poller_poll(p, fds, 1, 30, t0), 0);
    CHECK(cv_now_us() - t0 >= 28000);
    fclose(f);
    for (int i = 0; i < 2; i++) {
        close(pair_fd[i][0]);
        close(pair_fd[i][1]);
    }
    cv_poller_free(p);
}

/* A number reused under an unchanged array: the kernel forgot the old
 * registration, the array cannot tell; the re-registration finds it. */
static void test_reuse(void)
{
    cv_poller_t *p = cv_poller_new();
    open_pair(0);
    int fd = pair_fd[0][0];
    GPollFD fds[1] = {{.fd = fd, .events = G_IO_IN}};
    int64_t now = 5000000;
    CHECK_EQ(cv_poller_poll(p, fds, 1, 0, now), 0);
    close(pair_fd[0][1]);
    close(fd);
    open_pair(1);
    if (pair_fd[1][0] != fd) { /* the new socket under the old number */
        CHECK(dup2(pair_fd[1][0], fd) == fd);
        close(pair_fd[1][0]);
    }
    CHECK(write(pair_fd[1][1], "x", 1) == 1);
    uint64_t r0 = cv_stats_get(CV_STAT_POLL_REARMED);
    CHECK_EQ(cv_poller_poll(p, fds, 1, 0, now + 1), 0); /* not seen yet */
    CHECK_EQ(cv_poller_poll(p, fds, 1, 0, now + CV_POLLER_RESYNC_US), 1);
    CHECK_EQ(fds[0].revents, G_IO_IN);
    CHECK_EQ(cv_stats_get(CV_STAT_POLL_REARMED) - r0, 1);
    close(fd);
    close(pair_fd[1][1]);
    cv_poller_free(p);
}

/* The GLib poll function: the thread's own poller, each wait counted. */
static void test_gpoll(void)
{
    open_pair(0);
    GPollFD fds[1] = {{.fd = pair_fd[0][0], .events = G_IO_IN}};
    uint64_t w0 = cv_stats_get(CV_STAT_LOOP_POLLS);
    CHECK_EQ(cv_poller_gpoll(fds, 1, 0), 0);
    CHECK(write(pair_fd[0][1], "x", 1) == 1);
    CHECK_EQ(cv_poller_gpoll(fds, 1, 1000), 1);
    CHECK_EQ(fds[0].revents, G_IO_IN);
    CHECK_EQ(cv_stats_get(CV_STAT_LOOP_POLLS) - w0, 2);
    cv_poller_thread_done();
    close(pair_fd[0][0]);
    close(pair_fd[0][1]);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN); /* writes to a pair whose peer hung up */
    test_wait();
    test_reuse();
    test_random();
    test_gpoll();
    return CHECK_DONE("test_poller");
}
