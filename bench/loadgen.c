/*
 * loadgen.c - N simulated participants in one process, each a real WebRTC
 * client over loopback: WHIP join (bench/loadgen/lg_http.c, lg_sdp.c), ICE
 * controlling + DTLS client + SRTP (transport/peer.c), pre-encoded VP8 and
 * Opus with RFC 6464 audio levels (lg_media.c). On the way back every
 * receiver counts frames, audio packets and sequence gaps; a few decode the
 * composite (libvpx) to prove it valid and to time the mixer: participant 0
 * flashes its picture white once a second, and a decoding receiver notes when
 * the composite's mean luma jumps.
 *
 * One thread runs everything on one GMainContext (the peers' sockets and a
 * 2 ms media tick). See usage() for options; `bench/run`, tests/integration/
 * loadgen.sh and garbage.sh, and bench/soak.sh drive it.
 */
#include "lg_http.h"
#include "lg_media.h"
#include "lg_sdp.h"

#include "audio_codec.h"
#include "clock.h"
#include "err.h"
#include "peer.h"
#include "poller.h"
#include "rtcp.h"
#include "rtp.h"
#include "seq.h"
#include "video_codec.h"
#include "vp8.h"

#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#define MAX_PARTS 500
#define MAX_LAT 8192
#define AUDIO_LOOP 50 /* 1 s of tone, a whole number of periods at integer Hz */
#define MTU_PAYLOAD 1100
#define FLASH_THRESHOLD 60.0 /* rise of a cell's mean luma that counts as the flash */
#define FLASH_WHITE 190.0    /* ... to at least this: white (235), not a bar moving away */

typedef struct {
    const char *url, *room, *layout, *silence, *speech;
    const char *via; /* reach the server's candidates at this address (an impairment relay) */
    int n, seconds, speakers, garbage, garbage_pps, decoders, warmup, w, h, fps, distinct;
    int connect_timeout;
    int record; /* participant 0 records the room ([recording] enabled) */
    /* the last participant asks for low data (no video) after joining; it is
     * left out of the window's video figures and reported apart */
    int low_data;
    /* the last participant asks for the portrait composite, then back: the
     * sizes of the key frames it gets are reported */
    int portrait;
} opts_t;

/* Cumulative receive counters of one participant; windows are differences. */
typedef struct {
    uint64_t vframes, vpkts, apkts, decoded, dec_errors;
    uint64_t v_expected, v_received, a_expected, a_received;
} counters_t;

typedef struct {
    cv_seq_unwrap_t un;
    uint64_t first, high, received;
    int seen;
} rxseq_t;

typedef struct {
    int idx, garbage, decoder, speaking;
    cv_peer_t *peer;
    char location[256];
    int state;
    /* sending */
    const lg_clip_t *clip;
    const lg_opus_t *voice; /* voice_n frames (a tone, speech), or 1 frame of silence */
    int voice_n;
    uint32_t assrc, vssrc, ats, vts;
    uint16_t aseq, vseq, pic;
    int vpos, apos;
    int64_t next_video_us, next_audio_us, next_rr_us;
    /* receiving */
    uint32_t srv_vssrc, srv_assrc, last_vts;
    rxseq_t rv, ra;
    counters_t c;
    cv_vp8_depack_t depack;
    cv_vp8_dec_t *dec;
    int64_t last_pli_us;
    double base[LG_CELLS]; /* per-cell luma baseline of the composite */
    int luma_w, luma_h;
    int got_key;      /* a key frame of the composite arrived */
    int key_w, key_h; /* the size of the last key frame seen (--portrait) */
    int luma_init, in_flash, flash_frames;
    int64_t pending_lat_us; /* latency of the flash being seen, -1: none */
    uint32_t rng;
} part_t;

static opts_t opt = {.url = "http://127.0.0.1:8080",
                     .room = "loadgen",
                     .layout = NULL,
                     .silence = "full",
                     .n = 8,
                     .seconds = 10,
                     .speakers = 1,
                     .garbage_pps = 5000,
                     .decoders = 2,
                     .warmup = 3,
                     .w = 320,
                     .h = 240,
                     .fps = 30,
                     .distinct = 16,
                     .connect_timeout = 30};
static lg_url_t url;
static part_t parts[MAX_PARTS];
static GMainContext *ctx;
static int64_t flash_sent_us;     /* send time of participant 0's latest flash onset */
static int measuring, garbage_on; /* latency samples only count while measuring */
static uint64_t garbage_sent;
static double lat_ms[MAX_LAT];
static int n_lat;
static int part_index(const part_t *p)
{
    return (int)(p - parts);
}

static void usage(void)
{
    fprintf(stderr,
            "usage: loadgen [--url http://127.0.0.1:8080] [--room NAME] [--participants N]\n"
            "  [--seconds S] [--warmup S] [--speakers K] [--layout grid|speaker|lecture]\n"
            "  [--garbage G] [--garbage-pps P] [--decoders D] [--size WxH] [--fps F]\n"
            "  [--distinct M] [--silence full|dtx] [--speech FILE.wav] [--via IP] [--record]\n"
            "  [--last low-data|portrait]\n");
}

static uint32_t rnd(part_t *p)
{
    p->rng ^= p->rng << 13;
    p->rng ^= p->rng >> 17;
    p->rng ^= p->rng << 5;
    return p->rng;
}

/* --- receiving ---------------------------------------------------------- */

static void rxseq_push(rxseq_t *s, uint16_t seq)
{
    uint64_t e = cv_seq_unwrap(&s->un, seq);
    if (!s->seen) {
        s->first = s->high = e;
        s->seen = 1;
    } else if (e > s->high) {
        s->high = e;
    }
    s->received++;
}

