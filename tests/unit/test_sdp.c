/*
 * test_sdp.c - tests of signaling/sdp.c: browser offers (Chrome, Firefox, Safari), WHIP
 * and WHEP tools, every rejection, answers checked line by line, answers re-parsed,
 * and answers into buffers that are too small.
 */
#include "check.h"
#include "err.h"
#include "sdp.h"
#include "twcc.h"
#include "sdp_vectors.h"

#include <stdint.h>
#include <stdlib.h>

static cv_sdp_offer_t off;
static const char *why;

static int parse_str(const char *s)
{
    return cv_sdp_parse_offer(s, strlen(s), &off, &why);
}

/* Parses base with its first occurrence of `from` replaced by `to`. */
static int parse_edit(const char *base, const char *from, const char *to)
{
    static char buf[16384];
    const char *at = strstr(base, from);
    if (!at) {
        fprintf(stderr, "test bug: '%s' not in the base offer\n", from);
        return 999;
    }
    snprintf(buf, sizeof buf, "%.*s%s%s", (int)(at - base), base, to, at + strlen(from));
    return parse_str(buf);
}

/* The parse fails with this code and a reason containing this text. */
#define CHECK_REJECT(expr, code, text)                                                             \
    do {                                                                                           \
        int rc_ = (expr);                                                                          \
        CHECK_EQ(rc_, code);                                                                       \
        int ok_ = why != NULL && strstr(why, (text)) != NULL;                                      \
        CHECK(ok_);                                                                                \
        if (!ok_)                                                                                  \
            fprintf(stderr, "  reason was \"%s\", wanted \"%s\"\n", why ? why : "(null)", (text)); \
    } while (0)

static int count(const char *hay, const char *needle)
{
    int n = 0;
    for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
        n++;
    return n;
}

static int has(const char *hay, const char *needle)
{
    return strstr(hay, needle) != NULL;
}

/* ---- our side of the answer ---- */

static const uint8_t our_fp[32] = {
    0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef, /* bytes 0..7 */
    0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef, /* bytes 8..15 */
    0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef, /* bytes 16..23 */
    0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef, /* bytes 24..31 */
};
#define OUR_FP_HEX                                                                                 \
    "01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:"      \
    "AB:CD:EF"

static const cv_sdp_local_cand_t our_cands[2] = {
    {"192.0.2.10", 50000, 2130706431, "1", 0},
    {"2001:db8::10", 50002, 2130706175, "2", 0},
};

static cv_sdp_answer_params_t params(void)
{
    cv_sdp_answer_params_t p;
    memset(&p, 0, sizeof p);
    p.ice_ufrag = "cvUf";
    p.ice_pwd = "cvPwd0123456789abcdefXYZ";
    p.fingerprint = our_fp;
    p.fingerprint_len = sizeof our_fp;
    p.cand = our_cands;
    p.n_cand = 2;
    p.audio_ssrc = 0x11111111; /* 286331153 */
    p.video_ssrc = 0x22222222; /* 572662306 */
    p.cname = "conclave-cname";
    p.session_id = 777;
    p.send_audio = 1;
    p.send_video = 1;
    p.offer_fb_remb = 1;
    return p;
}

/* Every line ends in CRLF, has the form <letter>=<value>, and nothing follows the NUL. */
static void check_line_form(const char *ans, int len)
{
    int ok = len > 0 && (int)strlen(ans) == len && ans[len - 1] == '\n';
    const char *p = ans;
    while (ok && *p) {
        const char *nl = strchr(p, '\n');
        ok = nl && nl - p >= 3 && nl[-1] == '\r' && p[0] >= 'a' && p[0] <= 'z' && p[1] == '=';
        for (const char *q = p; ok && q < nl - 1; q++)
            ok = *q != '\r';
        p = nl ? nl + 1 : p;
    }
    CHECK(ok);
}

/* Re-parses an answer as an offer: it must be refused for its setup:passive, and with
 * actpass in its place it must parse (same length, so in place on a copy). */
static int reparse(const char *ans, cv_sdp_offer_t *o)
{
    static char copy[CV_SDP_ANSWER_CAP];
    const char *w = NULL;
    size_t n = strlen(ans);
    memcpy(copy, ans, n + 1);
    int rc = cv_sdp_parse_offer(copy, n, o, &w);
    CHECK_EQ(rc, CV_E_UNSUPPORTED);
    CHECK(w && strstr(w, "setup:passive"));
    for (char *p = strstr(copy, "a=setup:passive"); p; p = strstr(p, "a=setup:passive"))
        memcpy(p, "a=setup:actpass", 15);
    rc = cv_sdp_parse_offer(copy, n, o, &w);
    if (rc)
        fprintf(stderr, "  re-parse: %s\n", w);
    return rc;
}

/* The part of ans from its i-th "m=" line (0-based) to the next one. */
static const char *section(const char *ans, int i, char *buf, size_t cap)
{
    const char *p = strstr(ans, "\r\nm=");
    for (; p && i > 0; i--)
        p = strstr(p + 2, "\r\nm=");
    if (!p) {
        buf[0] = '\0';
        return buf;
    }
    p += 2;
    const char *e = strstr(p, "\r\nm=");
    size_t n = e ? (size_t)(e - p) + 2 : strlen(p);
    snprintf(buf, cap, "%.*s", (int)n, p);
    return buf;
}

/* ---- browser offers ---- */

static const uint8_t chrome_fp[32] = {
    0xd3, 0x62, 0x70, 0x30, 0x87, 0xbf, 0x0d, 0x40, /* bytes 0..7 */
    0xa2, 0x88, 0x22, 0xe5, 0x0e, 0xd3, 0x94, 0x9a, /* bytes 8..15 */
    0x33, 0xa2, 0xb4, 0x95, 0x48, 0x94, 0x33, 0x7d, /* bytes 16..23 */
    0x31, 0xd1, 0xab, 0x35, 0x33, 0x80, 0xed, 0xee, /* bytes 24..31 */
};

static void test_chrome_parse(void)
{
    CHECK_EQ(parse_str(chrome_offer), 0);
    CHECK_STR(why, "ok");
    CHECK(off.session_id == 4215775240449105457ull);
    CHECK_STR(off.ice_ufrag, "Ez3q");
    CHECK_STR(off.ice_pwd, "kQ1b5m0Zr3y8Xv2N7sPdLw4T");
    CHECK_EQ(off.fingerprint_len, 32);
    CHECK_MEM(off.fingerprint, chrome_fp, 32);
    CHECK_EQ(off.setup, CV_SDP_SETUP_ACTPASS);
    CHECK_EQ(off.ice_lite, 0);
    CHECK_EQ(off.trickle, 1);
    CHECK_EQ(off.bundle, 1);
    CHECK_EQ(off.n_media, 2);

    const cv_sdp_media_t *a = &off.media[0], *v = &off.media[1];
    CHECK_EQ(a->kind, CV_SDP_AUDIO);
    CHECK_STR(a->mid, "0");
    CHECK_EQ(a->port, 54321);
    CHECK_EQ(a->direction, CV_SDP_SENDRECV);
    CHECK_EQ(a->pt, 111);
    CHECK_EQ(a->rtx_pt, -1);
    CHECK_EQ(a->audio_level_id, 1);
    CHECK_EQ(a->audio_level_dir, CV_SDP_SENDRECV);
    CHECK_EQ(a->opus_fec, 1);
    CHECK(a->ssrc == 3735928559u);
    CHECK_EQ(a->rtx_ssrc, 0);
    CHECK_EQ(a->rtcp_mux, 1);
    CHECK_EQ(a->fb_nack + a->fb_pli + a->fb_fir + a->fb_remb, 0); /* transport-cc only */
    CHECK_EQ(a->accepted, 1);

    CHECK_EQ(v->kind, CV_SDP_VIDEO);
    CHECK_STR(v->mid, "1");
    CHECK_EQ(v->port, 54323);
    CHECK_EQ(v->pt, 96);
    CHECK_EQ(v->rtx_pt, 97);
    CHECK_EQ(v->audio_level_id, 0);
    CHECK_EQ(v->opus_fec, 0);
    CHECK(v->ssrc == 2882400001u);
    CHECK(v->rtx_ssrc == 2882400002u);
    CHECK_EQ(v->rtcp_mux, 1);
    CHECK_EQ(v->fb_nack, 1);
    CHECK_EQ(v->fb_pli, 1);
    CHECK_EQ(v->fb_fir, 1);
    CHECK_EQ(v->fb_remb, 1);
    CHECK_EQ(v->accepted, 1);

    /* 3 udp candidates in the audio section (the tcp one is dropped), 2 in video */
    CHECK_EQ(off.n_cand, 5);
    CHECK_STR(off.cand[0].foundation, "3885250869");
    CHECK_EQ(off.cand[0].component, 1);
    CHECK_STR(off.cand[0].transport, "udp");
    CHECK(off.cand[0].priority == 2122260223u);
    CHECK_STR(off.cand[0].addr, "192.168.1.20");
    CHECK_EQ(off.cand[0].port, 54321);
    CHECK_STR(off.cand[0].type, "host");
    CHECK_EQ(off.cand[0].mline, 0);
    CHECK_STR(off.cand[1].addr, "2001:db8::1c2b:3a4d");
    CHECK_EQ(off.cand[1].port, 54322);
    CHECK_STR(off.cand[2].type, "srflx");
    CHECK_STR(off.cand[2].addr, "203.0.113.45");
    CHECK(off.cand[2].priority == 1686052607u);
    CHECK_EQ(off.cand[3].port, 54323);
    CHECK_EQ(off.cand[3].mline, 1);
    CHECK_EQ(off.cand[4].mline, 1);
}

