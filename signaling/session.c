/*
 * session.c - a participant's media session (shell: owns GLib timers, reads
 * the clock). Owned by one network loop thread after set-up.
 * RTP/RTCP per RFC 3550, VP8 payload per RFC 7741, Opus per RFC 7587,
 * PLI/FIR per RFC 4585 §6.3.1 / RFC 5104 §4.3.1, NACK answered by RTX per
 * RFC 4588, output tiers from REMB and receiver reports (tier.h).
 */
#include "session.h"

#include "bytes.h"
#include "clock.h"
#include "err.h"
#include "frame.h"
#include "jitter.h"
#include "mixer.h"
#include "nack.h"
#include "outstream.h"
#include "log.h"
#include "mem.h"
#include "peer.h"
#include "rtcp.h"
#include "rtp.h"
#include "rxstats.h"
#include "rtx.h"
#include "seq.h"
#include "srtp.h"
#include "tier.h"
#include "stats.h"
#include "vp8.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/rand.h>
#include <sys/random.h>

#define PKT_CAP 1500
#define MAX_PAYLOAD 1160       /* RTP payload; keeps packets under common MTUs */
#define PLI_INTERVAL_US 500000 /* at most two key frame requests a second */
#define RTCP_INTERVAL_MS 1000
#define VIDEO_JITTER_WAIT_US 40000
#define NACK_RETRY_US 40000         /* ask again for a missing packet after this */
#define NACK_MAX_AGE_US 400000      /* older than this, a retransmission is of no use */
#define SILENCE_TIMEOUT_US 10000000 /* nothing authenticated for 10 s: gone */
#define REMB_INTERVAL_US 1000000    /* the sender's video cap, again every second */
#define RTX_MAX_AGE_US 1000000      /* a NACK for an older packet is not answered */
#define RTT_DEFAULT_US 100000       /* round trip assumed before a report tells */
#define VIDEO_JITTER_MAX_US 250000  /* the longest wait for a retransmission */

struct cv_session {
    atomic_int refs;
    char id[CV_SESSION_ID_LEN + 1];
    char room[65]; /* "" for the echo check */
    cv_session_info_t info;
    cv_session_env_t env;
    cv_peer_t *peer;
    cv_mixer_room_t *mroom;
    cv_part_t *part;
    int closed;
    int ready; /* set-up done on the loop thread: peer and part may be used */
    int sends; /* the server sends media to it (not to a screen share or publisher) */
    int takes; /* its media goes to the room (not a viewer's) */
    atomic_int flush_pending;
    GSource *rtcp_timer;
    /* what the offer negotiated */
    int a_pt, v_pt, level_id;
    /* input */
    uint32_t a_ssrc_in, v_ssrc_in;
    cv_seq_unwrap_t a_unwrap, v_unwrap;
    cv_jitter_t vjit;
    cv_nack_t vnack;
    cv_vp8_depack_t depack;
    cv_rtp_rxstats_t a_rx, v_rx;
    int64_t last_pli_us;
    int pli_wanted; /* a key frame request waits for the PLI rate limit */
    uint8_t fir_seq;
    int v_hidden;    /* its video is not shown: packets dropped before depacketising */
    int remb_kbps;   /* the cap last sent by REMB (0: none yet) */
    int64_t remb_us; /* when */
    /* output */
    cv_outstream_t aout, vout;
    char cname[17];
    uint64_t drop_pt, drop_parse;
    /* weak links: the receiver's tier, retransmissions to it and from the sender */
    cv_tier_ctl_t tierctl;
    int tier;      /* last applied: 0.. or CV_TIER_AUDIO_ONLY */
    cv_rtx_t *rtx; /* history of video sent to it, NULL when it gets none */
    int rtx_pt;    /* the offer's rtx for VP8, -1: answer NACKs with plain copies */
    uint32_t rtx_ssrc, rtx_ssrc_in;
    int64_t rtt_us; /* smoothed round trip to this peer, -1 unknown */
};

static void session_unref(cv_session_t *s)
{
    if (s && atomic_fetch_sub(&s->refs, 1) == 1)
        free(s);
}

static uint32_t rand32(void)
{
    uint32_t v = 0;
    if (getrandom(&v, sizeof(v), 0) != sizeof(v))
        abort();
    return v;
}

/* Session ids and public ids: OpenSSL's CSPRNG (RAND_bytes), 4 bits a digit. */
static void random_hex(char *out, size_t digits)
{
    uint8_t b[32];
    if (digits / 2 > sizeof(b) || RAND_bytes(b, (int)(digits / 2)) != 1)
        abort();
    for (size_t i = 0; i < digits / 2; i++)
        sprintf(out + 2 * i, "%02x", b[i]);
    out[digits] = 0;
}

