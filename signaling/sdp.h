/*
 * sdp.h - WebRTC SDP: parse a browser's (or WHIP/WHEP tool's) offer, build our answer.
 *
 * Pure functions of bytes, no sockets, no clock, no allocation: any thread (in practice
 * the HTTP thread answering POST /rooms/{room}/whip or /whep, RFC 9725).
 *
 * Implements the subset of SDP (RFC 8866) offer/answer that JSEP browsers (RFC 8829)
 * send: BUNDLE (RFC 8843), ICE attributes and candidates (RFC 8839, RFC 8445),
 * DTLS-SRTP fingerprint and setup (RFC 8122, RFC 8842), rtcp-mux (RFC 5761), RTP
 * header extensions (RFC 8285) for the audio level (RFC 6464), Opus (RFC 7587), VP8
 * (RFC 7741), H.264 with packetization-mode 1 (RFC 6184) taken when no VP8 is offered,
 * RTX (RFC 4588), rtcp-fb (RFC 4585, RFC 5104).
 *
 * The daemon is ICE-controlled (full ICE, not ice-lite), DTLS server (setup:passive),
 * non-trickle: every local candidate is in the answer, followed by end-of-candidates.
 */
#ifndef CV_SDP_H
#define CV_SDP_H

#include <stddef.h>
#include <stdint.h>

#define CV_SDP_MAX_MEDIA 8
#define CV_SDP_MAX_CAND 16
#define CV_SDP_MAX_SIZE 65536 /* largest offer accepted, bytes */
/* An answer always fits in this many bytes when n_cand <= CV_SDP_MAX_CAND, cname is at
 * most 255 characters and msid_stream at most 64 (tests/unit/test_sdp.c checks it). */
#define CV_SDP_ANSWER_CAP 16384
#define CV_SDP_SPROP_MAX 512 /* longest sprop-parameter-sets kept, with its NUL */

enum { CV_SDP_VP8 = 0, CV_SDP_H264 = 1 }; /* the video codec chosen */

enum { CV_SDP_AUDIO = 1, CV_SDP_VIDEO = 2, CV_SDP_OTHER = 3 }; /* m= kind */
/* direction of the OFFERER (a=sendrecv ...; RFC 8866 §6.7) */
enum { CV_SDP_SENDRECV = 0, CV_SDP_SENDONLY, CV_SDP_RECVONLY, CV_SDP_INACTIVE };
enum { CV_SDP_SETUP_ACTPASS = 0, CV_SDP_SETUP_ACTIVE, CV_SDP_SETUP_PASSIVE };

typedef struct {
    char foundation[33];
    int component;     /* always 1: rtcp-mux is required, other components are dropped */
    char transport[8]; /* "udp" (lower case; TCP candidates are dropped) */
    uint32_t priority;
    char addr[64]; /* IPv4, IPv6 or a hostname such as an mDNS "<uuid>.local" */
    int port;
    char type[8]; /* host|srflx|prflx|relay */
    int mline;    /* index of the m= section it came from, -1 for session level */
} cv_sdp_cand_t;

typedef struct {
    int kind;              /* CV_SDP_AUDIO / VIDEO / OTHER */
    char mid[33];          /* a=mid value, "" if none */
    int port;              /* m= port; 0 means the offerer rejected/disabled it */
    int direction;         /* CV_SDP_* of the offerer (media level, else session level) */
    int pt;                /* chosen payload type: Opus 48000/2 for audio, VP8 90000 for video,
                              the first of them in m= line order; without VP8 the first H.264
                              90000 with packetization-mode=1 and a constrained baseline,
                              baseline, main or high profile-level-id; -1 if absent */
    int codec;             /* video: CV_SDP_VP8 or CV_SDP_H264 */
    uint32_t h264_profile; /* H.264: its profile-level-id (24 bits, RFC 6184 §8.1) */
    char sprop[CV_SDP_SPROP_MAX]; /* H.264: its sprop-parameter-sets, "" if none (or too
                                     long, or not base64 and commas) */
    int rtx_pt;                   /* payload type of rtx with apt=pt, -1 if none */
    int red_pt;         /* audio: red/48000/2 whose fmtp lists only pt ("111/111"), -1 if none */
    int audio_level_id; /* extmap id (1..14) of urn:ietf:params:rtp-hdrext:ssrc-audio-level,
                           0 if none (or offered with a two-byte id, or /inactive) */
    int opus_fec;       /* useinbandfec=1 in the chosen opus fmtp */
    int twcc_id;        /* extmap id (1..14) of the transport-wide sequence number, 0 if none */
    uint32_t ssrc;      /* first a=ssrc (or 0); the first entry of a=ssrc-group:FID wins */
    uint32_t rtx_ssrc;  /* second entry of a=ssrc-group:FID, 0 if none */
    int rtcp_mux;       /* a=rtcp-mux present */
    int fb_nack, fb_pli, fb_fir, fb_remb; /* rtcp-fb offered for the chosen pt (or *) */

    /* added to the required API */
    char media[16];      /* m= media token as offered: "audio", "video", "application" ... */
    char proto[32];      /* m= proto token as offered, e.g. "UDP/TLS/RTP/SAVPF" */
    char fmt[32];        /* first m= format token, echoed when the answer rejects it */
    int bundle_only;     /* a=bundle-only: port 0 yet live when in the BUNDLE group */
    int audio_level_dir; /* offerer's direction of that extmap (CV_SDP_*), SENDRECV if none */
    int accepted;        /* the answer accepts this section: the first live (port != 0, or
                            bundle-only in the group) audio section and the first live video
                            section; every other section is answered with port 0 */
} cv_sdp_media_t;