/* The whole answer to Chrome, written out from the rules in sdp.h. */
static const char chrome_answer[] = "v=0\r\n"
                                    "o=conclave 777 2 IN IP4 127.0.0.1\r\n"
                                    "s=-\r\n"
                                    "t=0 0\r\n"
                                    "a=group:BUNDLE 0 1\r\n"
                                    /* audio */
                                    "m=audio 50000 UDP/TLS/RTP/SAVPF 111\r\n"
                                    "c=IN IP4 192.0.2.10\r\n"
                                    "a=ice-ufrag:cvUf\r\n"
                                    "a=ice-pwd:cvPwd0123456789abcdefXYZ\r\n"
                                    "a=fingerprint:sha-256 " OUR_FP_HEX "\r\n"
                                    "a=setup:passive\r\n"
                                    "a=mid:0\r\n"
                                    "a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level\r\n"
                                    "a=sendrecv\r\n"
                                    "a=msid:conclave audio\r\n"
                                    "a=rtcp-mux\r\n"
                                    "a=rtpmap:111 opus/48000/2\r\n"
                                    "a=fmtp:111 minptime=10;useinbandfec=1\r\n"
                                    "a=ssrc:286331153 cname:conclave-cname\r\n"
                                    "a=candidate:1 1 udp 2130706431 192.0.2.10 50000 typ host\r\n"
                                    "a=candidate:2 1 udp 2130706175 2001:db8::10 50002 typ host\r\n"
                                    "a=end-of-candidates\r\n"
                                    /* video */
                                    "m=video 50000 UDP/TLS/RTP/SAVPF 96\r\n"
                                    "c=IN IP4 192.0.2.10\r\n"
                                    "a=ice-ufrag:cvUf\r\n"
                                    "a=ice-pwd:cvPwd0123456789abcdefXYZ\r\n"
                                    "a=fingerprint:sha-256 " OUR_FP_HEX "\r\n"
                                    "a=setup:passive\r\n"
                                    "a=mid:1\r\n"
                                    "a=sendrecv\r\n"
                                    "a=msid:conclave video\r\n"
                                    "a=rtcp-mux\r\n"
                                    "a=rtpmap:96 VP8/90000\r\n"
                                    "a=rtcp-fb:96 goog-remb\r\n"
                                    "a=rtcp-fb:96 ccm fir\r\n"
                                    "a=rtcp-fb:96 nack\r\n"
                                    "a=rtcp-fb:96 nack pli\r\n"
                                    "a=ssrc:572662306 cname:conclave-cname\r\n";

static void test_chrome_answer(void)
{
    static char ans[CV_SDP_ANSWER_CAP];
    static cv_sdp_offer_t back;
    cv_sdp_answer_params_t p = params();
    CHECK_EQ(parse_str(chrome_offer), 0);
    int n = cv_sdp_build_answer(&off, &p, ans, sizeof ans);
    CHECK_EQ(n, (int)strlen(chrome_answer));
    CHECK_STR(ans, chrome_answer);
    if (strcmp(ans, chrome_answer) != 0)
        fprintf(stderr, "--- got:\n%s--- wanted:\n%s", ans, chrome_answer);
    check_line_form(ans, n);

    /* the rules once more, one by one, so a failure says which */
    CHECK_EQ(count(ans, "a=group:BUNDLE 0 1\r\n"), 1);
    CHECK_EQ(count(ans, "a=setup:passive\r\n"), 2);
    CHECK_EQ(count(ans, "a=setup:"), 2);
    CHECK_EQ(count(ans, "a=fingerprint:sha-256 " OUR_FP_HEX "\r\n"), 2);
    CHECK_EQ(count(ans, "a=candidate:"), 2);
    CHECK_EQ(count(ans, "a=end-of-candidates\r\n"), 1);
    CHECK(strstr(ans, "a=end-of-candidates") < strstr(ans, "m=video"));
    CHECK_EQ(count(ans, "a=rtcp-fb:"), 4);
    CHECK(!has(ans, "transport-cc"));
    CHECK(!has(ans, "H264") && !has(ans, "VP9") && !has(ans, "AV1") && !has(ans, "red/") &&
          !has(ans, "ulpfec") && !has(ans, "rtx") && !has(ans, "telephone-event"));
    CHECK(!has(ans, "ice-lite") && !has(ans, "trickle") && !has(ans, "actpass"));

    /* without goog-remb */
    p.offer_fb_remb = 0;
    n = cv_sdp_build_answer(&off, &p, ans, sizeof ans);
    CHECK(n > 0);
    CHECK(!has(ans, "goog-remb"));
    CHECK_EQ(count(ans, "a=rtcp-fb:"), 3);

    /* with rtx, asked for */
    p.use_rtx = 1;
    p.video_rtx_ssrc = 0x33333333; /* 858993459 */
    n = cv_sdp_build_answer(&off, &p, ans, sizeof ans);
    CHECK(n > 0);
    CHECK(has(ans, "m=video 50000 UDP/TLS/RTP/SAVPF 96 97\r\n"));
    CHECK(has(ans, "a=rtpmap:97 rtx/90000\r\na=fmtp:97 apt=96\r\n"));
    CHECK(has(ans, "a=ssrc-group:FID 572662306 858993459\r\n"));
    CHECK(has(ans, "a=ssrc:858993459 cname:conclave-cname\r\n"));
    CHECK(!has(ans, "a=rtpmap:103"));

    /* the answer read back describes what we answered */
    CHECK_EQ(reparse(ans, &back), 0);
    CHECK_EQ(back.n_media, 2);
    CHECK_EQ(back.bundle, 1);
    CHECK_STR(back.ice_ufrag, "cvUf");
    CHECK_STR(back.ice_pwd, "cvPwd0123456789abcdefXYZ");
    CHECK_MEM(back.fingerprint, our_fp, 32);
    CHECK_EQ(back.media[0].pt, 111);
    CHECK_EQ(back.media[0].audio_level_id, 1);
    CHECK_EQ(back.media[0].opus_fec, 1);
    CHECK_EQ(back.media[0].ssrc, 0x11111111);
    CHECK_EQ(back.media[1].pt, 96);
    CHECK_EQ(back.media[1].rtx_pt, 97);
    CHECK_EQ(back.media[1].ssrc, 0x22222222);
    CHECK_EQ(back.media[1].rtx_ssrc, 0x33333333);
    CHECK_EQ(back.media[1].fb_remb, 0);
    CHECK_EQ(back.n_cand, 2);
    CHECK_STR(back.cand[1].addr, "2001:db8::10");
    CHECK_EQ(back.cand[1].port, 50002);
    CHECK_EQ(back.cand[1].priority, 2130706175);
}

static void test_firefox(void)
{
    static const uint8_t fp[32] = {
        0xbf, 0xbb, 0x9d, 0x92, 0xbe, 0x9e, 0xee, 0x8a, /* bytes 0..7 */
        0x69, 0x57, 0x87, 0x84, 0x6e, 0x73, 0xf3, 0xae, /* bytes 8..15 */
        0xf1, 0x5a, 0x23, 0xee, 0xfd, 0xbb, 0xf7, 0x4f, /* bytes 16..23 */
        0x90, 0x97, 0x71, 0xf9, 0x7f, 0x46, 0x7d, 0x7a, /* bytes 24..31 */
    };
    static char ans[CV_SDP_ANSWER_CAP], buf[4096];
    static cv_sdp_offer_t back;
    cv_sdp_answer_params_t p = params();

    CHECK_EQ(parse_str(firefox_offer), 0);
    CHECK(off.session_id == 3930423831473937418ull);
    CHECK_STR(off.ice_ufrag, "9f2b1c7e");
    CHECK_STR(off.ice_pwd, "3c7e0e5b1f1d4ad5a9b6e0c4f2a8d7e1");
    CHECK_MEM(off.fingerprint, fp, 32);
    CHECK_EQ(off.bundle, 1);
    CHECK_EQ(off.trickle, 1);
    CHECK_EQ(off.n_media, 3);
    CHECK_EQ(off.media[0].pt, 109);
    CHECK_EQ(off.media[0].audio_level_id, 1);
    CHECK_EQ(off.media[0].audio_level_dir, CV_SDP_SENDRECV);
    CHECK_EQ(off.media[0].opus_fec, 1);
    CHECK_EQ(off.media[0].ssrc, 1489024583);
    CHECK_EQ(off.media[1].pt, 120);
    CHECK_EQ(off.media[1].rtx_pt, 124);
    CHECK_EQ(off.media[1].ssrc, 2503711451u); /* from the FID group, not the first a=ssrc */
    CHECK_EQ(off.media[1].rtx_ssrc, 1106417420);
    CHECK_EQ(off.media[1].fb_nack + off.media[1].fb_pli + off.media[1].fb_fir, 3);
    CHECK_EQ(off.media[1].fb_remb, 1);
    CHECK_EQ(off.media[2].kind, CV_SDP_OTHER);
    CHECK_STR(off.media[2].media, "application");
    CHECK_STR(off.media[2].proto, "UDP/DTLS/SCTP");
    CHECK_STR(off.media[2].fmt, "webrtc-datachannel");
    CHECK_EQ(off.media[2].accepted, 0);
    /* "UDP" upper case is kept as "udp"; repeated candidates are kept once */
    CHECK_EQ(off.n_cand, 2);
    CHECK_STR(off.cand[0].transport, "udp");
    CHECK_STR(off.cand[0].foundation, "0");
    CHECK_STR(off.cand[1].type, "srflx");
    CHECK_STR(off.cand[1].addr, "198.51.100.9");

    int n = cv_sdp_build_answer(&off, &p, ans, sizeof ans);
    CHECK(n > 0);
    check_line_form(ans, n);
    CHECK(has(ans, "a=group:BUNDLE 0 1\r\n"));
    CHECK(has(ans, "m=audio 50000 UDP/TLS/RTP/SAVPF 109\r\n"));
    CHECK(has(ans, "a=rtpmap:109 opus/48000/2\r\na=fmtp:109 minptime=10;useinbandfec=1\r\n"));
    CHECK(has(ans, "m=video 50000 UDP/TLS/RTP/SAVPF 120\r\n"));
    CHECK(has(ans, "a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level\r\n"));
    CHECK(!has(ans, "csrc-audio-level"));
    CHECK_EQ(count(ans, "a=rtcp-fb:120 "), 4);
    CHECK_STR(section(ans, 2, buf, sizeof buf),
              "m=application 0 UDP/DTLS/SCTP webrtc-datachannel\r\n"
              "c=IN IP4 0.0.0.0\r\n"
              "a=mid:2\r\n");
    CHECK_EQ(count(ans, "a=setup:passive"), 2);
    CHECK(!has(ans, "H264") && !has(ans, "VP9"));

    CHECK_EQ(reparse(ans, &back), 0);
    CHECK_EQ(back.n_media, 3);
    CHECK_EQ(back.media[2].port, 0);
    CHECK_EQ(back.media[2].kind, CV_SDP_OTHER);
    CHECK_EQ(back.media[1].pt, 120);
}

