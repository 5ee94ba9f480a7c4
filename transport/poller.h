/*
 * poller.h - GLib's poll(2) done with epoll, for the network loops (loop.c).
 *
 * A GLib main loop hands its poll function the whole set of descriptors at
 * every wake-up: poll(2) then walks every socket of every session of the
 * loop in the kernel, twice (to wait, to stop waiting), whether anything came
 * on it or not. At a few thousand wake-ups a second over a few hundred
 * sockets that was a quarter of the daemon's CPU. The poller keeps the set
 * in an epoll instance instead and goes to the kernel about it only when the
 * array is not the last one (compared in user space); the wait then costs
 * what is ready, not what is open.
 *
 * What the comparison cannot see: a descriptor closed and a new one opened
 * under the same number between two calls, asking for the same events. The
 * kernel forgot the old registration at the close, and the entry looks the
 * same. So every CV_POLLER_RESYNC_US every descriptor is registered again
 * (the kernel answers "already there" for all but such a one, counted as
 * CV_STAT_POLL_REARMED): a socket that took a closed one's number is heard
 * at most that late, once. Not at every change of the array: a socket
 * waiting to write on a slow TCP link comes and goes from it many times a
 * second.
 */
#ifndef CV_POLLER_H
#define CV_POLLER_H

#include <glib.h>
#include <stdint.h>

#define CV_POLLER_RESYNC_US 100000

typedef struct cv_poller cv_poller_t;

/* NULL when the kernel refuses an epoll instance. */
cv_poller_t *cv_poller_new(void);
void cv_poller_free(cv_poller_t *p); /* NULL ok */

/* poll(2) over fds[0..n-1] (GLib's GPollFD; negative descriptors ignored, a
 * descriptor may appear more than once): waits at most timeout_ms (-1: no
 * limit), fills every revents, returns how many entries have any, 0 on
 * time-out, -1 with errno on an error (EINTR included). now_us (monotonic)
 * paces the re-registration. A closed descriptor still in fds reads
 * G_IO_NVAL, as poll(2) says. One thread at a time. */
int cv_poller_poll(cv_poller_t *p, GPollFD *fds, unsigned n, int timeout_ms, int64_t now_us);

/* A GLib poll function (g_main_context_set_poll_func) on a poller of the
 * calling thread's own, made at its first call (poll(2) if the kernel
 * refuses one); each call counted as CV_STAT_LOOP_POLLS. A thread that ran
 * it frees its poller with cv_poller_thread_done before it ends. */
gint cv_poller_gpoll(GPollFD *fds, guint n, gint timeout_ms);
void cv_poller_thread_done(void);

#endif
