/*
 * loop.h - the network thread: a GLib main loop on a thread of its own
 * (docs/ARCHITECTURE.md, Threads). The daemon starts one (main.c); the libnice
 * agents, DTLS, SRTP and the media sessions' timers of all sessions run on it,
 * and so does the API's tick (active speakers, event stream pings).
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