/* ---- output path (loop thread) ---- */

static void emit_rtp(void *ud, uint8_t *pkt, size_t len, size_t cap)
{
    cv_session_t *s = ud;
    cv_peer_send_rtp(s->peer, pkt, len, cap);
}

/* Video keeps a copy (before SRTP) for NACKs. */
static void emit_video(void *ud, uint8_t *pkt, size_t len, size_t cap)
{
    cv_session_t *s = ud;
    if (s->rtx)
        cv_rtx_store(s->rtx, pkt, len, cv_now_us());
    cv_peer_send_rtp(s->peer, pkt, len, cap);
}

static void send_frame(cv_session_t *s, const cv_frame_t *f)
{
    _Alignas(8) uint8_t pkt[PKT_CAP];
    int video = f->kind == CV_FRAME_VIDEO;
    if (video && s->tier == CV_TIER_AUDIO_ONLY)
        return; /* weak connection: the video is paused, the audio goes on */
    cv_outstream_send(video ? &s->vout : &s->aout, f->data, f->len, f->rtp_ts, f->t_us, f->keyframe,
                      MAX_PAYLOAD, pkt, sizeof(pkt) - CV_SRTP_MAX_TRAILER,
                      video ? emit_video : emit_rtp, s);
}

static gboolean flush_cb(gpointer arg)
{
    cv_session_t *s = arg;
    atomic_store(&s->flush_pending, 0);
    cv_frame_t *f;
    /* The room may have output before set-up finished on this thread (the
     * join comes first) or before the transport is connected: such frames
     * wait, and are dropped once set-up is done. */
    while (s->ready && !s->closed && (f = cv_part_pop(s->part))) {
        if (cv_peer_state(s->peer) == CV_PEER_CONNECTED)
            send_frame(s, f);
        cv_frame_unref(f);
    }
    session_unref(s);
    return G_SOURCE_REMOVE;
}

/* Mixer worker: output is waiting. Wakes the loop thread once. */
static void on_mixer_output(void *ud)
{
    cv_session_t *s = ud;
    if (atomic_exchange(&s->flush_pending, 1))
        return;
    atomic_fetch_add(&s->refs, 1);
    cv_loop_invoke(s->env.loop, flush_cb, s);
}

/* ---- weak links: tiers from feedback, NACKs answered (loop thread) ---- */

static void apply_tier(cv_session_t *s, int tier)
{
    if (tier == s->tier)
        return;
    int was_paused = s->tier == CV_TIER_AUDIO_ONLY, paused = tier == CV_TIER_AUDIO_ONLY;
    CV_DEBUG("session: output tier %d -> %d", s->tier, tier);
    s->tier = tier;
    cv_part_set_tier(s->part, tier);
    if (paused)
        s->vout.started = 0; /* when it resumes, from a key frame */
    else
        cv_part_request_keyframe(s->part); /* another tier's stream, or a resume */
    if (paused != was_paused && s->env.on_video_paused)
        s->env.on_video_paused(s->env.ud, s, paused);
}

/* Waits for retransmissions about one round trip (RFC 4585 §3.2). */
static void note_rtt(cv_session_t *s, int64_t rtt)
{
    s->rtt_us = s->rtt_us < 0 ? rtt : (7 * s->rtt_us + rtt) / 8;
    int64_t wait = s->rtt_us + 30000;
    s->vjit.max_wait_us = wait < VIDEO_JITTER_WAIT_US  ? VIDEO_JITTER_WAIT_US
                          : wait > VIDEO_JITTER_MAX_US ? VIDEO_JITTER_MAX_US
                                                       : wait;
}

/* RR/SR report blocks on our streams and REMB, from a receiver. */
static void on_receiver_feedback(cv_session_t *s, const cv_rtcp_item_t *it, int64_t now)
{
    if (!s->sends)
        return;
    if (it->type == CV_RTCP_REMB) {
        int t = cv_tier_ctl_on_remb(&s->tierctl, it->remb_bps, now);
        if (t != s->tier)
            CV_DEBUG("session: REMB %llu kbit/s", (unsigned long long)(it->remb_bps / 1000));
        apply_tier(s, t);
        return;
    }
    uint32_t mid = cv_ntp_mid32(cv_ntp_from_unix_us(cv_wall_us()));
    const cv_rtcp_rb_t *video = NULL;
    for (int i = 0; i < it->n_rb; i++) {
        const cv_rtcp_rb_t *rb = &it->rb[i];
        if (rb->ssrc != s->vout.ssrc && rb->ssrc != s->aout.ssrc)
            continue;
        if (rb->ssrc == s->vout.ssrc) /* the tier follows what video loses */
            video = rb;
        if (rb->ssrc == s->aout.ssrc) /* sizes the Opus FEC of what it hears */
            cv_part_set_receive_loss(s->part, rb->fraction_lost);
        int64_t rtt = cv_tier_rtt_us(rb->lsr, rb->dlsr, mid);
        if (rtt >= 0)
            note_rtt(s, rtt);
    }
    if (video) {
        int t = cv_tier_ctl_on_report(&s->tierctl, video->cum_lost, video->ext_high_seq, now);
        if (t != s->tier)
            CV_DEBUG("session: receiver lost %d/256 in a window (mean %d/256)",
                     s->tierctl.last_loss, s->tierctl.avg_loss);
        apply_tier(s, t);
    }
}

