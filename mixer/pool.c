/*
 * pool.c - a fixed set of worker threads over one job list (shell code:
 * owns threads). The lock is held to link or unlink a job, never while a job runs.
 */
#include "pool.h"

#include "mem.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

struct job {
    void (*fn)(void *);
    void *arg;
    struct job *next;
};

struct cv_pool {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    struct job *head, *tail;
    struct job *urgent_tail; /* the last urgent job queued (they are first), NULL none */
    int stopping;
    int n;
    pthread_t *threads;
};

static void *worker(void *arg)
{
    cv_pool_t *p = arg;
    for (;;) {
        pthread_mutex_lock(&p->lock);
        while (!p->head && !p->stopping)
            pthread_cond_wait(&p->cond, &p->lock);
        struct job *j = p->head;
        if (!j) {
            pthread_mutex_unlock(&p->lock);
            return NULL;
        }
        p->head = j->next;
        if (!p->head)
            p->tail = NULL;
        if (p->urgent_tail == j)
            p->urgent_tail = NULL;
        pthread_mutex_unlock(&p->lock);
        j->fn(j->arg);
        free(j);
    }
}

cv_pool_t *cv_pool_create(int n)
{
    if (n < 1 || n > 64)
        return NULL;
    cv_pool_t *p = cv_xcalloc(1, sizeof(*p));
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->cond, NULL);
    p->threads = cv_xcalloc((size_t)n, sizeof(pthread_t));
    for (int i = 0; i < n; i++) {
        if (pthread_create(&p->threads[i], NULL, worker, p) != 0)
            break;
        char name[16]; /* the kernel keeps 15 characters; n is at most 64 */
        snprintf(name, sizeof(name), "cv-mix-%u", (unsigned)i % 64u);
        pthread_setname_np(p->threads[i], name);
        p->n++;
    }
    if (p->n == 0) {
        cv_pool_destroy(p);
        return NULL;
    }
    return p;
}

void cv_pool_destroy(cv_pool_t *p)
{
    if (!p)
        return;
    pthread_mutex_lock(&p->lock);
    p->stopping = 1;
    pthread_cond_broadcast(&p->cond);
    pthread_mutex_unlock(&p->lock);
    for (int i = 0; i < p->n; i++)
        pthread_join(p->threads[i], NULL);
    free(p->threads);
    pthread_cond_destroy(&p->cond);
    pthread_mutex_destroy(&p->lock);
    free(p);
}

int cv_pool_size(const cv_pool_t *p)
{
    return p->n;
}

void cv_pool_submit_urgent(cv_pool_t *p, void (*fn)(void *), void *arg)
{
    struct job *j = cv_xmalloc(sizeof(*j));
    j->fn = fn;
    j->arg = arg;
    pthread_mutex_lock(&p->lock);
    struct job **at = p->urgent_tail ? &p->urgent_tail->next : &p->head;
    j->next = *at;
    *at = j;
    if (!j->next)
        p->tail = j;
    p->urgent_tail = j;
    pthread_cond_signal(&p->cond);
    pthread_mutex_unlock(&p->lock);
}

void cv_pool_submit(cv_pool_t *p, void (*fn)(void *), void *arg)
{
    struct job *j = cv_xmalloc(sizeof(*j));
    j->fn = fn;
    j->arg = arg;
    j->next = NULL;
    pthread_mutex_lock(&p->lock);
    if (p->tail)
        p->tail->next = j;
    else
        p->head = j;
    p->tail = j;
    pthread_cond_signal(&p->cond);
    pthread_mutex_unlock(&p->lock);
}
