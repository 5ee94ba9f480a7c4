/*
 * demux.c - first-byte demultiplexing of STUN / DTLS / SRTP / SRTCP on one UDP flow
 * (RFC 7983 §7) with RTP/RTCP multiplexing (RFC 5761 §4). Pure, any thread.
 */
#include "demux.h"

int cv_demux(const uint8_t *p, size_t len)
{
    if (len == 0)
        return CV_DEMUX_UNKNOWN;
    uint8_t b = p[0];
    /* RFC 7983 §7: [0..3] STUN, [16..19] ZRTP, [20..63] DTLS, [64..79] TURN channel,
     * [128..191] RTP/RTCP; everything else is dropped. */
    if (b <= 3)
        return len >= CV_DEMUX_MIN_STUN ? CV_DEMUX_STUN : CV_DEMUX_UNKNOWN;
    if (b >= 20 && b <= 63)
        return len >= CV_DEMUX_MIN_DTLS ? CV_DEMUX_DTLS : CV_DEMUX_UNKNOWN;
    if (b < 128 || b > 191 || len < 2)
        return CV_DEMUX_UNKNOWN;
    /* RFC 5761 §4: with the marker bit masked off, RTCP packet types 192..223 show up
     * as payload types 64..95, which RTP sessions must therefore not use. */
    uint8_t pt = p[1] & 0x7f;
    if (pt >= 64 && pt <= 95)
        return len >= CV_DEMUX_MIN_RTCP ? CV_DEMUX_RTCP : CV_DEMUX_UNKNOWN;
    return len >= CV_DEMUX_MIN_RTP ? CV_DEMUX_RTP : CV_DEMUX_UNKNOWN;
}
