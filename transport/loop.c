/*
 * loop.c - a GLib main loop on its own thread. Shell code: owns the thread.
 */
#include "loop.h"

#include "mem.h"
#include "poller.h"
#include "stats.h"

#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

/* GLib hands a source attached on one thread to the loop thread under its
 * own locks (futexes, not pthread mutexes), which ThreadSanitizer does not
 * see: the hand-off of cv_loop_invoke is told to it, so that what the caller
 * wrote before it (the source GLib allocated, the callback's data) is known
 * to come before the callback and the source's release on the loop thread. */
#if defined(__SANITIZE_THREAD__)
#define CV_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define CV_TSAN 1
#endif
#endif
#ifdef CV_TSAN
#include <sanitizer/tsan_interface.h>
#define HANDOFF_RELEASE(p) __tsan_release(p)
#define HANDOFF_ACQUIRE(p) __tsan_acquire(p)
#else
#define HANDOFF_RELEASE(p) ((void)(p))
#define HANDOFF_ACQUIRE(p) ((void)(p))
#endif

struct cv_loop_timer {
    cv_loop_t *loop;
    void (*fn)(void *ud);
    void *ud;
    int64_t deadline; /* -1: not armed */
    int at;           /* its place in the heap, -1 when not in it */
    unsigned ran;     /* the dispatch that last ran it */
};

struct cv_loop {
    GMainContext *ctx;
    GMainLoop *loop;
    GThread *thread;
    /* the timers (loop thread only): a min-heap on deadline, one source */
    GSource *timer_src;
    cv_loop_timer_t **heap;
    int n_heap, heap_cap;
    unsigned dispatches;
    /* the pending list (cv_loop_post): pushed by any thread, taken whole by
     * the loop; one source woken when it stops being empty */
    _Atomic(cv_loop_work_t *) pending;
    GSource *pending_src;
    atomic_int users; /* cv_loop_pick */
};

struct pending_source {
    GSource src;
    cv_loop_t *loop;
};

static _Thread_local cv_loop_t *current; /* the loop this thread runs, if any */

struct timer_source {
    GSource src;
    cv_loop_t *loop;
};

static gpointer run(gpointer arg)
{
    cv_loop_t *l = arg;
    current = l;
    g_main_context_push_thread_default(l->ctx);
    g_main_loop_run(l->loop);
    g_main_context_pop_thread_default(l->ctx);
    cv_poller_thread_done();
    return NULL;
}

static void drain(cv_loop_t *l);

/* Ready when woken by a post (its ready time 0), else never. */
static gboolean pending_dispatch(GSource *src, GSourceFunc cb, gpointer ud)
{
    cv_loop_t *l = ((struct pending_source *)src)->loop;
    /* asleep again before the list is taken: a post that finds the list
     * empty after the exchange below wakes the source anew */
    g_source_set_ready_time(src, -1);
    drain(l);
    return G_SOURCE_CONTINUE;
}

static GSourceFuncs pending_funcs = {.dispatch = pending_dispatch};

cv_loop_t *cv_loop_create(const char *name)
{
    cv_loop_t *l = cv_xcalloc(1, sizeof(*l));
    l->ctx = g_main_context_new();
    l->loop = g_main_loop_new(l->ctx, FALSE);
    g_main_context_set_poll_func(l->ctx, cv_poller_gpoll); /* epoll, poller.h */
    atomic_init(&l->pending, NULL);
    atomic_init(&l->users, 0);
    l->pending_src = g_source_new(&pending_funcs, sizeof(struct pending_source));
    ((struct pending_source *)l->pending_src)->loop = l;
    g_source_set_priority(l->pending_src, G_PRIORITY_DEFAULT);
    g_source_attach(l->pending_src, l->ctx);
    l->thread = g_thread_new(name, run, l);
    return l;
}

static gboolean quit_cb(gpointer arg)
{
    g_main_loop_quit(arg);
    return G_SOURCE_REMOVE;
}

void cv_loop_destroy(cv_loop_t *l)
{
    if (!l)
        return;
    if (l->thread) {
        cv_loop_invoke(l, quit_cb, l->loop);
        g_thread_join(l->thread);
    }
    drain(l); /* what was posted after the last dispatch: the thread is gone, this is its loop */
    g_source_destroy(l->pending_src);
    g_source_unref(l->pending_src);
    if (l->timer_src) {
        g_source_destroy(l->timer_src);
        g_source_unref(l->timer_src);
    }
    free(l->heap);
    g_main_loop_unref(l->loop);
    g_main_context_unref(l->ctx);
    free(l);
}

