/*
 * demux.h - classifies a datagram received on the single bundled UDP flow as STUN,
 * DTLS, RTP or RTCP from its first bytes (RFC 7983 §7; RTP vs RTCP by payload type
 * under rtcp-mux, RFC 5761 §4).
 *
 * Pure, any thread; reads at most the first two bytes and never past len.
 */
#ifndef CV_DEMUX_H
#define CV_DEMUX_H

#include <stddef.h>
#include <stdint.h>

enum {
    CV_DEMUX_UNKNOWN = 0, /* ZRTP, TURN channel, other ranges, or too short */
    CV_DEMUX_STUN,        /* first byte 0..3, at least 20 bytes */
    CV_DEMUX_DTLS,        /* first byte 20..63, at least 13 bytes */
    CV_DEMUX_RTP,         /* first byte 128..191, PT outside 64..95, at least 12 bytes */
    CV_DEMUX_RTCP,        /* first byte 128..191, second byte 192..223, at least 8 bytes */
};

/* Minimum lengths: the fixed header of each protocol. */
#define CV_DEMUX_MIN_STUN 20
#define CV_DEMUX_MIN_DTLS 13
#define CV_DEMUX_MIN_RTP 12
#define CV_DEMUX_MIN_RTCP 8

/* Returns one of the CV_DEMUX_* values; p may be NULL when len is 0. Never fails. */
int cv_demux(const uint8_t *p, size_t len);

#endif
