/*
 * echo.h - the echo check ("test my camera and microphone"): a private
 * session whose own picture and voice come back to it, decoded (libvpx,
 * libopus) and re-encoded by the server, never forwarded.
 *
 * Threads: the network thread pushes input frames and pops output frames;
 * decoding and encoding run as jobs on the mixer pool, one job at a time per
 * echo. notify() is called on a worker when output is waiting.
 */
#ifndef CV_ECHO_H
#define CV_ECHO_H

#include "frame.h"
#include "pool.h"

typedef struct cv_echo cv_echo_t;

typedef struct {
    uint64_t video_in, video_decoded, video_encoded, video_decode_errors;
    uint64_t audio_in, audio_decoded, audio_concealed, audio_encoded, input_drops;
} cv_echo_stats_t;

/* The pool is borrowed and must outlive the echo. */
cv_echo_t *cv_echo_create(cv_pool_t *pool, void (*notify)(void *ud), void *ud);
/* Waits for a running job to finish, then frees. NULL ok. */
void cv_echo_destroy(cv_echo_t *e);
/* Takes ownership of f. On a full queue the frame is dropped and counted and
 * CV_E_FULL returned (a dropped video frame makes the caller ask for a key frame). */
int cv_echo_push(cv_echo_t *e, cv_frame_t *f);
/* Next encoded output frame (caller owns it), or NULL. */
cv_frame_t *cv_echo_pop(cv_echo_t *e);
/* The receiver asked for a key frame (PLI/FIR). */
void cv_echo_request_keyframe(cv_echo_t *e);
/* 1 once after the decoder failed: the sender should be asked for a key frame. */
int cv_echo_take_decoder_error(cv_echo_t *e);
void cv_echo_get_stats(cv_echo_t *e, cv_echo_stats_t *st);

#endif
