/*
 * queue.c - bounded pointer queue guarded by a mutex. Any thread.
 */
#include "queue.h"

#include "err.h"
#include "mem.h"

#include <stdlib.h>

void cv_queue_init(cv_queue_t *q, size_t cap)
{
    pthread_mutex_init(&q->lock, NULL);
    q->items = cv_xcalloc(cap, sizeof(void *));
    q->cap = cap;
    q->head = q->count = 0;
    q->drops = 0;
}

void cv_queue_cleanup(cv_queue_t *q, void (*free_fn)(void *))
{
    if (!q->items)
        return;
    void *it;
    while ((it = cv_queue_pop(q)))
        if (free_fn)
            free_fn(it);
    free(q->items);
    q->items = NULL;
    pthread_mutex_destroy(&q->lock);
}

int cv_queue_push(cv_queue_t *q, void *item)
{
    int rc = 0;
    pthread_mutex_lock(&q->lock);
    if (q->count == q->cap) {
        q->drops++;
        rc = CV_E_FULL;
    } else {
        q->items[(q->head + q->count) % q->cap] = item;
        q->count++;
    }
    pthread_mutex_unlock(&q->lock);
    return rc;
}

void *cv_queue_pop(cv_queue_t *q)
{
    void *it = NULL;
    pthread_mutex_lock(&q->lock);
    if (q->count) {
        it = q->items[q->head];
        q->head = (q->head + 1) % q->cap;
        q->count--;
    }
    pthread_mutex_unlock(&q->lock);
    return it;
}
