/*
 * webm.h - one recording's WebM file: the room's encoded VP8 picture and its
 * Opus mix, muxed by FFmpeg's libavformat (Matroska/WebM), nothing encoded
 * again. Timestamps are the mixer's: each frame's t_us (the tick that made
 * it), counted in milliseconds from the first video key frame, so that
 * picture and sound share one clock. Frames before that key frame are left
 * out (nothing could decode them).
 *
 * A cluster is closed at least every second and handed to the file at once,
 * so a process killed mid-recording leaves a file that plays up to its last
 * closed cluster; cv_webm_close adds the index and the duration.
 *
 * One owner thread (a recorder's writer thread; a test). Writes to the file
 * descriptor it is given, and may block on it.
 */
#ifndef CV_WEBM_H
#define CV_WEBM_H

#include "frame.h"

#include <stdint.h>

typedef struct cv_webm cv_webm_t;

/* Loads FFmpeg's libraries now (once; cv_webm_open does it otherwise), so
 * that the first recording does not wait for them. 1 when they are there. */
int cv_webm_load(void);

/* Starts a WebM file on fd (open for writing, and seekable for the index at
 * the end; the muxer owns it from now on, whatever the result) with a VP8
 * track of width x height and a mono 48 kHz Opus track. Returns NULL with
 * *err = CV_E_IO (the header could not be written) or CV_E_CODEC. */
cv_webm_t *cv_webm_open(int fd, int width, int height, int *err);

/* Adds one encoded frame (borrowed until return). Returns 1 if written, 0 if
 * left out (before the first video key frame, or not later than the last
 * frame of its track), or CV_E_IO: a write failed (disk full...); after that
 * only cv_webm_close is useful. */
int cv_webm_write(cv_webm_t *w, const cv_frame_t *f);

/* Bytes handed to the file so far, and the newest timestamp written (ms from
 * the first video key frame, -1 before it). */
int64_t cv_webm_bytes(const cv_webm_t *w);
int64_t cv_webm_last_ms(const cv_webm_t *w);

/* Writes what is left and the index, closes the file and frees w; *size (if
 * size is not NULL) gets the file's final size. Returns 0, or CV_E_IO if
 * something could not be written (the clusters already written stay
 * playable). NULL ok. */
int cv_webm_close(cv_webm_t *w, int64_t *size);

#endif
