/*
 * vp8.h - VP8 RTP payload format (RFC 7741): payload descriptor parsing, key frame
 * detection (RFC 6386 §9.1), a depacketizer that assembles frames from RTP payloads and
 * a packetizer that splits encoded frames into RTP payloads.
 *
 * Pure code: no sockets, clock or threads. A depacketizer belongs to the thread that owns
 * its incoming stream (the network thread of the peer); a packetizer to whoever holds
 * the encoded frame. Packets are fed in after SRTP, RTP header parsing and reordering:
 * the functions here see only the RTP payload (without RTP padding) and the header
 * fields they need.
 */
#ifndef CV_VP8_H
#define CV_VP8_H

#include <stddef.h>
#include <stdint.h>

/* Size of the descriptor the packetizer writes: X=1, I=1, 15-bit picture id. */
#define CV_VP8_PACK_DESC_LEN 4
/* The packetizer never writes more than this many bytes per payload (UDP limit). */
#define CV_VP8_MAX_PAYLOAD 65535

/* Payload descriptor (RFC 7741 §4.2). Fields of absent parts are 0. */
typedef struct {
    int x, n, s, pid; /* X, N, S bits, partition index (0..7) */
    int has_picture_id;
    int picture_id;
    int picture_id_bits; /* 7 or 15 (M bit), 0 when absent */
    int has_tl0picidx;
    int tl0picidx;
    int has_tid; /* T bit: tid and y are valid */
    int tid;
    int y;
    int has_keyidx; /* K bit: keyidx is valid */
    int keyidx;
    size_t desc_len; /* bytes of descriptor */
} cv_vp8_desc_t;

/* Parses the descriptor at the start of an RTP payload. Reserved bits are ignored
 * (RFC 7741 §4.2: receivers MUST ignore them). Never reads past len.
 * Returns desc_len (>= 1, <= len; may equal len: no VP8 data follows), or CV_E_SHORT when
 * the descriptor is truncated, CV_E_INVAL for NULL arguments. */
int cv_vp8_parse_desc(const uint8_t *p, size_t len, cv_vp8_desc_t *d);

/* Looks at the VP8 payload after the descriptor of a packet with S=1 and PID=0 (the start
 * of a frame). The payload header's P bit (RFC 7741 §4.3; the frame tag's key_frame bit of
 * RFC 6386 §9.1) is 0 for a key frame. A key frame must carry the start code 9d 01 2a and a
 * non-zero 14-bit width and height (RFC 6386 §9.1); these are stored in *width / *height
 * (either may be NULL; both are set to 0 for an inter frame or an error).
 * Returns 1 for a key frame, 0 for an inter frame, CV_E_SHORT when len is 0 or a key frame
 * is shorter than its 10-byte header, CV_E_INVAL for a bad start code or zero size. */
int cv_vp8_is_keyframe(const uint8_t *vp8_payload, size_t len, int *width, int *height);

/* Depacketizer. Feed packets in sequence order (extended sequence numbers from the
 * caller's unwrapper, e.g. the output of the jitter buffer). A frame is assembled from the
 * packet with S=1 and PID=0 up to the packet with the RTP marker bit; its packets must
 * have consecutive sequence numbers and one RTP timestamp.
 *
 * need_keyframe is 1 after init (a decoder must start with a key frame) and after any loss
 * that breaks the reference chain: then non-key frames are dropped (counted) until a
 * complete key frame arrives. The caller sends PLI while it is set (rate-limited by the
 * caller). A gap does not set it when the picture ids and N bits around it prove that only
 * non-reference frames (N=1, RFC 7741 §4.2) or no media at all (e.g. padding) were lost. */
#define CV_VP8_DEPACK_START                                                                        \
    65536 /* the frame buffer at the first frame: a key frame of 640x480 fits */

typedef struct {
    uint8_t *buf; /* frame being assembled (heap, cap bytes, grown up to max; NULL before one) */
    size_t cap, len, max;
    uint64_t next_seq; /* extended seq expected next (valid when started) */
    int in_frame;      /* assembling a frame whose start we have */
    uint32_t ts;       /* RTP timestamp of that frame */
    int need_keyframe;
    /* counters */
    uint64_t frames;          /* complete frames returned */
    uint64_t keyframes;       /* of which key frames */
    uint64_t gaps;            /* sequence gaps seen */
    uint64_t dropped_packets; /* duplicates, old packets, packets of frames not returned */
    uint64_t bad_packets;     /* malformed payloads (push returned CV_E_*) */
    uint64_t dropped_frames;  /* partial, oversized, or waiting for a key frame */
    uint64_t oversize;        /* frames larger than cap */
    /* internal state */
    int started;  /* a packet has been accepted, next_seq is valid */
    int keyframe; /* current frame is a key frame */
    int width, height, picture_id, non_ref;
    uint64_t pkts;                                    /* packets in the current frame */
    int last_marker, last_n, last_pic, last_pic_bits; /* last accepted packet; pic -1: none */
} cv_vp8_depack_t;

