/*
 * core.c - a participant's media session core (core.h). Pure.
 * RTP/RTCP per RFC 3550, VP8 payload per RFC 7741, Opus per RFC 7587,
 * PLI/FIR per RFC 4585 §6.3.1 / RFC 5104 §4.3.1, NACK answered by RTX per
 * RFC 4588, REMB per draft-alvestrand-rmcat-remb-03, output tiers (tier.h).
 */
#include "core_int.h"

#include "bytes.h"
#include "err.h"
#include "mem.h"
#include "red.h"
#include "rtcp.h"
#include "rtp.h"
#include "srtp.h"
#include "stats.h"

#include <stdlib.h>
#include <string.h>

static void note_reorder(cv_core_t *c, int64_t late_us);

/* ---- output queues ---- */

static void emit(cv_core_t *c, int event, int value, const char *why)
{
    if (c->ev_n == EVQ) {
        c->st.events_dropped++;
        return;
    }
    c->ev[(c->ev_head + c->ev_n++) % EVQ] = (ev_t){event, value, why};
}

/* The next free RTCP slot, NULL when the queue is full. */
static uint8_t *ctl_slot(cv_core_t *c)
{
    return c->ctl_n == CTLQ ? NULL : c->ctl[(c->ctl_head + c->ctl_n) % CTLQ];
}

static void ctl_commit(cv_core_t *c, int len)
{
    if (len <= 0)
        return;
    c->ctl_len[(c->ctl_head + c->ctl_n) % CTLQ] = (uint16_t)len;
    c->ctl_n++;
}

static void die(cv_core_t *c, const char *why)
{
    if (c->dead)
        return;
    c->dead = 1;
    emit(c, CV_CORE_EV_DEAD, 0, why);
}

/* ---- what the participant sends: key frames, REMB, NACK ---- */

/* A key frame is needed when asked for, or while the depacketiser waits for
 * one of a stream that is sending (a sender whose camera sends nothing is not
 * asked twice a second for ever). */
static int depack_waits(const cv_core_t *c)
{
    return c->h264 ? c->h264->need_keyframe : c->depack.need_keyframe;
}

static int keyframe_needed(const cv_core_t *c)
{
    return c->pli_wanted || (depack_waits(c) && c->now - c->v_last_us < CV_CORE_VIDEO_IDLE_US);
}

/* A PLI while a key frame is needed (asked for, or the depacketiser waits for
 * one), at most every CV_CORE_PLI_INTERVAL_US: one more each interval until it
 * comes. */
static void send_pli_if_due(cv_core_t *c)
{
    if (!keyframe_needed(c) || !c->v_ssrc_in || c->now - c->last_pli_us < CV_CORE_PLI_INTERVAL_US)
        return;
    uint8_t *pkt = ctl_slot(c);
    if (!pkt)
        return;
    c->pli_wanted = 0;
    c->last_pli_us = c->now;
    c->st.plis_sent++;
    ctl_commit(c, cv_rtcp_build_pli(pkt, CTL_CAP, c->vout.ssrc, c->v_ssrc_in));
}

static void request_keyframe(cv_core_t *c)
{
    c->pli_wanted = 1;
    send_pli_if_due(c);
}

/* The sender's video bit rate follows whether the room shows it: at once when
 * that changes, and every CV_CORE_REMB_US. */
static void send_remb(cv_core_t *c)
{
    if (!c->v_ssrc_in || c->cap_kbps <= 0)
        return;
    if (c->cap_kbps == c->remb_kbps && c->now - c->remb_us < CV_CORE_REMB_US)
        return;
    uint8_t *pkt = ctl_slot(c);
    if (!pkt)
        return;
    c->remb_kbps = c->cap_kbps;
    c->remb_us = c->now;
    c->st.rembs_sent++;
    ctl_commit(c, cv_rtcp_build_remb(pkt, CTL_CAP, c->vout.ssrc, (uint64_t)c->cap_kbps * 1000,
                                     &c->v_ssrc_in, 1));
}

static int64_t nack_retry_us(const cv_core_t *c)
{
    int64_t r = c->rtt_us + 10000;
    return r > CV_CORE_NACK_RETRY_US ? r : CV_CORE_NACK_RETRY_US;
}

/* RFC 4585 §6.2.1: ask the sender again for the video packets we miss. */
static void send_nacks(cv_core_t *c)
{
    uint8_t *pkt = ctl_slot(c);
    if (!pkt)
        return;
    uint16_t lost[NACK_BATCH];
    int n = cv_nack_poll(&c->vnack, c->now, nack_retry_us(c), CV_CORE_NACK_MAX_AGE_US, lost,
                         NACK_BATCH);
    if (n == 0)
        return;
    c->st.nacks_sent++;
    ctl_commit(c, cv_rtcp_build_nack(pkt, CTL_CAP, c->vout.ssrc, c->v_ssrc_in, lost, n));
}

