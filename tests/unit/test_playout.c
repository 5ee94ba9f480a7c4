/*
 * test_playout.c - the audio playout buffer of one input, driven tick by tick
 * as the room's 20 ms audio tick does: start after `target` packets, play in
 * sequence order whatever the arrival order, report a lost packet with the
 * next one offered for Opus FEC (RFC 6716 §4.2.4), count and drop duplicates
 * and late packets, stop after a pause (DTX) and buffer again, catch up after
 * a burst, start over after a sequence jump; extended sequence numbers from
 * 0, 32767, 32768, 65535 and across 65535/65536.
 */
#include "check.h"

#include "frame.h"
#include "playout.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* A 3-byte stand-in for an Opus packet that names its sequence number. */
static cv_frame_t *pkt(uint64_t seq)
{
    cv_frame_t *f = cv_frame_new(CV_FRAME_AUDIO, 3);
    f->seq = seq;
    f->data[0] = (uint8_t)seq;
    f->data[1] = (uint8_t)(seq >> 8);
    f->data[2] = 0xa5;
    return f;
}

/* Pops one tick and checks what came out: a FRAME of seq, LOST (fec_seq the
 * packet offered for FEC, or -1 for none) or SILENT. Returns 1 if it matched. */
static int expect(cv_playout_t *p, int what, int64_t seq, int64_t fec_seq)
{
    cv_frame_t *f = (cv_frame_t *)0x1;
    const cv_frame_t *fec = (const cv_frame_t *)0x1;
    int got = cv_playout_pop(p, &f, &fec);
    int ok = got == what;
    if (what == CV_PLAYOUT_FRAME)
        ok = ok && f && (int64_t)f->seq == seq && f->data[0] == (uint8_t)seq && !fec;
    else if (what == CV_PLAYOUT_LOST)
        ok = ok && !f && (fec_seq < 0 ? !fec : fec && (int64_t)fec->seq == fec_seq);
    else
        ok = ok && !f && !fec;
    if (!ok)
        fprintf(stderr, "  expected %d seq %lld fec %lld, got %d seq %lld fec %lld\n", what,
                (long long)seq, (long long)fec_seq, got, f && got ? (long long)f->seq : -1LL,
                fec && got ? (long long)fec->seq : -1LL);
    if (got == CV_PLAYOUT_FRAME)
        cv_frame_unref(f);
    return ok;
}

static void test_target_clamp(void)
{
    cv_playout_t p;
    cv_playout_init(&p, 0);
    CHECK_EQ(p.target, 1);
    cv_playout_init(&p, -5);
    CHECK_EQ(p.target, 1);
    cv_playout_init(&p, 100);
    CHECK_EQ(p.target, CV_PLAYOUT_SLOTS / 2);
    cv_playout_init(&p, 3);
    CHECK_EQ(p.target, 3);
    CHECK_EQ(p.count, 0);
    CHECK_EQ(p.started, 0);
    /* empty: silent, and cleanup of an empty buffer is fine */
    CHECK(expect(&p, CV_PLAYOUT_SILENT, 0, -1));
    cv_playout_cleanup(&p);
}

/* One packet a tick, in order, from start: nothing until `target` are there,
 * then every packet in order, with `target - 1` held back. */
static void run_in_order(uint64_t s0, int target)
{
    cv_playout_t p;
    cv_playout_init(&p, target);
    for (int i = 0; i < target - 1; i++) {
        cv_playout_push(&p, pkt(s0 + (uint64_t)i));
        CHECK(expect(&p, CV_PLAYOUT_SILENT, 0, -1));
        CHECK_EQ(p.started, 0);
    }
    int ok = 1;
    for (int i = target - 1; i < 100; i++) {
        cv_playout_push(&p, pkt(s0 + (uint64_t)i));
        ok &= expect(&p, CV_PLAYOUT_FRAME, (int64_t)(s0 + (uint64_t)(i - target + 1)), -1);
        ok &= p.count == target - 1;
    }
    CHECK(ok);
    CHECK_EQ(p.started, 1);
    CHECK_EQ(p.played, 100 - target + 1);
    CHECK_EQ(p.lost + p.late + p.duplicates + p.skipped, 0);
    /* the rest drains in order; then the input is quiet */
    for (int i = 100 - target + 1; i < 100; i++)
        CHECK(expect(&p, CV_PLAYOUT_FRAME, (int64_t)(s0 + (uint64_t)i), -1));
    cv_playout_cleanup(&p);
}