static void send_pli(part_t *p, int64_t now)
{
    if (now - p->last_pli_us < 500000)
        return;
    p->last_pli_us = now;
    _Alignas(4) uint8_t buf[64 + CV_SRTP_MAX_TRAILER];
    int n = cv_rtcp_build_pli(buf, 64, p->vssrc, p->srv_vssrc);
    if (n > 0)
        cv_peer_send_rtcp(p->peer, buf, (size_t)n, sizeof(buf));
}

/* A decoding receiver: luma of the composite's cells, flash detection. A
 * rise of FLASH_THRESHOLD over a cell's running baseline to white (a white
 * tile where a coloured one was; pictures are never that bright otherwise)
 * that falls back within a few frames is the flash (its latency counts); one
 * that stays is a change of picture (a join, a layout): the baselines follow. */
static void look(part_t *p, const cv_image_t *im, int64_t now)
{
    double l[LG_CELLS], rise = -1e9;
    lg_cell_luma(im->y, im->stride_y, im->w, im->h, l);
    if (!p->luma_init || im->w != p->luma_w || im->h != p->luma_h) {
        memcpy(p->base, l, sizeof(l));
        p->luma_init = 1;
        p->luma_w = im->w;
        p->luma_h = im->h;
        p->in_flash = 0;
        return;
    }
    for (int i = 0; i < LG_CELLS; i++) /* only cells that turned white count */
        if (l[i] > FLASH_WHITE && l[i] - p->base[i] > rise)
            rise = l[i] - p->base[i];
    if (!p->in_flash && rise > FLASH_THRESHOLD) {
        int64_t d = now - flash_sent_us;
        p->in_flash = 1;
        p->flash_frames = 0;
        p->pending_lat_us = measuring && flash_sent_us && d > 0 && d < 1000000 ? d : -1;
    } else if (p->in_flash && ++p->flash_frames > 8) {
        p->in_flash = 0; /* a lasting change, not a flash */
        memcpy(p->base, l, sizeof(l));
    } else if (p->in_flash && rise < FLASH_THRESHOLD / 2) {
        p->in_flash = 0;
        if (p->pending_lat_us > 0 && n_lat < MAX_LAT)
            lat_ms[n_lat++] = (double)p->pending_lat_us / 1000.0;
    }
    if (!p->in_flash)
        for (int i = 0; i < LG_CELLS; i++)
            p->base[i] = 0.8 * p->base[i] + 0.2 * l[i];
}

/* Until the first key frame, like a browser's receiver: look for it in the
 * first packet of each frame. */
static void watch_keyframe(part_t *p, const cv_rtp_hdr_t *h)
{
    cv_vp8_desc_t d;
    int n = cv_vp8_parse_desc(h->payload, h->payload_len, &d);
    if (n > 0 && d.s && d.pid == 0 &&
        cv_vp8_is_keyframe(h->payload + n, h->payload_len - (size_t)n, NULL, NULL) == 1)
        p->got_key = 1;
}

/* --portrait: the size of each key frame, from its first packet. */
static void note_key_size(part_t *p, const cv_rtp_hdr_t *h)
{
    cv_vp8_desc_t d;
    int n = cv_vp8_parse_desc(h->payload, h->payload_len, &d), w, hh;
    if (n > 0 && d.s && d.pid == 0 &&
        cv_vp8_is_keyframe(h->payload + n, h->payload_len - (size_t)n, &w, &hh) == 1) {
        p->key_w = w;
        p->key_h = hh;
    }
}

static void on_video(part_t *p, const cv_rtp_hdr_t *h, int64_t now)
{
    p->srv_vssrc = h->ssrc;
    p->c.vpkts++;
    if (!p->got_key)
        watch_keyframe(p, h);
    if (opt.portrait && part_index(p) == opt.n - 1)
        note_key_size(p, h);
    rxseq_push(&p->rv, h->seq);
    if (h->marker && h->ts != p->last_vts) {
        p->c.vframes++;
        p->last_vts = h->ts;
    }
    if (!p->dec)
        return;
    cv_vp8_frame_t fr;
    uint64_t ext = p->rv.un.last;
    if (cv_vp8_depack_push(&p->depack, ext, h->ts, h->marker, h->payload, h->payload_len, &fr) !=
        1) {
        if (p->depack.need_keyframe)
            send_pli(p, now);
        return;
    }
    cv_image_t im;
    int rc = cv_vp8_dec_decode(p->dec, fr.data, fr.len, &im);
    if (rc == 1) {
        p->c.decoded++;
        look(p, &im, now);
    } else if (rc < 0) {
        p->c.dec_errors++;
        send_pli(p, now);
    }
}

static void on_rtp(void *ud, uint8_t *pkt, size_t len)
{
    part_t *p = ud;
    cv_rtp_hdr_t h;
    if (cv_rtp_parse(pkt, len, &h) < 0)
        return;
    if (h.pt == LG_PT_VP8) {
        on_video(p, &h, cv_now_us());
    } else if (h.pt == LG_PT_OPUS) {
        p->srv_assrc = h.ssrc;
        p->c.apkts++;
        rxseq_push(&p->ra, h.seq);
    }
}

static void on_rtcp(void *ud, uint8_t *pkt, size_t len)
{
    part_t *p = ud;
    cv_rtcp_item_t it[8];
    int n = cv_rtcp_parse(pkt, len, it, 8);
    for (int i = 0; i < n; i++)
        if ((it[i].type == CV_RTCP_PLI || it[i].type == CV_RTCP_FIR) && p->clip)
            p->vpos = 0; /* the pre-encoded key frame goes out next */
}

