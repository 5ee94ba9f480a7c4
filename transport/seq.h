/*
 * seq.h - unwrapping of 16-bit RTP sequence numbers and 32-bit RTP timestamps into
 * monotonic 64-bit values, and serial-number comparison (RFC 1982, RFC 3550 §A.1).
 *
 * Pure: an unwrapper is plain state owned by whoever owns the stream it tracks
 * (usually the network thread of one peer). No clock, no allocation.
 */
#ifndef CV_SEQ_H
#define CV_SEQ_H

#include <stdint.h>

/* Base of the extended space: the first value seen maps to CV_SEQ_BASE + seq, so a
 * slightly older packet arriving next still gets a smaller value without underflow. */
#define CV_SEQ_BASE ((uint64_t)1 << 16)
#define CV_TS_BASE ((uint64_t)1 << 32)

/* State of one 16-bit unwrapper. Zero-initialised is valid (nothing seen yet). */
typedef struct {
    uint64_t last; /* extended value of the last call */
    int init;      /* non-zero once a value was seen */
} cv_seq_unwrap_t;

/* Extends seq to 64 bits: returns the value whose low 16 bits are seq and that is
 * nearest to the last value returned (a distance of exactly 0x8000 counts as forward).
 * The first call returns CV_SEQ_BASE + seq. The result never underflows: if the
 * nearest candidate would be negative, the next one up is taken. Every call, also for
 * an older (late) packet, becomes the new reference. Never fails. */
uint64_t cv_seq_unwrap(cv_seq_unwrap_t *u, uint16_t seq);

/* Same for 32-bit RTP timestamps; the first call returns CV_TS_BASE + ts. */
typedef struct {
    uint64_t last;
    int init;
} cv_ts_unwrap_t;

uint64_t cv_ts_unwrap(cv_ts_unwrap_t *u, uint32_t ts);

/* "a is newer than b" with serial-number arithmetic (RFC 1982 §3.2). Exactly half
 * the space apart is neither newer nor older. */
static inline int cv_seq_newer(uint16_t a, uint16_t b)
{
    return a != b && (uint16_t)(a - b) < 0x8000;
}

/* The same for 32-bit RTP timestamps. */
static inline int cv_ts_newer(uint32_t a, uint32_t b)
{
    return a != b && (uint32_t)(a - b) < 0x80000000u;
}

#endif