static void test_in_order(void)
{
    /* extended numbers: the 16-bit starts 0, 32767, 32768, 65535 above the
     * unwrapper's base of 65536, and across 65535/65536 and 2^17 */
    static const uint64_t starts[] = {
        65536 + 0, 65536 + 32767, 65536 + 32768, 65536 + 65535, 65530, 131060, 0, 1};
    for (size_t i = 0; i < sizeof(starts) / sizeof(starts[0]); i++) {
        run_in_order(starts[i], 1);
        run_in_order(starts[i], 2);
        run_in_order(starts[i], 5);
    }
}

/* Packets arriving out of order within the window play in order. */
static void test_reorder(void)
{
    cv_playout_t p;
    cv_playout_init(&p, 2);
    uint64_t b = 65534; /* crosses 65535 -> 65536 */
    cv_playout_push(&p, pkt(b + 1));
    CHECK(expect(&p, CV_PLAYOUT_SILENT, 0, -1));
    cv_playout_push(&p, pkt(b)); /* older than the first: playout starts at it */
    CHECK(expect(&p, CV_PLAYOUT_FRAME, (int64_t)b, -1));
    cv_playout_push(&p, pkt(b + 3));
    CHECK(expect(&p, CV_PLAYOUT_FRAME, (int64_t)b + 1, -1));
    cv_playout_push(&p, pkt(b + 2)); /* one tick late, still in time */
    CHECK(expect(&p, CV_PLAYOUT_FRAME, (int64_t)b + 2, -1));
    cv_playout_push(&p, pkt(b + 5));
    cv_playout_push(&p, pkt(b + 4));
    CHECK(expect(&p, CV_PLAYOUT_FRAME, (int64_t)b + 3, -1));
    CHECK(expect(&p, CV_PLAYOUT_FRAME, (int64_t)b + 4, -1));
    cv_playout_push(&p, pkt(b + 6));
    CHECK(expect(&p, CV_PLAYOUT_FRAME, (int64_t)b + 5, -1));
    CHECK(expect(&p, CV_PLAYOUT_FRAME, (int64_t)b + 6, -1));
    CHECK_EQ(p.played, 7);
    CHECK_EQ(p.lost + p.late + p.duplicates + p.skipped, 0);
    cv_playout_cleanup(&p);
}

/* A lost packet: LOST with the next packet offered for FEC (borrowed: it is
 * played the tick after); two lost in a row: the first without FEC. */