/* RFC 4588 §4: one packet again, as RTX when the offer has it, else as it was. */
static void resend(cv_session_t *s, uint16_t seq, int64_t now)
{
    const uint8_t *orig;
    int64_t gap = s->rtt_us > 0 ? s->rtt_us : RTT_DEFAULT_US;
    int len = cv_rtx_find(s->rtx, seq, now, RTX_MAX_AGE_US, gap, &orig);
    if (len < 0)
        return;
    _Alignas(8) uint8_t pkt[PKT_CAP];
    int n = len;
    if (s->rtx_pt >= 0)
        n = cv_rtx_wrap(s->rtx, orig, (size_t)len, s->rtx_pt, s->rtx_ssrc, pkt,
                        sizeof(pkt) - CV_SRTP_MAX_TRAILER);
    else
        memcpy(pkt, orig, (size_t)len);
    if (n > 0)
        cv_peer_send_rtp(s->peer, pkt, (size_t)n, sizeof(pkt));
}

static void on_nack(cv_session_t *s, const cv_rtcp_item_t *it, int64_t now)
{
    if (!s->rtx || it->media_ssrc != s->vout.ssrc)
        return;
    for (int i = 0; i < it->n_nack; i++) {
        uint16_t seqs[17];
        int n = cv_rtcp_nack_seqs(it->nack_pid[i], it->nack_blp[i], seqs, 17);
        for (int k = 0; k < n; k++)
            resend(s, seqs[k], now);
    }
}

/* ---- RTCP (loop thread) ---- */

static void send_reports(cv_session_t *s)
{
    _Alignas(8) uint8_t pkt[PKT_CAP];
    size_t len = 0, room = sizeof(pkt) - CV_SRTP_MAX_TRAILER;
    int64_t now = cv_now_us();
    uint64_t ntp = cv_ntp_from_unix_us(cv_wall_us());
    cv_rtcp_rb_t rb[2];
    int n_rb = 0;
    if (s->v_ssrc_in)
        cv_rxstats_report(&s->v_rx, s->v_ssrc_in, now, &rb[n_rb++]);
    if (s->a_ssrc_in)
        cv_rxstats_report(&s->a_rx, s->a_ssrc_in, now, &rb[n_rb++]);
    int n;
    if (s->vout.packets) {
        cv_rtcp_sr_t sr = {.ssrc = s->vout.ssrc,
                           .ntp = ntp,
                           .rtp_ts = cv_outstream_ts_at(&s->vout, now, 90000),
                           .packets = s->vout.packets,
                           .octets = s->vout.octets};
        n = cv_rtcp_build_sr(pkt, room, &sr, rb, n_rb);
    } else {
        n = cv_rtcp_build_rr(pkt, room, s->vout.ssrc, rb, n_rb);
    }
    if (n < 0)
        return;
    len += (size_t)n;
    if (s->aout.packets) {
        cv_rtcp_sr_t sr = {.ssrc = s->aout.ssrc,
                           .ntp = ntp,
                           .rtp_ts = cv_outstream_ts_at(&s->aout, now, 48000),
                           .packets = s->aout.packets,
                           .octets = s->aout.octets};
        n = cv_rtcp_build_sr(pkt + len, room - len, &sr, NULL, 0);
        if (n > 0)
            len += (size_t)n;
    }
    n = cv_rtcp_build_sdes_cname(pkt + len, room - len, s->vout.ssrc, s->cname);
    if (n > 0)
        len += (size_t)n;
    cv_peer_send_rtcp(s->peer, pkt, len, sizeof(pkt));
}

static gboolean rtcp_timer_cb(gpointer arg)
{
    cv_session_t *s = arg;
    if (cv_peer_state(s->peer) != CV_PEER_CONNECTED)
        return G_SOURCE_CONTINUE;
    send_reports(s);
    if (s->sends)
        apply_tier(s, cv_tier_ctl_poll(&s->tierctl, cv_now_us()));
    if (cv_now_us() - cv_peer_last_rx_us(s->peer) > SILENCE_TIMEOUT_US)
        cv_peer_fail(s->peer, "nothing authenticated received for 10 s");
    return G_SOURCE_CONTINUE;
}

