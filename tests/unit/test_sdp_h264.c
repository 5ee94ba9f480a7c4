/*
 * test_sdp_h264.c - H.264 in offers and answers (RFC 6184 §8): VP8 chosen when
 * both are offered, H.264 with packetization-mode 1 and a baseline, main or
 * high profile when it is the only video, its fmtp answered, sprop-parameter-sets
 * kept, an H.264 section sent as well as received (sendonly towards a recvonly
 * offer, recvonly towards a sendonly one).
 */
#include "check.h"
#include "err.h"
#include "sdp.h"
#include "sdp_vectors.h"

#include <stdio.h>
#include <string.h>

static cv_sdp_offer_t off;
static const char *why;

/* The smallest offer with its video rtpmap line replaced by `video`. */
static int parse_video(const char *video)
{
    static char buf[8192];
    const char *from = "a=rtpmap:96 VP8/90000\r\n";
    const char *at = strstr(min_offer, from);
    snprintf(buf, sizeof buf, "%.*s%s%s", (int)(at - min_offer), min_offer, video,
             at + strlen(from));
    /* the m= line lists 96 only; the H.264 lines below use 96 and 97 */
    char *m = strstr(buf, "SAVPF 96\r\n");
    if (m) {
        char rest[8192];
        snprintf(rest, sizeof rest, "%s", m + strlen("SAVPF 96\r\n"));
        snprintf(m, sizeof buf - (size_t)(m - buf), "SAVPF 96 97 98\r\n%s", rest);
    }
    return cv_sdp_parse_offer(buf, strlen(buf), &off, &why);
}

static const cv_sdp_media_t *video(void)
{
    for (int i = 0; i < off.n_media; i++)
        if (off.media[i].kind == CV_SDP_VIDEO)
            return &off.media[i];
    return NULL;
}

static void test_choice(void)
{
    /* OBS: H.264 high only */
    CHECK_EQ(parse_video("a=rtpmap:96 H264/90000\r\n"
                         "a=fmtp:96 profile-level-id=64001f;packetization-mode=1;"
                         "level-asymmetry-allowed=1\r\n"),
             0);
    CHECK_EQ(video()->pt, 96);
    CHECK_EQ(video()->codec, CV_SDP_H264);
    CHECK_EQ(video()->h264_profile, 0x64001f);
    CHECK_STR(video()->sprop, "");

    /* both: VP8 wins even when H.264 comes first */
    CHECK_EQ(parse_video("a=rtpmap:96 H264/90000\r\n"
                         "a=fmtp:96 profile-level-id=42e01f;packetization-mode=1\r\n"
                         "a=rtpmap:97 VP8/90000\r\n"),
             0);
    CHECK_EQ(video()->pt, 97);
    CHECK_EQ(video()->codec, CV_SDP_VP8);

    /* mode 0 skipped, the first mode 1 in m= order taken; case of the name ignored */
    CHECK_EQ(parse_video("a=rtpmap:96 H264/90000\r\n"
                         "a=fmtp:96 profile-level-id=42e01f;packetization-mode=0\r\n"
                         "a=rtpmap:97 h264/90000\r\n"
                         "a=fmtp:97 profile-level-id=4d001f;packetization-mode=1\r\n"
                         "a=rtpmap:98 H264/90000\r\n"
                         "a=fmtp:98 profile-level-id=42e01f;packetization-mode=1\r\n"),
             0);
    CHECK_EQ(video()->pt, 97);
    CHECK_EQ(video()->h264_profile, 0x4d001f);

    /* no profile-level-id: baseline 42000a (RFC 6184 §8.1) */
    CHECK_EQ(parse_video("a=rtpmap:96 H264/90000\r\na=fmtp:96 packetization-mode=1\r\n"), 0);
    CHECK_EQ(video()->h264_profile, 0x42000a);

    /* constrained baseline as Chrome offers it */
    CHECK_EQ(parse_video("a=rtpmap:98 H264/90000\r\n"
                         "a=fmtp:98 level-asymmetry-allowed=1;packetization-mode=1;"
                         "profile-level-id=42e034\r\n"),
             0);
    CHECK_EQ(video()->pt, 98);
}

