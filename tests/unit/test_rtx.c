/*
 * test_rtx.c - the history of sent video packets, NACK answering and RFC 4588
 * encapsulation, with sequence numbers starting at 0, 32767, 32768 and 65535.
 */
#include "check.h"
#include "err.h"
#include "rtcp.h"
#include "rtp.h"
#include "rtx.h"

#include <stdlib.h>
#include <string.h>

#define MS 1000LL
#define VP8_PT 96
#define RTX_PT 97
#define RTX_SSRC 0x0badf00du

/* A video packet as the outstream makes it: 12-byte header, then a payload whose
 * bytes depend on seq so that a wrong slot shows. */
static size_t make_pkt(uint8_t *p, uint16_t seq, int marker, size_t payload)
{
    cv_rtp_out_t o = {
        .marker = marker, .pt = VP8_PT, .seq = seq, .ts = 90000u * seq, .ssrc = 0x11223344u};
    int hl = cv_rtp_write_header(p, 1500, &o);
    for (size_t i = 0; i < payload; i++)
        p[hl + i] = (uint8_t)(seq * 7 + i);
    return (size_t)hl + payload;
}

/* Sends 40 packets from start, then a NACK of pid start+3 with bits 0, 1 and 15:
 * each named packet comes back once, as RTX, identical apart from the header fields
 * RFC 4588 changes. */
static void test_nack_from(uint16_t start)
{
    cv_rtx_t *h = calloc(1, sizeof(*h));
    uint8_t pkt[1500], out[1500];
    uint16_t rtx0 = (uint16_t)(start ^ 0x5555);
    cv_rtx_init(h, rtx0);
    for (int i = 0; i < 40; i++) {
        size_t len = make_pkt(pkt, (uint16_t)(start + i), i % 5 == 4, 100 + (size_t)i);
        CHECK_EQ(cv_rtx_store(h, pkt, len, i * MS), 0);
    }
    /* the receiver's NACK, through the real builder and parser */
    uint16_t lost[4] = {(uint16_t)(start + 3), (uint16_t)(start + 4), (uint16_t)(start + 5),
                        (uint16_t)(start + 19)};
    uint8_t fb[64];
    int fl = cv_rtcp_build_nack(fb, sizeof(fb), 1, 0x11223344u, lost, 4);
    CHECK(fl > 0);
    cv_rtcp_item_t it;
    CHECK_EQ(cv_rtcp_parse(fb, (size_t)fl, &it, 1), 1);
    CHECK_EQ(it.type, CV_RTCP_NACK);
    CHECK_EQ(it.n_nack, 1);
    CHECK_EQ(it.nack_pid[0], (uint16_t)(start + 3));
    CHECK_EQ(it.nack_blp[0], 0x8003); /* bits 0, 1, 15 */
    uint16_t seqs[17];
    int n = cv_rtcp_nack_seqs(it.nack_pid[0], it.nack_blp[0], seqs, 17);
    CHECK_EQ(n, 4);
    for (int i = 0; i < n && i < 4; i++)
        CHECK_EQ(seqs[i], lost[i]);
    for (int i = 0; i < n; i++) {
        const uint8_t *orig;
        int len = cv_rtx_find(h, seqs[i], 45 * MS, 1000 * MS, 100 * MS, &orig);
        uint16_t k = (uint16_t)(seqs[i] - start);
        CHECK_EQ(len, 12 + 100 + k);
        if (len < 0)
            continue;
        int w = cv_rtx_wrap(h, orig, (size_t)len, RTX_PT, RTX_SSRC, out, sizeof(out));
        CHECK_EQ(w, len + 2);
        cv_rtp_hdr_t r;
        CHECK_EQ(cv_rtp_parse(out, (size_t)w, &r), 0);
        CHECK_EQ(r.pt, RTX_PT);
        CHECK_EQ(r.ssrc, RTX_SSRC);
        CHECK_EQ(r.seq, (uint16_t)(rtx0 + i)); /* its own sequence, continuous */
        CHECK_EQ(r.ts, (uint32_t)(90000u * seqs[i]));
        CHECK_EQ(r.marker, k % 5 == 4);
        uint16_t osn;
        const uint8_t *pl;
        size_t pll;
        CHECK_EQ(cv_rtx_unwrap(out, (size_t)w, &osn, &pl, &pll), 0);
        CHECK_EQ(osn, seqs[i]);
        CHECK_EQ(pll, 100 + k);
        CHECK_MEM(pl, orig + 12, pll);
    }
    /* the same NACK again within the interval: not resent; after it: resent */
    const uint8_t *p;
    CHECK_EQ(cv_rtx_find(h, (uint16_t)(start + 3), 90 * MS, 1000 * MS, 100 * MS, &p), CV_E_AGAIN);
    CHECK_EQ(cv_rtx_find(h, (uint16_t)(start + 3), 150 * MS, 1000 * MS, 100 * MS, &p), 115);
    /* never sent, and too old */
    CHECK_EQ(cv_rtx_find(h, (uint16_t)(start + 40), 150 * MS, 1000 * MS, 100 * MS, &p),
             CV_E_NOTFOUND);
    CHECK_EQ(cv_rtx_find(h, (uint16_t)(start - 1), 150 * MS, 1000 * MS, 100 * MS, &p),
             CV_E_NOTFOUND);
    CHECK_EQ(cv_rtx_find(h, (uint16_t)(start + 10), 1011 * MS, 1000 * MS, 100 * MS, &p),
             CV_E_NOTFOUND);
    CHECK_EQ(cv_rtx_find(h, (uint16_t)(start + 11), 1011 * MS, 1000 * MS, 100 * MS, &p), 123);
    /* overwritten a ring later: the slot holds another packet */
    size_t len = make_pkt(pkt, (uint16_t)(start + 20 + CV_RTX_SLOTS), 0, 50);
    CHECK_EQ(cv_rtx_store(h, pkt, len, 1100 * MS), 0);
    CHECK_EQ(cv_rtx_find(h, (uint16_t)(start + 20), 1100 * MS, 1000 * MS, 100 * MS, &p),
             CV_E_NOTFOUND);
    CHECK_EQ(
        cv_rtx_find(h, (uint16_t)(start + 20 + CV_RTX_SLOTS), 1100 * MS, 1000 * MS, 100 * MS, &p),
        62);
    cv_rtx_cleanup(h);
    free(h);
}

