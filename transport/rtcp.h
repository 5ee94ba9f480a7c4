/*
 * rtcp.h - RTCP parsing and building: SR/RR report blocks (RFC 3550 §6.4), SDES
 * CNAME (§6.5), BYE (§6.6), generic NACK and PLI (RFC 4585 §6.2.1, §6.3.1), FIR
 * (RFC 5104 §4.3.1), REMB (draft-alvestrand-rmcat-remb-03 §2.2); compound and
 * reduced-size (RFC 5506) packets; NTP timestamp helpers.
 *
 * Pure, any thread: no state, no clock; time comes in as an argument.
 * Receiver statistics that feed report blocks are in rxstats.h.
 */
#ifndef CV_RTCP_H
#define CV_RTCP_H

#include <stddef.h>
#include <stdint.h>

#define CV_RTCP_MAX_RB 31 /* 5-bit RC field */
#define CV_RTCP_MAX_NACK 16
#define CV_RTCP_MAX_REMB_SSRC 8

/* RTCP packet types (RFC 3550 §12.1, RFC 4585 §6.1) */
#define CV_RTCP_PT_SR 200
#define CV_RTCP_PT_RR 201
#define CV_RTCP_PT_SDES 202
#define CV_RTCP_PT_BYE 203
#define CV_RTCP_PT_APP 204
#define CV_RTCP_PT_RTPFB 205
#define CV_RTCP_PT_PSFB 206

/* One report block (RFC 3550 §6.4.1). */
typedef struct {
    uint32_t ssrc;         /* source this block reports on */
    uint8_t fraction_lost; /* lost / expected since the last report, x 256 */
    int32_t cum_lost;      /* 24-bit signed on the wire; builders clamp */
    uint32_t ext_high_seq; /* cycles << 16 | highest seq */
    uint32_t jitter;       /* interarrival jitter, RTP timestamp units */
    uint32_t lsr;          /* middle 32 bits of the last SR's NTP time, 0 if none */
    uint32_t dlsr;         /* delay since that SR, 1/65536 s */
} cv_rtcp_rb_t;

/* Sender info of an SR (RFC 3550 §6.4.1). */
typedef struct {
    uint32_t ssrc;
    uint64_t ntp; /* 32.32 fixed point seconds since 1900 */
    uint32_t rtp_ts;
    uint32_t packets;
    uint32_t octets;
} cv_rtcp_sr_t;

enum {
    CV_RTCP_SR = 1,
    CV_RTCP_RR,
    CV_RTCP_SDES,
    CV_RTCP_BYE,
    CV_RTCP_PLI,
    CV_RTCP_FIR,
    CV_RTCP_NACK,
    CV_RTCP_REMB,
    CV_RTCP_OTHER, /* APP, XR, transport-cc, other feedback: skipped */
};

/* One sub-packet of a compound packet. Fields not listed for a type are zero.
 *   SR    sender_ssrc, sr, n_rb/rb
 *   RR    sender_ssrc, n_rb/rb
 *   SDES  sender_ssrc = SSRC of the first chunk (if any); items not parsed
 *   BYE   sender_ssrc = first SSRC listed (if any)
 *   PLI   sender_ssrc, media_ssrc
 *   FIR   sender_ssrc, media_ssrc and fir_seq from the first FCI entry (the header's
 *         media SSRC is unused by RFC 5104 §4.3.1.1)
 *   NACK  sender_ssrc, media_ssrc, n_nack/nack_pid/nack_blp (first 16 FCI entries)
 *   REMB  sender_ssrc, remb_bps (UINT64_MAX if it does not fit), n_remb_ssrc/remb_ssrc
 *         (first 8 SSRCs)
 *   OTHER sender_ssrc and media_ssrc if the packet is long enough */
