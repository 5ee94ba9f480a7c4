/*
 * core.h - the media session core: one participant's RTP pipeline as a value
 * that takes input and time and returns output (sans-IO).
 *
 * Input:  a decrypted RTP or RTCP packet with its arrival time; an encoded
 *         output frame of the mixer for this receiver; what the mixer wants of
 *         this sender (its video shown or not, the bit rate to ask of it, a key
 *         frame); the connection coming up; a timeout at time T.
 * Output: polled one at a time with cv_core_poll: RTP and RTCP packets to
 *         protect and send (media, RTX, NACK, PLI, REMB, SR/RR + SDES), frames
 *         and audio packets for the mixer, events (key frame wanted of the
 *         receiver's composite, tier changed, video paused or resumed, a hidden
 *         packet dropped, the receiver's loss, session dead) — and the next
 *         deadline (cv_core_deadline) at which cv_core_on_timeout must be called.
 *
 * Inside: the video jitter buffer and NACK list of what the participant sends
 * (jitter.h, nack.h; a gap is asked for only once the reordering the link has
 * shown no longer explains it, and the buffer waits for that and a round trip), VP8 depacketising
 * (vp8.h), receiver statistics for its reports (rxstats.h), key frame requests (at most two a
 * second), the REMB cap that follows whether the room shows it; for what it receives, one outstream
 * per medium (outstream.h), the RTX history answering its NACKs (rtx.h), the
 * output tier chosen from its REMB and reports (tier.h) and the round trip. A participant that
 * offered H.264 and no VP8 has its video depacketised by h264.h instead, and gets the
 * composite as H.264, packetised by h264.h (frames of the other codec are not sent to it).
 *
 * Pure: it never reads a clock (time is an argument: a monotonic microsecond
 * clock, never going back), owns no socket or thread, takes no lock and calls
 * no GLib; randomness (SSRCs, first sequence numbers) comes in the parameters.
 * Memory is bounded: everything is allocated by cv_core_new, except the frames
 * it hands to the mixer (at most CV_CORE_MIXQ waiting). Its only side effect is
 * the process-wide drop counters of stats.h. One owner thread (the session's
 * network loop, media/link.c, or a test).
 */
#ifndef CV_CORE_H
#define CV_CORE_H

#include "frame.h"
#include "h264.h"
#include "tier.h"

#include <stddef.h>
#include <stdint.h>

#define CV_CORE_PKT_CAP 1500           /* an output packet's buffer, SRTP trailer included */
#define CV_CORE_MAX_PAYLOAD 1160       /* RTP payload; keeps packets under common MTUs */
#define CV_CORE_PLI_INTERVAL_US 500000 /* at most two key frame requests a second */
#define CV_CORE_VIDEO_IDLE_US 2000000  /* no video this long: no PLI unless asked */
#define CV_CORE_REPORT_US 1000000      /* SR/RR, the tier's clock */
#define CV_CORE_SILENCE_US 10000000    /* nothing received for 10 s: dead */
#define CV_CORE_REMB_US 1000000        /* the sender's cap, again every second */
#define CV_CORE_JITTER_WAIT_US 40000   /* the shortest wait for a missing video packet */
#define CV_CORE_JITTER_MAX_US 250000   /* the longest (one round trip + 30 ms) */
#define CV_CORE_NACK_RETRY_US 40000    /* ask again after max(this, RTT + 10 ms) */
#define CV_CORE_NACK_MAX_AGE_US 400000 /* older than this, a retransmission is of no use */
#define CV_CORE_NACK_ANSWER_US 10000   /* a retransmission's fastest return, RTT unknown */
#define CV_CORE_REORDER_MAX_US 100000  /* later than this, a missing packet is lost */
#define CV_CORE_REORDER_WIN_US 5000000 /* reordering remembered 5-10 s */
#define CV_CORE_RTX_MAX_AGE_US 1000000 /* a NACK for an older packet is not answered */
#define CV_CORE_RTT_DEFAULT_US 100000  /* round trip assumed before a report tells */
#define CV_CORE_MIXQ 32                /* frames for the mixer not yet polled */

/* What the offer negotiated, and the random values of our streams. */
typedef struct {
    int a_pt, v_pt; /* Opus and VP8 payload types, -1: not negotiated */
    int rtx_pt;     /* the offer's rtx for VP8, -1: NACKs answered with plain copies */
    int red_pt;     /* Opus RED (RFC 2198) both ways, -1: plain Opus only */
    int twcc_id;    /* its transport-wide sequence number's extension id: feedback on what it
                       sends (0: none) */
    int level_id;   /* RFC 6464 audio level extension id, 0: none */
    int no_probe;   /* 1: with feedback and RTX, step up without probing the link first */
    int sends;      /* the server sends the composite and a mix to it */
    int takes;      /* its media goes to the room (not a viewer's) */
    uint32_t a_ssrc, v_ssrc, rtx_ssrc; /* our SSRCs towards it */
    uint16_t a_seq0, v_seq0, rtx_seq0, picture_id0;
    uint32_t a_ts0, v_ts0; /* offsets added to the mixer's timestamps */
    char cname[17];
    cv_tiers_t tiers;       /* n == 0: CV_TIERS_DEFAULT */
    int64_t wall_offset_us; /* Unix time minus the monotonic clock, for NTP times in SRs */
    int v_h264;             /* its video on v_pt is H.264 (RFC 6184) both ways (no VP8 offered) */
    char h264_sprop[CV_H264_SPROP_MAX]; /* with v_h264: its sprop-parameter-sets, or "" */
} cv_core_params_t;