static void on_state(void *ud, int state, const char *why)
{
    part_t *p = ud;
    p->state = state;
    if (state == CV_PEER_FAILED)
        fprintf(stderr, "loadgen: participant %d: %s\n", part_index(p), why);
    if (state == CV_PEER_CONNECTED) {
        int64_t now = cv_now_us();
        /* spread the participants' send instants over a frame interval */
        p->next_video_us = now + (part_index(p) * 7919) % (1000000 / opt.fps);
        p->next_audio_us = now + (part_index(p) * 3911) % 20000;
        p->next_rr_us = now + 1000000;
        p->vpos = 0;
    }
}

/* --- sending ------------------------------------------------------------ */

static void send_video_frame(part_t *p, int64_t now)
{
    const lg_frame_t *f = &p->clip->f[p->vpos];
    if (f->flash_onset)
        flash_sent_us = now;
    cv_vp8_pack_t pk;
    cv_vp8_pack_init(&pk, f->data, f->len, p->pic++, 0);
    _Alignas(4) uint8_t buf[1500 + CV_SRTP_MAX_TRAILER];
    for (;;) {
        cv_rtp_out_t o = {.pt = LG_PT_VP8, .seq = p->vseq, .ts = p->vts, .ssrc = p->vssrc};
        int marker = 0, hl = cv_rtp_write_header(buf, sizeof(buf), &o);
        int n = cv_vp8_pack_next(&pk, buf + hl, 1500 - (size_t)hl, MTU_PAYLOAD, &marker);
        if (n <= 0)
            break;
        buf[1] = (uint8_t)(buf[1] | (marker ? 0x80 : 0));
        p->vseq++;
        cv_peer_send_rtp(p->peer, buf, (size_t)(hl + n), sizeof(buf));
    }
    p->vts += 90000 / (uint32_t)opt.fps;
    p->vpos = (p->vpos + 1) % p->clip->n;
}

static void send_audio_frame(part_t *p)
{
    int dtx = !p->speaking && strcmp(opt.silence, "dtx") == 0;
    /* DTX-like: a silent participant sends one comfort frame every 400 ms */
    if (!dtx || p->apos % 20 == 0) {
        const lg_opus_t *f = p->speaking ? &p->voice[p->apos % p->voice_n] : p->voice;
        _Alignas(4) uint8_t buf[600 + CV_SRTP_MAX_TRAILER];
        cv_rtp_out_t o = {.pt = LG_PT_OPUS,
                          .seq = p->aseq++,
                          .ts = p->ats,
                          .ssrc = p->assrc,
                          .audio_level_id = LG_EXT_AUDIO_LEVEL,
                          .vad = p->speaking,
                          .level = p->speaking ? 12 : 127};
        int hl = cv_rtp_write_header(buf, sizeof(buf), &o);
        memcpy(buf + hl, f->data, (size_t)f->len);
        cv_peer_send_rtp(p->peer, buf, (size_t)(hl + f->len), sizeof(buf));
    }
    p->apos++;
    p->ats += CV_AUDIO_FRAME;
}

static void send_rr(part_t *p)
{
    cv_rtcp_rb_t rb[2];
    int n = 0;
    const rxseq_t *s[2] = {&p->rv, &p->ra};
    uint32_t ssrc[2] = {p->srv_vssrc, p->srv_assrc};
    for (int i = 0; i < 2; i++) {
        if (!s[i]->seen || !ssrc[i])
            continue;
        uint64_t expected = s[i]->high - s[i]->first + 1;
        int64_t lost = (int64_t)expected - (int64_t)s[i]->received;
        rb[n] = (cv_rtcp_rb_t){.ssrc = ssrc[i],
                               .cum_lost = (int32_t)(lost > 0 ? lost : 0),
                               .ext_high_seq = (uint32_t)s[i]->high};
        n++;
    }
    _Alignas(4) uint8_t buf[256 + CV_SRTP_MAX_TRAILER];
    int len = cv_rtcp_build_rr(buf, 256, p->vssrc, rb, n);
    if (len > 0)
        cv_peer_send_rtcp(p->peer, buf, (size_t)len, sizeof(buf));
}

/* One datagram of junk: undecryptable bytes, or validly protected RTP/RTCP
 * whose payload is junk (VP8, Opus, RTCP bodies). */
static void send_garbage(part_t *p)
{
    _Alignas(4) uint8_t buf[1300 + CV_SRTP_MAX_TRAILER];
    uint32_t r = rnd(p);
    size_t len = 20 + rnd(p) % 1100;
    for (size_t i = 0; i < len; i += 4) {
        uint32_t v = rnd(p);
        memcpy(buf + i, &v, 4);
    }
    int kind = (int)(r % 6);
    garbage_sent++;
    if (kind <= 2) { /* raw: SRTP-looking, DTLS-looking, STUN-looking */
        buf[0] = kind == 0   ? (uint8_t)(0x80 | (buf[0] & 0x3f))
                 : kind == 1 ? (uint8_t)(20 + buf[0] % 44)
                             : (uint8_t)(buf[0] & 3);
        cv_ice_send(cv_peer_ice(p->peer), buf, len);
        return;
    }
    if (kind == 5) { /* RTCP: a plausible header, junk body, length field true or not */
        buf[0] = (uint8_t)(0x80 | (buf[0] & 0x1f));
        buf[1] = (uint8_t)(192 + buf[1] % 16);
        len &= ~(size_t)3;
        if (r & 0x100) {
            buf[2] = (uint8_t)((len / 4 - 1) >> 8);
            buf[3] = (uint8_t)(len / 4 - 1);
        }
        memcpy(buf + 4, &p->vssrc, 4);
        cv_peer_send_rtcp(p->peer, buf, len, sizeof(buf));
        return;
    }
    int video = kind == 3;
    cv_rtp_out_t o = {.pt = video ? LG_PT_VP8 : LG_PT_OPUS,
                      .seq = video ? p->vseq++ : p->aseq++,
                      .ts = video ? (p->vts += 3000) : (p->ats += CV_AUDIO_FRAME),
                      .ssrc = video ? p->vssrc : p->assrc,
                      .marker = (int)(r >> 8) & 1,
                      .audio_level_id = video ? 0 : LG_EXT_AUDIO_LEVEL,
                      .level = (int)(r >> 9) % 128,
                      .vad = 1};
    int hl = cv_rtp_write_header(buf, sizeof(buf), &o);
    if (video && (r & 0x400)) { /* a start-of-frame descriptor and a key frame header */
        static const uint8_t key[] = {0x90, 0x80, 0x00, 0x00, 0x10, 0x02, 0x00,
                                      0x9d, 0x01, 0x2a, 0xff, 0x3f, 0xff, 0x3f};
        memcpy(buf + hl, key, sizeof(key));
    }
    cv_peer_send_rtp(p->peer, buf, len > (size_t)hl ? len : (size_t)hl + 8, sizeof(buf));
}