static void test_safari(void)
{
    static char ans[CV_SDP_ANSWER_CAP];
    cv_sdp_answer_params_t p = params();
    CHECK_EQ(parse_str(safari_offer), 0);
    CHECK_STR(off.ice_ufrag, "u7Rk");
    CHECK_EQ(off.media[0].pt, 111); /* OPUS/48000/2 */
    CHECK_EQ(off.media[0].audio_level_id, 1);
    CHECK_EQ(off.media[0].ssrc, 2222222222u);
    CHECK_EQ(off.media[1].pt, 100); /* vp8/90000, after two H264 */
    CHECK_EQ(off.media[1].rtx_pt, 101);
    CHECK_EQ(off.media[1].ssrc, 3333333333u);
    CHECK_EQ(off.media[1].rtx_ssrc, 3444444444u);
    CHECK_EQ(off.media[1].fb_nack, 1);
    CHECK_EQ(off.media[1].fb_pli, 1);
    CHECK_EQ(off.media[1].fb_fir, 1);
    CHECK_EQ(off.media[1].fb_remb, 0); /* offered for H264 only */
    CHECK_EQ(off.n_cand, 2);
    CHECK_STR(off.cand[1].addr, "5c6b0d0e-2f4a-4b8c-9d1e-7f6a5b4c3d2e.local");
    CHECK_STR(off.cand[1].type, "host");

    int n = cv_sdp_build_answer(&off, &p, ans, sizeof ans);
    CHECK(n > 0);
    check_line_form(ans, n);
    CHECK(has(ans, "m=video 50000 UDP/TLS/RTP/SAVPF 100\r\n"));
    CHECK(has(ans, "a=rtpmap:100 VP8/90000\r\n"));
    CHECK(!has(ans, "goog-remb"));
    CHECK(has(ans, "a=rtcp-fb:100 ccm fir\r\na=rtcp-fb:100 nack\r\na=rtcp-fb:100 nack pli\r\n"));
    CHECK(!has(ans, "H264") && !has(ans, "H265") && !has(ans, " 96") && !has(ans, ":96"));
}

/* Parsing with LF instead of CRLF gives the same result. */
static void test_lf_endings(void)
{
    static char lf[sizeof chrome_offer];
    static cv_sdp_offer_t crlf;
    size_t j = 0;
    for (size_t i = 0; chrome_offer[i]; i++)
        if (chrome_offer[i] != '\r')
            lf[j++] = chrome_offer[i];
    lf[j] = '\0';
    CHECK_EQ(cv_sdp_parse_offer(chrome_offer, strlen(chrome_offer), &crlf, &why), 0);
    CHECK_EQ(parse_str(lf), 0);
    CHECK(memcmp(&off, &crlf, sizeof off) == 0);
    /* no final line ending at all, and extra blank lines at the end */
    CHECK_EQ(cv_sdp_parse_offer(lf, j - 1, &off, &why), 0);
    CHECK_EQ(off.media[1].rtx_ssrc, 2882400002u);
    CHECK_EQ(parse_edit(min_offer, "a=rtpmap:96 VP8/90000\r\n", "a=rtpmap:96 VP8/90000\r\n\r\n\n"),
             0);
}

/* ---- WHIP publisher and WHEP viewer ---- */

static const char gst_answer[] = "v=0\r\n"
                                 "o=conclave 777 2 IN IP4 127.0.0.1\r\n"
                                 "s=-\r\n"
                                 "t=0 0\r\n"
                                 "a=group:BUNDLE video0 audio1\r\n"
                                 "m=video 50000 UDP/TLS/RTP/SAVPF 96\r\n"
                                 "c=IN IP4 192.0.2.10\r\n"
                                 "a=ice-ufrag:cvUf\r\n"
                                 "a=ice-pwd:cvPwd0123456789abcdefXYZ\r\n"
                                 "a=fingerprint:sha-256 " OUR_FP_HEX "\r\n"
                                 "a=setup:passive\r\n"
                                 "a=mid:video0\r\n"
                                 "a=recvonly\r\n"
                                 "a=rtcp-mux\r\n"
                                 "a=rtpmap:96 VP8/90000\r\n"
                                 "a=rtcp-fb:96 ccm fir\r\n"
                                 "a=rtcp-fb:96 nack\r\n"
                                 "a=rtcp-fb:96 nack pli\r\n"
                                 "a=candidate:1 1 udp 2130706431 192.0.2.10 50000 typ host\r\n"
                                 "a=candidate:2 1 udp 2130706175 2001:db8::10 50002 typ host\r\n"
                                 "a=end-of-candidates\r\n"
                                 "m=audio 50000 UDP/TLS/RTP/SAVPF 97\r\n"
                                 "c=IN IP4 192.0.2.10\r\n"
                                 "a=ice-ufrag:cvUf\r\n"
                                 "a=ice-pwd:cvPwd0123456789abcdefXYZ\r\n"
                                 "a=fingerprint:sha-256 " OUR_FP_HEX "\r\n"
                                 "a=setup:passive\r\n"
                                 "a=mid:audio1\r\n"
                                 "a=recvonly\r\n"
                                 "a=rtcp-mux\r\n"
                                 "a=rtpmap:97 opus/48000/2\r\n"
                                 "a=fmtp:97 minptime=10;useinbandfec=1\r\n";

static void test_whip_sendonly(void)
{
    static char ans[CV_SDP_ANSWER_CAP];
    cv_sdp_answer_params_t p = params();
    CHECK_EQ(parse_str(gst_sendonly_offer), 0);
    CHECK_STR(off.ice_ufrag, "wF7dX1yRk2Pq8sLm");
    CHECK_STR(off.ice_pwd, "Zt4nQ8vB2xM6cK1pR9sW3yH7");
    CHECK_EQ(off.fingerprint[0], 0xfc);
    CHECK_EQ(off.fingerprint[31], 0x25);
    CHECK_EQ(off.bundle, 1);
    CHECK_EQ(off.media[0].kind, CV_SDP_VIDEO);
    CHECK_STR(off.media[0].mid, "video0");
    CHECK_EQ(off.media[0].direction, CV_SDP_SENDONLY);
    CHECK_EQ(off.media[0].ssrc, 4000000001u);
    CHECK_EQ(off.media[0].rtx_pt, -1);
    CHECK_EQ(off.media[0].fb_remb, 0);
    CHECK_EQ(off.media[1].kind, CV_SDP_AUDIO);
    CHECK_EQ(off.media[1].direction, CV_SDP_SENDONLY);
    CHECK_EQ(off.media[1].pt, 97);
    CHECK_EQ(off.media[1].opus_fec, 0);
    CHECK_EQ(off.media[1].audio_level_id, 0);
    /* the TCP candidate and the component-2 candidate are dropped */
    CHECK_EQ(off.n_cand, 1);
    CHECK_EQ(off.cand[0].port, 40000);

    /* we would send, but a sendonly offerer receives nothing: recvonly, no ssrc */
    int n = cv_sdp_build_answer(&off, &p, ans, sizeof ans);
    CHECK_EQ(n, (int)strlen(gst_answer));
    CHECK_STR(ans, gst_answer);
    if (strcmp(ans, gst_answer) != 0)
        fprintf(stderr, "--- got:\n%s--- wanted:\n%s", ans, gst_answer);
    /* cname is not needed when we send nothing */
    p.cname = NULL;
    CHECK_EQ(cv_sdp_build_answer(&off, &p, ans, sizeof ans), n);
}

static void test_whep_recvonly(void)
{
    static char ans[CV_SDP_ANSWER_CAP];
    static cv_sdp_offer_t back;
    cv_sdp_answer_params_t p = params();
    CHECK_EQ(parse_str(whep_recvonly_offer), 0);
    CHECK_EQ(off.trickle, 1); /* "ice2,trickle" */
    CHECK_EQ(off.setup, CV_SDP_SETUP_ACTIVE);
    CHECK_EQ(off.media[0].direction, CV_SDP_RECVONLY);
    CHECK_EQ(off.media[0].audio_level_id, 3);
    CHECK_EQ(off.media[0].ssrc, 0);
    CHECK_EQ(off.media[1].fb_nack, 1); /* from rtcp-fb:* */
    CHECK_EQ(off.media[1].fb_pli, 1);
    CHECK_EQ(off.media[1].fb_fir, 0);
    CHECK_EQ(off.media[1].fb_remb, 1);

    int n = cv_sdp_build_answer(&off, &p, ans, sizeof ans);
    CHECK(n > 0);
    CHECK_EQ(count(ans, "a=sendonly\r\n"), 2);
    CHECK(has(ans, "a=extmap:3 urn:ietf:params:rtp-hdrext:ssrc-audio-level\r\n"));
    CHECK(has(ans, "a=msid:conclave audio\r\n"));
    CHECK(has(ans, "a=ssrc:286331153 cname:conclave-cname\r\n"));
    CHECK(has(ans, "a=ssrc:572662306 cname:conclave-cname\r\n"));
    CHECK(has(ans, "a=rtcp-fb:96 goog-remb\r\na=rtcp-fb:96 nack\r\na=rtcp-fb:96 nack pli\r\n"));
    CHECK_EQ(reparse(ans, &back), 0);
    CHECK_EQ(back.media[0].direction, CV_SDP_SENDONLY);
    CHECK_EQ(back.media[1].direction, CV_SDP_SENDONLY);

    /* a viewer we have nothing to send to: inactive, no ssrc */
    p.send_audio = p.send_video = 0;
    n = cv_sdp_build_answer(&off, &p, ans, sizeof ans);
    CHECK(n > 0);
    CHECK_EQ(count(ans, "a=inactive\r\n"), 2);
    CHECK(!has(ans, "a=ssrc") && !has(ans, "a=msid"));
}

static void test_directions(void)
{
    /* offer direction x we send -> answer direction (RFC 3264 §6.1) */
    CHECK_EQ(cv_sdp_answer_direction(CV_SDP_SENDRECV, 1), CV_SDP_SENDRECV);
    CHECK_EQ(cv_sdp_answer_direction(CV_SDP_SENDRECV, 0), CV_SDP_RECVONLY);
    CHECK_EQ(cv_sdp_answer_direction(CV_SDP_SENDONLY, 1), CV_SDP_RECVONLY);
    CHECK_EQ(cv_sdp_answer_direction(CV_SDP_SENDONLY, 0), CV_SDP_RECVONLY);
    CHECK_EQ(cv_sdp_answer_direction(CV_SDP_RECVONLY, 1), CV_SDP_SENDONLY);
    CHECK_EQ(cv_sdp_answer_direction(CV_SDP_RECVONLY, 0), CV_SDP_INACTIVE);
    CHECK_EQ(cv_sdp_answer_direction(CV_SDP_INACTIVE, 1), CV_SDP_INACTIVE);
    CHECK_EQ(cv_sdp_answer_direction(CV_SDP_INACTIVE, 0), CV_SDP_INACTIVE);

    /* a session-level direction applies where a section says none; media level wins */
    CHECK_EQ(parse_edit(min_offer, "t=0 0\r\n", "t=0 0\r\na=sendonly\r\n"), 0);
    CHECK_EQ(off.media[0].direction, CV_SDP_SENDONLY);
    CHECK_EQ(off.media[1].direction, CV_SDP_SENDONLY);
    CHECK_EQ(parse_edit(min_offer, "a=mid:v\r\n", "a=mid:v\r\na=inactive\r\n"), 0);
    CHECK_EQ(off.media[0].direction, CV_SDP_SENDRECV);
    CHECK_EQ(off.media[1].direction, CV_SDP_INACTIVE);
}

