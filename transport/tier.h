/*
 * tier.h - output tiers of the composite and the choice of one per receiver
 * from its feedback (docs/ARCHITECTURE.md, Output tiers).
 *
 * A tier list ("1280x720@30:1500,640x360@30:500,320x180@15:150", best first)
 * comes from the ini. A receiver's controller eats its REMB
 * (draft-alvestrand-rmcat-remb-03) and the fraction lost of its receiver
 * reports (RFC 3550 §6.4.1) and says which tier it should get:
 *  - down at once when REMB falls below what the tier needs (video + audio);
 *    down one tier a second while the loss of a 1 s window (from the reports'
 *    cumulative counts, not their fraction lost) and the windows' running
 *    average both pass 10 % (so a link losing 5 % at random keeps its tier),
 *    never below the lowest tier for loss alone (random loss is not
 *    congestion) unless the running average passes 60 % there; below the
 *    lowest tier's need (REMB): audio only;
 *  - up one tier at a time after a stable period (no window above 5 % loss,
 *    REMB not limiting the current tier); for 15 s after a step up only loss
 *    can undo it (the browser's REMB lags a new rate); a step up that falls back within
 *    the probe window doubles the wait (up to 2 min), so a link that sits on
 *    a boundary does not oscillate.
 *
 * A receiver that sends transport feedback (bwe.h) is judged by delay
 * instead (cv_tier_ctl_use_delay): it starts on the best tier that needs no
 * more than CV_TIER_START_KBPS, and a window of overuse (a queue building)
 * moves it at once to the best tier that needs no more than 85 % of what the
 * link delivered, or to audio only; that rate stays a ceiling no step up
 * passes for CV_TIER_CEILING_US (renewed by every overuse), so a capped link
 * is not probed into a stall again and again. Steps up wait only
 * CV_TIER_UP_WAIT_DELAY_US of windows without a queue (doubling after a step
 * that did not hold, as above). Loss alone, which a queue no longer explains,
 * never takes such a receiver below the second-lowest tier, nor holds back a
 * climb to it: a smaller picture does not make random loss rarer.
 *
 * Pure: time comes in as now_us. Owned by the receiver's network thread.
 */
#ifndef CV_TIER_H
#define CV_TIER_H

#include <stddef.h>
#include <stdint.h>

#define CV_TIERS_MAX 4
#define CV_TIERS_DEFAULT "1280x720@30:1500,640x360@30:500,320x180@15:150"
#ifndef CV_TIER_AUDIO_ONLY
#define CV_TIER_AUDIO_ONLY (-1) /* the same value as mixer/room.h's */
#endif
#define CV_TIER_AUDIO_KBPS 40       /* audio (Opus with FEC) and RTCP, on top of a tier */
#define CV_TIER_UP_WAIT_US 8000000  /* stable this long before one step up */
#define CV_TIER_UP_MAX_US 120000000 /* the longest wait after failed steps up */
#define CV_TIER_REMB_FRESH_US 3000000
#define CV_TIER_REMB_GRACE_US 15000000   /* REMB does not undo a step up this soon */
#define CV_TIER_LOSS_WINDOW_US 1000000   /* loss is measured over windows this long */
#define CV_TIER_START_KBPS 300           /* delay-based: the start, audio included */
#define CV_TIER_UP_WAIT_DELAY_US 2000000 /* delay-based: no queue this long before a step up */
#define CV_TIER_CEILING_US 30000000      /* delay-based: an overuse's rate holds this long */
#define CV_TIER_PROVEN_US 1000000        /* a probe's outcome counts this long */
#define CV_TIER_PROBE_BACKOFF_US 4000000 /* a failed probe's rate holds 4, 8, 16, then 30 s */

typedef struct {
    int width, height, fps, kbps;
} cv_tier_t;

typedef struct {
    int n;                     /* 1..CV_TIERS_MAX */
    cv_tier_t t[CV_TIERS_MAX]; /* best first: kbps strictly decreasing */
} cv_tiers_t;

/* Parses "WxH@FPS:KBPS[,...]" (blanks around entries allowed): 1..CV_TIERS_MAX
 * entries, width 16..1920 and height 16..1080 even, fps 1..60, kbps 30..8000,
 * best first (kbps strictly decreasing). Returns 0, or CV_E_INVAL with a
 * one-line reason in why (whycap > 0). *out is written only on success. */
int cv_tiers_parse(const char *s, cv_tiers_t *out, char *why, size_t whycap);