static void tick_part(part_t *p, int64_t now, double garbage_budget)
{
    if (p->state != CV_PEER_CONNECTED)
        return;
    if (p->garbage && garbage_on) {
        for (int i = 0; i < (int)garbage_budget; i++)
            send_garbage(p);
        return;
    }
    for (int k = 0; k < 3 && now >= p->next_video_us; k++) {
        send_video_frame(p, now);
        p->next_video_us += 1000000 / opt.fps;
    }
    if (now - p->next_video_us > 200000)
        p->next_video_us = now; /* we fell behind: do not burst */
    for (int k = 0; k < 5 && now >= p->next_audio_us; k++) {
        send_audio_frame(p);
        p->next_audio_us += 20000;
    }
    if (now - p->next_audio_us > 200000)
        p->next_audio_us = now;
    if (now >= p->next_rr_us) {
        send_rr(p);
        p->next_rr_us = now + 1000000;
    }
    if (!p->got_key)
        send_pli(p, now); /* a browser asks until a key frame comes (rate-limited) */
}

static int64_t last_tick_us;

static gboolean tick(gpointer unused)
{
    int64_t now = cv_now_us();
    double dt = last_tick_us ? (double)(now - last_tick_us) / 1e6 : 0;
    last_tick_us = now;
    double budget = dt * opt.garbage_pps;
    if (budget > opt.garbage_pps / 20.0)
        budget = opt.garbage_pps / 20.0;
    for (int i = 0; i < opt.n; i++)
        tick_part(&parts[i], now, budget);
    return G_SOURCE_CONTINUE;
}

/* Runs the loop until time `until` (monotonic us). */
/* SIGUSR1 ends the measuring window(s) now: the figures are those of the
 * time run so far (a test that needs the room emptied at a moment of its
 * choosing, without waiting out --seconds). */
static volatile sig_atomic_t end_now;

static void on_usr1(int sig)
{
    (void)sig;
    end_now = 1;
}

static void run_until(int64_t until)
{
    while (cv_now_us() < until && !end_now)
        g_main_context_iteration(ctx, TRUE);
}

/* --- joining ------------------------------------------------------------ */

/* Path of a room URL: /rooms/{room}/{what}. */
static void room_path(char *out, size_t cap, const char *what)
{
    snprintf(out, cap, "/rooms/%s/%s", opt.room, what);
}

static int post_offer(part_t *p, const char *offer, lg_answer_t *ans)
{
    char path[256];
    char what[64];
    snprintf(what, sizeof(what), "whip?name=lg%d", part_index(p));
    room_path(path, sizeof(path), what);
    lg_http_resp_t r;
    const char *why = NULL;
    int rc =
        lg_http_request(&url, "POST", path, "application/sdp", offer, strlen(offer), 10000, &r);
    if (rc < 0 || r.status != 201 || !r.body || lg_sdp_answer(r.body, ans, &why) < 0) {
        fprintf(stderr, "loadgen: participant %d: join failed: %s %d %.120s\n", part_index(p),
                rc < 0 ? "no HTTP answer" : "status", r.status, why ? why : (r.body ? r.body : ""));
        lg_http_resp_free(&r);
        return -1;
    }
    snprintf(p->location, sizeof(p->location), "%s", r.location);
    p->srv_vssrc = ans->video_ssrc;
    lg_http_resp_free(&r);
    return 0;
}

/* WHIP join of one participant: a client peer (ICE controlling, DTLS
 * client), the offer from its ICE agent, the answer's credentials,
 * fingerprint and candidates into it. */
static int join(part_t *p, const cv_dtls_cert_t *cert)
{
    static const char *addrs[] = {"127.0.0.1"};
    cv_ice_cfg_t icfg = {.addresses = addrs, .n_addresses = 1, .controlling = 1};
    cv_peer_cb_t cb = {.on_rtp = on_rtp, .on_rtcp = on_rtcp, .on_state = on_state};
    uint8_t unknown[32] = {0}; /* the answer names the server's fingerprint */
    char fp[CV_DTLS_FP_STR_LEN], offer[8192];
    cv_dtls_fingerprint_str(cv_dtls_cert_fingerprint(cert), 32, fp, sizeof(fp));
    p->peer = cv_peer_create_role(ctx, &icfg, cert, CV_DTLS_CLIENT, unknown, 32,
                                  (int64_t)opt.connect_timeout * 1000000, &cb, p);
    if (!p->peer)
        return -1;
    cv_ice_t *ice = cv_peer_ice(p->peer);
    const cv_ice_cand_t *cand;
    lg_offer_t o = {.ufrag = cv_ice_ufrag(ice),
                    .pwd = cv_ice_pwd(ice),
                    .fingerprint = fp,
                    .audio_ssrc = p->assrc,
                    .video_ssrc = p->vssrc,
                    .index = part_index(p)};
    o.n_cand = cv_ice_local_candidates(ice, &cand);
    o.cand = cand;
    if (opt.via)
        o.n_cand = 0; /* the server must learn our address from our checks, via the relay */
    lg_answer_t ans;
    if (lg_sdp_offer(&o, offer, sizeof(offer)) < 0 || post_offer(p, offer, &ans) < 0)
        return -1;
    if (cv_peer_set_remote_fingerprint(p->peer, ans.fingerprint, 32) < 0 ||
        cv_ice_set_remote(ice, ans.ufrag, ans.pwd) < 0)
        return -1;
    int added = 0;
    for (int i = 0; i < ans.n_cand; i++)
        added +=
            cv_ice_add_remote_candidate(ice, opt.via ? opt.via : ans.cand[i].addr, ans.cand[i].port,
                                        ans.cand[i].priority, ans.cand[i].foundation) == 0;
    return added > 0 ? 0 : -1;
}