/* ---- input path ---- */

static void push_video_frame(cv_core_t *c, const uint8_t *data, size_t len, uint32_t ts, int key,
                             int codec)
{
    if (c->mq_n == CV_CORE_MIXQ) {
        c->st.mixq_full++;
        cv_stats_add(CV_STAT_DROP_QUEUE_FULL, 1);
        cv_core_frame_lost(c, c->now);
        return;
    }
    cv_frame_t *f = cv_frame_new(CV_FRAME_VIDEO, len);
    memcpy(f->data, data, len);
    f->rtp_ts = ts;
    f->keyframe = key;
    f->codec = codec;
    f->t_us = c->now;
    c->mixq[(c->mq_head + c->mq_n++) % CV_CORE_MIXQ] = f;
    c->st.frames_in++;
    if (key)
        c->pli_wanted = 0; /* it came */
}

/* One packet from the jitter buffer through the sender's depacketiser. */
static void depack_video(cv_core_t *c, uint64_t ext, const cv_rtp_hdr_t *h)
{
    int rc;
    if (c->h264) {
        cv_h264_frame_t hf;
        rc = cv_h264_depack_push(c->h264, ext, h->ts, h->marker, h->payload, h->payload_len, &hf);
        if (rc == 1)
            push_video_frame(c, hf.data, hf.len, hf.ts, hf.keyframe, CV_FRAME_H264);
    } else {
        cv_vp8_frame_t vf;
        rc = cv_vp8_depack_push(&c->depack, ext, h->ts, h->marker, h->payload, h->payload_len, &vf);
        if (rc == 1)
            push_video_frame(c, vf.data, vf.len, vf.ts, vf.keyframe, CV_FRAME_VP8);
    }
    if (rc < 0)
        cv_stats_add(CV_STAT_DROP_BAD_VP8, 1);
}

static void drain_video(cv_core_t *c)
{
    uint64_t ext;
    const uint8_t *data;
    int len;
    while ((len = cv_jitter_pop(&c->vjit, c->now, &ext, &data)) > 0) {
        cv_rtp_hdr_t h;
        if (cv_rtp_parse(data, (size_t)len, &h) < 0)
            continue;
        depack_video(c, ext, &h);
    }
    send_pli_if_due(c);
}

/* Whether the room shows this sender's video. While it does not, its packets
 * are dropped and counted; when it is shown again the depacketiser starts
 * afresh and a key frame is asked for. */
static int video_wanted(cv_core_t *c)
{
    send_remb(c);
    if (!c->shown) {
        emit(c, CV_CORE_EV_HIDDEN_DROP, 0, NULL);
        if (!c->v_hidden) { /* its frame buffer goes until shown (reset again then) */
            cv_vp8_depack_reset(&c->depack);
            if (c->h264)
                cv_h264_depack_reset(c->h264);
        }
        c->v_hidden = 1;
        return 0;
    }
    if (c->v_hidden) {
        c->v_hidden = 0;
        cv_jitter_reset(&c->vjit);
        cv_nack_reset(&c->vnack);
        cv_vp8_depack_reset(&c->depack);
        if (c->h264)
            cv_h264_depack_reset(c->h264);
        request_keyframe(c);
    }
    return 1;
}

/* The first SSRC seen on a stream is its sender's; packets of any other are
 * dropped and counted. */
static int same_sender(cv_core_t *c, uint32_t *latched, uint32_t ssrc)
{
    if (!*latched)
        *latched = ssrc;
    if (ssrc == *latched)
        return 1;
    c->st.drop_pt++;
    cv_stats_add(CV_STAT_DROP_UNKNOWN_SSRC, 1);
    return 0;
}

static void on_video(cv_core_t *c, const cv_rtp_hdr_t *h, const uint8_t *pkt, size_t len)
{
    if (!same_sender(c, &c->v_ssrc_in, h->ssrc))
        return;
    uint64_t ext = cv_seq_unwrap(&c->v_unwrap, h->seq);
    cv_rxstats_update(&c->v_rx, h->seq, h->ts, 90000, c->now);
    c->v_last_us = c->now;
    if (!video_wanted(c))
        return;
    int64_t late = cv_nack_on_packet(&c->vnack, ext, c->now);
    if (late >= 0)
        note_reorder(c, late);
    send_nacks(c);
    int rc = cv_jitter_push(&c->vjit, ext, pkt, len, c->now);
    if (rc == CV_E_FULL) {
        drain_video(c); /* the window moved on: release what it held, then store */
        rc = cv_jitter_push(&c->vjit, ext, pkt, len, c->now);
    }
    if (rc == 0)
        cv_stats_add(CV_STAT_DROP_LATE, 1);
    drain_video(c);
}

