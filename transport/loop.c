/*
 * loop.c - a GLib main loop on its own thread. Shell code: owns the thread.
 */
#include "loop.h"

#include "mem.h"

#include <pthread.h>
#include <stdlib.h>

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

void cv_loop_invoke(cv_loop_t *l, GSourceFunc fn, void *arg)
{
    GSource *s = g_idle_source_new();
    g_source_set_priority(s, G_PRIORITY_DEFAULT);
    g_source_set_callback(s, fn, arg, NULL);
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
