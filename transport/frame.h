/*
 * frame.h - a refcounted, immutable media payload handed between threads:
 * an encoded frame from a sender to the mixer, or one encoded output fanned out
 * to many receivers (docs/ARCHITECTURE.md, Threads). Created by one thread,
 * read-only after the first hand-off; the last unref frees it. Any thread.
 */
#ifndef CV_FRAME_H
#define CV_FRAME_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

enum { CV_FRAME_AUDIO = 1, CV_FRAME_VIDEO = 2 };
enum { CV_FRAME_VP8 = 0, CV_FRAME_H264 = 1 }; /* a video frame's codec */

typedef struct {
    atomic_int refs;
    int kind;        /* CV_FRAME_AUDIO / CV_FRAME_VIDEO */
    int keyframe;    /* video */
    int codec;       /* video: CV_FRAME_VP8 (a frame, RFC 7741) or CV_FRAME_H264 (an Annex-B
                        access unit) */
    uint32_t rtp_ts; /* the sender's RTP timestamp */
    uint64_t seq;    /* audio input: extended RTP sequence number */
    int level;       /* audio input: RFC 6464 level in -dBov (0..127), -1 unknown */
    int64_t t_us;    /* monotonic arrival (input) or capture (output) time */
    size_t len;
    uint8_t data[];
} cv_frame_t;

/* A frame with len bytes of data (uninitialised) and one reference. */
cv_frame_t *cv_frame_new(int kind, size_t len);
cv_frame_t *cv_frame_ref(cv_frame_t *f);
void cv_frame_unref(cv_frame_t *f); /* NULL ok */
/* For queues' free callbacks. */
void cv_frame_unref_void(void *f);

#endif