/* Asks the sender for a key frame, at most every PLI_INTERVAL_US. */
static void request_keyframe(cv_session_t *s, int64_t now)
{
    s->pli_wanted = 1;
    if (!s->v_ssrc_in || now - s->last_pli_us < PLI_INTERVAL_US)
        return;
    s->pli_wanted = 0;
    s->last_pli_us = now;
    _Alignas(8) uint8_t pkt[PKT_CAP];
    int n = cv_rtcp_build_pli(pkt, sizeof(pkt) - CV_SRTP_MAX_TRAILER, s->vout.ssrc, s->v_ssrc_in);
    if (n > 0)
        cv_peer_send_rtcp(s->peer, pkt, (size_t)n, sizeof(pkt));
}

static void on_rtcp(void *ud, uint8_t *pkt, size_t len)
{
    cv_session_t *s = ud;
    cv_rtcp_item_t items[8];
    int n = cv_rtcp_parse(pkt, len, items, 8);
    if (n < 0) {
        s->drop_parse++;
        cv_stats_add(CV_STAT_DROP_MALFORMED_RTCP, 1);
        return;
    }
    for (int i = 0; i < n; i++) {
        cv_rtcp_item_t *it = &items[i];
        if ((it->type == CV_RTCP_PLI || it->type == CV_RTCP_FIR) && it->media_ssrc == s->vout.ssrc)
            cv_part_request_keyframe(s->part);
        else if (it->type == CV_RTCP_BYE &&
                 (it->sender_ssrc == s->v_ssrc_in || it->sender_ssrc == s->a_ssrc_in) &&
                 it->sender_ssrc != 0)
            cv_peer_fail(s->peer, "the participant said goodbye (RTCP BYE)");
        else if (it->type == CV_RTCP_SR && it->sender_ssrc == s->v_ssrc_in)
            cv_rxstats_on_sr(&s->v_rx, it->sr.ntp, cv_now_us());
        else if (it->type == CV_RTCP_SR && it->sender_ssrc == s->a_ssrc_in)
            cv_rxstats_on_sr(&s->a_rx, it->sr.ntp, cv_now_us());
        if (it->type == CV_RTCP_NACK)
            on_nack(s, it, cv_now_us());
        else if (it->type == CV_RTCP_RR || it->type == CV_RTCP_SR || it->type == CV_RTCP_REMB)
            on_receiver_feedback(s, it, cv_now_us());
    }
}

/* ---- input path (loop thread) ---- */

/* RFC 4585 §6.2.1: ask the sender again for the video packets we miss. */
static void send_nacks(cv_session_t *s, int64_t now)
{
    uint16_t lost[32];
    int64_t retry = s->rtt_us + 10000 > NACK_RETRY_US ? s->rtt_us + 10000 : NACK_RETRY_US;
    int n = cv_nack_poll(&s->vnack, now, retry, NACK_MAX_AGE_US, lost, 32);
    if (n == 0)
        return;
    _Alignas(8) uint8_t pkt[PKT_CAP];
    int len = cv_rtcp_build_nack(pkt, sizeof(pkt) - CV_SRTP_MAX_TRAILER, s->vout.ssrc, s->v_ssrc_in,
                                 lost, n);
    if (len > 0)
        cv_peer_send_rtcp(s->peer, pkt, (size_t)len, sizeof(pkt));
}

static void push_video_frame(cv_session_t *s, const cv_vp8_frame_t *vf, int64_t now)
{
    cv_frame_t *f = cv_frame_new(CV_FRAME_VIDEO, vf->len);
    memcpy(f->data, vf->data, vf->len);
    f->rtp_ts = vf->ts;
    f->keyframe = vf->keyframe;
    f->t_us = now;
    if (cv_part_push(s->part, f) < 0) {
        cv_stats_add(CV_STAT_DROP_QUEUE_FULL, 1);
        s->depack.need_keyframe = 1; /* a lost frame breaks the references */
        request_keyframe(s, now);
    }
}

