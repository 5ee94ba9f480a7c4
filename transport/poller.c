/*
 * poller.c - GLib's poll(2) done with epoll (poller.h).
 */
#include "poller.h"

#include "clock.h"
#include "mem.h"
#include "stats.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

/* What a descriptor number stands for in the last array and in the kernel. */
struct slot {
    unsigned gen;  /* the array (cv_poller_t.gen) that last listed it */
    int first;     /* its last entry in that array, the others by next[] */
    uint32_t want; /* the events its entries ask for */
    uint32_t reg;  /* what the kernel has, with REGD (0: not registered) */
    int odd;       /* ODD_*: what poll(2) would say without waiting */
    int listed;    /* in regd */
};

/* Descriptors epoll cannot wait on: poll(2) answers for them at once. */
enum { ODD_NO, ODD_CLOSED /* G_IO_NVAL */, ODD_FILE /* always ready: what is asked */ };

struct cv_poller {
    int epfd;
    unsigned gen;
    struct slot *slot; /* by descriptor number */
    int n_slot;
    int *next; /* per entry of the last array: the next entry of the same descriptor */
    struct {
        gint fd;
        gushort events;
    } * last; /* the last array, to see a change */
    unsigned n_last, cap_last;
    int *regd; /* the registered descriptors */
    int n_regd, cap_regd;
    struct epoll_event *ev;
    int cap_ev;
    int64_t synced_us; /* the last full re-registration */
    int n_odd;
};

#define ASKED (G_IO_IN | G_IO_PRI | G_IO_OUT)
#define REGD (1u << 30) /* in slot.reg: registered, even for no event (errors still come) */

cv_poller_t *cv_poller_new(void)
{
    int fd = epoll_create1(EPOLL_CLOEXEC);
    if (fd < 0)
        return NULL;
    cv_poller_t *p = cv_xcalloc(1, sizeof(*p));
    p->epfd = fd;
    return p;
}

void cv_poller_free(cv_poller_t *p)
{
    if (!p)
        return;
    close(p->epfd);
    free(p->slot);
    free(p->next);
    free(p->last);
    free(p->regd);
    free(p->ev);
    free(p);
}

static void grow_slots(cv_poller_t *p, int fd)
{
    int n = p->n_slot ? p->n_slot : 64;
    while (n <= fd)
        n *= 2;
    p->slot = cv_xrealloc(p->slot, (size_t)n * sizeof(*p->slot));
    memset(p->slot + p->n_slot, 0, (size_t)(n - p->n_slot) * sizeof(*p->slot));
    p->n_slot = n;
}

/* Whether fds[] differs from the last array; keeps it as the last one. */
static int changed(cv_poller_t *p, const GPollFD *fds, unsigned n)
{
    int diff = n != p->n_last;
    if (n > p->cap_last) {
        p->cap_last = n * 2;
        p->last = cv_xrealloc(p->last, p->cap_last * sizeof(*p->last));
        p->next = cv_xrealloc(p->next, p->cap_last * sizeof(*p->next));
    }
    for (unsigned i = 0; i < n; i++) {
        if (!diff && (p->last[i].fd != fds[i].fd || p->last[i].events != fds[i].events))
            diff = 1;
        p->last[i].fd = fds[i].fd;
        p->last[i].events = fds[i].events;
    }
    p->n_last = n;
    return diff;
}

/* Lists every entry under its descriptor's slot, for a new array. */
static void index_array(cv_poller_t *p, const GPollFD *fds, unsigned n)
{
    if (++p->gen == 0)
        p->gen = 1;
    for (unsigned i = 0; i < n; i++) {
        int fd = fds[i].fd;
        if (fd < 0)
            continue;
        if (fd >= p->n_slot)
            grow_slots(p, fd);
        struct slot *s = &p->slot[fd];
        if (s->gen != p->gen) {
            s->gen = p->gen;
            s->first = -1;
            s->want = 0;
        }
        p->next[i] = s->first;
        s->first = (int)i;
        s->want |= fds[i].events & ASKED;
    }
}

static void set_odd(cv_poller_t *p, struct slot *s, int odd)
{
    p->n_odd += (odd != ODD_NO) - (s->odd != ODD_NO);
    s->odd = odd;
}

/* Tells the kernel the set: drops the descriptors the array no longer
 * lists, registers those it did not have or has with other events, and with
 * all every one again (poller.h: a closed one's number reused). */
