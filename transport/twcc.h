/*
 * twcc.h - transport-wide congestion control feedback, the receiver's side
 * (draft-holmer-rmcat-transport-wide-cc-extensions-01): a sender numbers every
 * packet of a transport in a header extension; the receiver reports when each
 * arrived (or that it did not) in RTCP transport feedback (RTPFB, FMT 15), and
 * the sender's own estimator (a browser's) adapts its rate to the link.
 *
 * The recorder keeps the arrival times of the last CV_TWCC_SLOTS numbers;
 * cv_twcc_build reports everything new since the last feedback. The parser is
 * for tests, fuzzing and senders.
 *
 * Pure: time comes in as now_us. One owner thread (the session's core).
 */
#ifndef CV_TWCC_H
#define CV_TWCC_H

#include "seq.h"

#include <stddef.h>
#include <stdint.h>

#define CV_TWCC_URI "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01"
#define CV_TWCC_SLOTS 1024     /* arrival times kept */
#define CV_TWCC_MAX_REPORT 512 /* packets one feedback reports at most */
#define CV_TWCC_DELTA_US 250   /* the unit of receive deltas */

typedef struct {
    cv_seq_unwrap_t unwrap;
    int64_t arrival_us[CV_TWCC_SLOTS]; /* by extended seq % slots; -1: not received */
    uint64_t seq_of[CV_TWCC_SLOTS];
    int started;
    uint64_t next;    /* the first number not yet reported */
    uint64_t highest; /* the highest number received */
    uint8_t fb_count; /* feedback packets built, modulo 256 */
    uint64_t received, late;
} cv_twcc_rx_t;

void cv_twcc_rx_init(cv_twcc_rx_t *r);
/* The packet numbered seq (the extension's 16 bits) arrived at now_us. */
void cv_twcc_rx_on_packet(cv_twcc_rx_t *r, uint16_t seq, int64_t now_us);
/* Whether a packet arrived that no feedback has reported yet. */
int cv_twcc_rx_pending(const cv_twcc_rx_t *r);
/* Writes one transport feedback packet for what arrived since the last one
 * (at most CV_TWCC_MAX_REPORT numbers; call again while pending). Returns its
 * length, 0 when there is nothing to report, CV_E_NOSPACE. */
int cv_twcc_build(cv_twcc_rx_t *r, uint8_t *out, size_t cap, uint32_t sender_ssrc,
                  uint32_t media_ssrc);

/* One parsed feedback: for packet base_seq + i, received[i] and, when
 * received, its arrival time in microseconds from reference_time x 64 ms. */
typedef struct {
    uint32_t sender_ssrc, media_ssrc;
    uint16_t base_seq;
    int count;         /* packet status count */
    int32_t reference; /* 24-bit signed, units of 64 ms */
    uint8_t fb_count;
    uint8_t received[CV_TWCC_MAX_REPORT];
    int64_t arrival_us[CV_TWCC_MAX_REPORT];
} cv_twcc_fb_t;

/* Parses one RTCP transport feedback packet (header included). Returns 0,
 * CV_E_SHORT, CV_E_INVAL (not RTPFB/15, a reserved symbol, chunks or deltas
 * that do not match the count) or CV_E_UNSUPPORTED (more than
 * CV_TWCC_MAX_REPORT packets). */
int cv_twcc_parse(const uint8_t *p, size_t len, cv_twcc_fb_t *fb);

#endif
