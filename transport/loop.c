/*
 * loop.c - a GLib main loop on its own thread. Shell code: owns the thread.
 */
#include "loop.h"

#include "mem.h"

#include <pthread.h>
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

struct cv_loop {
    GMainContext *ctx;
    GMainLoop *loop;
    GThread *thread;
};

static gpointer run(gpointer arg)
{
    cv_loop_t *l = arg;
    g_main_context_push_thread_default(l->ctx);
    g_main_loop_run(l->loop);
    g_main_context_pop_thread_default(l->ctx);
    return NULL;
}

cv_loop_t *cv_loop_create(const char *name)
{
    cv_loop_t *l = cv_xcalloc(1, sizeof(*l));
    l->ctx = g_main_context_new();
    l->loop = g_main_loop_new(l->ctx, FALSE);
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
    g_main_loop_unref(l->loop);
    g_main_context_unref(l->ctx);
    free(l);
}

GMainContext *cv_loop_context(cv_loop_t *l)
{
    return l->ctx;
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