static void sync_set(cv_poller_t *p, const GPollFD *fds, unsigned n, int all)
{
    for (int j = p->n_regd - 1; j >= 0; j--) {
        int fd = p->regd[j];
        struct slot *s = &p->slot[fd];
        if (s->gen == p->gen)
            continue;
        epoll_ctl(p->epfd, EPOLL_CTL_DEL, fd, NULL); /* already gone if it was closed */
        s->reg = 0;
        s->listed = 0;
        set_odd(p, s, ODD_NO);
        p->regd[j] = p->regd[--p->n_regd];
    }
    for (unsigned i = 0; i < n; i++) {
        int fd = fds[i].fd;
        if (fd < 0 || p->slot[fd].first != (int)i)
            continue; /* once a descriptor: at the head of its chain */
        struct slot *s = &p->slot[fd];
        if (!all && s->reg == (s->want | REGD))
            continue;
        struct epoll_event ev = {.events = s->want, .data.fd = fd};
        int odd = ODD_NO;
        if (epoll_ctl(p->epfd, EPOLL_CTL_ADD, fd, &ev) == 0) {
            if (s->reg)
                cv_stats_add(CV_STAT_POLL_REARMED, 1);
        } else if (errno == EEXIST) {
            if (s->reg != (s->want | REGD) && epoll_ctl(p->epfd, EPOLL_CTL_MOD, fd, &ev) != 0)
                odd = ODD_CLOSED;
        } else { /* EBADF: closed; EPERM: a file, which poll(2) calls ready */
            odd = errno == EPERM ? ODD_FILE : ODD_CLOSED;
        }
        set_odd(p, s, odd);
        s->reg = odd == ODD_NO ? s->want | REGD
                               : 0; /* an odd one: the next sync drops or tries it again */
        if (!s->listed) {
            s->listed = 1;
            if (p->n_regd == p->cap_regd) {
                p->cap_regd = p->cap_regd ? 2 * p->cap_regd : 64;
                p->regd = cv_xrealloc(p->regd, (size_t)p->cap_regd * sizeof(*p->regd));
            }
            p->regd[p->n_regd++] = fd;
        }
    }
}

/* Gives revents to every entry of a descriptor (its chain from head), as
 * each asked, and counts the entries that had none. */
static void mark(GPollFD *fds, const int *next, int head, gushort revents, int *count)
{
    for (int i = head; i >= 0; i = next[i]) {
        gushort r = revents & (fds[i].events | G_IO_ERR | G_IO_HUP | G_IO_NVAL);
        if (r && !fds[i].revents)
            (*count)++;
        fds[i].revents |= r;
    }
}

int cv_poller_poll(cv_poller_t *p, GPollFD *fds, unsigned n, int timeout_ms, int64_t now_us)
{
    for (unsigned i = 0; i < n; i++)
        fds[i].revents = 0;
    int due = now_us - p->synced_us >= CV_POLLER_RESYNC_US;
    if (changed(p, fds, n) || due) {
        index_array(p, fds, n);
        sync_set(p, fds, n, due);
        if (due)
            p->synced_us = now_us;
    }
    if (p->cap_ev < p->n_regd || !p->ev) {
        p->cap_ev = p->n_regd > 16 ? 2 * p->n_regd : 32;
        p->ev = cv_xrealloc(p->ev, (size_t)p->cap_ev * sizeof(*p->ev));
    }
    int count = 0;
    if (p->n_odd) {
        for (unsigned i = 0; i < n; i++) {
            int fd = fds[i].fd;
            const struct slot *s = fd >= 0 ? &p->slot[fd] : NULL;
            if (s && s->odd != ODD_NO && s->first == (int)i)
                mark(fds, p->next, (int)i, s->odd == ODD_CLOSED ? G_IO_NVAL : (gushort)s->want,
                     &count);
        }
        timeout_ms = 0;
    }
    int k = epoll_wait(p->epfd, p->ev, p->cap_ev, timeout_ms);
    if (k < 0)
        return count ? count : -1;
    for (int e = 0; e < k; e++) {
        int fd = p->ev[e].data.fd;
        if (fd < 0 || fd >= p->n_slot || p->slot[fd].gen != p->gen || !p->slot[fd].reg)
            continue;
        mark(fds, p->next, p->slot[fd].first, (gushort)p->ev[e].events, &count);
    }
    return count;
}

static _Thread_local cv_poller_t *own; /* the calling thread's */
static _Thread_local int own_refused;  /* the kernel gave it no epoll instance */

gint cv_poller_gpoll(GPollFD *fds, guint n, gint timeout_ms)
{
    cv_stats_add(CV_STAT_LOOP_POLLS, 1);
    if (!own && !own_refused)
        own_refused = !(own = cv_poller_new());
    if (!own)
        return g_poll(fds, n, timeout_ms);
    return cv_poller_poll(own, fds, n, timeout_ms, cv_now_us());
}

void cv_poller_thread_done(void)
{
    cv_poller_free(own);
    own = NULL;
    own_refused = 0;
}