static void drain_video(cv_session_t *s, int64_t now)
{
    uint64_t ext;
    const uint8_t *data;
    int len;
    while ((len = cv_jitter_pop(&s->vjit, now, &ext, &data)) > 0) {
        cv_rtp_hdr_t h;
        if (cv_rtp_parse(data, (size_t)len, &h) < 0)
            continue;
        cv_vp8_frame_t vf;
        int rc = cv_vp8_depack_push(&s->depack, ext, h.ts, h.marker, h.payload, h.payload_len, &vf);
        if (rc == 1)
            push_video_frame(s, &vf, now);
        else if (rc < 0)
            cv_stats_add(CV_STAT_DROP_BAD_VP8, 1);
    }
    if (cv_part_take_decoder_error(s->part) | cv_part_take_keyframe_needed(s->part))
        s->pli_wanted = 1;
    if (s->depack.need_keyframe || s->pli_wanted)
        request_keyframe(s, now);
}

/* DESIGN.md principle 3: the sender's video bit rate follows whether the
 * room shows it (REMB, draft-alvestrand-rmcat-remb-03): at once when that
 * changes, and every REMB_INTERVAL_US. */
static void send_remb(cv_session_t *s, int64_t now)
{
    int kbps = cv_part_send_cap_kbps(s->part);
    if (kbps == s->remb_kbps && now - s->remb_us < REMB_INTERVAL_US)
        return;
    s->remb_kbps = kbps;
    s->remb_us = now;
    _Alignas(8) uint8_t pkt[PKT_CAP];
    int n = cv_rtcp_build_remb(pkt, sizeof(pkt) - CV_SRTP_MAX_TRAILER, s->vout.ssrc,
                               (uint64_t)kbps * 1000, &s->v_ssrc_in, 1);
    if (n > 0)
        cv_peer_send_rtcp(s->peer, pkt, (size_t)n, sizeof(pkt));
}

/* Whether the room shows this sender's video. While it does not, its packets
 * are dropped and counted; when it is shown again the depacketiser starts
 * afresh and a key frame is asked for. */
static int video_wanted(cv_session_t *s, int64_t now)
{
    int wanted = cv_part_video_wanted(s->part);
    send_remb(s, now);
    if (!wanted) {
        cv_part_count_hidden_drop(s->part);
        s->v_hidden = 1;
        return 0;
    }
    if (s->v_hidden) {
        s->v_hidden = 0;
        cv_jitter_reset(&s->vjit);
        cv_nack_init(&s->vnack);
        cv_vp8_depack_reset(&s->depack);
        request_keyframe(s, now);
    }
    return 1;
}

/* The first SSRC seen on a stream is its sender's; packets of any other are
 * dropped and counted. */
static int same_sender(cv_session_t *s, uint32_t *latched, uint32_t ssrc)
{
    if (!*latched)
        *latched = ssrc;
    if (ssrc == *latched)
        return 1;
    s->drop_pt++;
    cv_stats_add(CV_STAT_DROP_UNKNOWN_SSRC, 1);
    return 0;
}

static void on_video(cv_session_t *s, const cv_rtp_hdr_t *h, const uint8_t *pkt, size_t len,
                     int64_t now)
{
    if (!same_sender(s, &s->v_ssrc_in, h->ssrc))
        return;
    uint64_t ext = cv_seq_unwrap(&s->v_unwrap, h->seq);
    cv_rxstats_update(&s->v_rx, h->seq, h->ts, 90000, now);
    if (!video_wanted(s, now))
        return;
    cv_nack_on_packet(&s->vnack, ext, now);
    send_nacks(s, now);
    int rc = cv_jitter_push(&s->vjit, ext, pkt, len, now);
    if (rc == CV_E_FULL) {
        drain_video(s, now); /* the window moved on: release what it held, then store */
        rc = cv_jitter_push(&s->vjit, ext, pkt, len, now);
    }
    if (rc == 0)
        cv_stats_add(CV_STAT_DROP_LATE, 1);
    drain_video(s, now);
}

/* The sender's RTX (RFC 4588 §4): the original packet rebuilt, then as if it came
 * late. Padding-only probes and packets too short for an OSN are dropped. */
static void on_video_rtx(cv_session_t *s, const cv_rtp_hdr_t *h, const uint8_t *pkt, size_t len,
                         int64_t now)
{
    uint16_t osn;
    const uint8_t *pl;
    size_t pll;
    if (!s->v_ssrc_in || !same_sender(s, &s->rtx_ssrc_in, h->ssrc) ||
        cv_rtx_unwrap(pkt, len, &osn, &pl, &pll) < 0 || pll == 0 || h->header_len + pll > PKT_CAP) {
        s->drop_pt++;
        return;
    }
    uint8_t buf[PKT_CAP];
    memcpy(buf, pkt, h->header_len);
    buf[0] &= (uint8_t)~0x20; /* its padding is gone */
    buf[1] = (uint8_t)((buf[1] & 0x80) | s->v_pt);
    wr16(buf + 2, osn);
    wr32(buf + 8, s->v_ssrc_in);
    memcpy(buf + h->header_len, pl, pll);
    cv_rtp_hdr_t orig;
    if (cv_rtp_parse(buf, h->header_len + pll, &orig) == 0)
        on_video(s, &orig, buf, h->header_len + pll, now);
}