static void test_reject(void)
{
    /* no packetization-mode: mode 0, not taken */
    CHECK_EQ(parse_video("a=rtpmap:96 H264/90000\r\na=fmtp:96 profile-level-id=42e01f\r\n"),
             CV_E_UNSUPPORTED);
    CHECK(strstr(why, "no VP8 or H.264") != NULL);
    CHECK_EQ(parse_video("a=rtpmap:96 H264/90000\r\n"), CV_E_UNSUPPORTED);
    /* high 4:4:4 predictive (f4) and high 10 (6e) are not decoded */
    CHECK_EQ(parse_video("a=rtpmap:96 H264/90000\r\n"
                         "a=fmtp:96 profile-level-id=f4001f;packetization-mode=1\r\n"),
             CV_E_UNSUPPORTED);
    CHECK_EQ(parse_video("a=rtpmap:96 H264/90000\r\n"
                         "a=fmtp:96 profile-level-id=6e001f;packetization-mode=1\r\n"),
             CV_E_UNSUPPORTED);
    /* a malformed profile-level-id is no profile we know */
    CHECK_EQ(parse_video("a=rtpmap:96 H264/90000\r\n"
                         "a=fmtp:96 profile-level-id=64zz1f;packetization-mode=1\r\n"),
             CV_E_UNSUPPORTED);
    /* H.264 at another clock rate */
    CHECK_EQ(parse_video("a=rtpmap:96 H264/48000\r\na=fmtp:96 packetization-mode=1\r\n"),
             CV_E_UNSUPPORTED);
    CHECK(strstr(why, "video section") != NULL);
}

static void test_sprop(void)
{
    CHECK_EQ(parse_video("a=rtpmap:96 H264/90000\r\n"
                         "a=fmtp:96 packetization-mode=1;profile-level-id=42e01f;"
                         "sprop-parameter-sets=Z0LAHg==,aM48gA==\r\n"),
             0);
    CHECK_STR(video()->sprop, "Z0LAHg==,aM48gA==");
    /* characters outside base64 and commas: not kept, the offer still taken */
    CHECK_EQ(parse_video("a=rtpmap:96 H264/90000\r\n"
                         "a=fmtp:96 packetization-mode=1;sprop-parameter-sets=Z0L\"AHg\r\n"),
             0);
    CHECK_STR(video()->sprop, "");
    /* longer than we keep: not kept */
    char line[1200];
    int n = snprintf(line, sizeof line,
                     "a=rtpmap:96 H264/90000\r\na=fmtp:96 packetization-mode=1;"
                     "sprop-parameter-sets=");
    memset(line + n, 'A', 600);
    snprintf(line + n + 600, sizeof line - (size_t)n - 600, "\r\n");
    CHECK_EQ(parse_video(line), 0);
    CHECK_STR(video()->sprop, "");
}

static cv_sdp_answer_params_t params(void)
{
    static const uint8_t fp[32] = {1, 2, 3};
    static const cv_sdp_local_cand_t cand = {"192.0.2.9", 40000, 2130706431, "1", 0};
    cv_sdp_answer_params_t p;
    memset(&p, 0, sizeof p);
    p.ice_ufrag = "cvUf";
    p.ice_pwd = "cvPwd0123456789abcdefXYZ";
    p.fingerprint = fp;
    p.fingerprint_len = sizeof fp;
    p.cand = &cand;
    p.n_cand = 1;
    p.audio_ssrc = 0x11111111;
    p.video_ssrc = 0x22222222; /* 572662306 */
    p.cname = "conclave-cname";
    p.session_id = 777;
    p.send_audio = 1;
    p.send_video = 1;
    p.offer_fb_remb = 1;
    return p;
}

