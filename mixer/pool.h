/*
 * pool.h - the mixer's worker threads ([mixer] threads in the ini). Jobs are
 * run in submission order by whichever worker is free; decode, composite and
 * encode jobs of independent rooms spread over the workers. Urgent jobs (the
 * rooms' audio ticks) go before every job that is not, and one more worker
 * (cv-mix-audio) takes only them: on a machine that falls behind, the sound
 * keeps its 20 ms even while every other worker is in a long video tick.
 */
#ifndef CV_POOL_H
#define CV_POOL_H

typedef struct cv_pool cv_pool_t;

/* Starts n workers (1..64), and the urgent jobs' own worker. */
cv_pool_t *cv_pool_create(int n);
/* Runs the jobs already queued, then joins the workers. NULL ok. */
void cv_pool_destroy(cv_pool_t *p);
/* The number of workers, n of cv_pool_create. */
int cv_pool_size(const cv_pool_t *p);
/* Queues fn(arg) to run on a worker. From any thread. */
void cv_pool_submit(cv_pool_t *p, void (*fn)(void *), void *arg);
/* The same, before every queued job that is not urgent (after the urgent
 * ones already queued). */
void cv_pool_submit_urgent(cv_pool_t *p, void (*fn)(void *), void *arg);

#endif