/* ---- sections we accept, reject, or take from elsewhere ---- */

static void test_sections(void)
{
    static char ans[CV_SDP_ANSWER_CAP], buf[1024];
    cv_sdp_answer_params_t p = params();

    /* a group may name a mid that no section has */
    CHECK_EQ(parse_edit(min_offer, "a=group:BUNDLE a v", "a=group:BUNDLE a v b"), 0);
    CHECK_EQ(off.bundle, 1);

    /* a second audio section: the first is accepted, the second answered with port 0 */
    static char two[2048];
    snprintf(two, sizeof two, "%s%s", min_offer,
             "m=audio 9 UDP/TLS/RTP/SAVPF 0 111\r\na=mid:b\r\na=rtcp-mux\r\n"
             "a=rtpmap:111 opus/48000/2\r\n");
    CHECK_EQ(parse_edit(two, "a=group:BUNDLE a v", "a=group:BUNDLE a v b"), 0);
    CHECK_EQ(off.n_media, 3);
    CHECK_EQ(off.media[0].accepted, 1);
    CHECK_EQ(off.media[1].accepted, 1);
    CHECK_EQ(off.media[2].accepted, 0);
    CHECK_EQ(off.media[2].pt, 111);
    int n = cv_sdp_build_answer(&off, &p, ans, sizeof ans);
    CHECK(n > 0);
    CHECK(has(ans, "a=group:BUNDLE a v\r\n"));
    CHECK_STR(section(ans, 2, buf, sizeof buf),
              "m=audio 0 UDP/TLS/RTP/SAVPF 0\r\nc=IN IP4 0.0.0.0\r\na=mid:b\r\n");

    /* a second video section (a screen share): rejected too, even with VP8 */
    snprintf(two, sizeof two, "%s%s", min_offer,
             "m=video 9 UDP/TLS/RTP/SAVPF 96\r\na=mid:s\r\na=rtcp-mux\r\n"
             "a=rtpmap:96 VP8/90000\r\n");
    CHECK_EQ(parse_edit(two, "a=group:BUNDLE a v", "a=group:BUNDLE a v s"), 0);
    CHECK_EQ(off.media[1].accepted, 1);
    CHECK_EQ(off.media[2].accepted, 0);
    CHECK_EQ(off.media[2].pt, 96);
    n = cv_sdp_build_answer(&off, &p, ans, sizeof ans);
    CHECK(has(ans, "a=group:BUNDLE a v\r\n"));
    CHECK_STR(section(ans, 2, buf, sizeof buf),
              "m=video 0 UDP/TLS/RTP/SAVPF 96\r\nc=IN IP4 0.0.0.0\r\na=mid:s\r\n");

    /* the offerer disabled video (port 0): no VP8 needed there, audio only answered */
    CHECK_EQ(parse_edit(min_offer,
                        "m=video 9 UDP/TLS/RTP/SAVPF 96\r\na=mid:v\r\na=rtcp-mux\r\n"
                        "a=rtpmap:96 VP8/90000",
                        "m=video 0 UDP/TLS/RTP/SAVPF 102\r\na=mid:v\r\n"
                        "a=rtpmap:102 H264/90000"),
             0);
    CHECK_EQ(off.media[1].accepted, 0);
    CHECK_EQ(off.media[1].pt, -1);
    n = cv_sdp_build_answer(&off, &p, ans, sizeof ans);
    CHECK(n > 0);
    CHECK(has(ans, "a=group:BUNDLE a\r\n"));
    CHECK(has(ans, "m=video 0 UDP/TLS/RTP/SAVPF 102\r\nc=IN IP4 0.0.0.0\r\na=mid:v\r\n"));
    CHECK(!has(ans, "H264"));

    /* audio only, without any BUNDLE group: accepted, and no group in the answer */
    CHECK_EQ(parse_edit(min_offer, "a=group:BUNDLE a v\r\n", ""), CV_E_UNSUPPORTED);
    static char one[2048];
    const char *m2 = strstr(min_offer, "m=video");
    snprintf(one, sizeof one, "%.*s", (int)(m2 - min_offer), min_offer);
    CHECK_EQ(parse_edit(one, "a=group:BUNDLE a v\r\n", ""), 0);
    CHECK_EQ(off.bundle, 0);
    n = cv_sdp_build_answer(&off, &p, ans, sizeof ans);
    CHECK(n > 0);
    CHECK(!has(ans, "a=group"));
    CHECK(has(ans, "a=end-of-candidates"));

    /* bundle-only (RFC 8843 §6): port 0 yet live, so accepted */
    CHECK_EQ(parse_edit(min_offer, "m=video 9 UDP/TLS/RTP/SAVPF 96\r\na=mid:v\r\n",
                        "m=video 0 UDP/TLS/RTP/SAVPF 96\r\na=mid:v\r\na=bundle-only\r\n"),
             0);
    CHECK_EQ(off.media[1].bundle_only, 1);
    CHECK_EQ(off.media[1].accepted, 1);
    n = cv_sdp_build_answer(&off, &p, ans, sizeof ans);
    CHECK(has(ans, "m=video 50000 UDP/TLS/RTP/SAVPF 96\r\n"));
    CHECK(!has(ans, "bundle-only"));

    /* audio level at session level applies to the audio section */
    CHECK_EQ(parse_edit(min_offer, "t=0 0\r\n",
                        "t=0 0\r\na=extmap:7 urn:ietf:params:rtp-hdrext:ssrc-audio-level\r\n"),
             0);
    CHECK_EQ(off.media[0].audio_level_id, 7);
    /* a two-byte id (15..255) is not taken, nor is an /inactive one */
    CHECK_EQ(parse_edit(min_offer, "a=mid:a\r\n",
                        "a=mid:a\r\na=extmap:15 urn:ietf:params:rtp-hdrext:ssrc-audio-level\r\n"),
             0);
    CHECK_EQ(off.media[0].audio_level_id, 0);
    CHECK_EQ(parse_edit(min_offer, "a=mid:a\r\n",
                        "a=mid:a\r\na=extmap:2/inactive "
                        "urn:ietf:params:rtp-hdrext:ssrc-audio-level\r\n"),
             0);
    CHECK_EQ(off.media[0].audio_level_id, 0);
    /* a sendonly extension is answered recvonly (RFC 8285 §7) */
    CHECK_EQ(parse_edit(min_offer, "a=mid:a\r\n",
                        "a=mid:a\r\na=extmap:4/sendonly "
                        "urn:ietf:params:rtp-hdrext:ssrc-audio-level\r\n"),
             0);
    CHECK_EQ(off.media[0].audio_level_dir, CV_SDP_SENDONLY);
    n = cv_sdp_build_answer(&off, &p, ans, sizeof ans);
    CHECK(has(ans, "a=extmap:4/recvonly urn:ietf:params:rtp-hdrext:ssrc-audio-level\r\n"));

    /* ice-lite, fingerprints of other hashes beside sha-256, media-level credentials win
     * over nothing, unknown attributes and lines ignored */
    CHECK_EQ(parse_edit(min_offer, "t=0 0\r\n",
                        "t=0 0\r\na=ice-lite\r\na=fingerprint:sha-1 "
                        "AA:BB\r\nb=AS:2000\r\nz=whatever\r\na=x-unknown:1 2 3\r\n"),
             0);
    CHECK_EQ(off.ice_lite, 1);
    CHECK_EQ(off.fingerprint_len, 32);
    static char media_creds[2048];
    snprintf(media_creds, sizeof media_creds, "%s", min_offer);
    memcpy(strstr(media_creds, "a=ice-ufrag:abcd"), "a=x-ice-ufra:abcd", 16);
    CHECK_EQ(parse_edit(media_creds, "a=mid:v\r\n", "a=mid:v\r\na=ice-ufrag:VIDEO\r\n"), 0);
    CHECK_STR(off.ice_ufrag, "VIDEO"); /* no session-level one: the first media level */
    CHECK_EQ(parse_edit(min_offer, "a=mid:a\r\n",
                        "a=mid:a\r\na=ice-ufrag:MEDIA\r\na=ice-pwd:MEDIAabcdefghijklmnopq\r\n"),
             0);
    CHECK_STR(off.ice_ufrag, "abcd"); /* the session level wins */

    /* no setup at all: RFC 4145's default, active */
    CHECK_EQ(parse_edit(min_offer, "a=setup:actpass\r\n", ""), 0);
    CHECK_EQ(off.setup, CV_SDP_SETUP_ACTIVE);
}

