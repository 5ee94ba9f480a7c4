/*
 * sdp_answer.c - the SDP answer to an offer that sdp.c accepted: one m= section per
 * offered one, the accepted ones with our ICE credentials, DTLS fingerprint and
 * setup:passive, our codecs and SSRCs, and all our candidates (non-trickle).
 *
 * Pure: no sockets, clock, threads or allocation; any thread (the HTTP thread in
 * practice). RFC 3264 (offer/answer), RFC 8843 (BUNDLE), RFC 8839 and RFC 8840 (ICE
 * candidates), RFC 8842 (setup), RFC 8285 (extmap), RFC 4588 (RTX).
 */
#include "sdp.h"
#include "err.h"
#include "sdp_int.h"
#include "twcc.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* A NUL-terminated string of min..max characters, each of class cls. */
static int cstr_ok(const char *s, size_t min, size_t max, int (*cls)(unsigned char))
{
    if (!s)
        return 0;
    size_t n = strnlen(s, max + 1);
    if (n < min || n > max)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!cls((unsigned char)s[i]))
            return 0;
    return 1;
}

struct out {
    char *p;
    size_t cap, len;
    int full;
};

static void put(struct out *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void put(struct out *w, const char *fmt, ...)
{
    va_list ap;
    if (w->full)
        return;
    va_start(ap, fmt);
    int n = vsnprintf(w->p + w->len, w->cap - w->len, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= w->cap - w->len) {
        w->full = 1;
        return;
    }
    w->len += (size_t)n;
}

static const char *const dir_names[] = {"sendrecv", "sendonly", "recvonly", "inactive"};

int cv_sdp_answer_direction(int offer_dir, int we_send)
{
    switch (offer_dir) {
    case CV_SDP_SENDRECV: return we_send ? CV_SDP_SENDRECV : CV_SDP_RECVONLY;
    case CV_SDP_SENDONLY: return CV_SDP_RECVONLY;
    case CV_SDP_RECVONLY: return we_send ? CV_SDP_SENDONLY : CV_SDP_INACTIVE;
    default: return CV_SDP_INACTIVE;
    }
}

static int visible_char(unsigned char c)
{
    return c > 0x20 && c < 0x7f;
}

/* IP literals only: the c= line and candidates carry them as they are. */
static int ip_char(unsigned char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || c == '.' ||
           c == ':';
}

static int check_params(const cv_sdp_answer_params_t *p)
{
    if (!cstr_ok(p->ice_ufrag, 4, 256, ice_char) || !cstr_ok(p->ice_pwd, 22, 256, ice_char) ||
        !p->fingerprint || p->fingerprint_len != 32 || p->n_cand < 0 || (p->n_cand && !p->cand))
        return CV_E_INVAL;
    for (int i = 0; i < p->n_cand; i++) {
        const cv_sdp_local_cand_t *c = &p->cand[i];
        if (!cstr_ok(c->addr, 1, sizeof c->addr - 1, ip_char) || c->port < 1 || c->port > 65535 ||
            !cstr_ok(c->foundation, 1, 32, ice_char) || (c->tcp != 0 && c->tcp != 1))
            return CV_E_INVAL;
    }
    if (p->msid_stream && !cstr_ok(p->msid_stream, 1, 64, token_char))
        return CV_E_INVAL;
    return 0;
}

/* Whether we send in a section: the composite goes out in the section's codec,
 * VP8 or H.264. */
static int we_send(const cv_sdp_media_t *m, const cv_sdp_answer_params_t *p)
{
    return m->kind == CV_SDP_AUDIO ? p->send_audio : p->send_video;
}

/* The offer must look like one cv_sdp_parse_offer produced: every string written into
 * the answer is a token, so nothing can break a line. */

static int check_offer(const cv_sdp_offer_t *o, const cv_sdp_answer_params_t *p)
{
    if (o->n_media < 0 || o->n_media > CV_SDP_MAX_MEDIA)
        return CV_E_INVAL;
    for (int i = 0; i < o->n_media; i++) {
        const cv_sdp_media_t *m = &o->media[i];
        int sends = we_send(m, p) && cv_sdp_answer_direction(m->direction, 1) <= CV_SDP_SENDONLY;
        if ((m->mid[0] && !cstr_ok(m->mid, 1, 32, token_char)) ||
            !cstr_ok(m->media, 1, 15, token_char) || !cstr_ok(m->proto, 1, 31, proto_char) ||
            !cstr_ok(m->fmt, 1, 31, token_char))
            return CV_E_INVAL;
        if (!m->accepted)
            continue;
        if ((m->kind != CV_SDP_AUDIO && m->kind != CV_SDP_VIDEO) || m->pt < 0 || m->pt >= N_PT ||
            m->rtx_pt < -1 || m->rtx_pt >= N_PT || m->audio_level_id < 0 ||
            m->audio_level_id > 14 || m->direction < 0 || m->direction > CV_SDP_INACTIVE ||
            m->audio_level_dir < 0 || m->audio_level_dir > CV_SDP_INACTIVE ||
            (o->bundle && !m->mid[0]))
            return CV_E_INVAL;
        if (sends && !cstr_ok(p->cname, 1, 255, visible_char))
            return CV_E_INVAL;
    }
    return 0;
}

static void put_session(struct out *w, const cv_sdp_offer_t *o, const cv_sdp_answer_params_t *p)
{
    put(w, "v=0\r\no=conclave %llu 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n",
        (unsigned long long)p->session_id);
    if (!o->bundle)
        return; /* no group in the offer: none in the answer (RFC 8843 §7.3) */
    put(w, "a=group:BUNDLE");
    for (int i = 0; i < o->n_media; i++)
        if (o->media[i].accepted)
            put(w, " %s", o->media[i].mid);
    put(w, "\r\n");
}

/* RFC 8843 §7.3.3: a rejected section gets port 0 and leaves the BUNDLE group. */
static void put_rejected(struct out *w, const cv_sdp_media_t *m)
{
    put(w, "m=%s 0 %s %s\r\nc=IN IP4 0.0.0.0\r\n", m->media, m->proto, m->fmt);
    if (m->mid[0])
        put(w, "a=mid:%s\r\n", m->mid);
}

static void put_transport(struct out *w, const cv_sdp_answer_params_t *p)
{
    put(w, "a=ice-ufrag:%s\r\na=ice-pwd:%s\r\na=fingerprint:sha-256 ", p->ice_ufrag, p->ice_pwd);
    for (size_t i = 0; i < p->fingerprint_len; i++)
        put(w, "%02X%s", p->fingerprint[i], i + 1 < p->fingerprint_len ? ":" : "\r\n");
    put(w, "a=setup:passive\r\n"); /* we are the DTLS server (RFC 8842 §5.3) */
}

/* Non-trickle: every candidate now, then end-of-candidates (RFC 8840 §8.2). A TCP
 * one is passive: the client connects to it (RFC 6544 §4.5). */
static void put_candidates(struct out *w, const cv_sdp_answer_params_t *p)
{
    for (int i = 0; i < p->n_cand; i++)
        put(w, "a=candidate:%s 1 %s %u %s %d typ host%s\r\n", p->cand[i].foundation,
            p->cand[i].tcp ? "tcp" : "udp", (unsigned)p->cand[i].priority, p->cand[i].addr,
            p->cand[i].port, p->cand[i].tcp ? " tcptype passive" : "");
    put(w, "a=end-of-candidates\r\n");
}

/* The default candidate (RFC 8839 §4.2.1.4): the first UDP one, else the first. */
static const cv_sdp_local_cand_t *default_cand(const cv_sdp_answer_params_t *p)
{
    for (int i = 0; i < p->n_cand; i++)
        if (!p->cand[i].tcp)
            return &p->cand[i];
    return p->n_cand ? &p->cand[0] : NULL;
}

static void put_codecs(struct out *w, const cv_sdp_media_t *m, const cv_sdp_answer_params_t *p,
                       int rtx, int red, int twcc)
{
    if (red)
        put(w, "a=rtpmap:%d red/48000/2\r\na=fmtp:%d %d/%d\r\n", m->red_pt, m->red_pt, m->pt,
            m->pt);
    if (m->kind == CV_SDP_AUDIO) {
        put(w, "a=rtpmap:%d opus/48000/2\r\na=fmtp:%d minptime=10;useinbandfec=1\r\n", m->pt,
            m->pt);
        if (twcc)
            put(w, "a=rtcp-fb:%d transport-cc\r\n", m->pt);
        return;
    }
    if (m->codec == CV_SDP_H264) /* RFC 6184 §8.2.2: the offer's profile, mode 1 */
        put(w,
            "a=rtpmap:%d H264/90000\r\na=fmtp:%d "
            "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=%06x\r\n",
            m->pt, m->pt, (unsigned)(m->h264_profile & 0xffffff));
    else
        put(w, "a=rtpmap:%d VP8/90000\r\n", m->pt);
    if (twcc)
        put(w, "a=rtcp-fb:%d transport-cc\r\n", m->pt);
    if (m->fb_remb && p->offer_fb_remb)
        put(w, "a=rtcp-fb:%d goog-remb\r\n", m->pt);
    if (m->fb_fir)
        put(w, "a=rtcp-fb:%d ccm fir\r\n", m->pt);
    if (m->fb_nack)
        put(w, "a=rtcp-fb:%d nack\r\n", m->pt);
    if (m->fb_pli)
        put(w, "a=rtcp-fb:%d nack pli\r\n", m->pt);
    if (rtx)
        put(w, "a=rtpmap:%d rtx/90000\r\na=fmtp:%d apt=%d\r\n", m->rtx_pt, m->rtx_pt, m->pt);
}

static void put_ssrcs(struct out *w, const cv_sdp_media_t *m, const cv_sdp_answer_params_t *p,
                      int rtx)
{
    uint32_t ssrc = m->kind == CV_SDP_AUDIO ? p->audio_ssrc : p->video_ssrc;
    if (ssrc == 0)
        return;
    if (rtx && p->video_rtx_ssrc) {
        put(w, "a=ssrc-group:FID %u %u\r\n", (unsigned)ssrc, (unsigned)p->video_rtx_ssrc);
        put(w, "a=ssrc:%u cname:%s\r\n", (unsigned)ssrc, p->cname);
        put(w, "a=ssrc:%u cname:%s\r\n", (unsigned)p->video_rtx_ssrc, p->cname);
    } else {
        put(w, "a=ssrc:%u cname:%s\r\n", (unsigned)ssrc, p->cname);
    }
}

static void put_accepted(struct out *w, const cv_sdp_media_t *m, const cv_sdp_answer_params_t *p,
                         int first)
{
    int audio = m->kind == CV_SDP_AUDIO;
    int dir = cv_sdp_answer_direction(m->direction, we_send(m, p));
    int sends = dir == CV_SDP_SENDRECV || dir == CV_SDP_SENDONLY;
    int rtx = !audio && p->use_rtx && m->rtx_pt >= 0;
    int red = audio && p->use_red && m->red_pt >= 0;
    int twcc = p->twcc_id > 0 && m->twcc_id == p->twcc_id;
    /* the default candidate in m= and c= (RFC 8839 §4.2.1.4), same in every bundled one */
    const cv_sdp_local_cand_t *dc = default_cand(p);
    const char *addr = dc ? dc->addr : "0.0.0.0";
    int port = dc ? dc->port : 9;

    put(w, "m=%s %d " SAVPF, audio ? "audio" : "video", port);
    if (red) /* before opus: browsers send RED only when it comes first */
        put(w, " %d", m->red_pt);
    put(w, " %d", m->pt);
    if (rtx)
        put(w, " %d", m->rtx_pt);
    put(w, "\r\nc=IN %s %s\r\n", strchr(addr, ':') ? "IP6" : "IP4", addr);
    put_transport(w, p);
    if (m->mid[0])
        put(w, "a=mid:%s\r\n", m->mid);
    if (audio && m->audio_level_id) {
        /* RFC 8285 §7: the answer mirrors a direction the offer gave to the extension */
        static const char *const mirror[] = {"", "/recvonly", "/sendonly", ""};
        put(w, "a=extmap:%d%s " AUDIO_LEVEL_URI "\r\n", m->audio_level_id,
            mirror[m->audio_level_dir]);
    }
    if (twcc) /* both ways: what each side sends is numbered, the other gives feedback */
        put(w, "a=extmap:%d%s " CV_TWCC_URI "\r\n", m->twcc_id,
            dir == CV_SDP_SENDRECV   ? ""
            : dir == CV_SDP_SENDONLY ? "/sendonly"
                                     : "/recvonly");
    put(w, "a=%s\r\n", dir_names[dir]);
    if (sends)
        put(w, "a=msid:%s %s\r\n", p->msid_stream ? p->msid_stream : "conclave",
            audio ? "audio" : "video");
    put(w, "a=rtcp-mux\r\n");
    put_codecs(w, m, p, rtx, red, twcc);
    if (sends)
        put_ssrcs(w, m, p, rtx);
    if (first)
        put_candidates(w, p);
}

int cv_sdp_build_answer(const cv_sdp_offer_t *offer, const cv_sdp_answer_params_t *p, char *out,
                        size_t cap)
{
    if (!offer || !p || (!out && cap))
        return CV_E_INVAL;
    int rc = check_params(p);
    if (rc == 0)
        rc = check_offer(offer, p);
    if (rc < 0)
        return rc;
    if (cap == 0)
        return CV_E_NOSPACE;
    struct out w = {out, cap, 0, 0};
    out[0] = '\0';
    put_session(&w, offer, p);
    int first = 1;
    for (int i = 0; i < offer->n_media; i++) {
        const cv_sdp_media_t *m = &offer->media[i];
        if (!m->accepted) {
            put_rejected(&w, m);
            continue;
        }
        put_accepted(&w, m, p, first);
        first = 0;
    }
    if (w.full || w.len > INT_MAX) {
        out[0] = '\0';
        return CV_E_NOSPACE;
    }
    return (int)w.len;
}
