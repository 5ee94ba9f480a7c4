/*
 * loop.h - network threads: each runs a GLib main loop that owns a set of
 * libnice agents (docs/ARCHITECTURE.md, Threads). The daemon starts one
 * (signaling/main.c) and every session lives on it.
 */
#ifndef CV_LOOP_H
#define CV_LOOP_H

#include <glib.h>

typedef struct cv_loop cv_loop_t;

/* Starts one network thread. NULL on failure. */
cv_loop_t *cv_loop_create(const char *name);
/* Stops the thread after it finished the callbacks already queued, joins it, frees. NULL ok. */
void cv_loop_destroy(cv_loop_t *l);
GMainContext *cv_loop_context(cv_loop_t *l);
/* Runs fn(arg) on the loop thread, soon. From any thread. */
void cv_loop_invoke(cv_loop_t *l, GSourceFunc fn, void *arg);
/* Runs fn(arg) on the loop thread and waits for it to return. Not from the loop thread itself. */
void cv_loop_call_sync(cv_loop_t *l, void (*fn)(void *), void *arg);

#endif
