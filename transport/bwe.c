/*
 * bwe.c - queuing delay and acknowledged rate from transport feedback (bwe.h).
 */
#include "bwe.h"

#include <string.h>

void cv_bwe_init(cv_bwe_t *b)
{
    memset(b, 0, sizeof(*b));
    b->base_cur = b->base_prev = INT64_MAX;
    b->base_win_us = -1;
    b->win_end_us = -1;
    b->prev_min_q = b->prev2_min_q = INT64_MAX;
    b->queue_us = -1;
    b->reorder_win_us = -1;
    b->latest_us = INT64_MIN;
    b->fb_last_us = INT64_MIN;
}

uint16_t cv_bwe_on_send(cv_bwe_t *b, size_t size, int64_t now_us)
{
    uint16_t seq = b->next_seq++;
    struct cv_bwe_sent *s = &b->sent[seq % CV_BWE_SLOTS];
    s->send_us = now_us > 0 ? now_us : 1;
    s->seq = seq;
    s->size = size > UINT16_MAX ? UINT16_MAX : (uint16_t)size;
    s->fate = CV_BWE_UNREPORTED;
    return seq;
}

int cv_bwe_fate(const cv_bwe_t *b, uint16_t seq)
{
    const struct cv_bwe_sent *s = &b->sent[seq % CV_BWE_SLOTS];
    return s->send_us == 0 || s->seq != seq ? CV_BWE_FORGOTTEN : s->fate;
}

/* A packet arrived late_us after one sent after it: the link's reordering. */
static void note_reorder(cv_bwe_t *b, int64_t late_us, int64_t arrival)
{
    if (b->reorder_win_us < 0 || arrival - b->reorder_win_us >= CV_BWE_REORDER_WIN_US) {
        b->reorder_prev = b->reorder_win_us < 0 ? 0 : b->reorder_cur;
        b->reorder_cur = 0;
        b->reorder_win_us = arrival;
    }
    if (late_us > CV_BWE_REORDER_MAX_US)
        late_us = CV_BWE_REORDER_MAX_US;
    if (late_us > b->reorder_cur)
        b->reorder_cur = late_us;
    b->reorder_us = b->reorder_cur > b->reorder_prev ? b->reorder_cur : b->reorder_prev;
}

/* The least one-way delay seen, over two windows of our send times: the path
 * without a queue (a route that changes for good shows within two windows). */
static int64_t base_delay(cv_bwe_t *b, int64_t send_us, int64_t d)
{
    if (b->base_win_us < 0 || send_us - b->base_win_us >= CV_BWE_BASE_WIN_US) {
        b->base_prev = b->base_cur;
        b->base_cur = INT64_MAX;
        b->base_win_us = send_us;
    }
    if (d < b->base_cur)
        b->base_cur = d;
    return b->base_cur < b->base_prev ? b->base_cur : b->base_prev;
}

/* Ends the arrival window being filled; returns what it showed (an empty
 * one counts only for the rate). */
static int end_window(cv_bwe_t *b)
{
    int empty = b->win_min_q == INT64_MAX;
    /* the least of this window and the last: a handful of packets that all
     * happen to be late is not a queue; a short queue, which only holds a
     * step up back, must show in three windows (on a jittery link a few
     * packets all a little late are common) */
    int64_t q3 = b->prev_min_q < b->prev2_min_q ? b->prev_min_q : b->prev2_min_q;
    if (!empty) {
        b->queue_us = b->win_min_q < b->prev_min_q ? b->win_min_q : b->prev_min_q;
        q3 = b->queue_us < q3 ? b->queue_us : q3;
    }
    b->prev2_min_q = b->prev_min_q;
    b->prev_min_q = b->win_min_q;
    if (b->wins < CV_BWE_RATE_WINS)
        b->wins++;
    int64_t bytes = 0, most = 0;
    for (int i = 0; i < b->wins; i++) {
        bytes += b->win_bytes[i];
        most = b->win_bytes[i] > most ? b->win_bytes[i] : most;
    }
    b->acked_bps = bytes * 8 * 1000000 / ((int64_t)b->wins * CV_BWE_WIN_US);
    b->peak_bps = most * 8 * 1000000 / CV_BWE_WIN_US;
    b->win_i = (b->win_i + 1) % CV_BWE_RATE_WINS;
    b->win_bytes[b->win_i] = 0;
    b->win_min_q = INT64_MAX;
    b->win_end_us += CV_BWE_WIN_US;
    if (empty)
        return CV_BWE_NONE;
    if (b->queue_us > CV_BWE_OVERUSE_US) {
        b->overuses++;
        return CV_BWE_OVERUSE;
    }
    return q3 < CV_BWE_NORMAL_US ? CV_BWE_NORMAL : CV_BWE_QUEUE;
}

