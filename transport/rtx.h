/*
 * rtx.h - answering a receiver's NACKs (RFC 4585 §6.2.1) from a history of
 * the video RTP packets sent to it, as RTX retransmissions (RFC 4588 §4: the
 * RTX stream's own SSRC and sequence, the original sequence number (OSN) in
 * the first two payload bytes) or, when the receiver did not offer rtx, as
 * plain copies with the original sequence number.
 *
 * The history is a ring of slots indexed by sequence number (CV_RTX_SLOTS
 * packets of at most CV_RTX_PKT_MAX bytes), their bytes back to back in a
 * ring on the heap (a packet takes what it needs, not the most a packet may
 * need); a packet older than the caller's max age, or overwritten in either
 * ring, is not found. The byte ring is sized by the stream: none before the
 * first packet, then CV_RTX_RING_MIN bytes, doubled whenever a packet about
 * to be overwritten was sent less than the keep time ago (cv_rtx_set_keep,
 * e.g. a few round trips) up to CV_RTX_RING, and halved, down to
 * CV_RTX_RING_MIN, when the packets it overwrites are more than four keep
 * times old: a slow stream or a short round trip holds little. Each packet is resent at
 * most once per min_interval (about one round trip), so a NACK repeated
 * before the first copy could arrive does not double the traffic.
 * Pure: time comes in as now_us. Owned by the receiver's network thread.
 */
#ifndef CV_RTX_H
#define CV_RTX_H

#include <stddef.h>
#include <stdint.h>

#define CV_RTX_SLOTS 512       /* about 3 s at 1.5 Mbit/s */
#define CV_RTX_PKT_MAX 1280    /* RTP header + payload, before SRTP */
#define CV_RTX_RING 262144     /* bytes at most: 1.4 s at 1.5 Mbit/s */
#define CV_RTX_RING_MIN 16384  /* bytes at least (a power of two, as CV_RTX_RING) */
#define CV_RTX_KEEP_US 1000000 /* the keep time until cv_rtx_set_keep */

typedef struct {
    uint16_t seq;
    uint16_t len; /* 0: empty */
    int64_t sent_us, resent_us;
    uint64_t at; /* where its bytes start, counted from the ring's first byte ever */
} cv_rtx_slot_t;

typedef struct {
    cv_rtx_slot_t slot[CV_RTX_SLOTS];
    uint8_t *ring;    /* cap bytes, NULL before the first packet */
    size_t cap;       /* 0, or a power of two from CV_RTX_RING_MIN to CV_RTX_RING */
    int64_t keep_us;  /* the history the ring grows to hold */
    uint64_t head;    /* bytes ever written (or skipped) to the ring */
    uint64_t floor;   /* bytes before this were lost when the ring shrank */
    uint16_t tail;    /* the oldest packet whose bytes may still be in the ring */
    uint16_t rtx_seq; /* next sequence number of the RTX stream */
    uint64_t stored, resent, not_found, too_soon, grown, shrunk;
} cv_rtx_t;

/* rtx_seq0 should be random (RFC 3550 §5.1). The struct is large (16 KiB): put it on
 * the heap. cv_rtx_cleanup frees the byte ring. */
void cv_rtx_init(cv_rtx_t *h, uint16_t rtx_seq0);
/* Frees the byte ring (the history is empty then). Safe on a zeroed or cleaned-up struct. */
void cv_rtx_cleanup(cv_rtx_t *h);
/* How long packets should stay findable (> 0), for the ring's sizing. */
void cv_rtx_set_keep(cv_rtx_t *h, int64_t keep_us);
/* Keeps a copy of one RTP packet (plain, before SRTP) sent at now_us.
 * Returns 0, CV_E_SHORT (not an RTP header) or CV_E_NOSPACE (> CV_RTX_PKT_MAX). */
int cv_rtx_store(cv_rtx_t *h, const uint8_t *pkt, size_t len, int64_t now_us);
/* Finds packet seq for a resend at now_us and marks it resent. Returns its length
 * and sets *pkt (valid until the next store), or
 *   CV_E_NOTFOUND  never stored, overwritten, or sent more than max_age_us ago;
 *   CV_E_AGAIN     resent less than min_interval_us ago. */
int cv_rtx_find(cv_rtx_t *h, uint16_t seq, int64_t now_us, int64_t max_age_us,
                int64_t min_interval_us, const uint8_t **pkt);
/* Builds the RFC 4588 §4 retransmission of the RTP packet orig (len bytes; header
 * with any CSRCs and extension kept, padding dropped) into out (cap bytes): payload
 * type rtx_pt, SSRC rtx_ssrc, the next RTX sequence number of h, and the original
 * sequence number before the original payload. Returns the length, CV_E_SHORT /
 * CV_E_INVAL (orig not RTP), CV_E_NOSPACE. */
int cv_rtx_wrap(cv_rtx_t *h, const uint8_t *orig, size_t len, int rtx_pt, uint32_t rtx_ssrc,
                uint8_t *out, size_t cap);
/* The RTX packet's original sequence number and payload (for tests and for
 * receivers). Returns 0, CV_E_SHORT or CV_E_INVAL. */
int cv_rtx_unwrap(const uint8_t *pkt, size_t len, uint16_t *osn, const uint8_t **payload,
                  size_t *payload_len);

#endif
