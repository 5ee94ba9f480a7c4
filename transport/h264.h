/*
 * h264.h - H.264 RTP payload format (RFC 6184), packetization-mode 1 as WebRTC
 * browsers, OBS and GStreamer send it: single NAL unit packets, STAP-A
 * aggregation (§5.7.1) and FU-A fragments (§5.8). A depacketizer assembles the
 * packets of one access unit (one RTP timestamp, ended by the marker bit,
 * §5.1) into an Annex-B byte stream (ITU-T H.264 Annex B: every NAL unit after
 * a 00 00 00 01 start code) for a decoder.
 *
 * Pure code: no sockets, clock or threads; input is hostile and every read is
 * bounds-checked. A depacketizer belongs to the thread that owns its incoming
 * stream (the network thread of the peer). Packets are fed in after SRTP, RTP
 * header parsing and reordering: only the RTP payload (without padding) and the
 * header fields needed.
 */
#ifndef CV_H264_H
#define CV_H264_H

#include <stddef.h>
#include <stdint.h>

/* NAL unit types (H.264 Table 7-1, RFC 6184 Table 3) */
enum {
    CV_H264_NAL_SLICE = 1,
    CV_H264_NAL_IDR = 5,
    CV_H264_NAL_SEI = 6,
    CV_H264_NAL_SPS = 7,
    CV_H264_NAL_PPS = 8,
    CV_H264_NAL_AUD = 9,
    CV_H264_STAP_A = 24,
    CV_H264_FU_A = 28,
};

/* Largest SPS or PPS kept for access units that lack them in band. */
#define CV_H264_PARAM_MAX 256
/* Longest sprop-parameter-sets value taken from an offer (RFC 6184 §8.1). */
#define CV_H264_SPROP_MAX 512

/* Depacketizer. Feed packets in sequence order (extended sequence numbers,
 * e.g. from the jitter buffer). An access unit is the run of packets with
 * consecutive sequence numbers and one timestamp that ends with the marker bit.
 *
 * need_keyframe is 1 after init and after any loss: then access units without
 * an IDR picture are dropped (counted) until a complete one arrives whose
 * sequence and picture parameter sets are known (in the same access unit,
 * from an earlier one, or out of band from sprop-parameter-sets). An IDR
 * access unit that lacks them in band gets the latest ones put in front, so a
 * decoder started on it has what it needs. The caller sends PLI while it is
 * set (rate-limited by the caller). */
#define CV_H264_DEPACK_START 65536 /* the buffer at the first access unit, doubled as needed */

typedef struct {
    uint8_t *buf; /* access unit being assembled, Annex-B (heap, cap bytes; NULL before one) */
    size_t cap, len, max;
    uint64_t next_seq; /* extended seq expected next (valid when started) */
    int started;       /* a packet has been accepted */
    int in_frame;      /* assembling an access unit */
    uint32_t ts;       /* its RTP timestamp */
    int need_keyframe;
    /* counters */
    uint64_t frames, keyframes, gaps;
    uint64_t dropped_packets; /* duplicates, old, or of access units not returned */
    uint64_t bad_packets;     /* malformed payloads (push returned CV_E_*) */
    uint64_t dropped_frames;  /* partial, oversized, or waiting for a key frame */
    uint64_t oversize;        /* access units larger than cap */
    uint64_t no_params;       /* IDR access units dropped: no SPS or PPS known */
    /* internal state */
    int in_fu;     /* a FU-A fragmented NAL unit is open */
    size_t fu_off; /* where its start code begins in buf */
    int has_idr;   /* of the current access unit */
    int has_sps, has_pps;
    int after_marker; /* the last accepted packet ended an access unit */
    uint32_t last_ts; /* and its timestamp */
    uint64_t pkts;    /* packets in the current access unit */
    uint8_t sps[CV_H264_PARAM_MAX], pps[CV_H264_PARAM_MAX];
    size_t sps_len, pps_len; /* the latest parameter sets seen, 0: none */
} cv_h264_depack_t;

