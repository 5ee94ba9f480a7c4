/*
 * playout.h - the audio playout buffer of one input: Opus packets (one per
 * 20 ms, RFC 7587) arrive with extended sequence numbers, in any order; each
 * 20 ms mixer tick takes the next one, or learns that it is lost (conceal it,
 * or rebuild it from the next packet's FEC), or that the input is silent.
 * It waits for `target` packets before it starts, so a little jitter never
 * empties it; after a few missing packets in a row with nothing buffered (the
 * sender stopped, or sends DTX) it stops and buffers again.
 * Pure. Owned by the room's audio tick.
 */
#ifndef CV_PLAYOUT_H
#define CV_PLAYOUT_H

#include "frame.h"

#include <stdint.h>

#define CV_PLAYOUT_SLOTS 32

enum { CV_PLAYOUT_SILENT = 0, CV_PLAYOUT_FRAME, CV_PLAYOUT_LOST };

typedef struct {
    cv_frame_t *slot[CV_PLAYOUT_SLOTS];
    int count;
    int started;
    int target; /* packets buffered before playout starts */
    int misses; /* consecutive ticks with nothing to play */
    uint64_t next_seq;
    uint64_t played, lost, late, duplicates, skipped;
} cv_playout_t;

void cv_playout_init(cv_playout_t *p, int target);
void cv_playout_cleanup(cv_playout_t *p);
/* Takes ownership of f (f->seq is its extended sequence number). */
void cv_playout_push(cv_playout_t *p, cv_frame_t *f);
/* What to play for the next 20 ms. FRAME: *f is the packet (caller owns it).
 * LOST: conceal; *fec is the following packet if buffered (borrowed until the
 * next call), for Opus FEC. SILENT: nothing to play. */
int cv_playout_pop(cv_playout_t *p, cv_frame_t **f, const cv_frame_t **fec);

#endif