typedef struct {
    cv_tiers_t tiers;
    int tier;               /* current: 0..n-1 or CV_TIER_AUDIO_ONLY */
    int64_t remb_bps;       /* last REMB, -1 before any */
    int64_t remb_us;        /* when it came */
    int64_t stable_us;      /* since when nothing argued against a step up */
    int64_t up_us;          /* when we last stepped up, 0 never */
    int64_t up_wait_us;     /* current wait before a step up */
    int64_t last_step_us;   /* last loss-driven step down */
    int last_loss;          /* fraction lost of the last window or report, 0..255 */
    int win_open;           /* a loss window has its start below */
    int32_t win_lost;       /* cumulative lost at the window's start */
    uint32_t win_high;      /* extended highest sequence number there */
    int64_t win_us;         /* when it started */
    int avg_loss;           /* the reports' running average (a quarter of the weight to each) */
    uint64_t downs, ups;    /* changes made */
    int delay_based;        /* judged by transport feedback (cv_tier_ctl_use_delay) */
    int64_t ceiling_bps;    /* what the link delivered at the last overuse */
    int64_t ceiling_us;     /* when, 0 never */
    int64_t ceiling_len_us; /* how long it holds */
    int probe_fails;        /* probes failed in a row */
    int probes;             /* delay-based: a step up waits for a probe (cv_tier_ctl_on_probe) */
    int start;              /* ... and the first goes to this tier, -1 when done */
    int64_t want_bps;       /* the rate a probe should try now, 0 none */
    int64_t proven_bps;     /* what the last probe showed the link carries */
    int64_t proven_us;      /* when, 0 never */
} cv_tier_ctl_t;

/* Starts on the best tier. */
void cv_tier_ctl_init(cv_tier_ctl_t *c, const cv_tiers_t *tiers, int64_t now_us);
/* A REMB of bps. Returns the tier to use now. */
int cv_tier_ctl_on_remb(cv_tier_ctl_t *c, uint64_t bps, int64_t now_us);
/* A receiver report's fraction lost (0..255) for our stream. Returns the tier. */
int cv_tier_ctl_on_loss(cv_tier_ctl_t *c, int fraction_lost, int64_t now_us);
/* A report block on our stream, by its cumulative counts (RFC 3550 §6.4.1).
 * Browsers send reports at any rate: one goes with every NACK, just after a
 * loss, so the fraction lost of a single report is biased high and, over a
 * handful of packets, noisy (1 of 4 = 25 %). The loss is measured here over
 * windows of CV_TIER_LOSS_WINDOW_US from the cumulative counts, and each window
 * counts as one cv_tier_ctl_on_loss. A report whose highest sequence number
 * went back (reordered, or a reset) starts a new window. Returns the tier. */
int cv_tier_ctl_on_report(cv_tier_ctl_t *c, int32_t cum_lost, uint32_t ext_high_seq,
                          int64_t now_us);
/* The receiver sends transport feedback: from now on delay judges the link
 * (see above). Returns the tier to start on: audio only when probes are on
 * (set c->probes first), until the first probe shows the start tier fits. */
int cv_tier_ctl_use_delay(cv_tier_ctl_t *c, int64_t now_us);
/* What a window of transport feedback showed (CV_BWE_NORMAL, _QUEUE,
 * _OVERUSE) and the rate the link delivered, bit/s. Returns the tier. */
int cv_tier_ctl_on_delay(cv_tier_ctl_t *c, int state, int64_t acked_bps, int64_t now_us);
/* With probes on (c->probes = 1 after cv_tier_ctl_use_delay), a step up
 * waits until a probe showed the link carries the better tier: when one is
 * due, want_bps says the rate to try, and the probe's outcome comes here (the
 * rate it was sent at, and the rate the link delivered). Returns the tier. */
int cv_tier_ctl_on_probe(cv_tier_ctl_t *c, int64_t sent_bps, int64_t delivered_bps, int64_t now_us);
/* No feedback, just time: a step up may be due. Returns the tier. */
int cv_tier_ctl_poll(cv_tier_ctl_t *c, int64_t now_us);

/* Round-trip time from a report block on our SR (RFC 3550 §6.4.1): lsr and dlsr
 * as received, now_mid32 the middle 32 bits of our NTP clock now. Microseconds,
 * or -1 when lsr is 0 (no SR seen yet) or the result is not plausible. Pure. */
int64_t cv_tier_rtt_us(uint32_t lsr, uint32_t dlsr, uint32_t now_mid32);

#endif