static void test_answer(void)
{
    CHECK_EQ(parse_video("a=rtpmap:96 H264/90000\r\n"
                         "a=fmtp:96 profile-level-id=4d0032;packetization-mode=1\r\n"
                         "a=rtcp-fb:96 nack pli\r\n"
                         "a=rtcp-fb:96 ccm fir\r\n"),
             0);
    cv_sdp_answer_params_t p = params();
    char ans[CV_SDP_ANSWER_CAP];
    int len = cv_sdp_build_answer(&off, &p, ans, sizeof ans);
    CHECK(len > 0);
    const char *v = strstr(ans, "m=video");
    CHECK(v != NULL);
    if (!v)
        return;
    CHECK(strncmp(v, "m=video 40000 UDP/TLS/RTP/SAVPF 96\r\n", 36) == 0);
    CHECK(strstr(v, "a=rtpmap:96 H264/90000\r\n") != NULL);
    CHECK(strstr(v, "a=fmtp:96 level-asymmetry-allowed=1;packetization-mode=1;"
                    "profile-level-id=4d0032\r\n") != NULL);
    CHECK(strstr(v, "a=rtcp-fb:96 nack pli\r\n") != NULL);
    CHECK(strstr(v, "a=rtcp-fb:96 ccm fir\r\n") != NULL);
    CHECK(strstr(v, "VP8") == NULL);
    /* we send the composite as H.264: sendrecv, with our SSRC */
    CHECK(strstr(v, "a=sendrecv\r\n") != NULL);
    CHECK(strstr(v, "a=recvonly\r\n") == NULL);
    CHECK(strstr(v, "a=ssrc:572662306 cname:") != NULL);

    /* a viewer's recvonly H.264 offer: sendonly, with our SSRC */
    CHECK_EQ(parse_video("a=rtpmap:96 H264/90000\r\n"
                         "a=fmtp:96 profile-level-id=42e01f;packetization-mode=1\r\n"
                         "a=recvonly\r\n"),
             0);
    len = cv_sdp_build_answer(&off, &p, ans, sizeof ans);
    v = len > 0 ? strstr(ans, "m=video") : NULL;
    CHECK(v && strstr(v, "a=sendonly\r\n") && strstr(v, "a=ssrc:572662306 cname:"));
    CHECK(v && strstr(v, "packetization-mode=1;profile-level-id=42e01f\r\n"));

    /* a publisher's sendonly H.264 offer: recvonly, no SSRC of ours */
    CHECK_EQ(parse_video("a=rtpmap:96 H264/90000\r\n"
                         "a=fmtp:96 profile-level-id=64001f;packetization-mode=1\r\n"
                         "a=sendonly\r\n"),
             0);
    len = cv_sdp_build_answer(&off, &p, ans, sizeof ans);
    v = len > 0 ? strstr(ans, "m=video") : NULL;
    CHECK(v && strstr(v, "a=recvonly\r\n") && !strstr(v, "572662306"));

    /* when we send no video (a publisher's session), a sendrecv offer: recvonly */
    CHECK_EQ(parse_video("a=rtpmap:96 H264/90000\r\n"
                         "a=fmtp:96 profile-level-id=42e01f;packetization-mode=1\r\n"),
             0);
    p.send_video = 0;
    len = cv_sdp_build_answer(&off, &p, ans, sizeof ans);
    v = len > 0 ? strstr(ans, "m=video") : NULL;
    CHECK(v && strstr(v, "a=recvonly\r\n") && !strstr(v, "572662306"));
    p.send_video = 1;

    /* with VP8 offered too: VP8 answered, sent */
    CHECK_EQ(parse_video("a=rtpmap:96 H264/90000\r\n"
                         "a=fmtp:96 profile-level-id=42e01f;packetization-mode=1\r\n"
                         "a=rtpmap:97 VP8/90000\r\n"),
             0);
    len = cv_sdp_build_answer(&off, &p, ans, sizeof ans);
    CHECK(len > 0);
    v = strstr(ans, "m=video");
    CHECK(v && strstr(v, "a=rtpmap:97 VP8/90000\r\n") && !strstr(v, "H264"));
    CHECK(v && strstr(v, "a=sendrecv\r\n") && strstr(v, "572662306"));
}

int main(void)
{
    test_choice();
    test_reject();
    test_sprop();
    test_answer();
    return CHECK_DONE("test_sdp_h264");
}