static void on_audio(cv_session_t *s, const cv_rtp_hdr_t *h, int64_t now)
{
    if (!same_sender(s, &s->a_ssrc_in, h->ssrc))
        return;
    uint64_t ext = cv_seq_unwrap(&s->a_unwrap, h->seq);
    cv_rxstats_update(&s->a_rx, h->seq, h->ts, 48000, now);
    if (h->payload_len == 0) /* reordering and duplicates: the room's playout buffer */
        return;
    cv_frame_t *f = cv_frame_new(CV_FRAME_AUDIO, h->payload_len);
    memcpy(f->data, h->payload, h->payload_len);
    f->rtp_ts = h->ts;
    f->t_us = now;
    f->seq = ext;
    f->level = -1;
    int vad, level;
    if (s->level_id > 0 && cv_rtp_audio_level(h, s->level_id, &vad, &level) == 0)
        f->level = level;
    if (cv_part_push(s->part, f) < 0)
        cv_stats_add(CV_STAT_DROP_QUEUE_FULL, 1);
}

static void on_rtp(void *ud, uint8_t *pkt, size_t len)
{
    cv_session_t *s = ud;
    cv_rtp_hdr_t h;
    if (cv_rtp_parse(pkt, len, &h) < 0) {
        s->drop_parse++;
        cv_stats_add(CV_STAT_DROP_MALFORMED_RTP, 1);
        return;
    }
    int64_t now = cv_now_us();
    if (!s->takes) {
        s->drop_pt++; /* a viewer's media is not used */
        cv_stats_add(CV_STAT_DROP_NOT_WANTED, 1);
    } else if (h.pt == s->v_pt && s->v_pt >= 0) {
        on_video(s, &h, pkt, len, now);
    } else if (h.pt == s->a_pt && s->a_pt >= 0) {
        on_audio(s, &h, now);
    } else if (h.pt == s->rtx_pt && s->rtx_pt >= 0) {
        on_video_rtx(s, &h, pkt, len, now);
    } else {
        s->drop_pt++;
        cv_stats_add(CV_STAT_DROP_UNKNOWN_PT, 1);
    }
}

static gboolean failed_cb(gpointer arg)
{
    cv_session_t *s = arg;
    if (!s->closed && s->env.on_failed)
        s->env.on_failed(s->env.ud, s);
    session_unref(s);
    return G_SOURCE_REMOVE;
}

static void on_peer_state(void *ud, int state, const char *why)
{
    cv_session_t *s = ud;
    if (state == CV_PEER_CONNECTED) {
        CV_INFO("session connected");
        cv_part_request_keyframe(s->part);
        request_keyframe(s, cv_now_us());
    } else if (state == CV_PEER_FAILED) {
        CV_INFO("session failed: %s", why);
        /* not from inside the peer's own callback: the owner destroys it */
        atomic_fetch_add(&s->refs, 1);
        cv_loop_invoke(s->env.loop, failed_cb, s);
    }
}

/* ---- set-up and teardown ---- */

struct setup {
    cv_session_t *s;
    const cv_sdp_offer_t *offer;
    char *answer;
    size_t cap;
    int status;
    const char *reason;
};

static const cv_sdp_media_t *find_media(const cv_sdp_offer_t *o, int kind)
{
    for (int i = 0; i < o->n_media; i++)
        if (o->media[i].kind == kind && o->media[i].accepted)
            return &o->media[i];
    return NULL;
}

/* The index of the first accepted section: the BUNDLE transport's. */
static int bundle_index(const cv_sdp_offer_t *o)
{
    for (int i = 0; i < o->n_media; i++)
        if (o->media[i].accepted)
            return i;
    return -1;
}