static void test_candidates(void)
{
    static char big[8192];
    size_t n = (size_t)snprintf(big, sizeof big, "%s", min_offer);
    /* 20 distinct candidates in the audio section: 16 kept (one is in min_offer) */
    for (int i = 0; i < 20; i++)
        n += (size_t)snprintf(big + n, sizeof big - n,
                              "a=candidate:%d 1 udp %d 198.51.100.%d %d typ host\r\n", 100 + i,
                              1000 + i, i, 6000 + i);
    CHECK_EQ(parse_edit(big, "a=candidate:1 1 udp 100 192.0.2.1 5000 typ host\r\n",
                        "a=candidate:1 1 udp 100 192.0.2.1 5000 typ host\r\n"
                        "a=candidate:1 1 udp 100 192.0.2.1 5000 typ host\r\n"),
             0);
    CHECK_EQ(off.n_cand, CV_SDP_MAX_CAND);
    CHECK_STR(off.cand[0].addr, "192.0.2.1");
    CHECK_STR(off.cand[1].foundation, "100");
    CHECK_STR(off.cand[15].foundation, "114");
    /* relay and prflx kept, an unknown type and a port-0 section's candidates dropped */
    CHECK_EQ(parse_edit(min_offer, "a=mid:a\r\n",
                        "a=mid:a\r\n"
                        "a=candidate:7 1 udp 5 203.0.113.1 3478 typ relay raddr 1.2.3.4 rport 9\r\n"
                        "a=candidate:8 1 udp 6 203.0.113.2 3479 typ prflx\r\n"
                        "a=candidate:9 1 udp 7 203.0.113.3 3480 typ future\r\n"),
             0);
    CHECK_EQ(off.n_cand, 3);
    CHECK_STR(off.cand[0].type, "relay");
    CHECK_STR(off.cand[1].type, "prflx");
    CHECK_EQ(parse_edit(min_offer, "a=rtpmap:96 VP8/90000\r\n",
                        "a=rtpmap:96 VP8/90000\r\n"
                        "m=audio 0 UDP/TLS/RTP/SAVPF 0\r\n"
                        "a=candidate:8 1 udp 6 203.0.113.2 3479 typ host\r\n"),
             0);
    CHECK_EQ(off.n_cand, 1);
    /* priority 0 and 4294967295 are both in range; a port of 65535 too */
    CHECK_EQ(parse_edit(min_offer, "a=candidate:1 1 udp 100 192.0.2.1 5000 typ host",
                        "a=candidate:1 1 udp 4294967295 192.0.2.1 65535 typ host\r\n"
                        "a=candidate:2 1 udp 0 192.0.2.1 0 typ host"),
             0);
    CHECK(off.cand[0].priority == 4294967295u);
    CHECK_EQ(off.cand[0].port, 65535);
    CHECK_EQ(off.cand[1].priority, 0);
}

/* ICE-TCP (RFC 6544): the answer carries TCP-passive host candidates beside the UDP
 * ones; the default candidate of m= and c= stays a UDP one; an offer's TCP candidates
 * (Chrome's "tcptype active", port 9) are read and dropped, complete or not. */
static void test_tcp_candidates(void)
{
    static char ans[CV_SDP_ANSWER_CAP];
    static cv_sdp_offer_t back;
    static const cv_sdp_local_cand_t mixed[3] = {
        {"192.0.2.10", 40001, 1015022079, "3", 1},
        {"192.0.2.10", 40000, 2130706431, "1", 0},
        {"2001:db8::10", 40002, 1015021823, "4", 1},
    };
    CHECK_EQ(parse_str(chrome_offer), 0);
    cv_sdp_answer_params_t p = params();
    p.cand = mixed;
    p.n_cand = 3;
    int n = cv_sdp_build_answer(&off, &p, ans, sizeof ans);
    CHECK(n > 0);
    check_line_form(ans, n);
    CHECK(has(ans, "a=candidate:3 1 tcp 1015022079 192.0.2.10 40001 typ host tcptype passive\r\n"
                   "a=candidate:1 1 udp 2130706431 192.0.2.10 40000 typ host\r\n"
                   "a=candidate:4 1 tcp 1015021823 2001:db8::10 40002 typ host tcptype passive\r\n"
                   "a=end-of-candidates\r\n"));
    CHECK_EQ(count(ans, "tcptype"), 2);
    CHECK_EQ(count(ans, "tcptype active"), 0);
    /* the default candidate is the UDP one, though a TCP one comes first */
    CHECK(has(ans, "m=audio 40000 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 192.0.2.10\r\n"));
    CHECK(has(ans, "m=video 40000 "));
    /* only TCP ones: the first is the default */
    p.cand = &mixed[2];
    p.n_cand = 1;
    CHECK(cv_sdp_build_answer(&off, &p, ans, sizeof ans) > 0);
    CHECK(has(ans, "m=audio 40002 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP6 2001:db8::10\r\n"));
    /* read back, the answer's TCP candidates are dropped like any offer's */
    p.cand = mixed;
    p.n_cand = 3;
    CHECK(cv_sdp_build_answer(&off, &p, ans, sizeof ans) > 0);
    CHECK_EQ(reparse(ans, &back), 0);
    CHECK_EQ(back.n_cand, 1);
    CHECK_STR(back.cand[0].transport, "udp");
    CHECK_EQ(back.cand[0].port, 40000);
    /* a transport flag other than 0 or 1 is a bad parameter */
    cv_sdp_local_cand_t bad = mixed[0];
    bad.tcp = 2;
    p.cand = &bad;
    p.n_cand = 1;
    CHECK_EQ(cv_sdp_build_answer(&off, &p, ans, sizeof ans), CV_E_INVAL);

    /* an offer's TCP candidates: active, passive, so, and one cut short */
    CHECK_EQ(parse_edit(min_offer, "a=candidate:1 1 udp 100 192.0.2.1 5000 typ host\r\n",
                        "a=candidate:1 1 udp 100 192.0.2.1 5000 typ host\r\n"
                        "a=candidate:2 1 tcp 1518280447 192.0.2.1 9 typ host tcptype active\r\n"
                        "a=candidate:3 1 TCP 1518280446 192.0.2.1 5001 typ host tcptype passive\r\n"
                        "a=candidate:4 1 tcp 1518280445 192.0.2.1 5002 typ host tcptype so\r\n"
                        "a=candidate:5 1 tcp 1518280444 192.0.2.1 9 typ host tcptype\r\n"
                        "a=candidate:6 1 tcp 1518280443 192.0.2.1 9 typ host\r\n"),
             0);
    CHECK_EQ(off.n_cand, 1);
    CHECK_STR(off.cand[0].transport, "udp");
    /* but a TCP candidate line that lacks its mandatory fields is still malformed */
    CHECK_EQ(parse_edit(min_offer, "a=candidate:1 1 udp 100 192.0.2.1 5000 typ host\r\n",
                        "a=candidate:2 1 tcp 1518280447 192.0.2.1 9 typ\r\n"),
             CV_E_INVAL);
}

/* ---- every rejection ---- */

static void test_reject_syntax(void)
{
    static char buf[128];
    CHECK_REJECT(cv_sdp_parse_offer("", 0, &off, &why), CV_E_INVAL, "empty");
    CHECK_REJECT(cv_sdp_parse_offer(NULL, 0, &off, &why), CV_E_INVAL, "empty");
    CHECK_EQ(cv_sdp_parse_offer("v=0", 3, NULL, &why), CV_E_INVAL);
    CHECK_REJECT(parse_str("\r\n\r\n"), CV_E_INVAL, "v=0");
    CHECK_REJECT(parse_str("hello"), CV_E_INVAL, "line 1: not of the form");
    CHECK_REJECT(parse_edit(min_offer, "v=0\r\n", "v=1\r\n"), CV_E_INVAL, "first line must be v=0");
    CHECK_REJECT(parse_edit(min_offer, "s=-\r\n", "s=-\r\nv=0\r\n"), CV_E_INVAL,
                 "line 4: repeated");
    /* lines 1-4 are v o s t; line 5 the group */
    CHECK_REJECT(parse_edit(min_offer, "a=group:BUNDLE a v\r\n", "this is not sdp\r\n"), CV_E_INVAL,
                 "line 5: not of the form <letter>=<value>");
    CHECK_REJECT(parse_edit(min_offer, "a=group:BUNDLE a v\r\n", "A=b\r\n"), CV_E_INVAL,
                 "line 5: not of the form");
    CHECK_REJECT(parse_edit(min_offer, "a=group:BUNDLE a v\r\n", "=a\r\n"), CV_E_INVAL,
                 "line 5: not of the form");
    CHECK_REJECT(parse_edit(min_offer, "a=group:BUNDLE a v\r\n", "a\r\n"), CV_E_INVAL,
                 "line 5: not of the form");
    CHECK_REJECT(parse_edit(min_offer, "s=-", "s=a\x01"), CV_E_INVAL, "line 3: control character");
    CHECK_REJECT(parse_edit(min_offer, "s=-\r\n", "s=-\rx\r\n"), CV_E_INVAL, "control character");
    /* a NUL byte inside the given length */
    memcpy(buf, "v=0\r\ns=\0\r\n", 10);
    CHECK_REJECT(cv_sdp_parse_offer(buf, 10, &off, &why), CV_E_INVAL, "line 2: control character");
    CHECK_REJECT(parse_edit(min_offer, "o=- 1 1 IN IP4 0.0.0.0", "o=- x 1 IN IP4 0.0.0.0"),
                 CV_E_INVAL, "line 2: malformed o=");
    CHECK_REJECT(parse_edit(min_offer, "o=- 1 1 IN IP4 0.0.0.0", "o=- 1 1 IN IP4"), CV_E_INVAL,
                 "malformed o=");
    CHECK_REJECT(parse_edit(min_offer, "o=- 1 1", "o=- 18446744073709551616 1"), CV_E_INVAL,
                 "malformed o=");
    CHECK_EQ(parse_edit(min_offer, "o=- 1 1", "o=- 18446744073709551615 1"), 0);
    CHECK(off.session_id == UINT64_MAX);
}

static void test_reject_size(void)
{
    static char big[CV_SDP_MAX_SIZE + 2];
    size_t base = strlen(min_offer);
    memcpy(big, min_offer, base);
    /* pad with an ignored attribute line so the offer is exactly 64 KiB: accepted */
    size_t pad = CV_SDP_MAX_SIZE - base;
    memcpy(big + base, "a=x:", 4);
    memset(big + base + 4, 'y', pad - 6);
    memcpy(big + CV_SDP_MAX_SIZE - 2, "\r\n", 2);
    CHECK_EQ(cv_sdp_parse_offer(big, CV_SDP_MAX_SIZE, &off, &why), 0);
    /* one byte more is refused */
    big[CV_SDP_MAX_SIZE] = '\n';
    CHECK_REJECT(cv_sdp_parse_offer(big, CV_SDP_MAX_SIZE + 1, &off, &why), CV_E_INVAL,
                 "larger than 64 KiB");
}

