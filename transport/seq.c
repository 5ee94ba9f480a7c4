/*
 * seq.c - unwrapping of RTP sequence numbers (RFC 3550 §A.1,
 * serial-number arithmetic of RFC 1982). Pure; the caller owns the state.
 */
#include "seq.h"

uint64_t cv_seq_unwrap(cv_seq_unwrap_t *u, uint16_t seq)
{
    if (!u->init) {
        u->init = 1;
        u->last = CV_SEQ_BASE + seq;
        return u->last;
    }
    /* Signed distance from the last value, in [-0x8000, 0x7fff]; 0x8000 itself is
     * taken as forward so that a stream advancing by half the space still advances. */
    uint16_t diff = (uint16_t)(seq - (uint16_t)u->last);
    uint64_t ext;
    if (diff <= 0x8000) {
        ext = u->last + diff;
    } else {
        uint64_t back = 0x10000u - diff;
        /* Never below zero: then take the candidate one cycle up. */
        ext = u->last >= back ? u->last - back : u->last + diff;
    }
    u->last = ext;
    return ext;
}
