/*
 * fuzz_sdp.c - libFuzzer target for signaling/sdp.c.
 *
 * Parses arbitrary bytes as an offer. When that succeeds it builds the answer and
 * checks it: NUL-terminated and shorter than the buffer (CV_SDP_ANSWER_CAP must be
 * enough), refused cleanly by a buffer one byte short; the answer re-parsed as an
 * offer is refused for its setup:passive; with actpass in its place it parses and
 * describes exactly what we answered (round trip of every negotiated field; the
 * answer's TCP candidates are dropped by the parser like an offer's, the UDP ones
 * come back, and the default candidate of m= is the first UDP one).
 */
#include "err.h"
#include "sdp.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static const uint8_t our_fp[32] = {
    0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef, 0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef,
    0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef, 0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef,
};

/* With knob bit 4, the answer also carries TCP-passive ones (ICE-TCP), the first
 * of them before the UDP ones. */
static const cv_sdp_local_cand_t our_cands[4] = {
    {"192.0.2.10", 50001, 1015022079, "3", 1},
    {"192.0.2.10", 50000, 2130706431, "1", 0},
    {"2001:db8::10", 50002, 2130706175, "2", 0},
    {"2001:db8::10", 50003, 1015021823, "4", 1},
};

#define REQUIRE(c)                                                                                 \
    do {                                                                                           \
        if (!(c))                                                                                  \
            abort();                                                                               \
    } while (0)

static void check_offer(const cv_sdp_offer_t *o)
{
    int accepted = 0;
    REQUIRE(o->n_media >= 1 && o->n_media <= CV_SDP_MAX_MEDIA);
    REQUIRE(o->n_cand >= 0 && o->n_cand <= CV_SDP_MAX_CAND);
    REQUIRE(o->fingerprint_len == 32);
    REQUIRE(strlen(o->ice_ufrag) >= 4 && strlen(o->ice_pwd) >= 22);
    for (int i = 0; i < o->n_media; i++) {
        const cv_sdp_media_t *m = &o->media[i];
        REQUIRE(m->port >= 0 && m->port <= 65535);
        REQUIRE(m->direction >= CV_SDP_SENDRECV && m->direction <= CV_SDP_INACTIVE);
        REQUIRE(m->pt >= -1 && m->pt <= 127 && m->rtx_pt >= -1 && m->rtx_pt <= 127);
        REQUIRE(m->audio_level_id >= 0 && m->audio_level_id <= 14);
        REQUIRE(m->codec == CV_SDP_VP8 || (m->kind == CV_SDP_VIDEO && m->pt >= 0));
        REQUIRE(strspn(m->sprop,
                       "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=,") ==
                strlen(m->sprop));
        if (m->accepted) {
            REQUIRE(m->kind == CV_SDP_AUDIO || m->kind == CV_SDP_VIDEO);
            REQUIRE(m->pt >= 0 && m->rtcp_mux);
            accepted++;
        }
    }
    REQUIRE(accepted >= 1 && accepted <= 2);
    REQUIRE(accepted == 1 || o->bundle);
    for (int i = 0; i < o->n_cand; i++) {
        REQUIRE(o->cand[i].component == 1 && strcmp(o->cand[i].transport, "udp") == 0);
        REQUIRE(o->cand[i].port >= 0 && o->cand[i].port <= 65535);
        REQUIRE(o->cand[i].mline >= -1 && o->cand[i].mline < o->n_media);
    }
}

static int mirror(int dir)
{
    return dir == CV_SDP_SENDONLY   ? CV_SDP_RECVONLY
           : dir == CV_SDP_RECVONLY ? CV_SDP_SENDONLY
                                    : dir;
}

