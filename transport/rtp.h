/*
 * rtp.h - RTP fixed-header parsing and writing (RFC 3550 §5.1), header extensions in
 * the one-byte and two-byte forms (RFC 8285 §4.2, §4.3) and the client-to-mixer
 * audio level extension (RFC 6464).
 *
 * Pure, any thread: functions work on caller-owned bytes and keep no state.
 * A parsed header borrows the packet: its pointers are valid while the packet is.
 */
#ifndef CV_RTP_H
#define CV_RTP_H

#include <stddef.h>
#include <stdint.h>

#define CV_RTP_HDR_LEN 12            /* fixed header without CSRCs */
#define CV_RTP_MAX_CSRC 15           /* 4-bit CC field */
#define CV_RTP_EXT_ONE_BYTE 0xBEDE   /* RFC 8285 §4.2 "defined by profile" value */
#define CV_RTP_EXT_TWO_BYTE 0x1000   /* RFC 8285 §4.3: 0x100 plus 4 appbits */
#define CV_RTP_AUDIO_LEVEL_EXT_LEN 8 /* 4-byte ext header + 1 element + padding */

typedef struct {
    int marker;
    int pt; /* 0..127 */
    uint16_t seq;
    uint32_t ts;
    uint32_t ssrc;
    int csrc_count;
    uint32_t csrc[CV_RTP_MAX_CSRC];
    int has_ext;
    uint16_t ext_profile; /* 0xBEDE, 0x100X, or anything a profile defines */
    const uint8_t *ext;   /* points into the packet, after the 4-byte extension header */
    size_t ext_len;       /* bytes at ext (4 x the length field) */
    const uint8_t *payload;
    size_t payload_len; /* padding removed */
    size_t header_len;  /* 12 + 4 x CC + (4 + ext_len if has_ext) */
    size_t pad_len;     /* 0, or the last octet when the P bit is set */
} cv_rtp_hdr_t;

/* Parses one RTP packet (already SRTP-unprotected). On success returns 0 and
 * header_len + payload_len + pad_len == len. Returns
 *   CV_E_SHORT  shorter than 12 bytes, or CSRCs / extension past the end;
 *   CV_E_INVAL  version != 2, P set with a padding count of 0 or larger than
 *               what follows the header.
 * h is written only partly on error. */
int cv_rtp_parse(const uint8_t *p, size_t len, cv_rtp_hdr_t *h);

/* Finds RFC 8285 element id in the header extension of h: ids 1..14 in the one-byte
 * form (profile 0xBEDE), 1..255 in the two-byte form (profile 0x100X). Returns the
 * element's length (>= 1 one-byte, >= 0 two-byte) and sets *data into the packet, or
 *   CV_E_NOTFOUND  no extension, another profile, or no such element;
 *   CV_E_INVAL     id outside 1..255, or an element runs past the extension.
 * A one-byte element with id 15 ends the scan (RFC 8285 §4.2). */
int cv_rtp_find_ext(const cv_rtp_hdr_t *h, int id, const uint8_t **data);

/* RFC 6464 §3: reads the audio level element id. Returns 0 and sets *vad (0/1) and
 * *level (0..127, in -dBov: 0 loudest, 127 silence), or an error of cv_rtp_find_ext,
 * or CV_E_INVAL if the element is empty. */
int cv_rtp_audio_level(const cv_rtp_hdr_t *h, int id, int *vad, int *level);

typedef struct {
    int marker;
    int pt; /* 0..127 */
    uint16_t seq;
    uint32_t ts;
    uint32_t ssrc;
    int audio_level_id; /* 1..14: add a one-byte audio level extension; 0: none */
    int vad;            /* non-zero: voice activity */
    int level;          /* 0..127 -dBov, clamped */
} cv_rtp_out_t;

/* Writes a 12-byte header, plus an 8-byte one-byte-form extension holding the audio
 * level when audio_level_id > 0, into out (cap bytes). No CSRCs, no padding.
 * Returns the header length (12 or 20), CV_E_NOSPACE, or CV_E_INVAL (pt outside
 * 0..127, audio_level_id outside 0..14). */
int cv_rtp_write_header(uint8_t *out, size_t cap, const cv_rtp_out_t *o);

/* Adds a one-byte-form extension (RFC 8285 §4.2) holding element id (1..14)
 * with the 16-bit value to the packet of len bytes at pkt (cap bytes of room),
 * which has no extension yet: the payload moves 8 bytes on, X is set. Returns
 * the new length, CV_E_NOSPACE, CV_E_INVAL (id, or not an RTP packet) or
 * CV_E_UNSUPPORTED (the packet already has an extension). */
int cv_rtp_add_ext16(uint8_t *pkt, size_t len, size_t cap, int id, uint16_t value);

#endif