static void test_loss_fec(void)
{
    cv_playout_t p;
    cv_playout_init(&p, 2);
    uint64_t b = 65536 + 32766;
    cv_playout_push(&p, pkt(b));
    cv_playout_push(&p, pkt(b + 1));
    CHECK(expect(&p, CV_PLAYOUT_FRAME, (int64_t)b, -1));
    /* b + 2 never comes */
    cv_playout_push(&p, pkt(b + 3));
    CHECK(expect(&p, CV_PLAYOUT_FRAME, (int64_t)b + 1, -1));
    cv_playout_push(&p, pkt(b + 4));
    CHECK(expect(&p, CV_PLAYOUT_LOST, 0, (int64_t)b + 3));
    CHECK_EQ(p.lost, 1);
    CHECK(expect(&p, CV_PLAYOUT_FRAME, (int64_t)b + 3, -1)); /* the FEC packet itself */
    /* b + 5 and b + 6 never come */
    cv_playout_push(&p, pkt(b + 7));
    CHECK(expect(&p, CV_PLAYOUT_FRAME, (int64_t)b + 4, -1));
    cv_playout_push(&p, pkt(b + 8));
    CHECK(expect(&p, CV_PLAYOUT_LOST, 0, -1));             /* b + 5: b + 6 not there */
    CHECK(expect(&p, CV_PLAYOUT_LOST, 0, (int64_t)b + 7)); /* b + 6 */
    CHECK(expect(&p, CV_PLAYOUT_FRAME, (int64_t)b + 7, -1));
    CHECK(expect(&p, CV_PLAYOUT_FRAME, (int64_t)b + 8, -1));
    CHECK_EQ(p.lost, 3);
    CHECK_EQ(p.played, 6);
    /* the lost packet turning up now is late: counted, never played */
    cv_playout_push(&p, pkt(b + 2));
    cv_playout_push(&p, pkt(b + 5));
    CHECK_EQ(p.late, 2);
    CHECK_EQ(p.count, 0);
    cv_playout_cleanup(&p);
}

/* Duplicates of a buffered packet and of a played one. */
static void test_duplicates_late(void)
{
    cv_playout_t p;
    cv_playout_init(&p, 3);
    uint64_t b = 65535;
    cv_playout_push(&p, pkt(b));
    cv_playout_push(&p, pkt(b)); /* duplicate before start */
    CHECK_EQ(p.duplicates, 1);
    CHECK_EQ(p.count, 1);
    cv_playout_push(&p, pkt(b + 1));
    CHECK(expect(&p, CV_PLAYOUT_SILENT, 0, -1)); /* 2 distinct < target 3 */
    cv_playout_push(&p, pkt(b + 2));
    cv_playout_push(&p, pkt(b + 2)); /* duplicate of a buffered packet */
    CHECK_EQ(p.duplicates, 2);
    CHECK(expect(&p, CV_PLAYOUT_FRAME, (int64_t)b, -1));
    cv_playout_push(&p, pkt(b)); /* a copy of what was just played: late */
    CHECK_EQ(p.late, 1);
    CHECK(expect(&p, CV_PLAYOUT_FRAME, (int64_t)b + 1, -1));
    cv_playout_push(&p, pkt(b + 1));
    cv_playout_push(&p, pkt(b - 40)); /* very old */
    CHECK_EQ(p.late, 3);
    CHECK(expect(&p, CV_PLAYOUT_FRAME, (int64_t)b + 2, -1));
    CHECK_EQ(p.played, 3);
    CHECK_EQ(p.duplicates, 2);
    CHECK_EQ(p.count, 0);
    cv_playout_cleanup(&p);
}

/* The sender pauses (DTX: no packets): a few LOST, then SILENT until the
 * input buffers `target` packets again, then in order from the new ones. */
