/*
 * lg_sdp.c - offer writer and answer reader for bench/loadgen (RFC 8829
 * shapes: BUNDLE RFC 8843, ICE RFC 8839, DTLS-SRTP RFC 8842).
 */
#include "lg_sdp.h"

#include "dtls.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

/* Appends with snprintf semantics; *used goes past cap on overflow. */
#define PUT(...)                                                                                   \
    do {                                                                                           \
        if (used < cap)                                                                            \
            used += (size_t)snprintf(out + used, cap - used, __VA_ARGS__);                         \
    } while (0)

static size_t put_common(const lg_offer_t *o, char *out, size_t cap, size_t used)
{
    PUT("c=IN IP4 0.0.0.0\r\na=rtcp:9 IN IP4 0.0.0.0\r\n");
    PUT("a=ice-ufrag:%s\r\na=ice-pwd:%s\r\n", o->ufrag, o->pwd);
    PUT("a=fingerprint:sha-256 %s\r\na=setup:actpass\r\n", o->fingerprint);
    return used;
}

int lg_sdp_offer(const lg_offer_t *o, char *out, size_t cap)
{
    size_t used = 0;
    PUT("v=0\r\no=- %" PRIu32 "%04d 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n", o->audio_ssrc,
        o->index % 10000);
    PUT("a=group:BUNDLE 0 1\r\na=msid-semantic: WMS lg%d\r\n", o->index);
    PUT("m=audio 9 UDP/TLS/RTP/SAVPF %d\r\n", LG_PT_OPUS);
    used = put_common(o, out, cap, used);
    PUT("a=mid:0\r\na=extmap:%d urn:ietf:params:rtp-hdrext:ssrc-audio-level\r\n",
        LG_EXT_AUDIO_LEVEL);
    PUT("a=sendrecv\r\na=msid:lg%d a%d\r\na=rtcp-mux\r\n", o->index, o->index);
    PUT("a=rtpmap:%d opus/48000/2\r\na=fmtp:%d minptime=10;useinbandfec=1\r\n", LG_PT_OPUS,
        LG_PT_OPUS);
    PUT("a=ssrc:%" PRIu32 " cname:lg%d\r\n", o->audio_ssrc, o->index);
    for (int i = 0; i < o->n_cand; i++)
        PUT("a=candidate:%s 1 udp %" PRIu32 " %s %d typ host\r\n", o->cand[i].foundation,
            o->cand[i].priority, o->cand[i].addr, o->cand[i].port);
    PUT("a=end-of-candidates\r\n");
    PUT("m=video 9 UDP/TLS/RTP/SAVPF %d\r\n", LG_PT_VP8);
    used = put_common(o, out, cap, used);
    PUT("a=mid:1\r\na=sendrecv\r\na=msid:lg%d v%d\r\na=rtcp-mux\r\n", o->index, o->index);
    PUT("a=rtpmap:%d VP8/90000\r\n", LG_PT_VP8);
    PUT("a=rtcp-fb:%d nack\r\na=rtcp-fb:%d nack pli\r\na=rtcp-fb:%d ccm fir\r\n", LG_PT_VP8,
        LG_PT_VP8, LG_PT_VP8);
    PUT("a=ssrc:%" PRIu32 " cname:lg%d\r\n", o->video_ssrc, o->index);
    return used < cap ? (int)used : -1;
}

static void candidate(const char *v, lg_answer_t *a)
{
    cv_ice_cand_t c;
    char transport[8], type[8];
    unsigned comp;
    memset(&c, 0, sizeof(c));
    if (a->n_cand == LG_MAX_CAND ||
        sscanf(v, "%32s %u %7s %" SCNu32 " %63s %d typ %7s", c.foundation, &comp, transport,
               &c.priority, c.addr, &c.port, type) != 7 ||
        comp != 1 || (strcmp(transport, "udp") != 0 && strcmp(transport, "UDP") != 0))
        return;
    for (int i = 0; i < a->n_cand; i++)
        if (strcmp(a->cand[i].addr, c.addr) == 0 && a->cand[i].port == c.port)
            return;
    a->cand[a->n_cand++] = c;
}

/* One a= attribute line (without "a="), value after the colon; video says
 * whether it is in the video section. */
static void attribute(const char *line, lg_answer_t *a, int video)
{
    char fp[128];
    if (video && strncmp(line, "ssrc:", 5) == 0 && !a->video_ssrc)
        sscanf(line + 5, "%" SCNu32, &a->video_ssrc);
    if (strncmp(line, "ice-ufrag:", 10) == 0 && !a->ufrag[0])
        sscanf(line + 10, "%256s", a->ufrag);
    else if (strncmp(line, "ice-pwd:", 8) == 0 && !a->pwd[0])
        sscanf(line + 8, "%256s", a->pwd);
    else if (strncmp(line, "fingerprint:sha-256 ", 20) == 0 && !a->has_fingerprint &&
             sscanf(line + 20, "%127s", fp) == 1)
        a->has_fingerprint = cv_dtls_fingerprint_parse(fp, a->fingerprint, 32) == 32;
    else if (strncmp(line, "setup:passive", 13) == 0)
        a->setup_passive = 1;
    else if (strncmp(line, "candidate:", 10) == 0)
        candidate(line + 10, a);
}

int lg_sdp_answer(const char *sdp, lg_answer_t *a, const char **why)
{
    memset(a, 0, sizeof(*a));
    int video = 0;
    for (const char *p = sdp; p && *p;) {
        const char *eol = strpbrk(p, "\r\n");
        size_t n = eol ? (size_t)(eol - p) : strlen(p);
        char line[1024];
        if (n < sizeof(line) && n > 2 && p[0] == 'a' && p[1] == '=') {
            memcpy(line, p + 2, n - 2);
            line[n - 2] = 0;
            attribute(line, a, video);
        } else if (n > 2 && p[0] == 'm' && p[1] == '=') {
            video = strncmp(p, "m=video", 7) == 0;
        }
        p = eol ? eol + strspn(eol, "\r\n") : NULL;
    }
    *why = !a->ufrag[0] || !a->pwd[0] ? "answer without ICE credentials"
           : !a->has_fingerprint      ? "answer without a sha-256 fingerprint"
           : !a->setup_passive        ? "answer not setup:passive"
           : a->n_cand == 0           ? "answer without a UDP candidate"
                                      : NULL;
    return *why ? -1 : 0;
}