int cv_bwe_on_feedback(cv_bwe_t *b, const cv_twcc_fb_t *fb)
{
    int worst = CV_BWE_NONE;
    int64_t last = INT64_MIN; /* the latest arrival this feedback reports */
    b->feedbacks++;
    for (int i = 0; i < fb->count && i < CV_TWCC_MAX_REPORT; i++) {
        uint16_t seq = (uint16_t)(fb->base_seq + i);
        struct cv_bwe_sent *s = &b->sent[seq % CV_BWE_SLOTS];
        int known = s->send_us != 0 && s->seq == seq;
        if (!fb->received[i]) {
            if (known && s->fate == CV_BWE_UNREPORTED)
                s->fate = CV_BWE_MISSING;
            continue;
        }
        if (!known || s->fate == CV_BWE_RECEIVED) {
            b->unknown++; /* never sent, reported already, or too old */
            continue;
        }
        s->fate = CV_BWE_RECEIVED;
        int64_t arrival = fb->arrival_us[i], send_us = s->send_us, size = s->size;
        struct cv_bwe_probe *p = &b->probe;
        uint16_t at = (uint16_t)(seq - p->first);
        if ((p->open || at < p->n) && at < CV_BWE_PROBE_MAX &&
            at < (uint16_t)(b->next_seq - p->first))
            p->delay[at] = arrival - send_us;
        last = arrival > last ? arrival : last;
        if (arrival < b->latest_us)
            note_reorder(b, b->latest_us - arrival, b->latest_us);
        else
            b->latest_us = arrival;
        int64_t d = arrival - send_us;
        int64_t q = d - base_delay(b, send_us, d);
        if (b->win_end_us < 0) {
            b->win_end_us = arrival + CV_BWE_WIN_US;
            b->win_min_q = INT64_MAX;
        }
        if (arrival >= b->win_end_us + CV_BWE_RATE_WINS * CV_BWE_WIN_US) {
            /* a long silence: nothing of the windows before counts */
            memset(b->win_bytes, 0, sizeof(b->win_bytes));
            b->wins = 0;
            b->prev_min_q = b->prev2_min_q = INT64_MAX;
            b->latest_us = arrival;
            b->win_end_us = arrival + CV_BWE_WIN_US;
            b->win_min_q = INT64_MAX;
        }
        while (arrival >= b->win_end_us) {
            int r = end_window(b);
            if (r > worst)
                worst = r;
        }
        if (q < b->win_min_q)
            b->win_min_q = q;
        b->win_bytes[b->win_i] += size;
    }
    /* how often feedback comes, on the receiver's clock: the time between
     * the latest arrivals two feedbacks report (smoothed) */
    if (last != INT64_MIN) {
        if (b->fb_last_us != INT64_MIN && last > b->fb_last_us) {
            int64_t gap = last - b->fb_last_us;
            gap = gap > CV_BWE_FB_GAP_MAX_US ? CV_BWE_FB_GAP_MAX_US : gap;
            b->fb_gap_us = b->fb_gap_us ? (7 * b->fb_gap_us + gap) / 8 : gap;
        }
        b->fb_last_us = last;
    }
    return worst;
}

void cv_bwe_probe_begin(cv_bwe_t *b)
{
    b->probe.first = b->next_seq;
    b->probe.n = 0;
    b->probe.open = 1;
    for (int i = 0; i < CV_BWE_PROBE_MAX; i++)
        b->probe.delay[i] = INT64_MIN;
}

void cv_bwe_probe_end(cv_bwe_t *b)
{
    b->probe.n = (uint16_t)(b->next_seq - b->probe.first);
    b->probe.open = 0;
}

int64_t cv_bwe_probe_result(const cv_bwe_t *b, int64_t *sent_bps)
{
    const struct cv_bwe_probe *p = &b->probe;
    *sent_bps = 0;
    int m = p->n < CV_BWE_PROBE_MAX ? p->n : CV_BWE_PROBE_MAX;
    if (p->open || m < 3)
        return CV_BWE_PROBE_PENDING;
    int64_t bytes = 0, send[CV_BWE_PROBE_MAX];
    for (int i = 0; i < m; i++) {
        uint16_t seq = (uint16_t)(p->first + i);
        const struct cv_bwe_sent *s = &b->sent[seq % CV_BWE_SLOTS];
        if (s->send_us == 0 || s->seq != seq)
            return 0; /* forgotten: too long ago to judge */
        if (s->fate == CV_BWE_UNREPORTED)
            return CV_BWE_PROBE_PENDING;
        send[i] = s->send_us;
        if (i > 0)
            bytes += s->size;
    }
    if (send[m - 1] <= send[0])
        return 0;
    *sent_bps = bytes * 8 * 1000000 / (send[m - 1] - send[0]);
    /* the least delay of the first and of the last third (lost packets have
     * none), and when the packet of the latter least left */
    int k = m / 3;
    int64_t first = INT64_MAX, first_hi = INT64_MIN, last = INT64_MAX, last_hi = INT64_MIN;
    int64_t last_at = 0;
    for (int i = 0; i < k; i++)
        if (p->delay[i] != INT64_MIN) {
            first = p->delay[i] < first ? p->delay[i] : first;
            first_hi = p->delay[i] > first_hi ? p->delay[i] : first_hi;
        }
    for (int i = m - k; i < m; i++)
        if (p->delay[i] != INT64_MIN) {
            if (p->delay[i] < last) {
                last = p->delay[i];
                last_at = send[i];
            }
            last_hi = p->delay[i] > last_hi ? p->delay[i] : last_hi;
        }
    if (first == INT64_MAX || last == INT64_MAX)
        return 0; /* too much lost to judge */
    /* a growth within the spread of the delays of a third is the link's
     * jitter, not a queue (a jittery link that is also slow shows it later,
     * in the windows of cv_bwe_on_feedback) */
    int64_t spread = first_hi - first > last_hi - last ? first_hi - first : last_hi - last;
    int64_t grew = last - first > spread ? last - first : 0, span = last_at - send[0];
    if (span <= 0)
        return 0;
    /* sent for span, delivered over span + grew */
    return (int64_t)((double)*sent_bps * (double)span / (double)(span + grew));
}