static void leave(part_t *p)
{
    if (!p->location[0])
        return;
    lg_http_resp_t r;
    if (lg_http_request(&url, "DELETE", p->location, NULL, NULL, 0, 5000, &r) == 0)
        lg_http_resp_free(&r);
    p->location[0] = 0;
}

/* Participant i sends a command (what: its name for a message). Returns
 * the HTTP status (0: no answer). */
static int send_command_as(int i, const char *body, const char *what)
{
    /* POST /rooms/{room}/command, the session id (the Location's last
     * segment) in a header */
    char path[300];
    const char *loc = parts[i].location, *sid = strrchr(loc, '/');
    const char *sessions = strstr(loc, "/sessions/");
    if (!sid || !sessions)
        return 0;
    snprintf(path, sizeof(path), "%.*s/command", (int)(sessions - loc), loc);
    lg_http_resp_t r;
    if (lg_http_request_session(&url, "POST", path, sid + 1, "application/json", body, strlen(body),
                                5000, &r) < 0)
        return 0;
    if (r.status != 204)
        fprintf(stderr, "loadgen: %s command answered %d: %.120s\n", what, r.status,
                r.body ? r.body : "");
    lg_http_resp_free(&r);
    return r.status;
}

/* Participant 0: the room's creator, its moderator. */
static int send_command(const char *body, const char *what)
{
    return send_command_as(0, body, what);
}

static int send_layout(void)
{
    char body[96];
    snprintf(body, sizeof(body), "{\"type\":\"layout\",\"layout\":\"%s\"}", opt.layout);
    return send_command(body, "layout");
}

/* --- report ------------------------------------------------------------- */

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double pct(double *v, int n, double q)
{
    if (n == 0)
        return -1;
    qsort(v, (size_t)n, sizeof(*v), cmp_double);
    int i = (int)ceil(q * n) - 1;
    return v[i < 0 ? 0 : i];
}

static void snapshot(counters_t *out)
{
    for (int i = 0; i < opt.n; i++) {
        part_t *p = &parts[i];
        out[i] = p->c;
        out[i].v_expected = p->rv.seen ? p->rv.high - p->rv.first + 1 : 0;
        out[i].v_received = p->rv.received;
        out[i].a_expected = p->ra.seen ? p->ra.high - p->ra.first + 1 : 0;
        out[i].a_received = p->ra.received;
    }
}

typedef struct {
    double fps_mean, fps_min, apps_mean, apps_min, loss_pct;
    double aloss_pct, aloss_max_pct; /* audio packets lost: of all receivers, the worst one's */
    double apps_listen_min;          /* the fewest audio packets a second of a listener */
    uint64_t decoded, dec_errors;
    int zero_video, zero_audio, receivers;
} window_t;

static window_t window(const counters_t *a, const counters_t *b, double secs)
{
    window_t w = {.fps_min = 1e9, .apps_min = 1e9, .apps_listen_min = 1e9};
    double exp_sum = 0, lost_sum = 0, aexp_sum = 0, alost_sum = 0;
    for (int i = 0; i < opt.n; i++) {
        if (parts[i].garbage || (opt.low_data && i == opt.n - 1))
            continue;
        double fps = (double)(b[i].vframes - a[i].vframes) / secs;
        double apps = (double)(b[i].apkts - a[i].apkts) / secs;
        w.fps_mean += fps;
        w.apps_mean += apps;
        w.fps_min = fps < w.fps_min ? fps : w.fps_min;
        w.apps_min = apps < w.apps_min ? apps : w.apps_min;
        if (!parts[i].speaking && apps < w.apps_listen_min) /* hears a speaker: no DTX pauses */
            w.apps_listen_min = apps;
        w.zero_video += b[i].vframes == a[i].vframes;
        w.zero_audio += b[i].apkts == a[i].apkts;
        double e = (double)(b[i].v_expected - a[i].v_expected + b[i].a_expected - a[i].a_expected);
        double r = (double)(b[i].v_received - a[i].v_received + b[i].a_received - a[i].a_received);
        exp_sum += e;
        lost_sum += e > r ? e - r : 0;
        double ae = (double)(b[i].a_expected - a[i].a_expected);
        double ar = (double)(b[i].a_received - a[i].a_received), alost = ae > ar ? ae - ar : 0;
        aexp_sum += ae;
        alost_sum += alost;
        if (ae > 0 && 100.0 * alost / ae > w.aloss_max_pct)
            w.aloss_max_pct = 100.0 * alost / ae;
        w.decoded += b[i].decoded - a[i].decoded;
        w.dec_errors += b[i].dec_errors - a[i].dec_errors;
        w.receivers++;
    }
    if (w.receivers) {
        w.fps_mean /= w.receivers;
        w.apps_mean /= w.receivers;
    } else {
        w.fps_min = w.apps_min = 0;
    }
    if (w.apps_listen_min > 1e8)
        w.apps_listen_min = 0;
    w.loss_pct = exp_sum > 0 ? 100.0 * lost_sum / exp_sum : 0;
    w.aloss_pct = aexp_sum > 0 ? 100.0 * alost_sum / aexp_sum : 0;
    return w;
}