/* A complete frame. data is borrowed from the depacketizer until the next push. width and
 * height are those of a key frame, 0 for an inter frame. picture_id is -1 when absent. */
typedef struct {
    const uint8_t *data;
    size_t len;
    uint32_t ts;
    int keyframe;
    int width, height;
    int picture_id;
} cv_vp8_frame_t;

/* An empty depacketiser: its frame buffer is allocated at the first frame,
 * CV_VP8_DEPACK_START bytes, grown as frames need up to max_frame (e.g. 1 MiB);
 * aborts on OOM. */
void cv_vp8_depack_init(cv_vp8_depack_t *d, size_t max_frame);
/* Frees the buffer. Safe on a zeroed or already cleaned-up struct. */
void cv_vp8_depack_cleanup(cv_vp8_depack_t *d);
/* Forgets the sequence state and any partial frame and sets need_keyframe, e.g. when the
 * caller stopped feeding packets for a while (video not visible) or the SSRC changed.
 * Counters are kept; the frame buffer is freed (made again as the next frame needs it). */
void cv_vp8_depack_reset(cv_vp8_depack_t *d);

/* Feeds one packet: payload is the RTP payload (descriptor + VP8 data) without RTP padding.
 * An empty payload (a padding-only packet) only advances the expected sequence number.
 * Returns 1 when *out holds a complete frame, 0 when no frame completed (also for a
 * duplicate or old packet, counted), or for a malformed packet (counted in bad_packets,
 * state otherwise unchanged, so its sequence number counts as lost) CV_E_SHORT or
 * CV_E_INVAL. After a gap the partial frame is dropped. A frame larger than max is dropped
 * (counted) and need_keyframe set. */
int cv_vp8_depack_push(cv_vp8_depack_t *d, uint64_t ext_seq, uint32_t ts, int marker,
                       const uint8_t *payload, size_t len, cv_vp8_frame_t *out);

/* Packetizer: splits one encoded frame into RTP payloads of descriptor + data, with X=1,
 * I=1 and a 15-bit picture id (M=1), S=1 on the first packet only, PID=0, and N=1 when
 * non_ref is set (else N=0). The frame is borrowed until the last pack_next. */
typedef struct {
    const uint8_t *frame;
    size_t len, off;
    uint16_t picture_id; /* 15 bits */
    int first;
    int non_ref;
} cv_vp8_pack_t;

/* picture_id is taken modulo 2^15, so a caller's counter that passes 32767 goes on at 0. */
void cv_vp8_pack_init(cv_vp8_pack_t *pk, const uint8_t *frame, size_t len, uint16_t picture_id,
                      int non_ref);
/* Writes the next payload into out: at most max_payload bytes (capped at CV_VP8_MAX_PAYLOAD)
 * including the 4-byte descriptor. Data is spread evenly: all packets of a frame differ in
 * size by at most one byte, larger ones first. A key frame's first packet must hold its
 * 10-byte header for receivers (ours included) to accept it, so use max_payload >= 24.
 * Returns the bytes written, 0 when the frame is done (at once for an empty frame),
 * CV_E_INVAL when max_payload <= 4 or an argument is NULL, CV_E_NOSPACE when cap is too
 * small for the payload. *marker is set to 1 on the last packet, else 0. */
int cv_vp8_pack_next(cv_vp8_pack_t *pk, uint8_t *out, size_t cap, size_t max_payload, int *marker);

/* Rewrites the picture id of an already-built payload in place (15-bit form), for fanning
 * the same encoded packets out to receivers with their own picture-id spaces.
 * Returns 0, an error of cv_vp8_parse_desc, or CV_E_UNSUPPORTED when the payload has no
 * picture id or only a 7-bit one (it cannot grow in place). */
int cv_vp8_rewrite_picture_id(uint8_t *payload, size_t len, uint16_t picture_id);

#endif
