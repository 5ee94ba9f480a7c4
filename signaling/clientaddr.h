/*
 * clientaddr.h - what the per-client limits count a client by, and a bounded
 * count of the requests each client has open at once.
 *
 * An IPv4 address is one client; an IPv6 client is its /64, the block a
 * single subscriber line or host is commonly given, so that walking through
 * the addresses of one's own prefix does not multiply one's share.
 *
 * The open-request count keeps no address: two rows of counters indexed by
 * two keyed hashes of the client; a client's count is the smaller of its two
 * counters. Clients that collide in both rows share a count (so are limited
 * a little early), never the other way round; the memory is fixed.
 *
 * Pure: no clock, no lock (the caller serialises calls), no I/O.
 */
#ifndef CV_CLIENTADDR_H
#define CV_CLIENTADDR_H

#include <stddef.h>
#include <stdint.h>

#define CV_CLIENT_KEY_MAX 48 /* bytes of a key, with its NUL */

/* The key of client address ip (an IPv4 or IPv6 literal): "192.0.2.7",
 * "2001:db8:1:2::/64" for any address of that /64, the IPv4 address for an
 * IPv4-mapped IPv6 one. 0, or -1 when ip is not an address literal. */
int cv_client_key(const char *ip, char *out, size_t cap);

/* A keyed 64-bit hash of a client key (never 0), for per-client state that
 * must not hold the address. */
uint64_t cv_client_hash(uint64_t seed, const char *key);

typedef struct cv_openreq cv_openreq_t;

/* counters: in each row, rounded up to a power of two (at least 64). seed
 * keys the hashes. Never NULL (out of memory aborts). */
cv_openreq_t *cv_openreq_create(size_t counters, uint64_t seed);
void cv_openreq_destroy(cv_openreq_t *t); /* NULL ok */
/* The token of a client key, for take and give (never 0). */
uint64_t cv_openreq_token(const cv_openreq_t *t, const char *key);
/* One more open request of that client if it has fewer than limit (> 0)
 * open: returns 1 (counted; give it back with cv_openreq_give), else 0. */
int cv_openreq_take(cv_openreq_t *t, uint64_t token, int limit);
void cv_openreq_give(cv_openreq_t *t, uint64_t token);
/* The client's open requests as counted (the smaller of its two counters). */
int cv_openreq_count(const cv_openreq_t *t, uint64_t token);

#endif