static double cpu_seconds(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
           ru.ru_stime.tv_usec / 1e6;
}

static int parse_opts(int argc, char **argv)
{
    static const struct option lo[] = {
        {"url", 1, 0, 'u'},          {"room", 1, 0, 'r'},
        {"participants", 1, 0, 'n'}, {"seconds", 1, 0, 's'},
        {"speakers", 1, 0, 'k'},     {"layout", 1, 0, 'l'},
        {"garbage", 1, 0, 'g'},      {"garbage-pps", 1, 0, 'G'},
        {"decoders", 1, 0, 'd'},     {"size", 1, 0, 'z'},
        {"fps", 1, 0, 'f'},          {"warmup", 1, 0, 'w'},
        {"distinct", 1, 0, 'm'},     {"silence", 1, 0, 'S'},
        {"speech", 1, 0, 'A'},       {"via", 1, 0, 'v'},
        {"record", 0, 0, 'R'},       {"last", 1, 0, 'T'}, /* low-data or portrait */
        {"help", 0, 0, 'h'},         {0, 0, 0, 0}};
    int c;
    while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        switch (c) {
        case 'u': opt.url = optarg; break;
        case 'r': opt.room = optarg; break;
        case 'n': opt.n = atoi(optarg); break;
        case 's': opt.seconds = atoi(optarg); break;
        case 'k': opt.speakers = atoi(optarg); break;
        case 'l': opt.layout = optarg; break;
        case 'g': opt.garbage = atoi(optarg); break;
        case 'G': opt.garbage_pps = atoi(optarg); break;
        case 'd': opt.decoders = atoi(optarg); break;
        case 'f': opt.fps = atoi(optarg); break;
        case 'w': opt.warmup = atoi(optarg); break;
        case 'm': opt.distinct = atoi(optarg); break;
        case 'S': opt.silence = optarg; break;
        case 'A': opt.speech = optarg; break;
        case 'v': opt.via = optarg; break;
        case 'R': opt.record = 1; break;
        case 'T': /* what the last participant asks of its video */
            opt.low_data = strcmp(optarg, "low-data") == 0;
            opt.portrait = strcmp(optarg, "portrait") == 0;
            if (!opt.low_data && !opt.portrait)
                return -1;
            break;
        case 'z':
            if (sscanf(optarg, "%dx%d", &opt.w, &opt.h) != 2)
                return -1;
            break;
        default: return -1;
        }
    }
    if (optind != argc || opt.n < 1 || opt.n > MAX_PARTS || opt.seconds < 1 || opt.speakers < 0 ||
        opt.garbage < 0 || opt.garbage >= opt.n || opt.decoders < 0 || opt.w < 16 || opt.h < 16 ||
        opt.w > 1920 || opt.h > 1080 || (opt.w | opt.h) & 1 || opt.fps < 1 || opt.fps > 60 ||
        opt.warmup < 0 || opt.distinct < 1 || opt.garbage_pps < 1 ||
        ((opt.low_data || opt.portrait) && opt.n - 1 <= opt.garbage) ||
        lg_url_parse(opt.url, &url) < 0 ||
        (strcmp(opt.silence, "full") != 0 && strcmp(opt.silence, "dtx") != 0) ||
        (opt.layout && strcmp(opt.layout, "grid") != 0 && strcmp(opt.layout, "speaker") != 0 &&
         strcmp(opt.layout, "lecture") != 0))
        return -1;
    return 0;
}

typedef struct {
    lg_clip_t *clips; /* [0]: participant 0's, with the flash; then opt.distinct more */
    lg_opus_t (*tones)[AUDIO_LOOP];
    lg_opus_t silence;
    lg_opus_t *speech; /* --speech: what every speaker says, NULL without */
    int n_clips, n_tones, n_speech;
} media_t;

static int prepare_media(media_t *m)
{
    m->n_clips = 1 + (opt.n - 1 < opt.distinct ? opt.n - 1 : opt.distinct);
    m->n_tones = opt.speakers < opt.distinct ? opt.speakers : opt.distinct;
    m->clips = calloc((size_t)m->n_clips, sizeof(*m->clips));
    m->tones = calloc((size_t)(m->n_tones + 1), sizeof(*m->tones));
    if (!m->clips || !m->tones)
        return -1;
    int frames = 2 * opt.fps; /* 2 s loop */
    for (int i = 0; i < m->n_clips; i++)
        if (lg_clip_encode(&m->clips[i], opt.w, opt.h, opt.fps, frames, i, i == 0) < 0)
            return -1;
    for (int i = 0; i < m->n_tones; i++)
        if (lg_opus_encode(m->tones[i], AUDIO_LOOP, 300 + 40 * i) < 0)
            return -1;
    if (opt.speech && lg_opus_encode_wav(opt.speech, &m->speech, &m->n_speech) < 0)
        return -1;
    return lg_opus_encode(&m->silence, 1, 0);
}

static void free_media(media_t *m)
{
    for (int i = 0; m->clips && i < m->n_clips; i++)
        lg_clip_free(&m->clips[i]);
    free(m->clips);
    free(m->tones);
    free(m->speech);
}