enum {
    CV_CORE_NONE = 0,
    CV_CORE_RTP,   /* pkt: plain RTP, len bytes in a buffer of cap (room for SRTP) */
    CV_CORE_RTCP,  /* pkt: plain compound or feedback RTCP */
    CV_CORE_FRAME, /* frame: for the mixer (cv_part_push); the caller owns it */
    CV_CORE_EVENT, /* event, value, why */
};

enum {
    CV_CORE_EV_KEYFRAME = 1, /* the receiver needs a key frame of its composite */
    CV_CORE_EV_TIER,         /* value: its new output tier (0.. or CV_TIER_AUDIO_ONLY), why:
                                what moved it ("REMB", "loss", "stable") */
    CV_CORE_EV_PAUSED,       /* value: 1 its video paused for a weak link, 0 resumed */
    CV_CORE_EV_RECEIVE_LOSS, /* value: fraction of its audio lost (0..255, for Opus FEC) */
    CV_CORE_EV_HIDDEN_DROP,  /* a video packet of a sender the room does not show */
    CV_CORE_EV_DEAD,         /* why: gone (silence, RTCP BYE); nothing more is sent */
};

typedef struct {
    int kind; /* CV_CORE_* */
    uint8_t *pkt;
    size_t len, cap; /* pkt valid and writable until the next call on the core */
    cv_frame_t *frame;
    int event, value;
    const char *why;
} cv_core_out_t;

typedef struct {
    uint64_t drop_pt;               /* media dropped: unknown payload type or SSRC, a viewer's */
    uint64_t drop_parse;            /* RTP or RTCP that does not parse */
    uint64_t frames_in, frames_out; /* frames for the mixer / frames sent */
    uint64_t rtp_out, rtcp_out, resent; /* packets polled */
    uint64_t nacks_sent, plis_sent, rembs_sent;
    uint64_t mixq_full;     /* frames for the mixer dropped: not polled in time */
    uint64_t red_recovered; /* lost audio packets rebuilt from earlier RED blocks */
    uint64_t twcc_sent;     /* transport feedback packets */
    uint64_t twcc_in;       /* transport feedback packets on what we sent */
    uint64_t overuses;      /* windows of that feedback that showed a queue building */
    uint64_t nacks_spared;  /* NACKed packets not sent again: the feedback said they came */
    uint64_t probes,
        probe_out;           /* probes of the link's rate before a step up; their padding packets */
    uint64_t events_dropped; /* events lost to a full queue */
} cv_core_stats_t;

typedef struct cv_core cv_core_t;

/* A core for a session not yet connected. Aborts on OOM. */
cv_core_t *cv_core_new(const cv_core_params_t *p);
/* Frees it and every frame it still holds. NULL ok. */
void cv_core_free(cv_core_t *c);

/* The transport is up (ICE and DTLS done): reports start, the silence clock
 * runs, a key frame is asked of the participant and for it. */
void cv_core_on_connected(cv_core_t *c, int64_t now_us);
/* A decrypted RTP or RTCP packet (pkt is not kept; it may be modified). */
void cv_core_on_rtp(cv_core_t *c, const uint8_t *pkt, size_t len, int64_t now_us);
void cv_core_on_rtcp(cv_core_t *c, const uint8_t *pkt, size_t len, int64_t now_us);
/* An encoded frame of the mixer for this receiver (a reference is taken while
 * it is packetised). Dropped before connected, and video while paused. */
void cv_core_on_frame(cv_core_t *c, cv_frame_t *f, int64_t now_us);
/* What the room wants of this sender's video now: shown (its packets are
 * used) and the bit rate to ask of it by REMB. */
void cv_core_set_view(cv_core_t *c, int shown, int cap_kbps, int64_t now_us);
/* The mixer needs a key frame from this sender (a decoder error, a tile shown). */
void cv_core_request_keyframe(cv_core_t *c, int64_t now_us);
/* A video frame polled from the core could not be given to the mixer: what
 * follows cannot be decoded until a key frame. */
void cv_core_frame_lost(cv_core_t *c, int64_t now_us);
/* Time passed: releases what waited, resends NACKs, sends what is due. */
void cv_core_on_timeout(cv_core_t *c, int64_t now_us);

/* The next output, or CV_CORE_NONE when there is none (then call again only
 * after another input). Events first, then RTCP, retransmissions, frames for
 * the mixer, media packets. */
int cv_core_poll(cv_core_t *c, cv_core_out_t *out);
/* When cv_core_on_timeout is due next (monotonic us), -1: nothing waits on time. */
int64_t cv_core_deadline(const cv_core_t *c);

int cv_core_tier(const cv_core_t *c);
const cv_tier_ctl_t *cv_core_tier_ctl(const cv_core_t *c); /* what the tier follows */
int cv_core_dead(const cv_core_t *c);
int64_t cv_core_rtt_us(const cv_core_t *c); /* smoothed, -1 unknown */
const cv_core_stats_t *cv_core_stats(const cv_core_t *c);

#endif