GMainContext *cv_loop_context(cv_loop_t *l)
{
    return l->ctx;
}

cv_loop_t *cv_loop_current(void)
{
    return current;
}

/* ---- the pending list: a stack pushed lock-free, taken whole ---- */

void cv_loop_post(cv_loop_t *l, cv_loop_work_t *w)
{
    cv_stats_add(CV_STAT_LOOP_POSTS, 1);
    cv_loop_work_t *head = atomic_load_explicit(&l->pending, memory_order_relaxed);
    do
        w->next = head;
    while (!atomic_compare_exchange_weak_explicit(&l->pending, &head, w, memory_order_release,
                                                  memory_order_relaxed));
    if (head)
        return; /* the loop is woken already and takes w with the rest */
    cv_stats_add(CV_STAT_LOOP_WAKEUPS, 1);
    g_source_set_ready_time(l->pending_src, 0); /* from any thread: wakes the context */
}

/* Runs everything posted so far, in the order posted. */
static void drain(cv_loop_t *l)
{
    cv_loop_work_t *w = atomic_exchange_explicit(&l->pending, NULL, memory_order_acquire);
    cv_loop_work_t *fifo = NULL;
    while (w) { /* the stack is newest first */
        cv_loop_work_t *next = w->next;
        w->next = fifo;
        fifo = w;
        w = next;
    }
    while (fifo) {
        cv_loop_work_t *next = fifo->next; /* fn may free or post w again */
        fifo->fn(fifo);
        fifo = next;
    }
}

/* ---- sharing sessions out over loops ---- */

cv_loop_t *cv_loop_pick(cv_loop_t *const *loops, int n)
{
    cv_loop_t *best = loops[0];
    for (int i = 1; i < n; i++)
        if (atomic_load(&loops[i]->users) < atomic_load(&best->users))
            best = loops[i];
    atomic_fetch_add(&best->users, 1);
    return best;
}

void cv_loop_hold(cv_loop_t *l)
{
    atomic_fetch_add(&l->users, 1);
}

void cv_loop_release(cv_loop_t *l)
{
    if (l)
        atomic_fetch_sub(&l->users, 1);
}

int cv_loop_users(cv_loop_t *l)
{
    return atomic_load(&l->users);
}

/* A source that is ready at once, as an idle source is: dispatched until its
 * callback returns G_SOURCE_REMOVE. */
static gboolean call_prepare(GSource *s, gint *timeout)
{
    *timeout = 0;
    return TRUE;
}

static gboolean call_dispatch(GSource *s, GSourceFunc fn, gpointer arg)
{
    HANDOFF_ACQUIRE(s);
    return fn(arg);
}

static GSourceFuncs call_funcs = {.prepare = call_prepare, .dispatch = call_dispatch};

void cv_loop_invoke(cv_loop_t *l, GSourceFunc fn, void *arg)
{
    GSource *s = g_source_new(&call_funcs, sizeof(GSource));
    g_source_set_priority(s, G_PRIORITY_DEFAULT);
    g_source_set_callback(s, fn, arg, NULL);
    HANDOFF_RELEASE(s);
    g_source_attach(s, l->ctx);
    g_source_unref(s);
}

struct sync_call {
    void (*fn)(void *);
    void *arg;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int done;
};

static gboolean sync_cb(gpointer p)
{
    struct sync_call *c = p;
    c->fn(c->arg);
    pthread_mutex_lock(&c->lock);
    c->done = 1;
    pthread_cond_signal(&c->cond);
    pthread_mutex_unlock(&c->lock);
    return G_SOURCE_REMOVE;
}

void cv_loop_call_sync(cv_loop_t *l, void (*fn)(void *), void *arg)
{
    struct sync_call c = {.fn = fn, .arg = arg, .done = 0};
    pthread_mutex_init(&c.lock, NULL);
    pthread_cond_init(&c.cond, NULL);
    cv_loop_invoke(l, sync_cb, &c);
    pthread_mutex_lock(&c.lock);
    while (!c.done)
        pthread_cond_wait(&c.cond, &c.lock);
    pthread_mutex_unlock(&c.lock);
    pthread_cond_destroy(&c.cond);
    pthread_mutex_destroy(&c.lock);
}

/* ---- timers: a binary min-heap on deadline under one source ---- */

static void heap_put(cv_loop_t *l, int i, cv_loop_timer_t *t)
{
    l->heap[i] = t;
    t->at = i;
}

static void sift_up(cv_loop_t *l, int i)
{
    cv_loop_timer_t *t = l->heap[i];
    while (i > 0 && l->heap[(i - 1) / 2]->deadline > t->deadline) {
        heap_put(l, i, l->heap[(i - 1) / 2]);
        i = (i - 1) / 2;
    }
    heap_put(l, i, t);
}

