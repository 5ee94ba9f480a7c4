/*
 * settings.c - refcounted immutable snapshots of the configuration behind
 * one lock held for a pointer copy (shell: threads).
 */
#include "settings.h"

#include "mem.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdlib.h>

struct snap {
    cv_config_t c; /* first: a held cv_config_t * is a struct snap * */
    atomic_int refs;
};

struct cv_settings {
    pthread_mutex_t lock;
    struct snap *cur;
};

static struct snap *snap_new(const cv_config_t *c)
{
    struct snap *n = cv_xmalloc(sizeof(*n));
    n->c = *c;
    atomic_init(&n->refs, 1); /* the store's */
    return n;
}

static void snap_unref(struct snap *n)
{
    if (n && atomic_fetch_sub(&n->refs, 1) == 1)
        free(n);
}

cv_settings_t *cv_settings_create(const cv_config_t *c)
{
    cv_settings_t *s = cv_xcalloc(1, sizeof(*s));
    pthread_mutex_init(&s->lock, NULL);
    s->cur = snap_new(c);
    return s;
}

void cv_settings_destroy(cv_settings_t *s)
{
    if (!s)
        return;
    snap_unref(s->cur);
    pthread_mutex_destroy(&s->lock);
    free(s);
}

const cv_config_t *cv_settings_hold(cv_settings_t *s)
{
    pthread_mutex_lock(&s->lock);
    struct snap *n = s->cur;
    atomic_fetch_add(&n->refs, 1);
    pthread_mutex_unlock(&s->lock);
    return &n->c;
}

void cv_settings_release(const cv_config_t *c)
{
    if (c)
        snap_unref((struct snap *)(void *)c);
}

void cv_settings_replace(cv_settings_t *s, const cv_config_t *c)
{
    struct snap *n = snap_new(c);
    pthread_mutex_lock(&s->lock);
    struct snap *old = s->cur;
    s->cur = n;
    pthread_mutex_unlock(&s->lock);
    snap_unref(old);
}