static void test_bad_input(void)
{
    cv_rtx_t *h = calloc(1, sizeof(*h));
    cv_rtx_init(h, 0);
    uint8_t big[CV_RTX_PKT_MAX + 1] = {0x80, VP8_PT};
    uint8_t out[64];
    CHECK_EQ(cv_rtx_store(h, big, 11, 0), CV_E_SHORT);
    CHECK_EQ(cv_rtx_store(h, big, sizeof(big), 0), CV_E_NOSPACE);
    CHECK_EQ(cv_rtx_wrap(h, big, 11, RTX_PT, 1, out, sizeof(out)), CV_E_SHORT);
    CHECK_EQ(cv_rtx_wrap(h, big, 40, 128, 1, out, sizeof(out)), CV_E_INVAL);
    CHECK_EQ(cv_rtx_wrap(h, big, 100, RTX_PT, 1, out, sizeof(out)), CV_E_NOSPACE);
    big[0] = 0x40; /* version 1 */
    CHECK(cv_rtx_wrap(h, big, 40, RTX_PT, 1, out, sizeof(out)) < 0);
    uint16_t osn;
    const uint8_t *pl;
    size_t pll;
    uint8_t one[13] = {0x80, RTX_PT};
    CHECK_EQ(cv_rtx_unwrap(one, sizeof(one), &osn, &pl, &pll), CV_E_SHORT);
    cv_rtx_cleanup(h);
    free(h);
}

/* Full-size packets fill the byte ring before the slots wrap: the oldest are
 * overwritten and not found, the newest come back intact, and a packet never
 * straddles the ring's end. */
