/*
 * recorder.h - the recording of one room: a receiver of the room like a
 * WHEP viewer (so the best output tier's encoder runs for it, and it gets
 * the Opus mix of every voice), whose frames a writer thread of its own
 * muxes into a WebM file (webm.h). The mixer only queues references to
 * frames it made anyway (the participant's bounded output queue); the file
 * I/O, which may block, happens on the writer thread.
 *
 * A recording ends when it is stopped, at its limits (bytes or seconds), or
 * on a write error; whichever, the writer closes the file and leaves the
 * room. The meeting is never disturbed by it.
 *
 * Threads: start, stop, state and destroy from any thread but the writer;
 * the mixer given to start must outlive the recorder. Files: the directory is
 * made 0700 if missing, each file 0600 and never overwritten.
 */
#ifndef CV_RECORDER_H
#define CV_RECORDER_H

#include "mixer.h"

#include <stddef.h>
#include <stdint.h>

typedef struct {
    const char *dir;   /* where the file goes */
    const char *room;  /* the room to record; also the start of the file name */
    int64_t max_bytes; /* the recording ends at this size, 0 = no limit */
    int max_seconds;   /* ... or after this long, 0 = no limit */
    int width, height; /* the picture the room's best tier sends */
} cv_recorder_cfg_t;

enum {
    CV_RECORDER_RUNNING = 0,
    CV_RECORDER_STOPPED, /* cv_recorder_stop */
    CV_RECORDER_LIMIT,   /* max_bytes or max_seconds reached */
    CV_RECORDER_FAILED,  /* a write failed (disk full, ...) */
};

typedef struct cv_recorder cv_recorder_t;

/* Makes the directory and the file "<room>-YYYYMMDD-HHMMSS.webm" (UTC; "-2",
 * "-3" ... before ".webm" if that exists), joins the room and starts the
 * writer. Returns NULL with *err: CV_E_IO (directory or file; a one-line
 * reason without the room's name in why), CV_E_FULL (room full), CV_E_NOTFOUND
 * (the room may not be opened) or CV_E_CODEC. The file name (from the
 * directory on) is copied to name (namecap bytes) when name is not NULL. */
cv_recorder_t *cv_recorder_start(cv_mixer_t *m, const cv_recorder_cfg_t *cfg, char *name,
                                 size_t namecap, int *err, char *why, size_t whycap);
/* Asks the writer to finish (it writes what is queued, the index, and leaves
 * the room). Quick; again is harmless. */
void cv_recorder_stop(cv_recorder_t *r);
/* CV_RECORDER_*: why it ended, or RUNNING. */
int cv_recorder_state(cv_recorder_t *r);
/* 1 once the writer has closed the file (destroy will not wait). */
int cv_recorder_done(cv_recorder_t *r);
/* Stops, waits for the file to be closed, frees. NULL ok. */
void cv_recorder_destroy(cv_recorder_t *r);

/* For /metrics: recordings running now, and bytes written by all so far. */
void cv_recorder_totals(int *active, uint64_t *bytes);

#endif
