/*
 * rxstats.h - receiver statistics of one incoming RTP source, turned into the report
 * blocks of RR/SR packets: packets expected and lost (RFC 3550 §A.3), interarrival
 * jitter (§A.8), and LSR/DLSR for round-trip time (§6.4.1).
 *
 * Pure: time comes in as now_us (any monotonic microsecond clock, the same one for
 * every call). Owned by the thread that receives the source's packets (the network
 * thread of its peer). Zero-initialised is a valid empty state.
 */
#ifndef CV_RXSTATS_H
#define CV_RXSTATS_H

#include "rtcp.h"
#include "seq.h"

#include <stdint.h>

typedef struct {
    cv_seq_unwrap_t unwrap;
    int init;                /* a packet was seen */
    uint64_t base_seq;       /* lowest extended seq seen (RFC 3550 §A.1 base_seq) */
    uint64_t max_seq;        /* highest extended seq seen */
    uint64_t received;       /* packets, duplicates included (as in §A.3) */
    uint64_t expected_prior; /* at the last report */
    uint64_t received_prior;
    int have_transit;
    uint32_t last_transit; /* arrival - rtp_ts of the previous packet, RTP units mod 2^32 */
    uint32_t jitter_q4;    /* jitter x 16 (§A.8 fixed-point form) */
    int have_sr;
    uint32_t lsr;     /* middle 32 bits of the last SR's NTP timestamp */
    int64_t sr_at_us; /* when that SR arrived */
} cv_rtp_rxstats_t;

/* Accounts one received packet: seq and rtp_ts from its header, clock_rate of its
 * payload type (Hz; 0 skips jitter), now_us its arrival time. Late and duplicate
 * packets are counted as RFC 3550 §A.3 does (duplicates can make the loss negative);
 * before the first report, a packet at most 100 older than the first one seen lowers
 * the base. There is no §A.1 probation: a jump forward of up to 32767 counts the gap
 * as lost. */
void cv_rxstats_update(cv_rtp_rxstats_t *s, uint16_t seq, uint32_t rtp_ts, uint32_t clock_rate,
                       int64_t now_us);

/* Records an SR from this source: ntp is its NTP timestamp, now_us its arrival. */
void cv_rxstats_on_sr(cv_rtp_rxstats_t *s, uint64_t ntp, int64_t now_us);

/* Fills rb for ssrc: fraction lost since the previous call, cumulative lost (clamped
 * to 24-bit signed), extended highest seq (cycles counted from the first packet),
 * jitter in RTP units, LSR and DLSR (1/65536 s; both 0 before any SR). Starts a new
 * reporting interval. With no packet seen, all but ssrc are 0. */
void cv_rxstats_report(cv_rtp_rxstats_t *s, uint32_t ssrc, int64_t now_us, cv_rtcp_rb_t *rb);

#endif