static void test_byte_ring(void)
{
    cv_rtx_t *h = calloc(1, sizeof(*h));
    cv_rtx_init(h, 0);
    uint8_t pkt[1500];
    const int n = 300; /* 300 x 1280 bytes > CV_RTX_RING, < CV_RTX_SLOTS */
    for (int i = 0; i < n; i++) {
        size_t len = make_pkt(pkt, (uint16_t)(1000 + i), 0, CV_RTX_PKT_MAX - 12);
        CHECK_EQ(cv_rtx_store(h, pkt, len, i * MS), 0);
    }
    const uint8_t *got;
    CHECK_EQ(cv_rtx_find(h, 1000, n * MS, 1000 * MS, 0, &got), CV_E_NOTFOUND);
    int found = 0, intact = 0;
    for (int i = 0; i < n; i++) {
        int len = cv_rtx_find(h, (uint16_t)(1000 + i), n * MS, 1000 * MS, 0, &got);
        if (len < 0)
            continue;
        found++;
        size_t want = make_pkt(pkt, (uint16_t)(1000 + i), 0, CV_RTX_PKT_MAX - 12);
        intact += len == (int)want && memcmp(got, pkt, want) == 0;
    }
    CHECK_EQ(found, CV_RTX_RING / CV_RTX_PKT_MAX); /* what the ring holds */
    CHECK_EQ(h->cap, CV_RTX_RING);                 /* grown to its cap, not past it */
    CHECK_EQ(intact, found);
    CHECK(cv_rtx_find(h, (uint16_t)(1000 + n - 1), n * MS, 1000 * MS, 0, &got) == CV_RTX_PKT_MAX);
    cv_rtx_cleanup(h);
    free(h);
}

/* Stores n packets of payload bytes from seq0, one every gap_us from t0; returns the time
 * after the last. */
static int64_t send_run(cv_rtx_t *h, uint16_t seq0, int n, size_t payload, int64_t t0,
                        int64_t gap_us)
{
    uint8_t pkt[1500];
    for (int i = 0; i < n; i++) {
        size_t len = make_pkt(pkt, (uint16_t)(seq0 + i), 0, payload);
        CHECK_EQ(cv_rtx_store(h, pkt, len, t0 + i * gap_us), 0);
    }
    return t0 + n * gap_us;
}

/* How many of the n packets from seq0 are found at now (age limit 10 s), and whether
 * every one found is the packet stored. */
static int count_found(cv_rtx_t *h, uint16_t seq0, int n, size_t payload, int64_t now, int *intact)
{
    uint8_t pkt[1500];
    const uint8_t *got;
    int found = 0;
    *intact = 1;
    for (int i = 0; i < n; i++) {
        int len = cv_rtx_find(h, (uint16_t)(seq0 + i), now, 10000 * MS, 0, &got);
        if (len < 0)
            continue;
        found++;
        size_t want = make_pkt(pkt, (uint16_t)(seq0 + i), 0, payload);
        if (len != (int)want || memcmp(got, pkt, want) != 0)
            *intact = 0;
    }
    return found;
}

/* No byte ring before the first packet; then the smallest, doubled while the
 * packets it would overwrite are younger than the keep time: a burst of 100 kB
 * in 100 ms (a key frame) stays whole, across the sequence wrap. */
static void test_grows(void)
{
    cv_rtx_t *h = calloc(1, sizeof(*h));
    cv_rtx_init(h, 0);
    CHECK(h->ring == NULL);
    CHECK_EQ(h->cap, 0);
    const uint8_t *got;
    CHECK_EQ(cv_rtx_find(h, 0, 0, 1000 * MS, 0, &got), CV_E_NOTFOUND);
    send_run(h, 65500, 1, 988, 0, MS);
    CHECK(h->ring != NULL);
    CHECK_EQ(h->cap, CV_RTX_RING_MIN);
    send_run(h, 65501, 99, 988, MS, MS);
    int intact;
    CHECK_EQ(count_found(h, 65500, 100, 988, 100 * MS, &intact), 100);
    CHECK(intact);
    CHECK_EQ(h->cap, 131072); /* 100 kB: 16 -> 32 -> 64 -> 128 KiB */
    CHECK_EQ(h->grown, 3);
    CHECK_EQ(h->shrunk, 0);
    cv_rtx_cleanup(h);
    free(h);
}

/* A slow stream with a short keep time stays in the smallest ring: what is
 * older than the ring holds is overwritten, what is younger than the keep
 * time is found. */
