/*
 * fuzz_rtcp.c - fuzz target for the RTCP parser and builders (rtcp.c). Checks the
 * item count against max, that a smaller max stores a prefix of the same items, and
 * that SR, RR, PLI, FIR, NACK, REMB and BYE items rebuilt by the builders parse back
 * to the same values (NACK: the same set of lost sequence numbers).
 */
#include "err.h"
#include "rtcp.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define MAX_ITEMS 16

static cv_rtcp_item_t items[MAX_ITEMS];
static cv_rtcp_item_t again[MAX_ITEMS];
static uint8_t buf[2048];
static uint8_t set_a[8192], set_b[8192]; /* one bit per sequence number */

static void same_rb(const cv_rtcp_rb_t *a, const cv_rtcp_rb_t *b)
{
    if (a->ssrc != b->ssrc || a->fraction_lost != b->fraction_lost || a->cum_lost != b->cum_lost ||
        a->ext_high_seq != b->ext_high_seq || a->jitter != b->jitter || a->lsr != b->lsr ||
        a->dlsr != b->dlsr)
        abort();
}

/* Parses buf[0 .. n) as exactly one item of type. */
static const cv_rtcp_item_t *reparse(int n, int type)
{
    static cv_rtcp_item_t one;
    if (n <= 0 || n % 4 != 0)
        abort();
    if (cv_rtcp_parse(buf, (size_t)n, &one, 1) != 1 || one.type != type)
        abort();
    return &one;
}

static void nack_set(const cv_rtcp_item_t *it, uint8_t *set, uint16_t *list, int *n_list)
{
    memset(set, 0, sizeof(set_a));
    int n = 0;
    for (int i = 0; i < it->n_nack; i++) {
        uint16_t s[17];
        int k = cv_rtcp_nack_seqs(it->nack_pid[i], it->nack_blp[i], s, 17);
        if (k < 1 || k > 17 || s[0] != it->nack_pid[i])
            abort();
        for (int j = 0; j < k; j++) {
            set[s[j] >> 3] |= (uint8_t)(1u << (s[j] & 7));
            if (list)
                list[n++] = s[j];
        }
    }
    if (n_list)
        *n_list = n;
}

static void check_nack(const cv_rtcp_item_t *it)
{
    uint16_t lost[CV_RTCP_MAX_NACK * 17];
    int n = 0;
    nack_set(it, set_a, lost, &n);
    int len = cv_rtcp_build_nack(buf, sizeof(buf), it->sender_ssrc, it->media_ssrc, lost, n);
    const cv_rtcp_item_t *b = reparse(len, CV_RTCP_NACK);
    if (b->sender_ssrc != it->sender_ssrc || b->media_ssrc != it->media_ssrc)
        abort();
    if (b->n_nack > it->n_nack) /* greedy packing never needs more pairs */
        abort();
    nack_set(b, set_b, NULL, NULL);
    if (memcmp(set_a, set_b, sizeof(set_a)) != 0)
        abort();
}

static void check_item(const cv_rtcp_item_t *it)
{
    const cv_rtcp_item_t *b;
    int len;
    if (it->n_rb < 0 || it->n_rb > CV_RTCP_MAX_RB || it->n_nack < 0 ||
        it->n_nack > CV_RTCP_MAX_NACK || it->n_remb_ssrc < 0 ||
        it->n_remb_ssrc > CV_RTCP_MAX_REMB_SSRC)
        abort();
    switch (it->type) {
    case CV_RTCP_SR:
        len = cv_rtcp_build_sr(buf, sizeof(buf), &it->sr, it->rb, it->n_rb);
        b = reparse(len, CV_RTCP_SR);
        if (b->sr.ssrc != it->sr.ssrc || b->sr.ntp != it->sr.ntp || b->sr.rtp_ts != it->sr.rtp_ts ||
            b->sr.packets != it->sr.packets || b->sr.octets != it->sr.octets || b->n_rb != it->n_rb)
            abort();
        for (int i = 0; i < it->n_rb; i++)
            same_rb(&b->rb[i], &it->rb[i]);
        break;
    case CV_RTCP_RR:
        len = cv_rtcp_build_rr(buf, sizeof(buf), it->sender_ssrc, it->rb, it->n_rb);
        b = reparse(len, CV_RTCP_RR);
        if (b->sender_ssrc != it->sender_ssrc || b->n_rb != it->n_rb)
            abort();
        for (int i = 0; i < it->n_rb; i++)
            same_rb(&b->rb[i], &it->rb[i]);
        break;
    case CV_RTCP_PLI:
        len = cv_rtcp_build_pli(buf, sizeof(buf), it->sender_ssrc, it->media_ssrc);
        b = reparse(len, CV_RTCP_PLI);
        if (b->sender_ssrc != it->sender_ssrc || b->media_ssrc != it->media_ssrc)
            abort();
        break;
    case CV_RTCP_FIR:
        len = cv_rtcp_build_fir(buf, sizeof(buf), it->sender_ssrc, it->media_ssrc, it->fir_seq);
        b = reparse(len, CV_RTCP_FIR);
        if (b->sender_ssrc != it->sender_ssrc || b->media_ssrc != it->media_ssrc ||
            b->fir_seq != it->fir_seq)
            abort();
        break;
    case CV_RTCP_NACK:
        if (it->n_nack < 1)
            abort();
        check_nack(it);
        break;
    case CV_RTCP_REMB:
        if (it->remb_bps == UINT64_MAX)
            break;
        len = cv_rtcp_build_remb(buf, sizeof(buf), it->sender_ssrc, it->remb_bps, it->remb_ssrc,
                                 it->n_remb_ssrc);
        b = reparse(len, CV_RTCP_REMB);
        if (b->sender_ssrc != it->sender_ssrc || b->remb_bps != it->remb_bps ||
            b->n_remb_ssrc != it->n_remb_ssrc ||
            memcmp(b->remb_ssrc, it->remb_ssrc, sizeof(uint32_t) * (size_t)it->n_remb_ssrc))
            abort();
        break;
    case CV_RTCP_BYE:
        len = cv_rtcp_build_bye(buf, sizeof(buf), it->sender_ssrc);
        b = reparse(len, CV_RTCP_BYE);
        if (b->sender_ssrc != it->sender_ssrc)
            abort();
        break;
    case CV_RTCP_SDES:
    case CV_RTCP_OTHER: break;
    default: abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int n = cv_rtcp_parse(data, size, items, MAX_ITEMS);
    if (n < 0) {
        if (n != CV_E_SHORT && n != CV_E_INVAL)
            abort();
        /* a failure does not depend on how many items are stored */
        if (cv_rtcp_parse(data, size, NULL, 0) != n)
            abort();
        return 0;
    }
    if (n > MAX_ITEMS || (size > 0 && n == 0))
        abort();
    /* a smaller max stores the same first items */
    int max = (int)(size % 4);
    int m = cv_rtcp_parse(data, size, again, max);
    if (m != (n < max ? n : max))
        abort();
    for (int i = 0; i < m; i++)
        if (again[i].type != items[i].type || again[i].sender_ssrc != items[i].sender_ssrc)
            abort();
    for (int i = 0; i < n; i++)
        check_item(&items[i]);
    return 0;
}