/* A complete access unit in Annex-B form. data is borrowed from the depacketizer
 * until the next push. keyframe: it holds an IDR picture and the parameter sets. */
typedef struct {
    const uint8_t *data;
    size_t len;
    uint32_t ts;
    int keyframe;
} cv_h264_frame_t;

/* An empty depacketiser: its buffer is allocated at the first access unit,
 * CV_H264_DEPACK_START bytes, grown as units need up to max_frame (a larger
 * one is dropped and counted in oversize); aborts on OOM. */
void cv_h264_depack_init(cv_h264_depack_t *d, size_t max_frame);
/* Frees the buffer. Safe on a zeroed or already cleaned-up struct. */
void cv_h264_depack_cleanup(cv_h264_depack_t *d);
/* Forgets the sequence state and any partial access unit and sets need_keyframe;
 * the parameter sets and counters are kept, the buffer freed (made again as
 * the next unit needs it). */
void cv_h264_depack_reset(cv_h264_depack_t *d);

/* Takes the parameter sets of an offer's sprop-parameter-sets (RFC 6184 §8.1: a
 * comma-separated list of base64 NAL units; len bytes, not NUL-terminated).
 * Returns how many SPS and PPS were kept, or CV_E_INVAL for bad base64 or a NAL
 * unit that is not an SPS or PPS (then nothing is kept from it). */
int cv_h264_depack_set_sprop(cv_h264_depack_t *d, const char *sprop, size_t len);

/* Feeds one packet: payload is the RTP payload without RTP padding. An empty
 * payload (padding only) only advances the expected sequence number.
 * Returns 1 when *out holds a complete access unit, 0 when none completed (also
 * for a duplicate or old packet, counted), or for a malformed packet (counted
 * in bad_packets; nothing of it is used, so its sequence number counts as lost)
 * CV_E_SHORT or CV_E_INVAL: a forbidden bit set, a type packetization-mode 1
 * does not allow (STAP-B, MTAPs, FU-B, 0, 30, 31), a STAP-A whose lengths do not
 * add up or hold an empty or non-plain NAL unit, a FU-A with both start and end
 * bits or no data. After a gap the partial access unit is dropped. */
int cv_h264_depack_push(cv_h264_depack_t *d, uint64_t ext_seq, uint32_t ts, int marker,
                        const uint8_t *payload, size_t len, cv_h264_frame_t *out);

/* Packetizer (RFC 6184 §6.3, packetization-mode 1) of one Annex-B access unit
 * as an encoder made it: each NAL unit that fits max_payload goes whole in a
 * single NAL unit packet (§5.6), a larger one in FU-A fragments (§5.8); NAL
 * units keep the encoder's order, so the SPS and PPS it puts before an IDR go
 * first, each in a packet of its own. The marker bit is set on the access
 * unit's last packet (§5.1). Borrows the access unit until the last packet. */
typedef struct {
    const uint8_t *au;
    size_t len;
    size_t next, next_len; /* the NAL unit after the current one (next_len 0: none) */
    size_t scan;           /* where the search for the one after that resumes */
    size_t cur, cur_len;   /* the NAL unit being sent (cur_len 0: none) */
    size_t cur_off;        /* bytes of it sent so far (FU-A), 0: not started */
} cv_h264_pack_t;

/* Starts on an access unit of len bytes (Annex-B, 3- or 4-byte start codes). */
void cv_h264_pack_init(cv_h264_pack_t *pk, const uint8_t *au, size_t len);
/* Writes the next RTP payload (at most max_payload bytes, into out of cap
 * bytes) and sets *marker on the access unit's last one. Returns its length,
 * 0 when the access unit is done (or held no NAL unit), CV_E_INVAL when
 * max_payload is below 3 (no FU-A fits), CV_E_NOSPACE when cap is too small
 * for the payload (the packetizer is left where it was). */
int cv_h264_pack_next(cv_h264_pack_t *pk, uint8_t *out, size_t cap, size_t max_payload,
                      int *marker);

#endif
