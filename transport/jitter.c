/*
 * jitter.c - reorder buffer for one incoming RTP stream, keyed by extended sequence
 * number (RFC 3550). Pure (time is an argument); owned by the stream's network thread.
 */
#include "jitter.h"

#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "mem.h"

void cv_jitter_init(cv_jitter_t *j, int64_t max_wait_us)
{
    memset(j, 0, sizeof(*j));
    j->max_wait_us = max_wait_us < 0 ? 0 : max_wait_us;
}

/* The packet handed out by the last pop is the caller's only until the next call. */
static void take_back(cv_jitter_t *j)
{
    free(j->lent);
    j->lent = NULL;
}

void cv_jitter_reset(cv_jitter_t *j)
{
    take_back(j);
    for (size_t i = 0; i < CV_JITTER_SLOTS; i++) {
        free(j->slot[i].data);
        j->slot[i].data = NULL;
        j->slot[i].len = 0;
    }
    j->count = 0;
    j->started = 0;
    j->hurry = 0;
}

void cv_jitter_cleanup(cv_jitter_t *j)
{
    if (j)
        cv_jitter_reset(j);
}

static cv_jitter_slot_t *slot_of(cv_jitter_t *j, uint64_t seq)
{
    return &j->slot[seq % CV_JITTER_SLOTS];
}

static int holds(const cv_jitter_t *j, uint64_t seq)
{
    const cv_jitter_slot_t *s = &j->slot[seq % CV_JITTER_SLOTS];
    return s->len && s->seq == seq;
}

int cv_jitter_push(cv_jitter_t *j, uint64_t ext_seq, const uint8_t *pkt, size_t len, int64_t now_us)
{
    take_back(j);
    if (!pkt || len == 0) {
        j->bad++;
        return CV_E_INVAL;
    }
    if (len > CV_JITTER_MTU) {
        j->bad++;
        return CV_E_NOSPACE;
    }
    if (!j->started) {
        j->started = 1;
        j->next = ext_seq;
    }
    if (ext_seq < j->next) {
        j->late++;
        return 0;
    }
    if (ext_seq - j->next >= CV_JITTER_SLOTS) {
        if (j->count) {
            j->overflows++;
            j->hurry = 1;
            return CV_E_FULL;
        }
        j->resets++;
        j->next = ext_seq;
    }
    cv_jitter_slot_t *s = slot_of(j, ext_seq);
    if (holds(j, ext_seq)) {
        j->duplicates++;
        return 0;
    }
    /* the window [next, next + SLOTS) maps one seq to each slot, so s is free */
    s->data = cv_xmalloc(len);
    memcpy(s->data, pkt, len);
    s->len = len;
    s->seq = ext_seq;
    s->arrival_us = now_us;
    j->count++;
    j->pushed++;
    return 1;
}

/* Lowest held seq and earliest arrival among held packets; count must be > 0. */
static void scan(const cv_jitter_t *j, uint64_t *lowest, int64_t *earliest)
{
    unsigned seen = 0;
    int first = 1;
    for (unsigned i = 0; seen < j->count && i < CV_JITTER_SLOTS; i++) {
        uint64_t seq = j->next + i;
        if (!holds(j, seq))
            continue;
        const cv_jitter_slot_t *s = &j->slot[seq % CV_JITTER_SLOTS];
        if (first) {
            *lowest = seq;
            *earliest = s->arrival_us;
            first = 0;
        } else if (s->arrival_us < *earliest) {
            *earliest = s->arrival_us;
        }
        seen++;
    }
}

int cv_jitter_pop(cv_jitter_t *j, int64_t now_us, uint64_t *ext_seq, const uint8_t **data)
{
    take_back(j);
    if (j->count == 0) {
        j->hurry = 0;
        return 0;
    }
    if (!holds(j, j->next)) {
        /* a hole: every held packet is later than it, so it has been missing since the
         * earliest of them arrived */
        uint64_t lowest = j->next;
        int64_t earliest = 0;
        scan(j, &lowest, &earliest);
        if (!j->hurry && now_us - earliest < j->max_wait_us)
            return 0;
        j->lost += lowest - j->next;
        j->next = lowest;
    }
    cv_jitter_slot_t *s = slot_of(j, j->next);
    size_t n = s->len;
    *ext_seq = s->seq;
    *data = j->lent = s->data;
    s->data = NULL;
    s->len = 0;
    j->count--;
    j->next++;
    j->popped++;
    if (j->count == 0)
        j->hurry = 0;
    return (int)n;
}

int64_t cv_jitter_next_deadline(const cv_jitter_t *j)
{
    if (j->count == 0)
        return -1;
    if (holds(j, j->next))
        return j->slot[j->next % CV_JITTER_SLOTS].arrival_us;
    uint64_t lowest = j->next;
    int64_t earliest = 0;
    scan(j, &lowest, &earliest);
    return j->hurry ? earliest : earliest + j->max_wait_us;
}
