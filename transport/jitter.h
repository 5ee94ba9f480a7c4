/*
 * jitter.h - a reorder buffer for one incoming RTP stream.
 *
 * Holds up to CV_JITTER_SLOTS packets keyed by extended sequence number (RFC 3550 §A.1
 * style, unwrapped by the caller) and releases them in order. A missing packet is waited
 * for at most max_wait_us after a later packet arrived, then skipped: the consumer sees the
 * gap in the sequence numbers (and may NACK / PLI). Duplicates and packets older than the
 * release point are dropped and counted. Packet bytes are copied in, each packet into
 * a block of its own size, freed once it is released and the caller is done with it.
 *
 * Pure: no clock, time is an argument (now_us, any monotonic microsecond clock). One owner
 * thread (the network thread of the stream). The struct is defined here so it can be
 * embedded: cv_jitter_init / cv_jitter_cleanup; only the packets held are on the heap.
 */
#ifndef CV_JITTER_H
#define CV_JITTER_H

#include <stddef.h>
#include <stdint.h>

#define CV_JITTER_SLOTS 128
#define CV_JITTER_MTU 1500

typedef struct {
    uint64_t seq;
    int64_t arrival_us;
    size_t len; /* 0: empty */
    uint8_t *data;
} cv_jitter_slot_t;

typedef struct cv_jitter {
    cv_jitter_slot_t slot[CV_JITTER_SLOTS]; /* slot[seq % CV_JITTER_SLOTS] */
    uint8_t *lent;                          /* the packet the last pop handed out */
    int64_t max_wait_us;
    uint64_t next;  /* extended seq released next; held packets are in [next, next+SLOTS) */
    int started;    /* next is valid */
    int hurry;      /* the window overflowed: release without waiting until empty */
    unsigned count; /* packets held */
    /* counters */
    uint64_t pushed;     /* packets stored */
    uint64_t popped;     /* packets released */
    uint64_t duplicates; /* same seq already held */
    uint64_t late;       /* older than the release point (late or duplicate of a released one) */
    uint64_t lost;       /* sequence numbers skipped after waiting */
    uint64_t overflows;  /* pushes refused with CV_E_FULL */
    uint64_t resets;     /* window moved to a far-ahead packet while empty */
    uint64_t bad;        /* empty or too large packets */
} cv_jitter_t;

/* An empty buffer. max_wait_us: e.g. 40000 for video. */
void cv_jitter_init(cv_jitter_t *j, int64_t max_wait_us);
/* Frees the packets held. Safe on a zeroed or already cleaned-up struct. */
void cv_jitter_cleanup(cv_jitter_t *j);
/* Drops every held packet and forgets the sequence (e.g. the SSRC changed); counters kept. */
void cv_jitter_reset(cv_jitter_t *j);

/* Copies a packet in. The first packet sets the release point. A packet at least
 * CV_JITTER_SLOTS ahead of the release point moves the window to it when the buffer is
 * empty (a jump: the consumer sees the gap); when packets are held it is refused with
 * CV_E_FULL and waiting is cut short: the next pops release the held packets (skipping
 * holes) at once, and the caller should pop what is ready and push this packet again.
 * Returns 1 when stored, 0 when dropped as duplicate or late (counted), CV_E_INVAL for an
 * empty packet, CV_E_NOSPACE for one over CV_JITTER_MTU bytes, CV_E_FULL as above. */
int cv_jitter_push(cv_jitter_t *j, uint64_t ext_seq, const uint8_t *pkt, size_t len,
                   int64_t now_us);

/* Pops the next packet in order when it is there, or when the wait for the missing ones
 * before it has expired (they are skipped and counted in lost). Returns its length (> 0)
 * and sets *ext_seq and *data (borrowed until the next push, pop or reset), or 0 when
 * nothing is ready. */
int cv_jitter_pop(cv_jitter_t *j, int64_t now_us, uint64_t *ext_seq, const uint8_t **data);

/* Absolute time (us) from which a pop succeeds: the time a missing packet stops being
 * waited for; a value in the past (<= the now of the last push) when a packet is ready now;
 * -1 when the buffer is empty. */
int64_t cv_jitter_next_deadline(const cv_jitter_t *j);

#endif