static void test_reject_media(void)
{
    static char many[4096];
    CHECK_REJECT(parse_edit(min_offer, "a=rtpmap:111 opus/48000/2", "a=rtpmap:111 opus/48000/1"),
                 CV_E_UNSUPPORTED, "no Opus 48000/2 in audio section");
    CHECK_REJECT(parse_edit(min_offer, "a=rtpmap:111 opus/48000/2", "a=rtpmap:111 opus/48000"),
                 CV_E_UNSUPPORTED, "no Opus");
    CHECK_REJECT(parse_edit(min_offer, "a=rtpmap:111 opus/48000/2", "a=rtpmap:111 PCMU/8000"),
                 CV_E_UNSUPPORTED, "no Opus");
    /* an rtpmap for a payload type the m= line does not list does not count */
    CHECK_REJECT(parse_edit(min_offer, "a=rtpmap:111 opus/48000/2", "a=rtpmap:112 opus/48000/2"),
                 CV_E_UNSUPPORTED, "no Opus");
    CHECK_REJECT(parse_edit(min_offer, "a=rtpmap:96 VP8/90000", "a=rtpmap:96 H264/90000"),
                 CV_E_UNSUPPORTED,
                 "no VP8 or H.264 (packetization-mode=1; baseline, main or high) in video section");
    CHECK_REJECT(parse_edit(min_offer, "a=rtpmap:96 VP8/90000", "a=rtpmap:96 VP8/48000"),
                 CV_E_UNSUPPORTED, "no VP8");
    CHECK_REJECT(parse_edit(min_offer, "a=rtpmap:96 VP8/90000\r\n", ""), CV_E_UNSUPPORTED,
                 "no VP8");
    CHECK_EQ(parse_edit(min_offer, "a=rtpmap:96 VP8/90000", "a=rtpmap:96 vP8/90000"), 0);
    /* no audio and no video */
    CHECK_REJECT(parse_str("v=0\r\nm=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n"),
                 CV_E_UNSUPPORTED, "no audio or video section");
    CHECK_REJECT(parse_str("v=0\r\ns=-\r\n"), CV_E_UNSUPPORTED, "no audio or video section");
    CHECK_EQ(parse_edit(min_offer, "m=audio 9 ", "m=audio 0 "), 0); /* video only is fine */
    CHECK_STR(why, "ok");
    static char both_off[2048];
    snprintf(both_off, sizeof both_off, "%s", min_offer);
    memcpy(strstr(both_off, "m=audio 9 "), "m=audio 0 ", 10);
    CHECK_REJECT(parse_edit(both_off, "m=video 9 ", "m=video 0 "), CV_E_UNSUPPORTED,
                 "no audio or video section");
    /* rtcp-mux in every accepted section */
    CHECK_REJECT(parse_edit(min_offer, "a=mid:a\r\na=rtcp-mux\r\n", "a=mid:a\r\n"),
                 CV_E_UNSUPPORTED, "rtcp-mux is required");
    CHECK_REJECT(parse_edit(min_offer, "a=mid:v\r\na=rtcp-mux\r\n", "a=mid:v\r\n"),
                 CV_E_UNSUPPORTED, "rtcp-mux is required");
    /* rtcp-mux at session level does not count (RFC 5761 §5.1.1: media level) */
    static char mux[2048];
    snprintf(mux, sizeof mux, "%s", min_offer);
    memcpy(strstr(mux, "a=rtcp-mux"), "a=x-cp-mux", 10);
    CHECK_REJECT(parse_edit(mux, "t=0 0\r\n", "t=0 0\r\na=rtcp-mux\r\n"), CV_E_UNSUPPORTED,
                 "rtcp-mux is required");
    /* a ninth m= section */
    size_t n = (size_t)snprintf(many, sizeof many, "%s", min_offer);
    for (int i = 0; i < 7; i++)
        n += (size_t)snprintf(many + n, sizeof many - n, "m=audio 0 RTP/AVP 0\r\n");
    CHECK_REJECT(parse_str(many), CV_E_UNSUPPORTED, "more than 8 media sections");
    many[n - strlen("m=audio 0 RTP/AVP 0\r\n")] = '\0';
    CHECK_EQ(parse_str(many), 0); /* eight are fine */
    CHECK_EQ(off.n_media, 8);
    /* payload types */
    CHECK_REJECT(parse_edit(min_offer, "UDP/TLS/RTP/SAVPF 111", "UDP/TLS/RTP/SAVPF 111 128"),
                 CV_E_INVAL, "line 10: payload type out of range 0..127");
    CHECK_REJECT(parse_edit(min_offer, "UDP/TLS/RTP/SAVPF 111", "UDP/TLS/RTP/SAVPF 111 x"),
                 CV_E_INVAL, "line 10: malformed m=");
    CHECK_REJECT(parse_edit(min_offer, "UDP/TLS/RTP/SAVPF 111", "UDP/TLS/RTP/SAVPF 111 -1"),
                 CV_E_INVAL, "malformed m=");
    CHECK_EQ(parse_edit(min_offer, "UDP/TLS/RTP/SAVPF 111", "UDP/TLS/RTP/SAVPF 111 0 127"), 0);
    CHECK_REJECT(parse_edit(min_offer, "a=rtpmap:111 opus", "a=rtpmap:200 opus"), CV_E_INVAL,
                 "payload type out of range");
    CHECK_REJECT(parse_edit(min_offer, "a=rtpmap:111 opus/48000/2", "a=rtpmap:111 opus"),
                 CV_E_INVAL, "malformed a=rtpmap");
    CHECK_REJECT(parse_edit(min_offer, "a=rtpmap:111 opus/48000/2", "a=rtpmap:111 opus/x/2"),
                 CV_E_INVAL, "malformed a=rtpmap");
    CHECK_REJECT(parse_edit(min_offer, "a=rtpmap:111 opus/48000/2",
                            "a=rtpmap:111 opus/48000/2\r\na=rtpmap:111 opus/48000/2"),
                 CV_E_INVAL, "duplicate a=rtpmap");
    CHECK_REJECT(parse_edit(min_offer, "a=rtpmap:96", "a=rtcp-fb:300 nack\r\na=rtpmap:96"),
                 CV_E_INVAL, "payload type out of range");
    CHECK_REJECT(parse_edit(min_offer, "a=rtpmap:96", "a=fmtp:abc apt=1\r\na=rtpmap:96"),
                 CV_E_INVAL, "malformed a=fmtp");
    /* the m= line itself */
    CHECK_REJECT(parse_edit(min_offer, "m=audio 9 UDP/TLS/RTP/SAVPF 111", "m=audio 9"), CV_E_INVAL,
                 "line 10: malformed m=");
    CHECK_REJECT(parse_edit(min_offer, "m=audio 9 ", "m=audio 65536 "), CV_E_INVAL, "malformed m=");
    CHECK_REJECT(parse_edit(min_offer, "m=audio 9 UDP/TLS/RTP/SAVPF", "m=audio 9 RTP/AVP"),
                 CV_E_UNSUPPORTED, "line 10: media transport is not UDP/TLS/RTP/SAVPF");
    CHECK_EQ(parse_edit(min_offer, "m=audio 9 ", "m=audio 9/2 "), 0);
    CHECK_REJECT(parse_edit(min_offer, "a=mid:a\r\n", "a=mid:v\r\n"), CV_E_INVAL,
                 "line 16: duplicate a=mid");
    CHECK_REJECT(parse_edit(min_offer, "a=mid:a\r\n", "a=mid:a\r\na=mid:b\r\n"), CV_E_INVAL,
                 "duplicate a=mid");
    CHECK_REJECT(
        parse_edit(min_offer, "a=mid:a\r\n", "a=mid:abcdefghijklmnopqrstuvwxyz0123456\r\n"),
        CV_E_INVAL, "malformed a=mid");
}

static void test_reject_transport(void)
{
    static char long_ufrag[300];
    CHECK_REJECT(parse_edit(min_offer, "a=fingerprint:sha-256 D3:62", "a=x:y D3:62"), CV_E_INVAL,
                 "no fingerprint");
    CHECK_REJECT(parse_edit(min_offer, "a=fingerprint:sha-256 D3:62", "a=fingerprint:sha-1 D3:62"),
                 CV_E_UNSUPPORTED, "fingerprint is not sha-256");
    CHECK_REJECT(
        parse_edit(min_offer, "a=fingerprint:sha-256 D3:62", "a=fingerprint:sha-512 D3:62"),
        CV_E_UNSUPPORTED, "fingerprint is not sha-256");
    /* 31 bytes, 33 bytes, a bad hex digit, a wrong separator */
    CHECK_REJECT(parse_edit(min_offer, "D3:62:70:", "D3:62:"), CV_E_INVAL,
                 "line 6: malformed sha-256 fingerprint");
    CHECK_REJECT(parse_edit(min_offer, "D3:62:70:", "D3:62:70:70:"), CV_E_INVAL,
                 "malformed sha-256 fingerprint");
    CHECK_REJECT(parse_edit(min_offer, "D3:62:70:", "D3:6G:70:"), CV_E_INVAL,
                 "malformed sha-256 fingerprint");
    CHECK_REJECT(parse_edit(min_offer, "D3:62:70:", "D3-62:70:"), CV_E_INVAL,
                 "malformed sha-256 fingerprint");
    CHECK_REJECT(parse_edit(min_offer, "a=fingerprint:sha-256 D3:62", "a=fingerprint:sha-256"),
                 CV_E_INVAL, "malformed a=fingerprint");
    /* lower-case hex and an upper-case hash name are fine */
    CHECK_EQ(parse_edit(min_offer, "sha-256 D3:62", "SHA-256 d3:62"), 0);
    CHECK_EQ(off.fingerprint[0], 0xd3);

    CHECK_REJECT(parse_edit(min_offer, "a=ice-ufrag:abcd\r\n", ""), CV_E_INVAL,
                 "no ice-ufrag/ice-pwd");
    CHECK_REJECT(parse_edit(min_offer, "a=ice-pwd:abcdefghijklmnopqrstuv\r\n", ""), CV_E_INVAL,
                 "no ice-ufrag/ice-pwd");
    CHECK_REJECT(parse_edit(min_offer, "a=ice-ufrag:abcd", "a=ice-ufrag:abc"), CV_E_INVAL,
                 "line 8: ice-ufrag must be 4..256 ice-chars");
    CHECK_REJECT(parse_edit(min_offer, "a=ice-ufrag:abcd", "a=ice-ufrag:ab-d"), CV_E_INVAL,
                 "ice-ufrag must be");
    memset(long_ufrag, 'u', 12 + 257);
    memcpy(long_ufrag, "a=ice-ufrag:", 12);
    long_ufrag[12 + 257] = '\0';
    CHECK_REJECT(parse_edit(min_offer, "a=ice-ufrag:abcd", long_ufrag), CV_E_INVAL,
                 "ice-ufrag must be");
    long_ufrag[12 + 256] = '\0'; /* 256: the longest allowed */
    CHECK_EQ(parse_edit(min_offer, "a=ice-ufrag:abcd", long_ufrag), 0);
    CHECK_EQ(strlen(off.ice_ufrag), 256);
    CHECK_REJECT(parse_edit(min_offer, "a=ice-pwd:abcdefghijklmnopqrstuv",
                            "a=ice-pwd:abcdefghijklmnopqrstu"),
                 CV_E_INVAL, "line 9: ice-pwd must be 22..256 ice-chars");
    CHECK_REJECT(parse_edit(min_offer, "a=ice-pwd:abcdefghijklmnopqrstuv",
                            "a=ice-pwd:abcdefghijklmnopqrstu="),
                 CV_E_INVAL, "ice-pwd must be");
    CHECK_EQ(parse_edit(min_offer, "a=ice-pwd:abcdefghijklmnopqrstuv",
                        "a=ice-pwd:ab+/efghijklmnopqrstuv"),
             0);

    CHECK_REJECT(parse_edit(min_offer, "a=setup:actpass", "a=setup:passive"), CV_E_UNSUPPORTED,
                 "line 7: offer has setup:passive");
    CHECK_REJECT(parse_edit(min_offer, "a=mid:v", "a=mid:v\r\na=setup:passive"), CV_E_UNSUPPORTED,
                 "setup:passive");
    CHECK_REJECT(parse_edit(min_offer, "a=setup:actpass", "a=setup:holdconn"), CV_E_UNSUPPORTED,
                 "setup:holdconn");
    CHECK_REJECT(parse_edit(min_offer, "a=setup:actpass", "a=setup:maybe"), CV_E_INVAL,
                 "malformed a=setup");
    CHECK_EQ(parse_edit(min_offer, "a=setup:actpass", "a=setup:active"), 0);
    CHECK_EQ(off.setup, CV_SDP_SETUP_ACTIVE);

    /* BUNDLE */
    CHECK_REJECT(parse_edit(min_offer, "a=group:BUNDLE a v\r\n", ""), CV_E_UNSUPPORTED,
                 "BUNDLE is required");
    CHECK_REJECT(parse_edit(min_offer, "a=group:BUNDLE a v", "a=group:BUNDLE a"), CV_E_UNSUPPORTED,
                 "BUNDLE is required");
    CHECK_REJECT(parse_edit(min_offer, "a=group:BUNDLE a v", "a=group:LS a v"), CV_E_UNSUPPORTED,
                 "BUNDLE is required");
    CHECK_REJECT(parse_edit(min_offer, "a=mid:v\r\n", "a=x:v\r\n"), CV_E_UNSUPPORTED,
                 "BUNDLE is required");
    CHECK_REJECT(
        parse_edit(min_offer, "a=group:BUNDLE a v", "a=group:BUNDLE a v\r\na=group:BUNDLE v"),
        CV_E_UNSUPPORTED, "line 6: more than one BUNDLE group");
    CHECK_EQ(parse_edit(min_offer, "a=group:BUNDLE a v", "a=group:BUNDLE v a x"), 0);
}

