/*
 * core_send.c - what the media session core sends (core_int.h): the mixer's
 * frames packetised one packet a poll, audio as RED with as many earlier
 * frames as the receiver's loss calls for, video through the pacer, and the
 * poll that hands out events, RTCP, retransmissions, frames for the mixer and
 * media in that order. Pure.
 */
#include "core_int.h"

#include "bytes.h"
#include "red.h"
#include "rtp.h"
#include "srtp.h"
#include "stats.h"

#include <string.h>

void cv_core_on_frame(cv_core_t *c, cv_frame_t *f, int64_t now_us)
{
    cv_core_set_now(c, now_us);
    int video = f->kind == CV_FRAME_VIDEO;
    if (!c->connected || c->dead || !c->p.sends)
        return;
    if (video && (c->tier == CV_TIER_AUDIO_ONLY || (f->codec == CV_FRAME_H264) != !!c->p.v_h264))
        return; /* weak connection: the video is paused, the audio goes on; or not its codec */
    struct lane *l = &c->lane[video];
    if (l->n == TXQ) {
        cv_stats_add(CV_STAT_DROP_QUEUE_FULL, 1);
        return;
    }
    l->q[(l->head + l->n++) % TXQ] = cv_frame_ref(f);
}

/* ---- output ---- */

static int poll_ctl(cv_core_t *c, cv_core_out_t *out)
{
    size_t len = c->ctl_len[c->ctl_head];
    memcpy(c->out, c->ctl[c->ctl_head], len);
    c->ctl_head = (c->ctl_head + 1) % CTLQ;
    c->ctl_n--;
    c->st.rtcp_out++;
    *out = (cv_core_out_t){.kind = CV_CORE_RTCP, .pkt = c->out, .len = len, .cap = sizeof(c->out)};
    return out->kind;
}

/* Numbers a packet that leaves now for the receiver's transport feedback
 * (bwe.h): returns its new length. vseq >= 0: it is (or resends) that video
 * packet. */
static int stamp(cv_core_t *c, int n, int vseq)
{
    if (!c->bwe)
        return n;
    size_t cap = sizeof(c->out) - CV_SRTP_MAX_TRAILER;
    uint16_t seq = cv_bwe_on_send(c->bwe, (size_t)n + 8, c->now); /* the RTP bytes */
    if (c->probe_end_us)
        c->probe_sent += n + 8;
    if (vseq >= 0)
        c->tw_of[vseq % CV_RTX_SLOTS] = seq;
    int m = cv_rtp_add_ext16(c->out, (size_t)n, cap, c->p.twcc_id, seq);
    return m > 0 ? m : n;
}

/* How long a NACK waits for feedback before it is answered: on a link that
 * reorders, a receiver asks for packets that were only overtaken, and the
 * transport feedback soon says whether they came: after the late packet
 * (the reordering seen), the next feedback (its interval) and that
 * feedback's own way back (as late, at worst). Where packets are really
 * lost (its reports, which count late packets as received, say so), most
 * NACKs are for lost ones and waiting would only delay them. 0: at once. */
static int64_t nack_hold_us(const cv_core_t *c)
{
    if (!c->bwe || c->bwe->reorder_us <= 0 || c->tierctl.avg_loss > NACK_HOLD_MAX_LOSS)
        return 0;
    return 2 * c->bwe->reorder_us + c->bwe->fb_gap_us + NACK_HOLD_SLACK_US;
}

/* What the feedback said of video packet seq's last send. */
static int fate_of(const cv_core_t *c, uint16_t seq)
{
    return c->bwe ? cv_bwe_fate(c->bwe, c->tw_of[seq % CV_RTX_SLOTS]) : CV_BWE_FORGOTTEN;
}

/* A packet reported missing may still come (the feedback went before it
 * did): only the hold's end or its arrival decide. */
int64_t cv_core_resend_due_us(const cv_core_t *c)
{
    int fate = fate_of(c, c->resend[c->rs_head]);
    if (fate == CV_BWE_UNREPORTED || fate == CV_BWE_MISSING)
        return c->resend_us[c->rs_head] + nack_hold_us(c);
    return c->now;
}