static void test_pause_rebuffer(void)
{
    cv_playout_t p;
    cv_playout_init(&p, 2);
    uint64_t s = 65536 + 65530;
    cv_playout_push(&p, pkt(s++));
    CHECK(expect(&p, CV_PLAYOUT_SILENT, 0, -1));
    int ok = 1;
    for (int i = 0; i < 10; i++) {
        cv_playout_push(&p, pkt(s++));
        ok &= expect(&p, CV_PLAYOUT_FRAME, (int64_t)s - 2, -1);
    }
    CHECK(ok);
    CHECK(expect(&p, CV_PLAYOUT_FRAME, (int64_t)s - 1, -1)); /* the one held back */
    /* nothing arrives: conceal 3 periods (60 ms), then silence */
    CHECK(expect(&p, CV_PLAYOUT_LOST, 0, -1));
    CHECK(expect(&p, CV_PLAYOUT_LOST, 0, -1));
    CHECK(expect(&p, CV_PLAYOUT_LOST, 0, -1));
    CHECK(expect(&p, CV_PLAYOUT_SILENT, 0, -1));
    CHECK_EQ(p.started, 0);
    CHECK_EQ(p.lost, 3);
    ok = 1;
    for (int i = 0; i < 20; i++)
        ok &= expect(&p, CV_PLAYOUT_SILENT, 0, -1);
    CHECK(ok);
    CHECK_EQ(p.lost, 3);
    /* talk resumes 25 periods later (DTX keeps the sequence going) */
    s += 25;
    cv_playout_push(&p, pkt(s++));
    CHECK(expect(&p, CV_PLAYOUT_SILENT, 0, -1)); /* buffering again */
    cv_playout_push(&p, pkt(s++));
    CHECK(expect(&p, CV_PLAYOUT_FRAME, (int64_t)s - 2, -1));
    cv_playout_push(&p, pkt(s++));
    CHECK(expect(&p, CV_PLAYOUT_FRAME, (int64_t)s - 2, -1));
    CHECK_EQ(p.lost, 3);
    CHECK_EQ(p.late + p.skipped, 0);

    /* a short gap with nothing buffered that ends in time does not stop it:
     * the miss count starts again after a packet was played */
    CHECK(expect(&p, CV_PLAYOUT_FRAME, (int64_t)s - 1, -1));
    CHECK(expect(&p, CV_PLAYOUT_LOST, 0, -1));
    CHECK(expect(&p, CV_PLAYOUT_LOST, 0, -1));
    s += 2;
    cv_playout_push(&p, pkt(s++));
    CHECK(expect(&p, CV_PLAYOUT_FRAME, (int64_t)s - 1, -1));
    CHECK(expect(&p, CV_PLAYOUT_LOST, 0, -1));
    CHECK(expect(&p, CV_PLAYOUT_LOST, 0, -1));
    CHECK(expect(&p, CV_PLAYOUT_LOST, 0, -1));
    CHECK(expect(&p, CV_PLAYOUT_SILENT, 0, -1));
    cv_playout_cleanup(&p);
}

/* A burst after a stall overfills the buffer: playout skips the oldest to get
 * back to `target` (+2) held packets instead of lagging for ever. */
static void test_burst_catch_up(void)
{
    cv_playout_t p;
    cv_playout_init(&p, 2);
    uint64_t s = 32767;
    cv_playout_push(&p, pkt(s++));
    cv_playout_push(&p, pkt(s++));
    CHECK(expect(&p, CV_PLAYOUT_FRAME, 32767, -1));
    /* 9 packets at once (32769..32777), with 32768 still buffered: 10 held */
    for (int i = 0; i < 9; i++)
        cv_playout_push(&p, pkt(s++));
    CHECK_EQ(p.count, 10);
    /* down to target + 2 = 4 held, then the oldest of those plays */
    CHECK(expect(&p, CV_PLAYOUT_FRAME, 32774, -1));
    CHECK_EQ(p.skipped, 6);
    CHECK_EQ(p.count, 3);
    for (int64_t q = 32775; q <= 32777; q++)
        CHECK(expect(&p, CV_PLAYOUT_FRAME, q, -1));
    CHECK_EQ(p.played, 5);
    CHECK_EQ(p.lost + p.late + p.duplicates, 0);
    /* the skipped ones arriving again are late */
    cv_playout_push(&p, pkt(32770));
    CHECK_EQ(p.late, 1);
    cv_playout_cleanup(&p);
}

/* A packet far ahead of the window (the sender restarted its numbering, or a
 * new SSRC was unwrapped): everything held is dropped, playout starts over. */