/* The sender's RTX (RFC 4588 §4): the original packet rebuilt, then as if it came
 * late. Padding-only probes and packets too short for an OSN are dropped. */
static void on_video_rtx(cv_core_t *c, const cv_rtp_hdr_t *h, const uint8_t *pkt, size_t len)
{
    uint16_t osn;
    const uint8_t *pl;
    size_t pll;
    if (!c->v_ssrc_in || !same_sender(c, &c->rtx_ssrc_in, h->ssrc) ||
        cv_rtx_unwrap(pkt, len, &osn, &pl, &pll) < 0 || pll == 0 ||
        h->header_len + pll > CV_CORE_PKT_CAP) {
        c->st.drop_pt++;
        return;
    }
    uint8_t buf[CV_CORE_PKT_CAP];
    memcpy(buf, pkt, h->header_len);
    buf[0] &= (uint8_t)~0x20; /* its padding is gone */
    buf[1] = (uint8_t)((buf[1] & 0x80) | c->p.v_pt);
    wr16(buf + 2, osn);
    wr32(buf + 8, c->v_ssrc_in);
    memcpy(buf + h->header_len, pl, pll);
    cv_rtp_hdr_t orig;
    if (cv_rtp_parse(buf, h->header_len + pll, &orig) == 0)
        on_video(c, &orig, buf, h->header_len + pll);
}

/* Whether audio packet ext arrived (or was rebuilt) already; marks it. */
static int audio_seen(cv_core_t *c, uint64_t ext)
{
    if (ext > c->a_top) {
        uint64_t shift = ext - c->a_top;
        c->a_seen = shift >= 64 ? 0 : c->a_seen << shift;
        c->a_seen |= shift <= 64 ? (uint64_t)1 << (shift - 1) : 0; /* the old top */
        c->a_top = ext;
        return 0;
    }
    if (ext == c->a_top)
        return 1;
    uint64_t back = c->a_top - ext;
    if (back > 64)
        return 1; /* too old to matter */
    uint64_t bit = (uint64_t)1 << (back - 1);
    int seen = (c->a_seen & bit) != 0;
    c->a_seen |= bit;
    return seen;
}

static void push_audio(cv_core_t *c, const uint8_t *data, size_t len, uint32_t ts, uint64_t ext,
                       int level)
{
    if (len == 0) /* nothing to play */
        return;
    if (c->mq_n == CV_CORE_MIXQ) {
        c->st.mixq_full++;
        cv_stats_add(CV_STAT_DROP_QUEUE_FULL, 1);
        return;
    }
    cv_frame_t *f = cv_frame_new(CV_FRAME_AUDIO, len);
    memcpy(f->data, data, len);
    f->rtp_ts = ts;
    f->t_us = c->now;
    f->seq = ext;
    f->level = level;
    c->mixq[(c->mq_head + c->mq_n++) % CV_CORE_MIXQ] = f;
    c->st.frames_in++;
}

/* Plain Opus, or RED (RFC 2198) whose earlier blocks rebuild the packets that
 * were lost: a block RED_MAX_BACK frames back or less, for a packet not seen,
 * becomes that packet (its sequence number from the 20 ms offset). */
static void on_audio(cv_core_t *c, const cv_rtp_hdr_t *h, int red)
{
    if (!same_sender(c, &c->a_ssrc_in, h->ssrc))
        return;
    uint64_t ext = cv_seq_unwrap(&c->a_unwrap, h->seq);
    cv_rxstats_update(&c->a_rx, h->seq, h->ts, 48000, c->now);
    if (h->payload_len == 0 || audio_seen(c, ext)) /* reordering: the room's playout */
        return;
    int vad, level = -1;
    if (c->p.level_id > 0 && cv_rtp_audio_level(h, c->p.level_id, &vad, &level) < 0)
        level = -1;
    if (!red) {
        push_audio(c, h->payload, h->payload_len, h->ts, ext, level);
        return;
    }
    cv_red_block_t b[CV_RED_MAX_BLOCKS + 1];
    int n = cv_red_parse(h->payload, h->payload_len, b, CV_RED_MAX_BLOCKS + 1);
    if (n < 0 || b[n - 1].pt != c->p.a_pt) {
        c->st.drop_parse++;
        cv_stats_add(CV_STAT_DROP_MALFORMED_RTP, 1);
        return;
    }
    for (int i = 0; i < n - 1; i++) {
        uint32_t back = b[i].ts_offset / OPUS_FRAME_TS;
        if (b[i].pt != c->p.a_pt || b[i].ts_offset % OPUS_FRAME_TS || back == 0 ||
            back > RED_MAX_BACK || back >= ext || audio_seen(c, ext - back))
            continue;
        c->st.red_recovered++;
        push_audio(c, b[i].data, b[i].len, h->ts - b[i].ts_offset, ext - back, -1);
    }
    push_audio(c, b[n - 1].data, b[n - 1].len, h->ts, ext, level);
}