/* RFC 4588 §4: one packet again, as RTX when the offer has it, else as it was. */
static int poll_resend(cv_core_t *c, cv_core_out_t *out)
{
    while (c->rs_n > 0) {
        uint16_t seq = c->resend[c->rs_head];
        if (cv_core_resend_due_us(c) > c->now)
            return CV_CORE_NONE; /* waits for feedback; cv_core_deadline says when */
        c->rs_head = (c->rs_head + 1) % RESENDQ;
        c->rs_n--;
        if (fate_of(c, seq) == CV_BWE_RECEIVED) {
            c->st.nacks_spared++; /* it was late, not lost */
            continue;
        }
        const uint8_t *orig;
        int64_t gap = c->rtt_us > 0 ? c->rtt_us : CV_CORE_RTT_DEFAULT_US;
        int len = cv_rtx_find(c->rtx, seq, c->now, CV_CORE_RTX_MAX_AGE_US, gap, &orig);
        if (len < 0)
            continue;
        size_t cap = sizeof(c->out) - CV_SRTP_MAX_TRAILER;
        int n = len;
        if (c->p.rtx_pt >= 0)
            n = cv_rtx_wrap(c->rtx, orig, (size_t)len, c->p.rtx_pt, c->p.rtx_ssrc, c->out, cap);
        else
            memcpy(c->out, orig, (size_t)len);
        if (n <= 0)
            continue;
        n = stamp(c, n, seq);
        c->st.resent++;
        cv_stats_add(CV_STAT_RETRANSMITTED, 1);
        *out = (cv_core_out_t){
            .kind = CV_CORE_RTP, .pkt = c->out, .len = (size_t)n, .cap = sizeof(c->out)};
        return out->kind;
    }
    return CV_CORE_NONE;
}

/* How many earlier frames go again with each audio packet: none on a clean
 * link, one at some loss (and before the first report: the link is not
 * known clean, and the first seconds of a call matter), two from 5 %. */
static int red_level(const cv_core_t *c)
{
    return c->a_loss == 0 ? 0 : c->a_loss < 13 ? 1 : RED_LEVELS;
}

/* The RED payload of audio frame f (RFC 2198): the last frames sent before it
 * that still fit the header's fields, then f; f joins the history. */
static void wrap_red(cv_core_t *c, cv_frame_t *f)
{
    cv_red_block_t b[RED_LEVELS];
    int n = 0;
    for (int i = red_level(c) - 1; i >= 0; i--) {
        const cv_frame_t *h = c->red_hist[i];
        uint32_t off = f->rtp_ts - (h ? h->rtp_ts : 0);
        if (!h || off == 0 || off > CV_RED_MAX_TS_OFFSET || h->len > CV_RED_MAX_BLOCK_LEN ||
            h->len <= CV_OUTSTREAM_DTX_MAX_BYTES)
            continue;
        b[n++] =
            (cv_red_block_t){.pt = c->p.a_pt, .ts_offset = off, .data = h->data, .len = h->len};
    }
    int len = cv_red_build(c->red_buf, sizeof(c->red_buf) - 64, b, n, c->p.a_pt, f->data, f->len);
    if (len < 0) /* the primary alone always fits what a plain packet would */
        len = cv_red_build(c->red_buf, sizeof(c->red_buf), NULL, 0, c->p.a_pt, f->data, f->len);
    if (len > 0)
        cv_outstream_set_payload(&c->lane[0].fr, c->red_buf, (size_t)len);
    cv_frame_unref(c->red_hist[RED_LEVELS - 1]);
    memmove(&c->red_hist[1], &c->red_hist[0], (RED_LEVELS - 1) * sizeof(c->red_hist[0]));
    c->red_hist[0] = cv_frame_ref(f);
}

/* The video pacer: bytes a second it may send to this receiver, from its
 * tier. A key frame then spreads over a few frame times instead of
 * overflowing a slow link's queue at once; audio never waits for it. */
static int64_t pace_rate(const cv_core_t *c)
{
    int t = c->tier < 0 ? c->p.tiers.n - 1 : c->tier < c->p.tiers.n ? c->tier : c->p.tiers.n - 1;
    int64_t kbps = c->p.tiers.t[t].kbps + CV_TIER_AUDIO_KBPS;
    return kbps * 1000 / 8 * (c->now < c->probation_us ? PACE_PROBATION : PACE_FACTOR) / 10;
}

static int64_t pace_burst(const cv_core_t *c)
{
    int64_t b = pace_rate(c) * PACE_BURST_US / 1000000;
    return b > PACE_BURST_MIN ? b : PACE_BURST_MIN;
}

void cv_core_pace_start(cv_core_t *c)
{
    c->pace_us = c->now;
    c->pace_bytes = pace_burst(c);
}

static void pace_refill(cv_core_t *c)
{
    int64_t burst = pace_burst(c);
    c->pace_bytes += (c->now - c->pace_us) * pace_rate(c) / 1000000;
    if (c->pace_bytes > burst)
        c->pace_bytes = burst;
    c->pace_us = c->now;
}

/* When the pacer lets the next video packet go: now, or later. */
int64_t cv_core_pace_ready_us(const cv_core_t *c)
{
    if (c->pace_bytes >= 0)
        return c->now;
    return c->pace_us + (-c->pace_bytes * 1000000 + pace_rate(c) - 1) / pace_rate(c);
}

