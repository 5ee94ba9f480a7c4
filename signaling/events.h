/*
 * events.h - server-sent events (text/event-stream, HTML Living Standard
 * §9.2) for the browser client: each subscriber is one open HTTP response of
 * one session in one room; publishing appends to every subscriber's buffer of
 * that room and wakes its connection.
 *
 * Threads: publish from any thread; the libmicrohttpd threads read. A lock
 * guards the subscriber list and buffers and is held for a copy only.
 */
#ifndef CV_EVENTS_H
#define CV_EVENTS_H

#include <microhttpd.h>
#include <stdint.h>

/* A subscriber this far behind is dropped; an event longer than half of it
 * (the roster of a room of several hundred) is taken while at most half of it
 * waits before, up to CV_EVENTS_MAX_EVENT bytes (a roster of 1000). */
#define CV_EVENTS_MAX_BUFFER 65536
#define CV_EVENTS_MAX_EVENT (1 << 20)
#define CV_EVENTS_STALL_US 10000000LL /* so is one whose reader took nothing this long */

typedef struct cv_events cv_events_t;

cv_events_t *cv_events_create(void);
/* The HTTP server's hooks (called under the hub's lock: they must not call
 * back): cut(ud, c) for the connection of a stream that is dropped, to
 * close it even if its reader takes nothing more; gone(ud, c), asked by
 * cv_events_reap, is 1 when that connection's client hung up or stalled
 * (a waiting stream would see it only at its next write). NULL: none. */
void cv_events_set_conn_hooks(cv_events_t *ev, void (*cut)(void *ud, struct MHD_Connection *c),
                              int (*gone)(void *ud, struct MHD_Connection *c), void *ud);
/* Ends every stream, then frees. NULL ok. Call before stopping the HTTP server. */
void cv_events_destroy(cv_events_t *ev);
/* The streaming response of one subscriber of `room` that belongs to session
 * `session_id` (so it can be ended with that session), starting with
 * `initial` (already formatted events); the session's stream before it, if
 * any, ends at once. NULL on failure. The connection must come from a
 * daemon started with MHD_ALLOW_SUSPEND_RESUME. */
struct MHD_Response *cv_events_subscribe(cv_events_t *ev, struct MHD_Connection *c,
                                         const char *room, const char *session_id,
                                         const char *initial);
/* Formats "event: <name>\ndata: <json>\n\n" to every subscriber of room.
 * json must be one line. */
void cv_events_publish(cv_events_t *ev, const char *room, const char *name, const char *json);
/* The same to the subscribers of one session only. */
void cv_events_publish_to(cv_events_t *ev, const char *session_id, const char *name,
                          const char *json);
/* The same to every subscriber of every room. */
void cv_events_broadcast(cv_events_t *ev, const char *name, const char *json);
/* Ends the streams of a session (it left). */
void cv_events_end_session(cv_events_t *ev, const char *session_id);
/* A comment line to every stream, so proxies keep idle streams open. */
void cv_events_ping(cv_events_t *ev);
/* Ends, without their unsent events, the streams that had events waiting
 * and took none for CV_EVENTS_STALL_US up to now_us (cv_now_us()), and
 * those whose client is gone; returns how many. Call it every second. */
int cv_events_reap(cv_events_t *ev, int64_t now_us);
/* Rooms with at least one subscriber are listed by calling fn(room, ud). */
void cv_events_each_room(cv_events_t *ev, void (*fn)(const char *room, void *ud), void *ud);
int cv_events_count(cv_events_t *ev);
/* Ends every stream and waits (up to wait_ms) until the HTTP server has
 * closed them all. Returns 0, or -1 if some are still open. */
int cv_events_end_all(cv_events_t *ev, int64_t wait_ms);

#endif
