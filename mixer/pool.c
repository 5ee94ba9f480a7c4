/*
 * pool.c - a fixed set of worker threads over one job list, and one more
 * worker that takes only the urgent jobs (shell code: owns threads). The
 * lock is held to link or unlink a job, never while a job runs.
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
    pthread_cond_t cond;  /* a job was queued */
    pthread_cond_t ucond; /* an urgent job was queued (for the urgent worker) */
    struct job *head, *tail;
    struct job *urgent_tail; /* the last urgent job queued (they are first), NULL none */
    int stopping;
    int n;
    pthread_t *threads;
    pthread_t urgent_thread;
    int urgent_started;
};

/* Runs jobs until the pool stops and nothing is queued. The urgent worker
 * takes only the urgent ones (they are at the head while urgent_tail is
 * set), so a long plain job on every other worker never holds them up. */
static void *work(cv_pool_t *p, int urgent_only)
{
    pthread_cond_t *cond = urgent_only ? &p->ucond : &p->cond;
    for (;;) {
        pthread_mutex_lock(&p->lock);
        while (!(urgent_only ? p->urgent_tail : p->head) && !p->stopping)
            pthread_cond_wait(cond, &p->lock);
        struct job *j = urgent_only ? (p->urgent_tail ? p->head : NULL) : p->head;
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

static void *worker(void *arg)
{
    return work(arg, 0);
}

static void *urgent_worker(void *arg)
{
    return work(arg, 1);
}

cv_pool_t *cv_pool_create(int n)
{
    if (n < 1 || n > 64)
        return NULL;
    cv_pool_t *p = cv_xcalloc(1, sizeof(*p));
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->cond, NULL);
    pthread_cond_init(&p->ucond, NULL);
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
    if (pthread_create(&p->urgent_thread, NULL, urgent_worker, p) == 0) {
        pthread_setname_np(p->urgent_thread, "cv-mix-audio");
        p->urgent_started = 1;
    } /* else the other workers take the urgent jobs too, first */
    return p;
}

void cv_pool_destroy(cv_pool_t *p)
{
    if (!p)
        return;
    pthread_mutex_lock(&p->lock);
    p->stopping = 1;
    pthread_cond_broadcast(&p->cond);
    pthread_cond_broadcast(&p->ucond);
    pthread_mutex_unlock(&p->lock);
    for (int i = 0; i < p->n; i++)
        pthread_join(p->threads[i], NULL);
    if (p->urgent_started)
        pthread_join(p->urgent_thread, NULL);
    free(p->threads);
    pthread_cond_destroy(&p->cond);
    pthread_cond_destroy(&p->ucond);
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
    pthread_cond_signal(&p->ucond);
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