/* The next packet of one lane's frames, or 0 when it has none. */
static int lane_next(cv_core_t *c, struct lane *l)
{
    for (;;) {
        if (!l->cur) {
            if (l->n == 0)
                return 0;
            cv_frame_t *f = l->q[l->head];
            l->head = (l->head + 1) % TXQ;
            l->n--;
            if (!cv_outstream_begin(l->out, &l->fr, f->data, f->len, f->rtp_ts, f->t_us,
                                    f->keyframe)) {
                cv_frame_unref(f);
                continue;
            }
            l->cur = f;
            c->st.frames_out++;
            if (l == &c->lane[0] && c->p.red_pt >= 0)
                wrap_red(c, f);
        }
        int n = cv_outstream_next(l->out, &l->fr, CV_CORE_MAX_PAYLOAD, c->out,
                                  sizeof(c->out) - CV_SRTP_MAX_TRAILER);
        if (n > 0)
            return n;
        cv_frame_unref(l->cur);
        l->cur = NULL;
    }
}

int cv_core_video_pending(const cv_core_t *c)
{
    return c->lane[1].cur || c->lane[1].n;
}

/* The padding of one packet of a probe: enough packets for the feedback to
 * show a trend (PROBE_PACKETS over the probe), none over the 255 bytes RTP
 * padding can say. */
static int probe_pad(const cv_core_t *c)
{
    int64_t pad = c->probe_bps / 8 * PROBE_US / 1000000 / PROBE_PACKETS - CV_RTP_HDR_LEN - 8;
    return pad < PROBE_PAD_MIN ? PROBE_PAD_MIN : pad > PROBE_PAD_MAX ? PROBE_PAD_MAX : (int)pad;
}

int64_t cv_core_probe_due_us(const cv_core_t *c)
{
    if (!c->probe_end_us || c->now >= c->probe_end_us)
        return -1;
    /* the probe's bytes so far, media included, against its rate */
    int64_t due = c->probe_start_us + (c->probe_sent + probe_pad(c)) * 8 * 1000000 / c->probe_bps;
    return due < c->now ? c->now : due;
}

/* A packet of padding only, on the retransmission stream (RFC 4588: a
 * receiver drops what carries no original sequence number); only its size
 * and its transport number matter. */
static int padding_packet(cv_core_t *c)
{
    uint8_t *p = c->out;
    p[0] = 0x80 | 0x20; /* version 2, padding */
    p[1] = (uint8_t)c->p.rtx_pt;
    wr16(p + 2, c->rtx->rtx_seq++);
    wr32(p + 4, c->vout.last_ts);
    wr32(p + 8, c->p.rtx_ssrc);
    int pad = probe_pad(c);
    memset(p + CV_RTP_HDR_LEN, 0, (size_t)pad);
    p[CV_RTP_HDR_LEN + pad - 1] = (uint8_t)pad;
    return CV_RTP_HDR_LEN + pad;
}

static int poll_media(cv_core_t *c, cv_core_out_t *out)
{
    int video = 0, n = lane_next(c, &c->lane[0]);
    if (n <= 0 && cv_core_video_pending(c)) {
        pace_refill(c);
        if (c->pace_bytes >= 0) { /* else cv_core_deadline says when */
            video = 1;
            n = lane_next(c, &c->lane[1]);
        }
    }
    if (n <= 0) {
        int64_t due = cv_core_probe_due_us(c);
        if (due < 0 || due > c->now)
            return CV_CORE_NONE;
        n = stamp(c, padding_packet(c), -1);
        c->st.probe_out++;
        cv_stats_add(CV_STAT_PROBE_PADDING, 1);
        *out = (cv_core_out_t){
            .kind = CV_CORE_RTP, .pkt = c->out, .len = (size_t)n, .cap = sizeof(c->out)};
        return out->kind;
    }
    c->pace_bytes -= n;  /* audio counts too, it only never waits */
    if (video && c->rtx) /* a copy, before SRTP and numbering, for NACKs */
        cv_rtx_store(c->rtx, c->out, (size_t)n, c->now);
    n = stamp(c, n, video ? rd16(c->out + 2) : -1);
    c->st.rtp_out++;
    *out = (cv_core_out_t){
        .kind = CV_CORE_RTP, .pkt = c->out, .len = (size_t)n, .cap = sizeof(c->out)};
    return out->kind;
}

int cv_core_poll(cv_core_t *c, cv_core_out_t *out)
{
    *out = (cv_core_out_t){.kind = CV_CORE_NONE};
    if (c->ev_n > 0) {
        ev_t *e = &c->ev[c->ev_head];
        c->ev_head = (c->ev_head + 1) % EVQ;
        c->ev_n--;
        *out = (cv_core_out_t){
            .kind = CV_CORE_EVENT, .event = e->event, .value = e->value, .why = e->why};
        return out->kind;
    }
    if (c->dead)
        return CV_CORE_NONE;
    if (c->ctl_n > 0)
        return poll_ctl(c, out);
    if (poll_resend(c, out))
        return out->kind;
    if (c->mq_n > 0) {
        out->kind = CV_CORE_FRAME;
        out->frame = c->mixq[c->mq_head];
        c->mq_head = (c->mq_head + 1) % CV_CORE_MIXQ;
        c->mq_n--;
        return out->kind;
    }
    return poll_media(c, out);
}
