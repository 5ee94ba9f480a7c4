/*
 * seq.h - unwrapping of 16-bit RTP sequence numbers into monotonic 64-bit
 * values (RFC 3550 §A.1, serial-number arithmetic of RFC 1982).
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

#endif