static void sift_down(cv_loop_t *l, int i)
{
    cv_loop_timer_t *t = l->heap[i];
    for (;;) {
        int c = 2 * i + 1;
        if (c >= l->n_heap)
            break;
        if (c + 1 < l->n_heap && l->heap[c + 1]->deadline < l->heap[c]->deadline)
            c++;
        if (l->heap[c]->deadline >= t->deadline)
            break;
        heap_put(l, i, l->heap[c]);
        i = c;
    }
    heap_put(l, i, t);
}

static void heap_remove(cv_loop_t *l, cv_loop_timer_t *t)
{
    int i = t->at;
    t->at = -1;
    cv_loop_timer_t *last = l->heap[--l->n_heap];
    if (i == l->n_heap)
        return;
    heap_put(l, i, last);
    sift_down(l, i);
    sift_up(l, last->at);
}

/* The shared source is ready once the earliest deadline has come. GLib
 * asks at each iteration (prepare, check) instead of being given a ready
 * time: g_source_set_ready_time writes the context's eventfd at every
 * change, even on the loop's own thread, and the earliest deadline of a few
 * hundred sessions moves tens of thousands of times a second. Timers are
 * set on the loop thread only, so there is never anyone to wake. */
static gboolean timers_prepare(GSource *src, gint *timeout)
{
    cv_loop_t *l = ((struct timer_source *)src)->loop;
    if (!l->n_heap) {
        *timeout = -1;
        return FALSE;
    }
    int64_t left = l->heap[0]->deadline - g_source_get_time(src);
    if (left <= 0) {
        *timeout = 0;
        return TRUE;
    }
    int64_t ms = (left + 999) / 1000; /* not early */
    *timeout = ms < INT_MAX ? (gint)ms : INT_MAX;
    return FALSE;
}

static gboolean timers_check(GSource *src)
{
    cv_loop_t *l = ((struct timer_source *)src)->loop;
    return l->n_heap && l->heap[0]->deadline <= g_source_get_time(src);
}

static gboolean timers_dispatch(GSource *src, GSourceFunc cb, gpointer ud)
{
    cv_loop_t *l = ((struct timer_source *)src)->loop;
    int64_t now = g_get_monotonic_time(); /* CLOCK_MONOTONIC, as clock.h */
    unsigned gen = ++l->dispatches;
    /* each timer at most once a dispatch: one set again in the past waits for
     * the next (at once), so other sources are not starved */
    while (l->n_heap && l->heap[0]->deadline <= now && l->heap[0]->ran != gen) {
        cv_loop_timer_t *t = l->heap[0];
        heap_remove(l, t);
        t->deadline = -1;
        t->ran = gen;
        t->fn(t->ud); /* may set or free timers: the heap is read again after */
    }
    return G_SOURCE_CONTINUE;
}

static GSourceFuncs timers_funcs = {
    .prepare = timers_prepare, .check = timers_check, .dispatch = timers_dispatch};

cv_loop_timer_t *cv_loop_timer_new(cv_loop_t *l, void (*fn)(void *ud), void *ud)
{
    if (!l->timer_src) {
        l->timer_src = g_source_new(&timers_funcs, sizeof(struct timer_source));
        ((struct timer_source *)l->timer_src)->loop = l;
        g_source_attach(l->timer_src, l->ctx);
    }
    cv_loop_timer_t *t = cv_xcalloc(1, sizeof(*t));
    *t = (cv_loop_timer_t){.loop = l, .fn = fn, .ud = ud, .deadline = -1, .at = -1};
    return t;
}

void cv_loop_timer_set(cv_loop_timer_t *t, int64_t deadline_us)
{
    cv_loop_t *l = t->loop;
    if (deadline_us == t->deadline)
        return;
    if (t->at >= 0)
        heap_remove(l, t);
    t->deadline = deadline_us < 0 ? -1 : deadline_us;
    if (t->deadline >= 0) {
        if (l->n_heap == l->heap_cap) {
            l->heap_cap = l->heap_cap ? 2 * l->heap_cap : 64;
            l->heap = cv_xrealloc(l->heap, (size_t)l->heap_cap * sizeof(*l->heap));
        }
        heap_put(l, l->n_heap++, t);
        sift_up(l, t->at);
    }
}

void cv_loop_timer_free(cv_loop_timer_t *t)
{
    if (!t)
        return;
    cv_loop_timer_set(t, -1);
    free(t);
}