typedef struct {
    uint64_t session_id;
    char ice_ufrag[257], ice_pwd[257]; /* session- or first media-level values (BUNDLE) */
    int ice_lite, trickle;             /* a=ice-options:trickle seen */
    uint8_t fingerprint[64];
    size_t fingerprint_len; /* sha-256 only is accepted: 32 bytes */
    int setup;              /* session- or first media-level; ACTIVE when absent (RFC 4145) */
    int bundle;             /* a=group:BUNDLE present listing all non-rejected mids */
    int n_media;
    cv_sdp_media_t media[CV_SDP_MAX_MEDIA];
    int n_cand;
    cv_sdp_cand_t cand[CV_SDP_MAX_CAND]; /* a=candidate lines, any live section, udp and
                                            component 1 only, duplicates dropped; the rest of
                                            them once the array is full */
} cv_sdp_offer_t;

/* Parses an offer. Pure; borrows sdp until return (it need not be NUL-terminated).
 * Returns 0, or CV_E_INVAL (malformed or missing required parts) / CV_E_UNSUPPORTED
 * (well-formed but not something we take: no Opus, no VP8 or H.264, not sha-256, setup:passive,
 * no rtcp-mux, no BUNDLE with two sections ...) with *reason set to a one-line English
 * reason suitable for an HTTP 400 body, e.g. "no VP8 or H.264 in video section" or
 * "line 12: malformed a=candidate". *reason is a string literal or a per-thread buffer
 * that stays valid until this thread's next call of cv_sdp_parse_offer; reason may be
 * NULL. On error *out holds partial results and must not be used. */
int cv_sdp_parse_offer(const char *sdp, size_t len, cv_sdp_offer_t *out, const char **reason);

typedef struct {
    char addr[64]; /* an IPv4 or IPv6 literal */
    int port;      /* 1..65535 */
    uint32_t priority;
    char foundation[33]; /* 1..32 ice-chars */
    int tcp;             /* 0: udp; 1: tcp with tcptype passive (ICE-TCP, RFC 6544 §4.5) */
} cv_sdp_local_cand_t;

typedef struct {
    const char *ice_ufrag, *ice_pwd; /* 4..256 and 22..256 ice-chars (RFC 8839 §5.4) */
    const uint8_t *fingerprint;
    size_t fingerprint_len;          /* our sha-256 cert fingerprint, 32 bytes */
    const cv_sdp_local_cand_t *cand; /* host candidates (udp or tcp passive, component 1) */
    int n_cand;
    uint32_t audio_ssrc, video_ssrc; /* our sending SSRCs (no a=ssrc line when 0) */
    const char *cname;               /* our CNAME, 1..255 visible ASCII characters; needed
                                        only when we send in some section */
    uint64_t session_id;             /* keep below 2^63 (RFC 8829 §5.2.1) */
    int send_audio, send_video;      /* whether WE send (video as VP8 or H.264, as chosen);
                                        see cv_sdp_answer_direction() */
    int offer_fb_remb;               /* whether to include goog-remb in rtcp-fb (if offered) */

    /* added to the required API; zero means the default */
    const char *msid_stream; /* stream id of our a=msid lines, NULL: "conclave" */
    int use_rtx;             /* answer VP8 rtx (apt) if offered; 0 for now */
    int use_red;             /* answer Opus RED (RFC 2198) if offered, listed before opus */
    int twcc_id;             /* answer transport-wide congestion control feedback in the
                                sections that offer it with this extmap id (0: none) */
    uint32_t video_rtx_ssrc; /* our rtx SSRC, with use_rtx (a=ssrc-group:FID) */
} cv_sdp_answer_params_t;

/* Direction written in our answer for a section the offerer marked offer_dir
 * (RFC 3264 §6.1): sendrecv -> sendrecv if we send, else recvonly; sendonly -> recvonly;
 * recvonly -> sendonly if we send, else inactive; inactive -> inactive. */
int cv_sdp_answer_direction(int offer_dir, int we_send);

/* Writes the answer to an offer that cv_sdp_parse_offer accepted (CRLF line endings,
 * NUL-terminated) into out, which holds cap bytes. One m= section per offered section in
 * the same order; the accepted ones (media[i].accepted) carry ICE credentials,
 * fingerprint and setup:passive each, and the first accepted one carries the candidates
 * and a=end-of-candidates. Pure. Returns the length (without the NUL), CV_E_NOSPACE
 * (out is then the empty string when cap > 0; never written past cap), or CV_E_INVAL
 * for bad params or an offer that cv_sdp_parse_offer could not have produced. */
int cv_sdp_build_answer(const cv_sdp_offer_t *offer, const cv_sdp_answer_params_t *p, char *out,
                        size_t cap);

#endif