static void test_slow_stays_small(void)
{
    cv_rtx_t *h = calloc(1, sizeof(*h));
    cv_rtx_init(h, 0);
    cv_rtx_set_keep(h, 50 * MS);
    int64_t now = send_run(h, 100, 200, 988, 0, 10 * MS); /* 100 kB/s for 2 s */
    CHECK_EQ(h->cap, CV_RTX_RING_MIN);
    CHECK_EQ(h->grown, 0);
    int intact;
    int found = count_found(h, 100, 200, 988, now, &intact);
    CHECK(intact);
    CHECK_EQ(found, CV_RTX_RING_MIN / 1000); /* 16 packets: 160 ms, more than the keep time */
    const uint8_t *got;
    CHECK_EQ(cv_rtx_find(h, 100 + 199 - 5, now, 1000 * MS, 0, &got), 1000); /* 60 ms old */
    CHECK_EQ(cv_rtx_find(h, 100, now, 10000 * MS, 0, &got), CV_E_NOTFOUND);
    cv_rtx_cleanup(h);
    free(h);
}

/* A fast stream grows the ring to its cap; once the keep time is short and
 * the stream slow, it halves back to the smallest, one step at a time, and
 * what it keeps is intact (a packet a halving would split is not found). */
static void test_shrinks(void)
{
    cv_rtx_t *h = calloc(1, sizeof(*h));
    cv_rtx_init(h, 0);
    int64_t now = send_run(h, 0, 300, 1268, 0, MS); /* 380 kB in 300 ms */
    CHECK_EQ(h->cap, CV_RTX_RING);
    CHECK_EQ(h->grown, 4);
    cv_rtx_set_keep(h, 20 * MS);
    uint16_t seq = 300;
    for (int round = 0; round < 6; round++) {
        now = send_run(h, seq, 100, 700, now + 100 * MS, 10 * MS); /* 70 kB/s */
        seq = (uint16_t)(seq + 100);
        int intact;
        count_found(h, (uint16_t)(seq - 100), 100, 700, now, &intact);
        CHECK(intact);
        const uint8_t *got; /* the last 20 ms are there */
        CHECK_EQ(cv_rtx_find(h, (uint16_t)(seq - 1), now, 1000 * MS, 0, &got), 712);
        CHECK_EQ(cv_rtx_find(h, (uint16_t)(seq - 2), now, 1000 * MS, 0, &got), 712);
    }
    CHECK_EQ(h->cap, CV_RTX_RING_MIN);
    CHECK_EQ(h->shrunk, 4);
    /* 20 ms of this stream is 1.4 kB: the smallest ring never needs to grow again */
    CHECK_EQ(h->grown, 4);
    cv_rtx_cleanup(h);
    free(h);
}

/* cleanup frees the ring and forgets what it held; the history works again after. */
static void test_cleanup(void)
{
    cv_rtx_t *h = calloc(1, sizeof(*h));
    cv_rtx_init(h, 0);
    int64_t now = send_run(h, 10, 20, 500, 0, MS);
    cv_rtx_cleanup(h);
    CHECK(h->ring == NULL);
    CHECK_EQ(h->cap, 0);
    const uint8_t *got;
    CHECK_EQ(cv_rtx_find(h, 15, now, 1000 * MS, 0, &got), CV_E_NOTFOUND);
    cv_rtx_cleanup(h); /* twice is harmless */
    now = send_run(h, 30, 20, 500, now, MS);
    CHECK_EQ(cv_rtx_find(h, 45, now, 1000 * MS, 0, &got), 512);
    CHECK_EQ(cv_rtx_find(h, 15, now, 1000 * MS, 0, &got), CV_E_NOTFOUND);
    cv_rtx_cleanup(h);
    free(h);
    cv_rtx_cleanup(NULL);
}

int main(void)
{
    test_nack_from(0);
    test_nack_from(32767);
    test_nack_from(32768);
    test_nack_from(65535);
    test_bad_input();
    test_byte_ring();
    test_grows();
    test_slow_stays_small();
    test_shrinks();
    test_cleanup();
    return CHECK_DONE("rtx");
}