void cv_core_on_rtp(cv_core_t *c, const uint8_t *pkt, size_t len, int64_t now_us)
{
    cv_core_set_now(c, now_us);
    if (c->dead)
        return;
    c->last_rx_us = c->now;
    cv_rtp_hdr_t h;
    if (cv_rtp_parse(pkt, len, &h) < 0) {
        c->st.drop_parse++;
        cv_stats_add(CV_STAT_DROP_MALFORMED_RTP, 1);
        return;
    }
    const uint8_t *tw;
    if (c->twcc && cv_rtp_find_ext(&h, c->p.twcc_id, &tw) >= 2)
        cv_twcc_rx_on_packet(c->twcc, rd16(tw), c->now);
    if (!c->p.takes) {
        c->st.drop_pt++; /* a viewer's media is not used */
        cv_stats_add(CV_STAT_DROP_NOT_WANTED, 1);
    } else if (h.pt == c->p.v_pt && c->p.v_pt >= 0) {
        on_video(c, &h, pkt, len);
    } else if (h.pt == c->p.a_pt && c->p.a_pt >= 0) {
        on_audio(c, &h, 0);
    } else if (h.pt == c->p.red_pt && c->p.red_pt >= 0) {
        on_audio(c, &h, 1);
    } else if (h.pt == c->p.rtx_pt && c->p.rtx_pt >= 0) {
        on_video_rtx(c, &h, pkt, len);
    } else {
        c->st.drop_pt++;
        cv_stats_add(CV_STAT_DROP_UNKNOWN_PT, 1);
    }
}

/* ---- what it receives: tiers from feedback, NACKs answered ---- */

static void apply_tier(cv_core_t *c, int tier, const char *why)
{
    if (tier == c->tier)
        return;
    int was_paused = c->tier == CV_TIER_AUDIO_ONLY, paused = tier == CV_TIER_AUDIO_ONLY;
    c->tier = tier;
    if (c->bwe) /* not more than the tier's rate until the link has shown it carries it */
        c->probation_us = c->now + PACE_PROBATION_US;
    emit(c, CV_CORE_EV_TIER, tier, why);
    if (paused)
        c->vout.started = 0; /* when it resumes, from a key frame */
    else
        emit(c, CV_CORE_EV_KEYFRAME, 0, NULL); /* another tier's stream, or a resume */
    if (paused != was_paused && !c->start_quiet)
        emit(c, CV_CORE_EV_PAUSED, paused, NULL);
}

/* A gap is asked for once the link's reordering no longer explains it, and
 * the jitter buffer waits for that plus a round trip (RFC 4585 §3.2) and some
 * slack. A packet that comes back faster than half a round trip after its NACK
 * is the original, late, not the retransmission. */
static void set_waits(cv_core_t *c)
{
    int64_t rtt = c->rtt_us > 0 ? c->rtt_us : 0;
    /* a quarter more than the worst seen: a packet just later than that is
     * more likely overtaken than lost */
    c->vnack.first_delay_us = c->reorder_us > 0 ? c->reorder_us * 5 / 4 + 5000 : 0;
    int64_t wait = c->vnack.first_delay_us + rtt + 30000;
    c->vjit.max_wait_us = wait < CV_CORE_JITTER_WAIT_US  ? CV_CORE_JITTER_WAIT_US
                          : wait > CV_CORE_JITTER_MAX_US ? CV_CORE_JITTER_MAX_US
                                                         : wait;
    c->vnack.answer_us = rtt > 0 ? rtt / 2 : CV_CORE_NACK_ANSWER_US;
    if (c->rtx) { /* the history NACKs come for: a few round trips and the holds */
        int64_t keep = 4 * (rtt > 0 ? rtt : CV_CORE_RTT_DEFAULT_US) + 2 * c->reorder_us + 300000;
        cv_rtx_set_keep(c->rtx, keep < CV_CORE_RTX_MAX_AGE_US ? keep : CV_CORE_RTX_MAX_AGE_US);
    }
}

static void note_rtt(cv_core_t *c, int64_t rtt)
{
    c->rtt_us = c->rtt_us < 0 ? rtt : (7 * c->rtt_us + rtt) / 8;
    set_waits(c);
}

/* A packet that filled a gap by itself, late_us after the gap showed. The
 * link's reordering is the latest such packet of the last CV_CORE_REORDER_WIN_US
 * to 2 x that (two windows), up to a cap: later than that is loss. */
static void note_reorder(cv_core_t *c, int64_t late_us)
{
    if (late_us > CV_CORE_REORDER_MAX_US)
        late_us = CV_CORE_REORDER_MAX_US;
    if (late_us > c->reorder_cur)
        c->reorder_cur = late_us;
    int64_t r = c->reorder_cur > c->reorder_prev ? c->reorder_cur : c->reorder_prev;
    if (r != c->reorder_us) {
        c->reorder_us = r;
        set_waits(c);
    }
}

