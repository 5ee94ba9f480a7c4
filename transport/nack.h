/*
 * nack.h - which packets of an incoming stream to ask again for (generic
 * NACK, RFC 4585 §6.2.1). Every gap in the extended sequence numbers becomes a
 * list of missing packets; each is asked for at most CV_NACK_TRIES times,
 * retry_us apart, and forgotten when it arrives or grows older than max_age_us.
 * Pure: time is an argument. Owned by the stream's network thread.
 */
#ifndef CV_NACK_H
#define CV_NACK_H

#include <stdint.h>

#define CV_NACK_MAX 128 /* missing packets tracked at once */
#define CV_NACK_TRIES 3
#define CV_NACK_MAX_GAP 200 /* a bigger jump is a restart, not loss */

typedef struct {
    uint64_t seq;
    int64_t first_us, sent_us;
    int tries;
} cv_nack_entry_t;

typedef struct {
    cv_nack_entry_t e[CV_NACK_MAX];
    int n;
    uint64_t highest;
    int started;
    /* set by the owner (0 after init): a missing packet is first asked for
     * first_delay_us after the gap showed (the link's reordering); a packet
     * that arrives less than answer_us after it was asked for is not the
     * answer but the original, late (reordered) */
    int64_t first_delay_us, answer_us;
    uint64_t requested, recovered, given_up;
    uint64_t reordered; /* gaps filled by the original packet, late */
} cv_nack_t;

void cv_nack_init(cv_nack_t *k);
/* Forgets every missing packet and the sequence; first_delay_us and answer_us are kept. */
void cv_nack_reset(cv_nack_t *k);
/* A packet with this extended sequence number arrived at now_us. Returns how
 * long after the gap showed it came when it filled one by itself (never asked
 * for, or asked for less than answer_us before): a measure of the link's
 * reordering; else -1. */
int64_t cv_nack_on_packet(cv_nack_t *k, uint64_t seq, int64_t now_us);
/* Writes into out (at most max) the 16-bit sequence numbers to ask for now
 * (first_delay_us after the gap showed, then each retry_us),
 * in ascending order, and counts the tries. Returns how many. */
int cv_nack_poll(cv_nack_t *k, int64_t now_us, int64_t retry_us, int64_t max_age_us, uint16_t *out,
                 int max);
/* When cv_nack_poll next has something to do with retry_us and max_age_us: a
 * packet never asked for yet (now), a retry due, or an entry to give up; -1
 * when nothing is missing. */
int64_t cv_nack_next_deadline(const cv_nack_t *k, int64_t retry_us, int64_t max_age_us);

#endif