static void setup_on_loop(void *arg)
{
    struct setup *st = arg;
    cv_session_t *s = st->s;
    const cv_sdp_offer_t *o = st->offer;
    cv_peer_cb_t cb = {.on_rtp = on_rtp, .on_rtcp = on_rtcp, .on_state = on_peer_state};
    s->peer = cv_peer_create(cv_loop_context(s->env.loop), &s->env.ice, s->env.cert, o->fingerprint,
                             o->fingerprint_len, s->env.connect_timeout_us, &cb, s);
    if (!s->peer) {
        st->status = 503;
        st->reason = "no media port available";
        return;
    }
    cv_ice_t *ice = cv_peer_ice(s->peer);
    cv_ice_set_remote(ice, o->ice_ufrag, o->ice_pwd);
    /* only the BUNDLE transport's candidates, and only IP literals (an mDNS
     * .local name cannot be resolved here: the browser's checks reach us
     * anyway and become peer-reflexive candidates, RFC 8445 §7.3.1.3) */
    int bi = bundle_index(o);
    for (int i = 0; i < o->n_cand; i++) {
        const cv_sdp_cand_t *c = &o->cand[i];
        if ((c->mline != -1 && c->mline != bi) || strstr(c->addr, ".local"))
            continue;
        cv_ice_add_remote_candidate(ice, c->addr, c->port, c->priority, c->foundation);
    }
    const cv_ice_cand_t *lc;
    int n = cv_ice_local_candidates(ice, &lc);
    cv_sdp_local_cand_t cand[CV_ICE_MAX_LOCAL];
    for (int i = 0; i < n; i++) {
        snprintf(cand[i].addr, sizeof(cand[i].addr), "%s", lc[i].addr);
        cand[i].port = lc[i].port;
        cand[i].priority = lc[i].priority;
        snprintf(cand[i].foundation, sizeof(cand[i].foundation), "%s", lc[i].foundation);
        cand[i].tcp = lc[i].tcp;
    }
    cv_sdp_answer_params_t p = {.ice_ufrag = cv_ice_ufrag(ice),
                                .ice_pwd = cv_ice_pwd(ice),
                                .fingerprint = cv_dtls_cert_fingerprint(s->env.cert),
                                .fingerprint_len = 32,
                                .cand = cand,
                                .n_cand = n,
                                .audio_ssrc = s->aout.ssrc,
                                .video_ssrc = s->vout.ssrc,
                                .cname = s->cname,
                                .session_id = ((uint64_t)rand32() << 20) ^ rand32(),
                                .send_audio = s->sends,
                                .send_video = s->sends,
                                .offer_fb_remb = 1,
                                .use_rtx = s->rtx_pt >= 0,
                                .video_rtx_ssrc = s->rtx_ssrc};
    int rc = cv_sdp_build_answer(o, &p, st->answer, st->cap);
    if (rc < 0) {
        st->status = 500;
        st->reason = rc == CV_E_NOSPACE ? "answer too large" : "could not build the answer";
        return;
    }
    s->rtcp_timer = g_timeout_source_new(RTCP_INTERVAL_MS);
    g_source_set_callback(s->rtcp_timer, rtcp_timer_cb, s, NULL);
    g_source_attach(s->rtcp_timer, cv_loop_context(s->env.loop));
    s->ready = 1;
    st->status = 201;
}

static void teardown_on_loop(void *arg)
{
    cv_session_t *s = arg;
    s->closed = 1;
    if (s->rtcp_timer) {
        g_source_destroy(s->rtcp_timer);
        g_source_unref(s->rtcp_timer);
        s->rtcp_timer = NULL;
    }
    cv_peer_destroy(s->peer);
    s->peer = NULL;
    if (s->part) /* after this no worker calls on_mixer_output */
        cv_mixer_leave(s->env.mixer, s->mroom, s->part);
    s->part = NULL;
    cv_jitter_cleanup(&s->vjit);
    cv_vp8_depack_cleanup(&s->depack);
    free(s->rtx);
    s->rtx = NULL;
}

static int sends(const cv_sdp_media_t *m)
{
    return m && (m->direction == CV_SDP_SENDRECV || m->direction == CV_SDP_SENDONLY);
}

static int wants(const cv_sdp_media_t *m)
{
    return m && (m->direction == CV_SDP_SENDRECV || m->direction == CV_SDP_RECVONLY);
}

/* Settles the role from what the offer sends and wants (RFC 9725: a WHIP
 * publisher may only send, a WHEP viewer only receives), and which of its
 * sections we take media from. Returns NULL or why the offer does not fit. */
static const char *check_offer(int *role, const cv_sdp_media_t **am, const cv_sdp_media_t **vm)
{
    switch (*role) {
    case CV_ROLE_SCREEN:
        if (!sends(*vm))
            return "a screen share needs a video track to send";
        *am = NULL; /* a screen's sound is not mixed */
        return NULL;
    case CV_ROLE_VIEWER:
        if (!wants(*am) || !wants(*vm))
            return "a viewer must receive audio and video";
        return NULL;
    default:
        if (!wants(*am) && !wants(*vm)) { /* send-only: a publisher (OBS, GStreamer) */
            if (!sends(*am) && !sends(*vm))
                return "a publisher must send audio or video";
            *role = CV_ROLE_PUBLISHER;
            return NULL;
        }
        if (!*am || !*vm || (*am)->direction != CV_SDP_SENDRECV ||
            (*vm)->direction != CV_SDP_SENDRECV)
            return "a participant needs sendrecv audio and video";
        return NULL;
    }
}

