/*
 * sdp_int.h - what SDP offer parsing (sdp.c) and answer building (sdp_answer.c)
 * share: a few constants and the character classes of the SDP grammar. Private
 * to signaling/sdp*.c; pure.
 */
#ifndef CV_SDP_INT_H
#define CV_SDP_INT_H

#define AUDIO_LEVEL_URI "urn:ietf:params:rtp-hdrext:ssrc-audio-level"
#define N_PT 128 /* RTP payload types: 7 bits (RFC 3551 §3) */
#define SAVPF "UDP/TLS/RTP/SAVPF"

static inline int is_alnum(unsigned char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* RFC 8839 §5.1 ice-char */
static inline int ice_char(unsigned char c)
{
    return is_alnum(c) || c == '+' || c == '/';
}

/* RFC 8866 §9 token-char */
static inline int token_char(unsigned char c)
{
    return c == 0x21 || (c >= 0x23 && c <= 0x27) || c == 0x2a || c == 0x2b || c == 0x2d ||
           c == 0x2e || is_alnum(c) || (c >= 0x5e && c <= 0x7e);
}

/* proto = token *("/" token) */
static inline int proto_char(unsigned char c)
{
    return token_char(c) || c == '/';
}

#endif