static void rotate_reorder(cv_core_t *c)
{
    if (c->now - c->reorder_win_us < CV_CORE_REORDER_WIN_US)
        return;
    c->reorder_win_us = c->now;
    c->reorder_prev = c->reorder_cur;
    c->reorder_cur = 0;
    note_reorder(c, 0);
}

static void note_audio_loss(cv_core_t *c, int fraction)
{
    /* a loss shows at once, fades slowly */
    c->a_loss = fraction > c->a_loss ? fraction : (7 * c->a_loss + fraction) / 8;
    emit(c, CV_CORE_EV_RECEIVE_LOSS, fraction, NULL);
}

static uint64_t ntp_now(const cv_core_t *c)
{
    return cv_ntp_from_unix_us(c->now + c->p.wall_offset_us);
}

/* RR/SR report blocks on our streams and REMB, from a receiver. */
static void on_receiver_feedback(cv_core_t *c, const cv_rtcp_item_t *it)
{
    if (!c->p.sends)
        return;
    if (it->type == CV_RTCP_REMB) {
        apply_tier(c, cv_tier_ctl_on_remb(&c->tierctl, it->remb_bps, c->now), "REMB");
        return;
    }
    uint32_t mid = cv_ntp_mid32(ntp_now(c));
    const cv_rtcp_rb_t *video = NULL;
    for (int i = 0; i < it->n_rb; i++) {
        const cv_rtcp_rb_t *rb = &it->rb[i];
        if (rb->ssrc != c->vout.ssrc && rb->ssrc != c->aout.ssrc)
            continue;
        if (rb->ssrc == c->vout.ssrc) /* the tier follows what video loses */
            video = rb;
        else /* sizes the Opus FEC and RED of what it hears */
            note_audio_loss(c, rb->fraction_lost);
        int64_t rtt = cv_tier_rtt_us(rb->lsr, rb->dlsr, mid);
        if (rtt >= 0)
            note_rtt(c, rtt);
    }
    if (video)
        apply_tier(c,
                   cv_tier_ctl_on_report(&c->tierctl, video->cum_lost, video->ext_high_seq, c->now),
                   "loss");
}

static void on_nack(cv_core_t *c, const cv_rtcp_item_t *it)
{
    if (!c->rtx || it->media_ssrc != c->vout.ssrc)
        return;
    for (int i = 0; i < it->n_nack; i++) {
        uint16_t seqs[17];
        int n = cv_rtcp_nack_seqs(it->nack_pid[i], it->nack_blp[i], seqs, 17);
        for (int k = 0; k < n && c->rs_n < RESENDQ; k++) {
            int at = (c->rs_head + c->rs_n++) % RESENDQ;
            c->resend[at] = seqs[k];
            c->resend_us[at] = c->now;
        }
    }
}

static void on_rtcp_item(cv_core_t *c, const cv_rtcp_item_t *it)
{
    if ((it->type == CV_RTCP_PLI || it->type == CV_RTCP_FIR) && it->media_ssrc == c->vout.ssrc)
        emit(c, CV_CORE_EV_KEYFRAME, 0, NULL);
    else if (it->type == CV_RTCP_BYE && it->sender_ssrc != 0 &&
             (it->sender_ssrc == c->v_ssrc_in || it->sender_ssrc == c->a_ssrc_in))
        die(c, "the participant said goodbye (RTCP BYE)");
    else if (it->type == CV_RTCP_SR && it->sender_ssrc == c->v_ssrc_in)
        cv_rxstats_on_sr(&c->v_rx, it->sr.ntp, c->now);
    else if (it->type == CV_RTCP_SR && it->sender_ssrc == c->a_ssrc_in)
        cv_rxstats_on_sr(&c->a_rx, it->sr.ntp, c->now);
    if (it->type == CV_RTCP_NACK)
        on_nack(c, it);
    else if (it->type == CV_RTCP_RR || it->type == CV_RTCP_SR || it->type == CV_RTCP_REMB)
        on_receiver_feedback(c, it);
}

/* Probes (tier.h): the tier control wants a step up proven; a probe sends,
 * for PROBE_US, padding beside the media up to a little over that rate, and
 * its feedback says whether the link kept up. */
