/*
 * queue.h - a bounded queue of owned pointers between threads.
 *
 * Hand-off between the network loop and the mixer workers
 * (docs/ARCHITECTURE.md, Threads): the producer gives up ownership on a
 * successful push; on a full queue push fails and the caller keeps (and
 * usually frees and counts) the item. The lock is held for a pointer copy
 * only.
 */
#ifndef CV_QUEUE_H
#define CV_QUEUE_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
    pthread_mutex_t lock;
    void **items;
    size_t cap, head, count;
    uint64_t drops; /* pushes refused because the queue was full */
} cv_queue_t;

void cv_queue_init(cv_queue_t *q, size_t cap);
/* Frees remaining items with free_fn (may be NULL) and the storage. */
void cv_queue_cleanup(cv_queue_t *q, void (*free_fn)(void *));
/* Takes ownership of item on success (returns 0); returns CV_E_FULL otherwise. */
int cv_queue_push(cv_queue_t *q, void *item);
/* Returns the oldest item (caller owns it) or NULL. */
void *cv_queue_pop(cv_queue_t *q);

#endif