static void setup_parts(const media_t *m)
{
    for (int i = 0; i < opt.n; i++) {
        part_t *p = &parts[i];
        p->idx = i;
        p->rng = 0x9e3779b9u * (uint32_t)(i + 1);
        p->assrc = 0x10000000u + (uint32_t)i * 2;
        p->vssrc = p->assrc + 1;
        p->aseq = (uint16_t)rnd(p);
        p->vseq = (uint16_t)rnd(p);
        p->garbage = i >= opt.n - opt.garbage; /* the last joined flood */
        p->speaking = i < opt.speakers;
        p->clip = &m->clips[i == 0 ? 0 : 1 + (i - 1) % (m->n_clips - 1 > 0 ? m->n_clips - 1 : 1)];
        if (m->n_clips == 1)
            p->clip = &m->clips[0];
        p->voice = p->speaking ? m->tones[i % (m->n_tones ? m->n_tones : 1)] : &m->silence;
        p->voice_n = AUDIO_LOOP;
        if (p->speaking && m->speech) { /* each from another place in the text */
            p->voice = m->speech;
            p->voice_n = m->n_speech;
            p->apos = (int)((uint32_t)i * 151u % (uint32_t)m->n_speech);
        }
    }
    /* decoders: the last joined that are not flooding */
    for (int i = opt.n - 1, d = 0; i >= 0 && d < opt.decoders; i--) {
        if (parts[i].garbage)
            continue;
        parts[i].decoder = 1;
        parts[i].dec = cv_vp8_dec_create();
        cv_vp8_depack_init(&parts[i].depack, 1 << 20);
        d++;
    }
}

/* Joins everyone, keeping the loop running in between; waits for all to
 * connect. Participant 0 (the moderator) sets the layout as soon as it is
 * in, so that the others join into it (its HTTP status in *layout_status).
 * Returns the number connected. */
static int join_all(const cv_dtls_cert_t *cert, int *layout_status)
{
    for (int i = 0; i < opt.n; i++) {
        if (join(&parts[i], cert) < 0)
            return -1;
        if (i == 0 && opt.layout)
            *layout_status = send_layout();
        while (g_main_context_iteration(ctx, FALSE))
            ;
    }
    int64_t until = cv_now_us() + (int64_t)opt.connect_timeout * 1000000;
    for (;;) {
        int up = 0, down = 0;
        for (int i = 0; i < opt.n; i++) {
            up += parts[i].state == CV_PEER_CONNECTED;
            down += parts[i].state == CV_PEER_FAILED;
        }
        if (up + down == opt.n || cv_now_us() > until)
            return up;
        g_main_context_iteration(ctx, TRUE);
    }
}

static void print_window(const char *name, const window_t *w)
{
    printf("  %-8s receivers %3d  fps mean %5.1f min %5.1f  audio pkt/s mean %5.1f min %5.1f"
           "  loss %.2f %%  decoded %" PRIu64 " errors %" PRIu64 "\n",
           name, w->receivers, w->fps_mean, w->fps_min, w->apps_mean, w->apps_min, w->loss_pct,
           w->decoded, w->dec_errors);
}

/* Measures: warmup, the window (and with --garbage a second window while the
 * flood runs), then prints and judges. Returns the exit status. */
static int measure(int connected, int layout_status)
{
    counters_t *s0 = calloc((size_t)opt.n, sizeof(*s0)), *s1 = calloc((size_t)opt.n, sizeof(*s1));
    counters_t *s2 = calloc((size_t)opt.n, sizeof(*s2)), *s3 = calloc((size_t)opt.n, sizeof(*s3));
    signal(SIGUSR1, on_usr1);
    run_until(cv_now_us() + (int64_t)opt.warmup * 1000000);
    double cpu0 = cpu_seconds();
    int64_t t0 = cv_now_us();
    measuring = 1;
    snapshot(s0);
    printf("loadgen: window start\n"); /* markers for scripts that sample the daemon */
    fflush(stdout);
    run_until(t0 + (int64_t)opt.seconds * 1000000);
    snapshot(s1);
    printf("loadgen: window end\n");
    fflush(stdout);
    double secs = (double)(cv_now_us() - t0) / 1e6;
    double cpu_pct = 100.0 * (cpu_seconds() - cpu0) / secs;
    window_t clean = window(s0, s1, secs), w = clean;
    double gcpu_pct = 0, gsecs = 0;
    if (opt.garbage) {
        garbage_on = 1;
        run_until(cv_now_us() + 1000000); /* the flood settles */
        int64_t t2 = cv_now_us();
        double gcpu0 = cpu_seconds();
        snapshot(s2);
        run_until(t2 + (int64_t)opt.seconds * 1000000);
        snapshot(s3);
        gsecs = (double)(cv_now_us() - t2) / 1e6;
        gcpu_pct = 100.0 * (cpu_seconds() - gcpu0) / gsecs;
        w = window(s2, s3, gsecs);
        garbage_on = 0;
    }
    measuring = 0;
    int n = n_lat;
    double p50 = pct(lat_ms, n, 0.5), p99 = pct(lat_ms, n, 0.99);
    int valid = connected == opt.n && w.zero_video == 0 && w.zero_audio == 0 &&
                clean.zero_video == 0 && w.dec_errors + clean.dec_errors == 0 &&
                (opt.decoders == 0 || clean.decoded > 0);
    printf("loadgen: %d participants (%d connected), %d speaking, %d flooding, layout %s, "
           "%dx%d@%d in, %d s window\n",
           opt.n, connected, opt.speakers, opt.garbage, opt.layout ? opt.layout : "(default)",
           opt.w, opt.h, opt.fps, opt.seconds);
    print_window("clean", &clean);
    if (opt.garbage)
        print_window("garbage", &w);
    printf("  mixer latency (flash -> composite) p50 %.1f ms p99 %.1f ms over %d flashes;"
           " loadgen CPU %.0f %% of a core\n",
           p50, p99, n, cpu_pct);
    printf("loadgen: participants=%d layout=%s speakers=%d fps_mean=%.1f fps_min=%.1f "
           "audio_pps_mean=%.1f audio_pps_min=%.1f lat_p50_ms=%.1f lat_p99_ms=%.1f lat_n=%d "
           "loss_pct=%.2f decoded=%" PRIu64 " decode_errors=%" PRIu64 " layout_status=%d "
           "loadgen_cpu_pct=%.0f audio_loss_pct=%.2f audio_loss_max_pct=%.2f "
           "audio_pps_listen_min=%.1f",
           opt.n, opt.layout ? opt.layout : "default", opt.speakers, clean.fps_mean, clean.fps_min,
           clean.apps_mean, clean.apps_min, p50, p99, n, clean.loss_pct, clean.decoded,
           clean.dec_errors + w.dec_errors, layout_status, cpu_pct, clean.aloss_pct,
           clean.aloss_max_pct, clean.apps_listen_min);
    if (opt.garbage)
        printf(" garbage=%d garbage_fps_mean=%.1f garbage_fps_min=%.1f garbage_audio_pps_mean=%.1f"
               " garbage_audio_pps_min=%.1f garbage_pkts=%" PRIu64 " garbage_loadgen_cpu_pct=%.0f",
               opt.garbage, w.fps_mean, w.fps_min, w.apps_mean, w.apps_min, garbage_sent, gcpu_pct);
    if (opt.low_data)
        printf(" low_data_vpkts=%" PRIu64 " low_data_apkts=%" PRIu64,
               s1[opt.n - 1].vpkts - s0[opt.n - 1].vpkts,
               s1[opt.n - 1].apkts - s0[opt.n - 1].apkts);
    printf(" valid=%s\n", valid ? "yes" : "no");
    if (!valid)
        for (int i = 0; i < opt.n; i++)
            fprintf(stderr,
                    "loadgen: participant %d%s%s: state %d, window frames %" PRIu64
                    " audio %" PRIu64 ", decoded %" PRIu64 " errors %" PRIu64
                    "; since joining video packets %" PRIu64 " frames %" PRIu64 "\n",
                    i, parts[i].garbage ? " (flooding)" : "", parts[i].decoder ? " (decoding)" : "",
                    parts[i].state, s1[i].vframes - s0[i].vframes, s1[i].apkts - s0[i].apkts,
                    s1[i].decoded - s0[i].decoded, s1[i].dec_errors - s0[i].dec_errors, s1[i].vpkts,
                    s1[i].vframes);
    fflush(stdout);
    free(s0);
    free(s1);
    free(s2);
    free(s3);
    return valid ? 0 : 1;
}

