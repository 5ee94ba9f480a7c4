/*
 * stats.h - process-wide aggregate counters and latency histograms, read by
 * GET /metrics (signaling/metrics.c): packets and bytes through the media
 * transports, packets dropped by reason, codec and mixer tick times, HTTP
 * answers by status class. Nothing here names a room, a person, an address
 * or a session: only sums over all of them.
 *
 * Any thread: an update is one relaxed atomic add (no lock), so the hot paths
 * (every packet, every tick) pay next to nothing. A reader sees each value
 * whole but not all values at one instant.
 */
#ifndef CV_STATS_H
#define CV_STATS_H

#include <stdint.h>

enum cv_stat {
    /* UDP media through the transports (ICE's own STUN checks not included) */
    CV_STAT_RX_PACKETS,
    CV_STAT_RX_BYTES,
    CV_STAT_TX_PACKETS,
    CV_STAT_TX_BYTES,
    /* packets dropped, one counter per reason (cv_stats_drop_reason names them) */
    CV_STAT_DROP_DEMUX,          /* first byte is none of STUN, DTLS, RTP/RTCP (RFC 7983) */
    CV_STAT_DROP_DTLS,           /* DTLS record refused */
    CV_STAT_DROP_NO_KEYS,        /* SRTP before the DTLS handshake gave keys */
    CV_STAT_DROP_SRTP_AUTH,      /* SRTP/SRTCP authentication or decryption failed */
    CV_STAT_DROP_SRTP_REPLAY,    /* SRTP replay protection */
    CV_STAT_DROP_MALFORMED_RTP,  /* RTP header does not parse */
    CV_STAT_DROP_MALFORMED_RTCP, /* RTCP compound packet does not parse */
    CV_STAT_DROP_UNKNOWN_SSRC,   /* not the SSRC first seen on that stream */
    CV_STAT_DROP_UNKNOWN_PT,     /* payload type not negotiated */
    CV_STAT_DROP_NOT_WANTED,     /* media the room does not use (a viewer's, an unseen tile) */
    CV_STAT_DROP_LATE,           /* too late for the jitter buffer, or a duplicate */
    CV_STAT_DROP_BAD_VP8,        /* VP8 or H.264 payload malformed */
    CV_STAT_DROP_QUEUE_FULL,     /* a frame found the mixer's input queue full */
    CV_STAT_DROP_REASONS_END,    /* (not a counter) */
    /* mixer */
    CV_STAT_LATE_VIDEO_TICKS = CV_STAT_DROP_REASONS_END,
    CV_STAT_LATE_AUDIO_TICKS,
    CV_STAT_VIDEO_DECODE_US, /* time spent in codec calls, microseconds */
    CV_STAT_VIDEO_ENCODE_US,
    CV_STAT_AUDIO_DECODE_US,
    CV_STAT_AUDIO_ENCODE_US,
    CV_STAT_VIDEO_COMPOSE_US, /* pictures scaled and laid into the composite (libyuv) */
    CV_STAT_VIDEO_DECODED,    /* codec calls (frames) */
    CV_STAT_VIDEO_ENCODED,
    CV_STAT_AUDIO_DECODED,
    CV_STAT_AUDIO_ENCODED,
    CV_STAT_VIDEO_DECODE_ERRORS,
    /* HTTP answers by status class: 1xx .. 5xx */
    CV_STAT_HTTP_1XX,
    CV_STAT_HTTP_2XX,
    CV_STAT_HTTP_3XX,
    CV_STAT_HTTP_4XX,
    CV_STAT_HTTP_5XX,
    /* ICE-TCP connections the daemon closed (ice.c): idle or not chosen in time,
     * and over the limit of pending ones from one address */
    CV_STAT_ICE_TCP_CLOSED_IDLE,
    CV_STAT_ICE_TCP_CLOSED_EXCESS,
    /* to receivers: packets sent again on their NACKs, and the padding of the
     * probes of their links' rates before a step up (media/core_send.c) */
    CV_STAT_RETRANSMITTED,
    CV_STAT_PROBE_PADDING,
    /* system calls that sent media (ice.c: a sendmmsg sends many datagrams at
     * once), and datagrams lost to a full socket buffer on the way */
    CV_STAT_SEND_CALLS,
    CV_STAT_SEND_DROPPED,
    CV_STAT_LOOP_WAKEUPS, /* network loops woken for posted work (loop.h) */
    CV_STAT_LOOP_POSTS,   /* work posted to them: the wake-ups one invoke each would cost */
    CV_STAT_LOOP_POLLS,   /* waits of the network loops for their sockets and timers */
    CV_STAT_POLL_REARMED, /* sockets the poller found forgotten by the kernel (poller.h) */
    CV_STAT_COUNT
};

#define CV_STAT_DROP_FIRST CV_STAT_DROP_DEMUX

/* Histograms of durations. */
enum cv_stat_hist {
    CV_HIST_VIDEO_TICK, /* one room's video tick: decode, composite, encode */
    CV_HIST_AUDIO_TICK, /* one room's audio tick: decode, mix, encode */
    CV_HIST_COUNT
};

/* Upper bounds of the buckets in microseconds (0.5 ms .. 100 ms), ascending;
 * one more bucket counts what is above the last bound. */
#define CV_HIST_BOUNDS 9
extern const int64_t cv_stats_bounds_us[CV_HIST_BOUNDS];

typedef struct {
    uint64_t bucket[CV_HIST_BOUNDS + 1]; /* per bucket, NOT cumulative; last: above all bounds */
    uint64_t sum_us;
} cv_stats_hist_t;

void cv_stats_add(enum cv_stat which, uint64_t n);
uint64_t cv_stats_get(enum cv_stat which);
/* The reason label of a CV_STAT_DROP_* counter ("srtp_auth"), or NULL. */
const char *cv_stats_drop_reason(enum cv_stat which);
/* Counts one duration (negative counts as 0). */
void cv_stats_observe_us(enum cv_stat_hist which, int64_t us);
void cv_stats_hist_get(enum cv_stat_hist which, cv_stats_hist_t *out);
/* The HTTP counter of a status code (CV_STAT_HTTP_5XX for anything out of 100..599). */
enum cv_stat cv_stats_http_class(int status);

#endif