typedef struct {
    int type;    /* CV_RTCP_* */
    int rtcp_pt; /* packet type byte, 192..255 */
    int fmt;     /* count / FMT field, 0..31 */
    uint32_t sender_ssrc;
    uint32_t media_ssrc;
    cv_rtcp_sr_t sr;
    int n_rb;
    cv_rtcp_rb_t rb[CV_RTCP_MAX_RB];
    int n_nack;
    uint16_t nack_pid[CV_RTCP_MAX_NACK], nack_blp[CV_RTCP_MAX_NACK];
    uint8_t fir_seq;
    uint64_t remb_bps;
    int n_remb_ssrc;
    uint32_t remb_ssrc[CV_RTCP_MAX_REMB_SSRC];
} cv_rtcp_item_t;

/* Parses a compound (or RFC 5506 reduced-size) RTCP packet, already SRTCP-unprotected,
 * into items[0 .. max-1]; sub-packets past max are still checked but not stored.
 * items may be NULL if max is 0. Returns the number of items stored (<= max) or
 *   CV_E_SHORT  empty, a header cut short, or a length field past the end;
 *   CV_E_INVAL  version != 2, bad padding, a body too short for its own counts, a
 *               NACK/FIR without FCI or with a partial entry, max < 0.
 * One malformed sub-packet fails the whole packet (its length may be wrong, so what
 * follows cannot be trusted). */
int cv_rtcp_parse(const uint8_t *p, size_t len, cv_rtcp_item_t *items, int max);

/* Expands one NACK FCI entry: pid, then pid + i + 1 for each bit i of blp (mod 2^16,
 * so 65535 is followed by 0). Writes at most max values; returns how many. */
int cv_rtcp_nack_seqs(uint16_t pid, uint16_t blp, uint16_t *out, int max);

/* Builders: each writes one RTCP packet into out (cap bytes) and returns its length
 * (a multiple of 4), or CV_E_NOSPACE, or CV_E_INVAL for a bad argument. Append
 * several into one buffer to make a compound packet (SR or RR first, then SDES). */

/* SR with n_rb (0..31) report blocks. */
int cv_rtcp_build_sr(uint8_t *out, size_t cap, const cv_rtcp_sr_t *sr, const cv_rtcp_rb_t *rb,
                     int n_rb);
/* RR from ssrc with n_rb (0..31) report blocks. */
int cv_rtcp_build_rr(uint8_t *out, size_t cap, uint32_t ssrc, const cv_rtcp_rb_t *rb, int n_rb);
/* SDES with one chunk holding one CNAME item (cname: 0..255 bytes, NUL-terminated). */
int cv_rtcp_build_sdes_cname(uint8_t *out, size_t cap, uint32_t ssrc, const char *cname);
/* Picture Loss Indication, 12 bytes. */
int cv_rtcp_build_pli(uint8_t *out, size_t cap, uint32_t sender_ssrc, uint32_t media_ssrc);
/* Full Intra Request with one FCI entry for media_ssrc, 20 bytes. */
int cv_rtcp_build_fir(uint8_t *out, size_t cap, uint32_t sender_ssrc, uint32_t media_ssrc,
                      uint8_t seq_nr);
/* Generic NACK for the n (>= 1) sequence numbers in lost, packed into pid/blp pairs.
 * Packs best when lost is in ascending serial order; any order is still correct. */
int cv_rtcp_build_nack(uint8_t *out, size_t cap, uint32_t sender_ssrc, uint32_t media_ssrc,
                       const uint16_t *lost, int n);
/* REMB of bps for the n (0..255) SSRCs; bps is rounded down to 18-bit mantissa x 2^exp. */
int cv_rtcp_build_remb(uint8_t *out, size_t cap, uint32_t sender_ssrc, uint64_t bps,
                       const uint32_t *ssrcs, int n);
/* BYE for one SSRC, no reason. */
int cv_rtcp_build_bye(uint8_t *out, size_t cap, uint32_t ssrc);

/* Microseconds since the Unix epoch -> 64-bit NTP timestamp (seconds since 1900 in the
 * high 32 bits, modulo 2^32; binary fraction in the low 32). */
uint64_t cv_ntp_from_unix_us(int64_t us);
/* The middle 32 bits, as used by LSR (RFC 3550 §6.4.1). */
static inline uint32_t cv_ntp_mid32(uint64_t ntp)
{
    return (uint32_t)(ntp >> 16);
}

#endif
