/*
 * bwe.h - the sender's side of transport-wide congestion control
 * (draft-holmer-rmcat-transport-wide-cc-extensions-01; the receiver's side is
 * twcc.h): every packet we send to a receiver carries a number; the
 * receiver's transport feedback says when each arrived; from that this
 * estimator tells whether a queue is building on the path (overuse) and how
 * fast the path delivered (the acknowledged rate).
 *
 * The queue is judged from delay, not loss: random loss is not congestion,
 * and a capped link's queue grows (hundreds of ms) long before it drops. For
 * each packet reported, its one-way delay (arrival on the receiver's clock
 * minus our send time: an unknown but constant offset) less the smallest such
 * delay of the last 2 x CV_BWE_BASE_WIN_US is its queuing delay. Jitter makes
 * single packets late, a queue makes every packet late: so each
 * CV_BWE_WIN_US window of arrivals, the queuing delay is the least of the
 * packets' of that window and the one before.
 * A window whose queuing delay passes CV_BWE_OVERUSE_US is overuse; one whose
 * three windows' least delay passes CV_BWE_NORMAL_US shows a queue.
 *
 * It also keeps what the feedback said of each packet (cv_bwe_fate), and how
 * late the link delivers packets that others overtook (reorder_us, the worst
 * of two CV_BWE_REORDER_WIN_US windows): a receiver asks again (NACK) for a
 * packet that was only late, and the answer can wait for the feedback.
 *
 * Pure: time comes in as now_us. One owner thread (the session's core).
 */
#ifndef CV_BWE_H
#define CV_BWE_H

#include "twcc.h"

#include <stddef.h>
#include <stdint.h>

#define CV_BWE_SLOTS 2048             /* packets sent whose feedback may still come */
#define CV_BWE_WIN_US 100000          /* arrivals are judged in windows this long */
#define CV_BWE_RATE_WINS 5            /* the acknowledged rate: over this many windows */
#define CV_BWE_BASE_WIN_US 10000000   /* the least delay: of two windows this long */
#define CV_BWE_OVERUSE_US 40000       /* a window's queuing delay above this: overuse */
#define CV_BWE_NORMAL_US 20000        /* below this (three windows): no queue */
#define CV_BWE_REORDER_WIN_US 5000000 /* reordering: the worst of two windows this long */
#define CV_BWE_REORDER_MAX_US 500000  /* later than this counts as this late */
#define CV_BWE_FB_GAP_MAX_US 500000   /* feedback gaps count as at most this long */
#define CV_BWE_PROBE_MAX 256          /* a probe is judged by its first packets, this many */

enum { /* what the feedback said of a packet */
       CV_BWE_UNREPORTED = 0,
       CV_BWE_RECEIVED = 1,
       CV_BWE_MISSING = 2,   /* reported not received (yet) */
       CV_BWE_FORGOTTEN = 3, /* not sent, or too long ago */
};

enum {
    CV_BWE_NONE = 0,   /* no window ended */
    CV_BWE_NORMAL = 1, /* a window ended without a queue */
    CV_BWE_QUEUE = 2,  /* a window ended with some queue, below overuse */
    CV_BWE_OVERUSE = 3,
};

typedef struct {
    struct cv_bwe_sent {
        int64_t send_us; /* 0: the slot is free */
        uint16_t seq, size;
        uint8_t fate; /* CV_BWE_UNREPORTED, _RECEIVED or _MISSING */
    } sent[CV_BWE_SLOTS];
    uint16_t next_seq;
    int64_t base_cur, base_prev; /* the least one-way delay of this window and the last */
    int64_t base_win_us;         /* when this one started, -1 before any */
    int64_t win_end_us;          /* the arrival window's end (receiver clock), -1 before any */
    int64_t win_min_q;           /* the least queuing delay in it */
    int64_t prev_min_q;          /* and in the window before */
    int64_t prev2_min_q;         /* and the one before that */
    int64_t win_bytes[CV_BWE_RATE_WINS];
    int win_i, wins;    /* the window being filled; how many have ended, up to the ring */
    int64_t queue_us;   /* the queuing delay of the last window ended */
    int64_t reorder_us; /* how late overtaken packets arrived (see above) */
    int64_t reorder_cur, reorder_prev, reorder_win_us;
    int64_t latest_us;  /* the latest arrival reported so far */
    int64_t acked_bps;  /* what arrived per second over the last windows */
    int64_t peak_bps;   /* ... in the best of them: a saturated link's rate */
    int64_t fb_gap_us;  /* how often feedback comes (smoothed), 0 before two */
    int64_t fb_last_us; /* the latest arrival the last feedback reported */
    uint64_t feedbacks, unknown, overuses;
    struct cv_bwe_probe { /* a probe: the packets numbered first .. first + n - 1 */
        uint16_t first, n;
        int open;                        /* still being sent */
        int64_t delay[CV_BWE_PROBE_MAX]; /* the first ones' one-way delays, INT64_MIN not yet */
    } probe;
} cv_bwe_t;

void cv_bwe_init(cv_bwe_t *b);
/* A packet of size bytes goes out at now_us. Returns the number it carries. */
uint16_t cv_bwe_on_send(cv_bwe_t *b, size_t size, int64_t now_us);
/* A parsed feedback (cv_twcc_parse). Returns the worst of the windows it
 * ended (CV_BWE_*), CV_BWE_NONE when it ended none. */
int cv_bwe_on_feedback(cv_bwe_t *b, const cv_twcc_fb_t *fb);
/* What the feedback said of the packet numbered seq: CV_BWE_UNREPORTED,
 * _RECEIVED, _MISSING, or _FORGOTTEN. */
int cv_bwe_fate(const cv_bwe_t *b, uint16_t seq);

/* A probe of the path's rate: the packets sent between cv_bwe_probe_begin and
 * cv_bwe_probe_end (media and padding, sent at the rate to try). A path that
 * cannot carry that rate queues them: their one-way delay grows from the
 * first to the last. Jitter makes single packets late, so the growth is the
 * least delay of the last third less the least of the first third (none
 * when it is within the spread of the delays in a third: jitter); against
 * the time between them it gives the rate the path delivered. */
void cv_bwe_probe_begin(cv_bwe_t *b);
void cv_bwe_probe_end(cv_bwe_t *b);
/* CV_BWE_PROBE_PENDING until the feedback has reported every packet of the
 * ended probe, then the rate it was sent at (*sent_bps) and the rate the path
 * delivered it at (the return value; 0 when any was lost). */
#define CV_BWE_PROBE_PENDING (-1)
int64_t cv_bwe_probe_result(const cv_bwe_t *b, int64_t *sent_bps);

#endif