static void test_reject_candidate(void)
{
    static const char *const bad[] = {
        "a=candidate:1 1 udp 100 192.0.2.1 5000 host",            /* no "typ" */
        "a=candidate:1 1 udp 100 192.0.2.1 5000 typ",             /* no type */
        "a=candidate:1 1 udp 100 192.0.2.1 70000 typ host",       /* port */
        "a=candidate:1 1 udp x 192.0.2.1 5000 typ host",          /* priority */
        "a=candidate:1 1 udp 4294967296 192.0.2.1 5000 typ host", /* priority > 2^32-1 */
        "a=candidate:1 0 udp 100 192.0.2.1 5000 typ host",        /* component 0 */
        "a=candidate:1 257 udp 100 192.0.2.1 5000 typ host",      /* component > 256 */
        "a=candidate:123456789012345678901234567890123 1 udp 100 192.0.2.1 5000 typ host",
        "a=candidate:a-b 1 udp 100 192.0.2.1 5000 typ host",  /* not an ice-char */
        "a=candidate:1 1 udp 100 192.0.2.1/24 5000 typ host", /* address */
        "a=candidate:1 1 udp 100 192.0.2.1 5000 tip host",
        "a=candidate:",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        CHECK_REJECT(
            parse_edit(min_offer, "a=candidate:1 1 udp 100 192.0.2.1 5000 typ host", bad[i]),
            CV_E_INVAL, "line 14: malformed a=candidate");
    /* other malformed attributes with their names in the reason */
    CHECK_REJECT(parse_edit(min_offer, "a=mid:a\r\n", "a=mid:a\r\na=ssrc:abc cname:x\r\n"),
                 CV_E_INVAL, "malformed a=ssrc");
    CHECK_REJECT(parse_edit(min_offer, "a=mid:a\r\n", "a=mid:a\r\na=ssrc:4294967296 cname:x\r\n"),
                 CV_E_INVAL, "malformed a=ssrc");
    CHECK_REJECT(parse_edit(min_offer, "a=mid:a\r\n", "a=mid:a\r\na=ssrc-group:FID 1\r\n"),
                 CV_E_INVAL, "malformed a=ssrc-group");
    CHECK_REJECT(parse_edit(min_offer, "a=mid:a\r\n", "a=mid:a\r\na=extmap:x urn:a\r\n"),
                 CV_E_INVAL, "malformed a=extmap");
    CHECK_REJECT(parse_edit(min_offer, "a=mid:a\r\n", "a=mid:a\r\na=extmap:1/sideways urn:a\r\n"),
                 CV_E_INVAL, "malformed a=extmap");
    CHECK_REJECT(parse_edit(min_offer, "a=mid:a\r\n", "a=mid:a\r\na=rtcp-fb:111\r\n"), CV_E_INVAL,
                 "malformed a=rtcp-fb");
    /* extreme SSRCs are fine */
    CHECK_EQ(parse_edit(min_offer, "a=mid:a\r\n",
                        "a=mid:a\r\na=ssrc-group:FID 0 4294967295\r\na=ssrc:1 cname:x\r\n"),
             0);
    CHECK_EQ(off.media[0].ssrc, 0);
    CHECK(off.media[0].rtx_ssrc == 4294967295u);
}

/* ---- the answer builder ---- */

static void test_answer_nospace(void)
{
    static char ans[CV_SDP_ANSWER_CAP], small[CV_SDP_ANSWER_CAP + 64];
    cv_sdp_answer_params_t p = params();
    CHECK_EQ(parse_str(chrome_offer), 0);
    int n = cv_sdp_build_answer(&off, &p, ans, sizeof ans);
    CHECK(n > 0);
    /* exactly n + 1 bytes is enough */
    CHECK_EQ(cv_sdp_build_answer(&off, &p, small, (size_t)n + 1), n);
    CHECK_STR(small, ans);
    /* any smaller capacity fails, leaves "" and never writes past the capacity */
    int bad = 0;
    for (int cap = 0; cap <= n; cap++) {
        memset(small, 0xa5, sizeof small);
        int rc = cv_sdp_build_answer(&off, &p, small, (size_t)cap);
        if (rc != CV_E_NOSPACE || (cap > 0 && small[0] != '\0'))
            bad++;
        for (size_t i = (size_t)cap; i < sizeof small; i++)
            if ((unsigned char)small[i] != 0xa5) {
                bad++;
                break;
            }
    }
    CHECK_EQ(bad, 0);
    CHECK_EQ(cv_sdp_build_answer(&off, &p, NULL, 0), CV_E_NOSPACE);
}

static void test_answer_params(void)
{
    static char ans[CV_SDP_ANSWER_CAP];
    cv_sdp_local_cand_t c[1] = {{"192.0.2.1\r\na=x", 5000, 1, "1", 0}};
    CHECK_EQ(parse_str(chrome_offer), 0);
    cv_sdp_answer_params_t p = params();
    CHECK_EQ(cv_sdp_build_answer(NULL, &p, ans, sizeof ans), CV_E_INVAL);
    CHECK_EQ(cv_sdp_build_answer(&off, NULL, ans, sizeof ans), CV_E_INVAL);
    p.ice_ufrag = "abc";
    CHECK_EQ(cv_sdp_build_answer(&off, &p, ans, sizeof ans), CV_E_INVAL);
    p = params();
    p.ice_pwd = "short";
    CHECK_EQ(cv_sdp_build_answer(&off, &p, ans, sizeof ans), CV_E_INVAL);
    p = params();
    p.fingerprint_len = 20;
    CHECK_EQ(cv_sdp_build_answer(&off, &p, ans, sizeof ans), CV_E_INVAL);
    p = params();
    p.cand = c;
    p.n_cand = 1;
    CHECK_EQ(cv_sdp_build_answer(&off, &p, ans, sizeof ans), CV_E_INVAL);
    strcpy(c[0].addr, "192.0.2.1");
    c[0].port = 0;
    CHECK_EQ(cv_sdp_build_answer(&off, &p, ans, sizeof ans), CV_E_INVAL);
    c[0].port = 5000;
    strcpy(c[0].foundation, "");
    CHECK_EQ(cv_sdp_build_answer(&off, &p, ans, sizeof ans), CV_E_INVAL);
    strcpy(c[0].foundation, "9");
    CHECK(cv_sdp_build_answer(&off, &p, ans, sizeof ans) > 0);
    CHECK(has(ans, "c=IN IP4 192.0.2.1\r\n"));
    p = params();
    p.cname = NULL; /* we send, so a cname is needed */
    CHECK_EQ(cv_sdp_build_answer(&off, &p, ans, sizeof ans), CV_E_INVAL);
    p.cname = "has space";
    CHECK_EQ(cv_sdp_build_answer(&off, &p, ans, sizeof ans), CV_E_INVAL);
    p = params();
    p.msid_stream = "bad stream";
    CHECK_EQ(cv_sdp_build_answer(&off, &p, ans, sizeof ans), CV_E_INVAL);
    p.msid_stream = "room-7";
    CHECK(cv_sdp_build_answer(&off, &p, ans, sizeof ans) > 0);
    CHECK(has(ans, "a=msid:room-7 video\r\n"));
    /* no candidates: port 9, 0.0.0.0, still end-of-candidates (non-trickle) */
    p = params();
    p.n_cand = 0;
    CHECK(cv_sdp_build_answer(&off, &p, ans, sizeof ans) > 0);
    CHECK(has(ans, "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 0.0.0.0\r\n"));
    CHECK_EQ(count(ans, "a=end-of-candidates"), 1);
    /* an IPv6 first candidate gives an IP6 c= line */
    p.cand = &our_cands[1];
    p.n_cand = 1;
    CHECK(cv_sdp_build_answer(&off, &p, ans, sizeof ans) > 0);
    CHECK(has(ans, "m=audio 50002 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP6 2001:db8::10\r\n"));
    /* an offer no parse could give */
    p = params();
    off.media[0].pt = 128;
    CHECK_EQ(cv_sdp_build_answer(&off, &p, ans, sizeof ans), CV_E_INVAL);
    off.media[0].pt = 111;
    strcpy(off.media[0].mid, "0\r\n");
    CHECK_EQ(cv_sdp_build_answer(&off, &p, ans, sizeof ans), CV_E_INVAL);
    off.n_media = 9;
    CHECK_EQ(cv_sdp_build_answer(&off, &p, ans, sizeof ans), CV_E_INVAL);
}

/* The biggest answer there can be still fits CV_SDP_ANSWER_CAP. */
static void test_answer_max(void)
{
    static char sdp[8192], ans[CV_SDP_ANSWER_CAP], ufrag[257], pwd[257], cname[256];
    static char mids[8][33];
    static cv_sdp_local_cand_t c[CV_SDP_MAX_CAND];
    size_t n = 0;
    for (int i = 0; i < 8; i++) { /* 32 characters each: "0000...0", "1000...0" ... */
        memset(mids[i], '0', 32);
        mids[i][0] = (char)('0' + i);
    }
    n += (size_t)snprintf(sdp + n, sizeof sdp - n,
                          "v=0\r\no=- 18446744073709551615 1 IN IP4 0.0.0.0\r\n"
                          "a=group:BUNDLE %s %s %s %s %s %s %s %s\r\n",
                          mids[0], mids[1], mids[2], mids[3], mids[4], mids[5], mids[6], mids[7]);
    n += (size_t)snprintf(sdp + n, sizeof sdp - n,
                          "a=fingerprint:sha-256 D3:62:70:30:87:BF:0D:40:A2:88:22:E5:0E:D3:94:"
                          "9A:33:A2:B4:95:48:94:33:7D:31:D1:AB:35:33:80:ED:EE\r\n"
                          "a=ice-ufrag:abcd\r\na=ice-pwd:abcdefghijklmnopqrstuv\r\n");
    n += (size_t)snprintf(sdp + n, sizeof sdp - n,
                          "m=audio 9 UDP/TLS/RTP/SAVPF 127 125\r\na=mid:%s\r\na=rtcp-mux\r\n"
                          "a=rtpmap:127 opus/48000/2\r\n"
                          "a=rtpmap:125 red/48000/2\r\na=fmtp:125 127/127\r\n"
                          "a=extmap:14/sendonly urn:ietf:params:rtp-hdrext:ssrc-audio-level\r\n"
                          "m=video 9 UDP/TLS/RTP/SAVPF 126 127\r\na=mid:%s\r\na=rtcp-mux\r\n"
                          "a=rtpmap:126 VP8/90000\r\na=rtpmap:127 rtx/90000\r\n"
                          "a=fmtp:127 apt=126\r\na=rtcp-fb:* nack\r\na=rtcp-fb:* nack pli\r\n"
                          "a=rtcp-fb:* ccm fir\r\na=rtcp-fb:* goog-remb\r\n",
                          mids[0], mids[1]);
    for (int i = 2; i < 8; i++)
        n += (size_t)snprintf(sdp + n, sizeof sdp - n,
                              "m=applicationxyzw 9 %031d %031d\r\na=mid:%s\r\n", 0, 0, mids[i]);
    CHECK_EQ(parse_str(sdp), 0);
    if (why && strcmp(why, "ok"))
        fprintf(stderr, "  %s\n", why);
    memset(ufrag, 'u', 256);
    memset(pwd, 'p', 256);
    memset(cname, 'c', 255);
    for (int i = 0; i < CV_SDP_MAX_CAND; i++) {
        strcpy(c[i].addr, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
        c[i].port = 65535;
        c[i].priority = UINT32_MAX;
        snprintf(c[i].foundation, sizeof c[i].foundation, "%032d", i);
        c[i].tcp = 1; /* the longest line: "tcp ... tcptype passive" */
    }
    cv_sdp_answer_params_t p = params();
    p.ice_ufrag = ufrag;
    p.ice_pwd = pwd;
    p.cname = cname;
    p.cand = c;
    p.n_cand = CV_SDP_MAX_CAND;
    p.msid_stream = "mmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmm";
    p.session_id = UINT64_MAX;
    p.audio_ssrc = p.video_ssrc = p.video_rtx_ssrc = UINT32_MAX;
    p.use_rtx = 1;
    p.use_red = 1;
    int len = cv_sdp_build_answer(&off, &p, ans, sizeof ans);
    CHECK(len > 0 && len < CV_SDP_ANSWER_CAP);
    check_line_form(ans, len);
    CHECK_EQ(count(ans, "a=candidate:"), CV_SDP_MAX_CAND);
    CHECK_EQ(count(ans, " tcptype passive\r\n"), CV_SDP_MAX_CAND);
    CHECK_EQ(count(ans, "m=applicationxyzw 0 "), 6);
    CHECK(has(ans, "a=extmap:14/recvonly "));
    CHECK(has(ans, "a=fmtp:125 127/127\r\n"));
}

/* Replaces the first `from` in src by `to` into out. */
static const char *edit(char *out, size_t cap, const char *src, const char *from, const char *to)
{
    const char *at = strstr(src, from);
    if (!at)
        return src;
    snprintf(out, cap, "%.*s%s%s", (int)(at - src), src, to, at + strlen(from));
    return out;
}

/* Opus RED (RFC 2198): taken when its fmtp lists only the chosen opus, and
 * answered before opus (browsers send RED only then). */
static void test_red(void)
{
    static char ans[CV_SDP_ANSWER_CAP], sdp[8192];
    CHECK_EQ(parse_str(chrome_offer), 0);
    CHECK_EQ(off.media[0].red_pt, 63);
    CHECK_EQ(off.media[1].red_pt, -1); /* video's red/90000 is not audio RED */
    cv_sdp_answer_params_t p = params();
    p.use_red = 1;
    CHECK(cv_sdp_build_answer(&off, &p, ans, sizeof ans) > 0);
    CHECK(has(ans, "m=audio 50000 UDP/TLS/RTP/SAVPF 63 111\r\n"));
    CHECK_EQ(count(ans, "a=rtpmap:63 red/48000/2\r\na=fmtp:63 111/111\r\n"), 1);
    CHECK(strstr(ans, "a=rtpmap:63") < strstr(ans, "a=rtpmap:111"));
    CHECK_EQ(count(ans, "red/"), 1);
    p.use_red = 0;
    CHECK(cv_sdp_build_answer(&off, &p, ans, sizeof ans) > 0);
    CHECK(!has(ans, "red/") && has(ans, "m=audio 50000 UDP/TLS/RTP/SAVPF 111\r\n"));
    /* blocks of another codec, mixed blocks, or no fmtp: not ours to take */
    static const char *const bad[] = {"a=fmtp:63 0/0\r\n", "a=fmtp:63 111/0\r\n",
                                      "a=fmtp:63 111/x\r\n", "a=fmtp:63 \r\n",
                                      "a=fmtp:63 111/111/\r\n"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        CHECK_EQ(parse_str(edit(sdp, sizeof sdp, chrome_offer, "a=fmtp:63 111/111\r\n", bad[i])),
                 0);
        CHECK_EQ(off.media[0].red_pt, -1);
    }
    CHECK_EQ(parse_str(edit(sdp, sizeof sdp, chrome_offer, "a=fmtp:63 111/111\r\n", "")), 0);
    CHECK_EQ(off.media[0].red_pt, -1);
    CHECK_EQ(parse_str(edit(sdp, sizeof sdp, chrome_offer, "a=fmtp:63 111/111", "a=fmtp:63 111")),
             0);
    CHECK_EQ(off.media[0].red_pt, 63); /* one block format is fine too */
}

/* Transport-wide congestion control: the id offered in both sections, answered
 * both ways (we number what we send, and give feedback on what we get) with
 * transport-cc feedback for both codecs; one way when we only receive. */
static void test_twcc(void)
{
    static char ans[CV_SDP_ANSWER_CAP], sdp[8192];
    CHECK_EQ(parse_str(chrome_offer), 0);
    CHECK_EQ(off.media[0].twcc_id, 3);
    CHECK_EQ(off.media[1].twcc_id, 3);
    cv_sdp_answer_params_t p = params();
    p.twcc_id = 3;
    CHECK(cv_sdp_build_answer(&off, &p, ans, sizeof ans) > 0);
    CHECK_EQ(count(ans, "a=extmap:3 " CV_TWCC_URI "\r\n"), 2);
    CHECK_EQ(count(ans, "a=rtcp-fb:111 transport-cc\r\n"), 1);
    CHECK_EQ(count(ans, "a=rtcp-fb:96 transport-cc\r\n"), 1);
    check_line_form(ans, (int)strlen(ans));
    p.send_audio = p.send_video = 0;
    CHECK(cv_sdp_build_answer(&off, &p, ans, sizeof ans) > 0);
    CHECK_EQ(count(ans, "a=extmap:3/recvonly " CV_TWCC_URI "\r\n"), 2);
    p = params();
    p.twcc_id = 0;
    CHECK(cv_sdp_build_answer(&off, &p, ans, sizeof ans) > 0);
    CHECK(!has(ans, "transport-cc") && !has(ans, "transport-wide"));
    /* an id above 14 or an inactive extension is not taken */
    CHECK_EQ(parse_str(edit(sdp, sizeof sdp, chrome_offer, "a=extmap:3 http://www.ietf.org/id/",
                            "a=extmap:3/inactive http://www.ietf.org/id/")),
             0);
    CHECK_EQ(off.media[0].twcc_id, 0);
}

int main(void)
{
    test_twcc();
    test_red();
    test_chrome_parse();
    test_chrome_answer();
    test_firefox();
    test_safari();
    test_lf_endings();
    test_whip_sendonly();
    test_whep_recvonly();
    test_directions();
    test_sections();
    test_candidates();
    test_tcp_candidates();
    test_reject_syntax();
    test_reject_size();
    test_reject_media();
    test_reject_transport();
    test_reject_candidate();
    test_answer_nospace();
    test_answer_params();
    test_answer_max();
    return CHECK_DONE("test_sdp");
}
