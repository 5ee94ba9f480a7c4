/*
 * ratelimit.h - events per client address per minute, in bounded memory.
 *
 * A fixed table of slots, each holding a keyed hash of an address (never the
 * address itself), the start of its one-minute window and the events counted
 * in it. A slot whose window is over is free again: an address is forgotten
 * CV_RATELIMIT_WINDOW_US after its first counted event. When every slot an
 * address may use is taken, the one with the oldest window is reused, so a
 * flood of addresses costs nothing but precision.
 *
 * A token bucket (cv_bucket_t) limits one sender the same way in a few
 * bytes, smoothly rather than by windows.
 *
 * Pure: no clock (now_us comes in), no lock (the caller serialises calls),
 * no I/O. One owner at a time.
 */
#ifndef CV_RATELIMIT_H
#define CV_RATELIMIT_H

#include <stddef.h>
#include <stdint.h>

#define CV_RATELIMIT_WINDOW_US 60000000LL /* one minute */

typedef struct cv_ratelimit cv_ratelimit_t;

/* slots: how many addresses are tracked at once (rounded up to a power of
 * two, at least 16). seed keys the hash, so that nobody can choose addresses
 * that collide. Never NULL (out of memory aborts). */
cv_ratelimit_t *cv_ratelimit_create(size_t slots, uint64_t seed);
void cv_ratelimit_destroy(cv_ratelimit_t *rl); /* NULL ok */

/* Counts one event of address addr (any string: "192.0.2.7", "::1") at now_us
 * against at most limit events a window. Returns 0 when allowed (and counted),
 * else the whole seconds (>= 1) until the address's window ends; a refused
 * event is not counted. limit <= 0 allows everything and counts nothing. */
int cv_ratelimit_hit(cv_ratelimit_t *rl, const char *addr, int limit, int64_t now_us);

/* Addresses remembered at now_us (windows not yet over). */
size_t cv_ratelimit_count(const cv_ratelimit_t *rl, int64_t now_us);

/* A token bucket of one sender (a session's commands): up to `burst` events
 * at once, then one each 1/rate s. Kept as the time its bucket would be full
 * again (the generic cell rate algorithm, RFC 2475's token bucket in one
 * number). A zeroed bucket is full. */
typedef struct {
    int64_t full_at_us;
} cv_bucket_t;

/* Takes one event at now_us from b (rate events a second, at most burst at
 * once; both >= 1). Returns 0 when allowed (and counted), else the whole
 * seconds (>= 1) until one is allowed again; a refused event is not counted. */
int cv_bucket_take(cv_bucket_t *b, int rate, int burst, int64_t now_us);

#endif