static void probe_step(cv_core_t *c)
{
    if (!c->tierctl.probes)
        return;
    if (c->probe_end_us && c->now >= c->probe_end_us) {
        cv_bwe_probe_end(c->bwe);
        c->probe_end_us = 0;
        c->probe_wait_us = c->now + PROBE_WAIT_US;
    }
    if (c->probe_wait_us) {
        int64_t sent, got = cv_bwe_probe_result(c->bwe, &sent);
        if (got == CV_BWE_PROBE_PENDING && c->now < c->probe_wait_us)
            return;
        c->probe_wait_us = 0;
        c->probe_next_us = c->now + PROBE_GAP_US;
        if (got != CV_BWE_PROBE_PENDING)
            apply_tier(c, cv_tier_ctl_on_probe(&c->tierctl, sent, got, c->now), "probe");
        /* the start's audio only is news only if the first probe kept it */
        if (c->start_quiet && c->tier == CV_TIER_AUDIO_ONLY)
            emit(c, CV_CORE_EV_PAUSED, 1, NULL);
        c->start_quiet = 0;
        return;
    }
    if (c->probe_end_us || c->tierctl.want_bps <= 0 || c->now < c->probe_next_us)
        return;
    c->st.probes++;
    c->probe_start_us = c->now;
    c->probe_end_us = c->now + PROBE_US;
    c->probe_bps = c->tierctl.want_bps * PROBE_OVER / 100;
    c->probe_sent = 0;
    cv_bwe_probe_begin(c->bwe);
}

/* Transport feedback on what we send (bwe.h): the link's queue moves the tier. */
static void on_transport_feedback(cv_core_t *c, const uint8_t *pkt, size_t len)
{
    cv_twcc_fb_t fb;
    if (cv_twcc_parse(pkt, len, &fb) != 0) {
        c->st.drop_parse++;
        cv_stats_add(CV_STAT_DROP_MALFORMED_RTCP, 1);
        return;
    }
    c->st.twcc_in++;
    int state = cv_bwe_on_feedback(c->bwe, &fb);
    probe_step(c);
    if (state == CV_BWE_NONE)
        return;
    if (state == CV_BWE_OVERUSE)
        c->st.overuses++;
    apply_tier(c, cv_tier_ctl_on_delay(&c->tierctl, state, c->bwe->peak_bps, c->now),
               state == CV_BWE_OVERUSE ? "queue" : "delay");
}

/* The sub-packets of a compound packet cv_rtcp_parse found sound: the
 * transport feedback among them (RTPFB, FMT 15) goes to on_transport_feedback. */
static void each_transport_feedback(cv_core_t *c, const uint8_t *pkt, size_t len)
{
    for (size_t off = 0; off + 4 <= len && !c->dead;) {
        size_t n = ((size_t)pkt[off + 2] << 8 | pkt[off + 3]) * 4 + 4;
        if (n > len - off)
            return;
        if (pkt[off + 1] == CV_RTCP_PT_RTPFB && (pkt[off] & 0x1f) == 15)
            on_transport_feedback(c, pkt + off, n);
        off += n;
    }
}

void cv_core_on_rtcp(cv_core_t *c, const uint8_t *pkt, size_t len, int64_t now_us)
{
    cv_core_set_now(c, now_us);
    if (c->dead)
        return;
    c->last_rx_us = c->now;
    cv_rtcp_item_t items[8];
    int n = cv_rtcp_parse(pkt, len, items, 8);
    if (n < 0) {
        c->st.drop_parse++;
        cv_stats_add(CV_STAT_DROP_MALFORMED_RTCP, 1);
        return;
    }
    for (int i = 0; i < n && !c->dead; i++)
        on_rtcp_item(c, &items[i]);
    if (c->bwe && c->connected)
        each_transport_feedback(c, pkt, len);
}

/* Transport feedback (twcc.h) on what arrived since the last, each
 * TWCC_INTERVAL_US: the participant's browser paces what it sends by it. */
static void send_twcc(cv_core_t *c)
{
    if (!c->twcc || c->now - c->twcc_us < TWCC_INTERVAL_US)
        return;
    uint8_t *pkt;
    int n = 0;
    while (cv_twcc_rx_pending(c->twcc) && (pkt = ctl_slot(c)) &&
           (n = cv_twcc_build(c->twcc, pkt, CTL_CAP, c->vout.ssrc,
                              c->v_ssrc_in ? c->v_ssrc_in : c->a_ssrc_in)) > 0) {
        ctl_commit(c, n);
        c->st.twcc_sent++;
    }
    c->twcc_us = c->now;
}

/* ---- reports and time ---- */

static int put_sr(cv_core_t *c, uint8_t *pkt, size_t cap, const cv_outstream_t *o, uint32_t rate,
                  uint64_t ntp, const cv_rtcp_rb_t *rb, int n_rb)
{
    cv_rtcp_sr_t sr = {.ssrc = o->ssrc,
                       .ntp = ntp,
                       .rtp_ts = cv_outstream_ts_at(o, c->now, rate),
                       .packets = o->packets,
                       .octets = o->octets};
    return cv_rtcp_build_sr(pkt, cap, &sr, rb, n_rb);
}

/* One compound packet: SR (or RR) with the report blocks on what it sends,
 * the audio SR, our CNAME. */
