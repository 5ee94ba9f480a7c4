/*
 * red.h - the RTP payload for redundant audio data (RFC 2198), as WebRTC uses
 * it for Opus: each packet carries up to a few earlier frames before its own.
 *
 * Payload layout: one 4-byte header per redundant block (F=1, block payload
 * type, 14-bit timestamp offset back from the packet's timestamp, 10-bit
 * length), then a 1-byte header for the primary block (F=0, payload type),
 * then the redundant blocks' data oldest first, then the primary's data.
 *
 * Pure, any thread: no state, no allocation; blocks point into the payload.
 */
#ifndef CV_RED_H
#define CV_RED_H

#include <stddef.h>
#include <stdint.h>

#define CV_RED_MAX_BLOCKS 8        /* redundant blocks read from one packet (more: refused) */
#define CV_RED_MAX_TS_OFFSET 16383 /* 14 bits */
#define CV_RED_MAX_BLOCK_LEN 1023  /* 10 bits */

typedef struct {
    int pt;             /* the block's payload type */
    uint32_t ts_offset; /* how far back from the packet's timestamp; 0 for the primary */
    const uint8_t *data;
    size_t len;
} cv_red_block_t;

/* Parses a RED payload into its redundant blocks (oldest first, at most max)
 * and the primary (the last one written, blocks[n-1], ts_offset 0). Returns
 * the number of blocks including the primary (>= 1), or CV_E_SHORT (a header
 * or a block's data cut short, an empty payload), CV_E_INVAL (more than
 * CV_RED_MAX_BLOCKS redundant headers, or max too small). */
int cv_red_parse(const uint8_t *payload, size_t len, cv_red_block_t *blocks, int max);

/* Writes a RED payload with the n redundant blocks (oldest first; each with
 * its pt, ts_offset <= CV_RED_MAX_TS_OFFSET and len <= CV_RED_MAX_BLOCK_LEN)
 * and then the primary (pt, data, len) into out. Returns the payload length,
 * CV_E_INVAL (an offset or length that does not fit its field, n out of
 * 0..CV_RED_MAX_BLOCKS) or CV_E_NOSPACE. */
int cv_red_build(uint8_t *out, size_t cap, const cv_red_block_t *redundant, int n, int primary_pt,
                 const uint8_t *primary, size_t primary_len);

#endif