static void test_jump_restart(void)
{
    cv_playout_t p;
    cv_playout_init(&p, 2);
    uint64_t s = 65536;
    for (int i = 0; i < 6; i++) {
        cv_playout_push(&p, pkt(s++));
        if (i > 0)
            CHECK(expect(&p, CV_PLAYOUT_FRAME, (int64_t)s - 2, -1));
    }
    CHECK_EQ(p.count, 1);
    uint64_t j = s + 5000;
    cv_playout_push(&p, pkt(j));
    CHECK_EQ(p.skipped, 1);
    CHECK_EQ(p.started, 0);
    CHECK_EQ(p.count, 1);
    CHECK(expect(&p, CV_PLAYOUT_SILENT, 0, -1)); /* buffering at the new place */
    cv_playout_push(&p, pkt(j + 1));
    CHECK(expect(&p, CV_PLAYOUT_FRAME, (int64_t)j, -1));
    cv_playout_push(&p, pkt(j + 2));
    CHECK(expect(&p, CV_PLAYOUT_FRAME, (int64_t)j + 1, -1));
    /* exactly CV_PLAYOUT_SLOTS ahead of the oldest held is too far as well */
    cv_playout_push(&p, pkt(j + 2 + CV_PLAYOUT_SLOTS));
    CHECK_EQ(p.skipped, 2);
    CHECK_EQ(p.count, 1);
    /* one less than that fits in the window */
    cv_playout_t q;
    cv_playout_init(&q, 2);
    cv_playout_push(&q, pkt(100));
    cv_playout_push(&q, pkt(100 + CV_PLAYOUT_SLOTS - 1));
    CHECK_EQ(q.skipped, 0);
    CHECK_EQ(q.count, 2);
    CHECK(expect(&q, CV_PLAYOUT_FRAME, 100, -1));
    cv_playout_cleanup(&q);
    CHECK_EQ(q.count, 0);
    cv_playout_cleanup(&p);
}

/* Sequence numbers 65535/65536 land in neighbouring slots; a whole run
 * across the boundary with reordering and a loss right on it. */
static void test_wrap_boundary(void)
{
    cv_playout_t p;
    cv_playout_init(&p, 2);
    cv_playout_push(&p, pkt(65533));
    cv_playout_push(&p, pkt(65534));
    CHECK(expect(&p, CV_PLAYOUT_FRAME, 65533, -1));
    cv_playout_push(&p, pkt(65536)); /* 65535 lost */
    CHECK(expect(&p, CV_PLAYOUT_FRAME, 65534, -1));
    cv_playout_push(&p, pkt(65538));
    CHECK(expect(&p, CV_PLAYOUT_LOST, 0, 65536));
    cv_playout_push(&p, pkt(65537));
    CHECK(expect(&p, CV_PLAYOUT_FRAME, 65536, -1));
    CHECK(expect(&p, CV_PLAYOUT_FRAME, 65537, -1));
    CHECK(expect(&p, CV_PLAYOUT_FRAME, 65538, -1));
    cv_playout_push(&p, pkt(65535));
    CHECK_EQ(p.late, 1);
    CHECK_EQ(p.played, 5);
    CHECK_EQ(p.lost, 1);
    cv_playout_cleanup(&p);
}

/* Frames left in the buffer are freed by cleanup (checked by ASan). */
static void test_cleanup_frees(void)
{
    cv_playout_t p;
    cv_playout_init(&p, 4);
    for (uint64_t s = 10; s < 13; s++)
        cv_playout_push(&p, pkt(s));
    cv_frame_t *kept = pkt(13);
    cv_playout_push(&p, cv_frame_ref(kept)); /* the buffer's reference */
    CHECK_EQ(p.count, 4);
    cv_playout_cleanup(&p);
    CHECK_EQ(p.count, 0);
    CHECK_EQ(atomic_load(&kept->refs), 1);
    cv_frame_unref(kept);
}

int main(void)
{
    test_target_clamp();
    test_in_order();
    test_reorder();
    test_loss_fec();
    test_duplicates_late();
    test_pause_rebuffer();
    test_burst_catch_up();
    test_jump_restart();
    test_wrap_boundary();
    test_cleanup_frees();
    return CHECK_DONE("test_playout");
}