static void send_reports(cv_core_t *c)
{
    uint8_t *pkt = ctl_slot(c);
    if (!pkt)
        return;
    uint64_t ntp = ntp_now(c);
    cv_rtcp_rb_t rb[2];
    int n_rb = 0;
    if (c->v_ssrc_in)
        cv_rxstats_report(&c->v_rx, c->v_ssrc_in, c->now, &rb[n_rb++]);
    if (c->a_ssrc_in)
        cv_rxstats_report(&c->a_rx, c->a_ssrc_in, c->now, &rb[n_rb++]);
    int n = c->vout.packets ? put_sr(c, pkt, CTL_CAP, &c->vout, 90000, ntp, rb, n_rb)
                            : cv_rtcp_build_rr(pkt, CTL_CAP, c->vout.ssrc, rb, n_rb);
    if (n < 0)
        return;
    size_t len = (size_t)n;
    if (c->aout.packets &&
        (n = put_sr(c, pkt + len, CTL_CAP - len, &c->aout, 48000, ntp, NULL, 0)) > 0)
        len += (size_t)n;
    n = cv_rtcp_build_sdes_cname(pkt + len, CTL_CAP - len, c->vout.ssrc, c->p.cname);
    if (n > 0)
        len += (size_t)n;
    ctl_commit(c, (int)len);
}

void cv_core_on_timeout(cv_core_t *c, int64_t now_us)
{
    cv_core_set_now(c, now_us);
    if (c->dead || !c->connected)
        return;
    send_twcc(c);
    if (c->p.takes && c->v_ssrc_in) {
        if (!c->v_hidden) {
            drain_video(c);
            send_nacks(c);
        }
        if (!c->v_hidden)
            send_pli_if_due(c);
        send_remb(c);
    }
    if (c->now >= c->next_report_us) {
        send_reports(c);
        rotate_reorder(c);
        if (c->p.sends)
            apply_tier(c, cv_tier_ctl_poll(&c->tierctl, c->now), "stable");
        if (c->p.sends && c->bwe)
            probe_step(c);
        while (c->next_report_us <= c->now)
            c->next_report_us += CV_CORE_REPORT_US;
    }
    if (c->probe_end_us && c->now >= c->probe_end_us)
        probe_step(c);
    if (c->now - c->last_rx_us > CV_CORE_SILENCE_US)
        die(c, "nothing authenticated received for 10 s");
}

static void earliest(int64_t *d, int64_t t)
{
    if (t >= 0 && (*d < 0 || t < *d))
        *d = t;
}

int64_t cv_core_deadline(const cv_core_t *c)
{
    if (c->dead || !c->connected)
        return -1;
    int64_t d = c->next_report_us;
    if (cv_core_video_pending(c))
        earliest(&d, cv_core_pace_ready_us(c));
    if (c->probe_end_us) {
        earliest(&d, cv_core_probe_due_us(c));
        earliest(&d, c->probe_end_us);
    }
    if (c->rs_n > 0)
        earliest(&d, cv_core_resend_due_us(c));
    if (c->twcc && cv_twcc_rx_pending(c->twcc))
        earliest(&d, c->twcc_us + TWCC_INTERVAL_US);
    earliest(&d, c->last_rx_us + CV_CORE_SILENCE_US + 1);
    if (c->p.takes && c->v_ssrc_in) {
        if (!c->v_hidden) {
            earliest(&d, cv_jitter_next_deadline(&c->vjit));
            earliest(&d,
                     cv_nack_next_deadline(&c->vnack, nack_retry_us(c), CV_CORE_NACK_MAX_AGE_US));
        }
        if (!c->v_hidden && keyframe_needed(c))
            earliest(&d, c->last_pli_us + CV_CORE_PLI_INTERVAL_US);
        if (c->cap_kbps > 0)
            earliest(&d, c->remb_us + CV_CORE_REMB_US);
    }
    return d;
}

/* ---- inputs from the shell ---- */

void cv_core_on_connected(cv_core_t *c, int64_t now_us)
{
    cv_core_set_now(c, now_us);
    if (c->connected || c->dead)
        return;
    c->connected = 1;
    c->last_rx_us = c->now;
    c->next_report_us = c->now + CV_CORE_REPORT_US;
    cv_tier_ctl_init(&c->tierctl, &c->p.tiers, c->now);
    /* probes need somewhere to put padding a receiver drops: the RTX stream */
    c->tierctl.probes = c->bwe && c->rtx && c->p.rtx_pt >= 0 && !c->p.no_probe;
    c->start_quiet = c->tierctl.probes;
    if (c->bwe) /* its feedback shows the link: start below the best tier, climb */
        apply_tier(c, cv_tier_ctl_use_delay(&c->tierctl, c->now), "start");
    cv_core_pace_start(c);
    emit(c, CV_CORE_EV_KEYFRAME, 0, NULL);
    request_keyframe(c);
}

