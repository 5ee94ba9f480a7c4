/*
 * loop.h - a network thread: a GLib main loop on a thread of its own
 * (docs/ARCHITECTURE.md, Threads). The daemon starts [network] threads of them
 * (main.c) and shares the sessions out among them: the libnice agent, DTLS,
 * SRTP and the timer of a session run on its loop only. The first loop also
 * runs the API's tick (active speakers, event stream pings).
 */
#ifndef CV_LOOP_H
#define CV_LOOP_H

#include <glib.h>
#include <stdint.h>

typedef struct cv_loop cv_loop_t;

/* Starts the thread, named name. Never NULL: running out of memory or of
 * threads aborts. */
cv_loop_t *cv_loop_create(const char *name);
/* Stops the thread after it finished the callbacks already queued, joins it, frees. NULL ok. */
void cv_loop_destroy(cv_loop_t *l);
GMainContext *cv_loop_context(cv_loop_t *l);
/* Runs fn(arg) on the loop thread, soon. From any thread. */
void cv_loop_invoke(cv_loop_t *l, GSourceFunc fn, void *arg);
/* Runs fn(arg) on the loop thread and waits for it to return. Not from the loop thread itself. */
void cv_loop_call_sync(cv_loop_t *l, void (*fn)(void *), void *arg);

/* The loop whose thread calls this, or NULL on a thread that is no loop's. */
cv_loop_t *cv_loop_current(void);

/* Work posted to a loop from any thread: fn(w) runs on the loop thread. Every
 * item posted before the loop gets to it runs in one dispatch, in the order
 * posted, and only a post that finds the loop's list empty wakes the loop (one
 * wake-up a batch, counted as CV_STAT_LOOP_WAKEUPS, where cv_loop_invoke costs
 * one each). The poster owns w: it must not post w again before fn(w) began
 * (a flag of its own keeps it to once), and w must live until then. Items
 * still posted when the loop is destroyed run in cv_loop_destroy. */
typedef struct cv_loop_work cv_loop_work_t;
struct cv_loop_work {
    cv_loop_work_t *next; /* the loop's */
    void (*fn)(cv_loop_work_t *w);
};
void cv_loop_post(cv_loop_t *l, cv_loop_work_t *w);

/* Sharing out: the loop of loops[0..n-1] (n >= 1) with the fewest users,
 * counted one more user; cv_loop_hold counts one on a loop chosen otherwise,
 * cv_loop_release one less (NULL ok). From any thread. */
cv_loop_t *cv_loop_pick(cv_loop_t *const *loops, int n);
void cv_loop_hold(cv_loop_t *l);
void cv_loop_release(cv_loop_t *l);
int cv_loop_users(cv_loop_t *l);

/* A timer of the loop: fn(ud) runs on the loop thread once the deadline last
 * set (monotonic microseconds, the clock of clock.h) has come; -1 disarms it.
 * Every timer of a loop shares one GLib source that is ready at the earliest
 * deadline (a heap), so a thousand sessions with a timer each cost the main
 * loop one source, not a thousand. Create, set and free on the loop thread
 * only; fn may set or free any timer, itself included. */
typedef struct cv_loop_timer cv_loop_timer_t;
cv_loop_timer_t *cv_loop_timer_new(cv_loop_t *l, void (*fn)(void *ud), void *ud);
void cv_loop_timer_set(cv_loop_timer_t *t, int64_t deadline_us);
void cv_loop_timer_free(cv_loop_timer_t *t); /* NULL ok */

#endif