/* Each participant holds two open files (a UDP socket, a timer), and 500
 * pass the usual soft limit of 1024: up to the hard limit. */
static void raise_nofile(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
        return;
    if (rl.rlim_cur != rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
            getrlimit(RLIMIT_NOFILE, &rl);
    }
    if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < 64 + 2 * (rlim_t)opt.n)
        fprintf(stderr, "loadgen: %d participants need about %d open files, the limit is %llu\n",
                opt.n, 64 + 2 * opt.n, (unsigned long long)rl.rlim_cur);
}

int main(int argc, char **argv)
{
    if (parse_opts(argc, argv) < 0) {
        usage();
        return 2;
    }
    raise_nofile();
    media_t m = {0};
    if (prepare_media(&m) < 0) {
        fprintf(stderr, "loadgen: could not encode the media\n");
        return 2;
    }
    setup_parts(&m);
    ctx = g_main_context_new();
    /* epoll, as the daemon's network threads: poll(2) over the sockets of
     * 500 participants at every wake-up would make loadgen, not the daemon,
     * set the pace (and the latency it measures) */
    g_main_context_set_poll_func(ctx, cv_poller_gpoll);
    cv_dtls_cert_t *cert = cv_dtls_cert_create();
    GSource *t = g_timeout_source_new(2);
    g_source_set_callback(t, tick, NULL, NULL);
    g_source_attach(t, ctx);
    int status = 2;
    int layout_status = 0;
    int connected = cert ? join_all(cert, &layout_status) : -1;
    if (connected < 0) {
        fprintf(stderr, "loadgen: joining failed\n");
    } else {
        if (opt.low_data)
            layout_status |= send_command_as(opt.n - 1, "{\"type\":\"receive\",\"video\":false}",
                                             "receive") != 204;
        if (opt.portrait)
            layout_status |=
                send_command_as(opt.n - 1, "{\"type\":\"view\",\"portrait\":true}", "view") != 204;
        if (opt.record && send_command("{\"type\":\"record\",\"on\":true}", "record") != 204)
            fprintf(stderr, "loadgen: the recording did not start\n"); /* no result then */
        else
            status = measure(connected, layout_status);
        if (opt.portrait) { /* the size at the window's end, then back to landscape */
            int pw = parts[opt.n - 1].key_w, ph = parts[opt.n - 1].key_h;
            int st = send_command_as(opt.n - 1, "{\"type\":\"view\",\"portrait\":false}", "view");
            run_until(cv_now_us() + 2000000);
            printf("loadgen: portrait_key=%dx%d landscape_key=%dx%d view_status=%d\n", pw, ph,
                   parts[opt.n - 1].key_w, parts[opt.n - 1].key_h, st);
        }
    }
    for (int i = 0; i < opt.n; i++) {
        leave(&parts[i]);
        cv_peer_destroy(parts[i].peer);
        cv_vp8_dec_destroy(parts[i].dec);
        cv_vp8_depack_cleanup(&parts[i].depack);
    }
    g_source_destroy(t);
    g_source_unref(t);
    while (g_main_context_iteration(ctx, FALSE))
        ;
    g_main_context_unref(ctx);
    cv_poller_thread_done();
    cv_dtls_cert_destroy(cert);
    free_media(&m);
    return status;
}