static void init_weak_links(cv_session_t *s, const cv_session_env_t *env, const cv_sdp_media_t *vm)
{
    cv_tiers_t tiers = env->tiers;
    if (tiers.n == 0)
        cv_tiers_parse(CV_TIERS_DEFAULT, &tiers, NULL, 0);
    cv_tier_ctl_init(&s->tierctl, &tiers, cv_now_us());
    s->tier = 0;
    s->rtt_us = -1;
    s->rtx_pt = vm ? vm->rtx_pt : -1;
    s->rtx_ssrc = rand32() & ~1u;
    if (s->sends && vm) {
        s->rtx = cv_xcalloc(1, sizeof(*s->rtx));
        cv_rtx_init(s->rtx, (uint16_t)rand32());
    }
}

cv_session_t *cv_session_create(const cv_session_env_t *env, const cv_sdp_offer_t *offer,
                                const char *room, const char *name, int role, const char *owner,
                                char *answer, size_t answer_cap, int *status, const char **reason)
{
    const cv_sdp_media_t *am = find_media(offer, CV_SDP_AUDIO);
    const cv_sdp_media_t *vm = find_media(offer, CV_SDP_VIDEO);
    const char *why = check_offer(&role, &am, &vm);
    if (why) {
        *status = 400;
        *reason = why;
        return NULL;
    }
    cv_session_t *s = cv_xcalloc(1, sizeof(*s));
    atomic_init(&s->refs, 1);
    s->env = *env;
    random_hex(s->id, CV_SESSION_ID_LEN);
    random_hex(s->cname, 16);
    snprintf(s->room, sizeof(s->room), "%s", room ? room : "");
    s->a_pt = am ? am->pt : -1;
    s->v_pt = vm ? vm->pt : -1;
    s->level_id = am ? am->audio_level_id : 0;
    s->sends = role == CV_ROLE_PARTICIPANT || role == CV_ROLE_VIEWER;
    s->takes = role != CV_ROLE_VIEWER;
    random_hex(s->info.public_id, 16);
    snprintf(s->info.name, sizeof(s->info.name), "%s", name ? name : "");
    s->info.role = role;
    snprintf(s->info.owner, sizeof(s->info.owner), "%s", owner ? owner : "");
    s->info.camera = 1;
    cv_outstream_init(&s->aout, rand32() | 1, s->a_pt, 0, (uint16_t)rand32(), rand32(), 0);
    cv_outstream_init(&s->vout, rand32() & ~1u, s->v_pt, 1, (uint16_t)rand32(), rand32(),
                      (uint16_t)rand32());
    cv_jitter_init(&s->vjit, VIDEO_JITTER_WAIT_US);
    init_weak_links(s, env, vm);
    cv_nack_init(&s->vnack);
    cv_vp8_depack_init(&s->depack, 2 << 20);
    int err = 0;
    s->part = cv_mixer_join(env->mixer, room, name, role, on_mixer_output, s, &s->mroom, &err);
    if (!s->part) {
        *status = err == CV_E_NOTFOUND ? 404 : err == CV_E_FULL ? 503 : 500;
        *reason = err == CV_E_NOTFOUND ? "no such room"
                  : err == CV_E_FULL   ? "room or server full"
                                       : "codec set-up failed";
        teardown_on_loop(s);
        session_unref(s);
        return NULL;
    }
    struct setup st = {.s = s, .offer = offer, .answer = answer, .cap = answer_cap};
    cv_loop_call_sync(env->loop, setup_on_loop, &st);
    if (st.status != 201) {
        *status = st.status;
        *reason = st.reason;
        cv_loop_call_sync(env->loop, teardown_on_loop, s);
        session_unref(s);
        return NULL;
    }
    *status = 201;
    return s;
}

const char *cv_session_id(const cv_session_t *s)
{
    return s->id;
}

const char *cv_session_room(const cv_session_t *s)
{
    return s->room[0] ? s->room : NULL;
}

cv_session_info_t *cv_session_info(cv_session_t *s)
{
    return &s->info;
}

cv_part_t *cv_session_part(cv_session_t *s)
{
    return s->part;
}

cv_mixer_room_t *cv_session_mixer_room(cv_session_t *s)
{
    return s->mroom;
}

void cv_session_close(cv_session_t *s)
{
    if (!s)
        return;
    cv_loop_call_sync(s->env.loop, teardown_on_loop, s);
    session_unref(s);
}

void cv_session_close_on_loop(cv_session_t *s)
{
    if (!s)
        return;
    teardown_on_loop(s);
    session_unref(s);
}
