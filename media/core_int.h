/*
 * core_int.h - what the parts of the media session core share, private to
 * media/core*.c: the core's structure and a few helpers. core.c takes what
 * arrives and time, and keeps the participant's inputs and feedback;
 * core_send.c packetises, wraps (RED), paces and polls what goes out.
 */
#ifndef CV_CORE_INT_H
#define CV_CORE_INT_H

#include "core.h"

#include "bwe.h"
#include "jitter.h"
#include "nack.h"
#include "outstream.h"
#include "rtx.h"
#include "rxstats.h"
#include "seq.h"
#include "tier.h"
#include "twcc.h"
#include "vp8.h"

#include <stdint.h>

#define EVQ 16         /* events not yet polled */
#define CTLQ 16        /* RTCP packets not yet polled */
#define CTL_CAP 320    /* one of them: a compound report, a NACK of 32, a REMB, a PLI */
#define RESENDQ 64     /* NACKed sequence numbers not yet answered */
#define TXQ 8          /* the mixer's frames of one medium not yet packetised */
#define PACE_FACTOR 25 /* video leaves at 2.5 x what the tier and audio need... */
#define PACE_BURST_US                                                                              \
    50000                         /* ...with at most 50 ms of it at once (a big frame of a         \
                                      good link is not held back) */
#define PACE_BURST_MIN 2400       /* (and two full packets) */
#define PACE_PROBATION 15         /* a new tier under transport feedback paces at 1.5 x... */
#define PACE_PROBATION_US 2000000 /* ...this long */
#define PROBE_US 60000            /* a probe of the link's rate lasts this long... */
#define PROBE_OVER 115            /* ...at this % of the rate to prove */
#define PROBE_PACKETS 24          /* it sends about this many packets... */
#define PROBE_PAD_MIN 40          /* ...of this much padding at least... */
#define PROBE_PAD_MAX 240         /* ...and at most */
#define PROBE_WAIT_US 1000000     /* its outcome awaited at most this long */
#define PROBE_GAP_US 2000000      /* probes are this far apart at least */
#define NACK_BATCH 32             /* sequence numbers asked for in one NACK */
#define VP8_FRAME_MAX (2 << 20)
#define TWCC_INTERVAL_US 50000 /* transport feedback at most this often */
/* A NACK on a link that reorders waits for the transport feedback (twice the
 * reordering seen, the feedback interval and NACK_HOLD_SLACK_US), on a link
 * whose reports show at most NACK_HOLD_MAX_LOSS (of 256, 2.3 %) lost. */
#define NACK_HOLD_SLACK_US 20000
#define NACK_HOLD_MAX_LOSS 6
#define OPUS_FRAME_TS 960 /* 20 ms at 48 kHz: the frame RED's offsets count in */
#define RED_MAX_BACK 4    /* redundant blocks further back than this are not used */
#define RED_LEVELS 2      /* earlier frames sent again, at most */

typedef struct {
    int event, value;
    const char *why;
} ev_t;

struct cv_core {
    cv_core_params_t p;
    int64_t now; /* the latest time given */
    int connected, dead;
    int64_t last_rx_us, next_report_us;
    /* what the participant sends */
    uint32_t a_ssrc_in, v_ssrc_in, rtx_ssrc_in;
    cv_seq_unwrap_t a_unwrap, v_unwrap;
    uint64_t a_top, a_seen; /* audio: highest extended seq, and a bit for each of the 64 below */
    cv_jitter_t vjit;
    cv_nack_t vnack;
    cv_vp8_depack_t depack;
    cv_h264_depack_t *h264; /* instead of depack when its video is H.264 */
    cv_rtp_rxstats_t a_rx, v_rx;
    int64_t last_pli_us;
    int64_t v_last_us; /* when its last video packet came */
    int pli_wanted;    /* a key frame request waits for the rate limit or an SSRC */
    int shown;         /* the room shows its video (cv_core_set_view) */
    int v_hidden;      /* packets were dropped as hidden: start afresh when shown */
    int cap_kbps, remb_kbps;
    int64_t remb_us;
    cv_twcc_rx_t *twcc; /* arrival times for its transport feedback, NULL without */
    int64_t twcc_us;    /* when the last feedback went */
    /* what it receives */
    cv_outstream_t aout, vout;
    cv_tier_ctl_t tierctl;
    int tier;
    cv_rtx_t *rtx; /* history of video sent to it, NULL when it gets none */
    cv_bwe_t *bwe; /* numbers on what it gets and their feedback, NULL without */
    int64_t rtt_us;
    int a_loss; /* its audio's fraction lost, smoothed (0..255), -1 before a report */
    cv_frame_t *red_hist[RED_LEVELS]; /* the last audio frames sent, newest first */
    uint8_t red_buf[CV_CORE_PKT_CAP]; /* the RED payload being sent */
    int64_t reorder_us;               /* how late the link delivers packets it did not lose: */
    int64_t reorder_cur, reorder_prev, reorder_win_us; /* the worst of two windows */
    /* output, polled in this order */
    ev_t ev[EVQ];
    int ev_head, ev_n;
    uint8_t ctl[CTLQ][CTL_CAP];
    uint16_t ctl_len[CTLQ];
    int ctl_head, ctl_n;
    uint16_t resend[RESENDQ];
    int64_t resend_us[RESENDQ];   /* when each was asked for */
    uint16_t tw_of[CV_RTX_SLOTS]; /* the transport-wide number of each video packet's last send */
    int rs_head, rs_n;
    cv_frame_t *mixq[CV_CORE_MIXQ];
    int mq_head, mq_n;
    struct lane {           /* 0: audio, 1: video */
        cv_frame_t *q[TXQ]; /* frames to send */
        int head, n;
        cv_frame_t *cur; /* being packetised */
        cv_outstream_frame_t fr;
        cv_outstream_t *out; /* aout or vout */
    } lane[2];
    int64_t pace_bytes;   /* the video pacer's allowance now (may go below 0) */
    int64_t pace_us;      /* when it was last brought up to date */
    int64_t probation_us; /* until then (a tier the link has not yet shown it carries), 1 x */
    int64_t probe_start_us, probe_end_us; /* a probe being sent (0: none) */
    int64_t probe_bps, probe_sent;        /* its rate, and the bytes sent since its start */
    int64_t probe_wait_us;                /* an ended probe's outcome awaited until then */
    int64_t probe_next_us;                /* no new probe before then */
    int start_quiet; /* audio only at the start, until the first probe: not "paused" */
    cv_core_stats_t st;
    _Alignas(8) uint8_t out[CV_CORE_PKT_CAP];
};

static inline void cv_core_set_now(cv_core_t *c, int64_t now)
{
    if (now > c->now)
        c->now = now;
}

/* core_send.c: whether video waits to be sent, and when the pacer lets the
 * next packet go (now or later); the pacer's allowance at the start. */
int cv_core_video_pending(const cv_core_t *c);
/* core_send.c: when the oldest NACKed packet is answered (now, or when its
 * hold for feedback ends). */
int64_t cv_core_resend_due_us(const cv_core_t *c);
int64_t cv_core_pace_ready_us(const cv_core_t *c);
/* A probe's padding: when the next packet of it is due, -1 none. */
int64_t cv_core_probe_due_us(const cv_core_t *c);
void cv_core_pace_start(cv_core_t *c);

#endif