void cv_core_set_view(cv_core_t *c, int shown, int cap_kbps, int64_t now_us)
{
    cv_core_set_now(c, now_us);
    c->shown = shown;
    c->cap_kbps = cap_kbps;
    if (c->connected && !c->dead && c->p.takes && cap_kbps != c->remb_kbps)
        send_remb(c);
}

void cv_core_request_keyframe(cv_core_t *c, int64_t now_us)
{
    cv_core_set_now(c, now_us);
    if (!c->dead)
        request_keyframe(c);
}

void cv_core_frame_lost(cv_core_t *c, int64_t now_us)
{
    cv_core_set_now(c, now_us);
    c->depack.need_keyframe = 1; /* a lost frame breaks the references */
    if (c->h264)
        c->h264->need_keyframe = 1;
    if (!c->dead)
        request_keyframe(c);
}

/* ---- life ---- */

cv_core_t *cv_core_new(const cv_core_params_t *p)
{
    cv_core_t *c = cv_xcalloc(1, sizeof(*c));
    c->p = *p;
    if (c->p.tiers.n == 0)
        cv_tiers_parse(CV_TIERS_DEFAULT, &c->p.tiers, NULL, 0);
    cv_outstream_init(&c->aout, p->a_ssrc, p->red_pt >= 0 ? p->red_pt : p->a_pt, 0, p->a_seq0,
                      p->a_ts0, 0);
    cv_outstream_init(&c->vout, p->v_ssrc, p->v_pt, 1, p->v_seq0, p->v_ts0, p->picture_id0);
    if (p->v_h264)
        cv_outstream_set_h264(&c->vout);
    if (p->twcc_id > 0 && p->twcc_id <= 14 && p->takes) {
        c->twcc = cv_xmalloc(sizeof(*c->twcc));
        cv_twcc_rx_init(c->twcc);
    }
    c->lane[0].out = &c->aout;
    c->lane[1].out = &c->vout;
    cv_jitter_init(&c->vjit, CV_CORE_JITTER_WAIT_US);
    cv_nack_init(&c->vnack);
    set_waits(c);
    if (p->v_h264) { /* the VP8 depacketiser stays empty, never fed */
        c->h264 = cv_xmalloc(sizeof(*c->h264));
        cv_h264_depack_init(c->h264, VP8_FRAME_MAX);
        c->p.h264_sprop[sizeof c->p.h264_sprop - 1] = 0;
        cv_h264_depack_set_sprop(c->h264, c->p.h264_sprop, strlen(c->p.h264_sprop));
    } else {
        cv_vp8_depack_init(&c->depack, VP8_FRAME_MAX);
    }
    cv_tier_ctl_init(&c->tierctl, &c->p.tiers, 0);
    c->shown = 1;
    c->rtt_us = -1;
    c->a_loss = -1; /* no report yet */
    c->last_pli_us = -CV_CORE_PLI_INTERVAL_US;
    if (p->sends && p->v_pt >= 0) {
        c->rtx = cv_xcalloc(1, sizeof(*c->rtx));
        cv_rtx_init(c->rtx, p->rtx_seq0);
        set_waits(c);
    }
    if (p->sends && p->v_pt >= 0 && p->twcc_id > 0 && p->twcc_id <= 14) {
        c->bwe = cv_xmalloc(sizeof(*c->bwe));
        cv_bwe_init(c->bwe);
    }
    return c;
}

void cv_core_free(cv_core_t *c)
{
    if (!c)
        return;
    for (int i = 0; i < c->mq_n; i++)
        cv_frame_unref(c->mixq[(c->mq_head + i) % CV_CORE_MIXQ]);
    for (int k = 0; k < 2; k++) {
        struct lane *l = &c->lane[k];
        for (int i = 0; i < l->n; i++)
            cv_frame_unref(l->q[(l->head + i) % TXQ]);
        cv_frame_unref(l->cur);
    }
    for (int i = 0; i < RED_LEVELS; i++)
        cv_frame_unref(c->red_hist[i]);
    cv_jitter_cleanup(&c->vjit);
    cv_vp8_depack_cleanup(&c->depack);
    cv_h264_depack_cleanup(c->h264);
    free(c->h264);
    cv_rtx_cleanup(c->rtx);
    free(c->rtx);
    free(c->twcc);
    free(c->bwe);
    free(c);
}

int cv_core_tier(const cv_core_t *c)
{
    return c->tier;
}

const cv_tier_ctl_t *cv_core_tier_ctl(const cv_core_t *c)
{
    return &c->tierctl;
}

int cv_core_dead(const cv_core_t *c)
{
    return c->dead;
}

int64_t cv_core_rtt_us(const cv_core_t *c)
{
    return c->rtt_us;
}

const cv_core_stats_t *cv_core_stats(const cv_core_t *c)
{
    return &c->st;
}
