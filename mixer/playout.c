/*
 * playout.c - audio playout buffer. Pure.
 */
#include "playout.h"

#include <string.h>

#define MAX_MISSES 3 /* conceal up to 60 ms, then stop and buffer again */

void cv_playout_init(cv_playout_t *p, int target)
{
    memset(p, 0, sizeof(*p));
    p->target = target < 1 ? 1 : target > CV_PLAYOUT_SLOTS / 2 ? CV_PLAYOUT_SLOTS / 2 : target;
}

static void drop_slot(cv_playout_t *p, int i)
{
    if (p->slot[i]) {
        cv_frame_unref(p->slot[i]);
        p->slot[i] = NULL;
        p->count--;
    }
}

void cv_playout_cleanup(cv_playout_t *p)
{
    for (int i = 0; i < CV_PLAYOUT_SLOTS; i++)
        drop_slot(p, i);
}

static uint64_t lowest_seq(const cv_playout_t *p)
{
    uint64_t lo = UINT64_MAX;
    for (int i = 0; i < CV_PLAYOUT_SLOTS; i++)
        if (p->slot[i] && p->slot[i]->seq < lo)
            lo = p->slot[i]->seq;
    return lo;
}

void cv_playout_push(cv_playout_t *p, cv_frame_t *f)
{
    if (p->started && f->seq < p->next_seq) {
        p->late++;
        cv_frame_unref(f);
        return;
    }
    if (p->count && (f->seq >= lowest_seq(p) + CV_PLAYOUT_SLOTS ||
                     (p->started && f->seq >= p->next_seq + CV_PLAYOUT_SLOTS))) {
        /* far ahead of what we hold: the sender jumped; start over from here */
        cv_playout_cleanup(p);
        p->started = 0;
        p->skipped++;
    }
    int i = (int)(f->seq % CV_PLAYOUT_SLOTS);
    if (p->slot[i]) {
        if (p->slot[i]->seq == f->seq) {
            p->duplicates++;
            cv_frame_unref(f);
            return;
        }
        drop_slot(p, i);
    }
    p->slot[i] = f;
    p->count++;
}

int cv_playout_pop(cv_playout_t *p, cv_frame_t **f, const cv_frame_t **fec)
{
    *f = NULL;
    *fec = NULL;
    if (!p->started) {
        if (p->count < p->target)
            return CV_PLAYOUT_SILENT;
        p->started = 1;
        p->misses = 0;
        p->next_seq = lowest_seq(p);
    }
    /* too much buffered (a burst after a stall): catch up to the target */
    while (p->count > p->target + 2) {
        drop_slot(p, (int)(p->next_seq % CV_PLAYOUT_SLOTS));
        p->next_seq++;
        p->skipped++;
    }
    int i = (int)(p->next_seq % CV_PLAYOUT_SLOTS);
    if (p->slot[i] && p->slot[i]->seq == p->next_seq) {
        *f = p->slot[i];
        p->slot[i] = NULL;
        p->count--;
        p->next_seq++;
        p->misses = 0;
        p->played++;
        return CV_PLAYOUT_FRAME;
    }
    if (p->count == 0 && ++p->misses > MAX_MISSES) {
        p->started = 0;
        return CV_PLAYOUT_SILENT;
    }
    int j = (int)((p->next_seq + 1) % CV_PLAYOUT_SLOTS);
    if (p->slot[j] && p->slot[j]->seq == p->next_seq + 1)
        *fec = p->slot[j];
    p->next_seq++;
    p->lost++;
    return CV_PLAYOUT_LOST;
}