/* What we answered, read back, against what was offered and what we asked for. */
static void check_round_trip(const cv_sdp_offer_t *o, const cv_sdp_answer_params_t *p,
                             const cv_sdp_offer_t *b)
{
    REQUIRE(b->n_media == o->n_media && b->bundle == o->bundle);
    REQUIRE(b->session_id == p->session_id && b->setup == CV_SDP_SETUP_ACTPASS);
    REQUIRE(strcmp(b->ice_ufrag, p->ice_ufrag) == 0 && strcmp(b->ice_pwd, p->ice_pwd) == 0);
    REQUIRE(memcmp(b->fingerprint, p->fingerprint, 32) == 0 && !b->ice_lite && !b->trickle);
    const cv_sdp_local_cand_t *udp[4];
    int n_udp = 0;
    for (int i = 0; i < p->n_cand && n_udp < 4; i++)
        if (!p->cand[i].tcp)
            udp[n_udp++] = &p->cand[i];
    REQUIRE(n_udp >= 1 && b->n_cand == n_udp);
    for (int i = 0; i < n_udp; i++) {
        REQUIRE(strcmp(b->cand[i].addr, udp[i]->addr) == 0);
        REQUIRE(b->cand[i].port == udp[i]->port);
        REQUIRE(b->cand[i].priority == udp[i]->priority);
        REQUIRE(strcmp(b->cand[i].foundation, udp[i]->foundation) == 0);
        REQUIRE(strcmp(b->cand[i].type, "host") == 0);
    }
    for (int i = 0; i < o->n_media; i++) {
        const cv_sdp_media_t *m = &o->media[i], *a = &b->media[i];
        REQUIRE(a->kind == m->kind && strcmp(a->mid, m->mid) == 0);
        REQUIRE(a->accepted == m->accepted);
        if (!m->accepted) {
            REQUIRE(a->port == 0);
            continue;
        }
        int audio = m->kind == CV_SDP_AUDIO;
        int send = audio ? p->send_audio : p->send_video;
        int dir = cv_sdp_answer_direction(m->direction, send);
        int sends = dir == CV_SDP_SENDRECV || dir == CV_SDP_SENDONLY;
        int rtx = !audio && p->use_rtx && m->rtx_pt >= 0;
        uint32_t ssrc = audio ? p->audio_ssrc : p->video_ssrc;
        REQUIRE(a->port == udp[0]->port && a->rtcp_mux && a->direction == dir);
        REQUIRE(a->pt == m->pt && a->rtx_pt == (rtx ? m->rtx_pt : -1));
        REQUIRE(a->codec == m->codec && a->h264_profile == m->h264_profile);
        REQUIRE(a->ssrc == (sends ? ssrc : 0));
        REQUIRE(a->rtx_ssrc == (sends && rtx ? p->video_rtx_ssrc : 0));
        if (audio) {
            REQUIRE(a->opus_fec == 1 && a->audio_level_id == m->audio_level_id);
            REQUIRE(!m->audio_level_id || a->audio_level_dir == mirror(m->audio_level_dir));
            REQUIRE(!a->fb_nack && !a->fb_pli && !a->fb_fir && !a->fb_remb);
        } else {
            REQUIRE(a->audio_level_id == 0 && a->opus_fec == 0);
            REQUIRE(a->fb_nack == m->fb_nack && a->fb_pli == m->fb_pli);
            REQUIRE(a->fb_fir == m->fb_fir && a->fb_remb == (m->fb_remb && p->offer_fb_remb));
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static cv_sdp_offer_t offer, back;
    static char ans[CV_SDP_ANSWER_CAP], small[CV_SDP_ANSWER_CAP + 16];
    const char *why = NULL;

    int rc = cv_sdp_parse_offer((const char *)data, size, &offer, &why);
    REQUIRE(why && why[0] && !strchr(why, '\n') && !strchr(why, '\r'));
    if (rc != 0) {
        REQUIRE(rc == CV_E_INVAL || rc == CV_E_UNSUPPORTED);
        return 0;
    }
    check_offer(&offer);

    /* our choices vary with the input so every combination gets covered */
    unsigned knobs = size ? data[size - 1] : 0;
    cv_sdp_answer_params_t p;
    memset(&p, 0, sizeof p);
    p.ice_ufrag = "cvUf";
    p.ice_pwd = "cvPwd0123456789abcdefXYZ";
    p.fingerprint = our_fp;
    p.fingerprint_len = sizeof our_fp;
    int tcp = (knobs >> 4) & 1;
    p.cand = tcp ? our_cands : our_cands + 1;
    p.n_cand = tcp ? 4 : 2;
    p.audio_ssrc = 0x11111111;
    p.video_ssrc = 0x22222222;
    p.video_rtx_ssrc = 0x33333333;
    p.cname = "conclave-cname";
    p.session_id = 0x0123456789abcdefull;
    p.send_audio = knobs & 1;
    p.send_video = (knobs >> 1) & 1;
    p.offer_fb_remb = (knobs >> 2) & 1;
    p.use_rtx = (knobs >> 3) & 1;

    int n = cv_sdp_build_answer(&offer, &p, ans, sizeof ans);
    REQUIRE(n > 0 && (size_t)n < sizeof ans && ans[n] == '\0' && strlen(ans) == (size_t)n);
    REQUIRE(!tcp ||
            (strstr(ans, " 1 tcp 1015022079 192.0.2.10 50001 typ host tcptype passive\r\n") &&
             strstr(ans, " 1 tcp 1015021823 2001:db8::10 50003 typ host tcptype passive\r\n")));
    REQUIRE(tcp || !strstr(ans, " typ host tcptype")); /* a mid may say tcptype */

    /* one byte short: refused, and nothing written past the capacity */
    memset(small, 0x5a, sizeof small);
    REQUIRE(cv_sdp_build_answer(&offer, &p, small, (size_t)n) == CV_E_NOSPACE);
    REQUIRE(small[0] == '\0');
    for (size_t i = (size_t)n; i < sizeof small; i++)
        REQUIRE(small[i] == 0x5a);

    /* our answer says setup:passive, so as an offer it must be refused for that */
    rc = cv_sdp_parse_offer(ans, (size_t)n, &back, &why);
    REQUIRE(rc == CV_E_UNSUPPORTED && strstr(why, "setup:passive"));

    /* with actpass (same length) it is a valid offer describing what we answered */
    for (char *q = strstr(ans, "a=setup:passive"); q; q = strstr(q, "a=setup:passive"))
        memcpy(q, "a=setup:actpass", 15);
    rc = cv_sdp_parse_offer(ans, (size_t)n, &back, &why);
    REQUIRE(rc == 0);
    check_round_trip(&offer, &p, &back);
    return 0;
}
