/*
 * tier.c - the tier list and the per-receiver tier controller. Pure; see
 * tier.h for the rules. Owned by the receiver's network thread.
 */
#include "tier.h"

#include "bwe.h"

#include "err.h"
#include "parse.h"

#include <stdio.h>
#include <string.h>

#define LOSS_DOWN 26         /* > 10 % lost (window and average): one tier down */
#define LOSS_AUDIO_ONLY 153  /* > 60 % lost on the lowest tier: video paused */
#define LOSS_UNSTABLE 13     /* > 5 % lost: not a time to step up */
#define LOSS_STEP_US 1000000 /* one loss-driven step a second: a window covers ~1 s */
#define REMB_DROP 0.95       /* a REMB this much below the previous one: overuse */

/* Reads a decimal in min..max at *p; advances *p. */
static int num(const char **p, int min, int max, int *out)
{
    long v;
    if (cv_parse_long(*p, min, max, &v, p) < 0)
        return CV_E_INVAL;
    *out = (int)v;
    return 0;
}

static void skip_blanks(const char **p)
{
    while (**p == ' ' || **p == '\t')
        (*p)++;
}

/* One "WxH@FPS:KBPS" entry at *p. */
static int entry(const char **p, cv_tier_t *t)
{
    if (num(p, 16, 1920, &t->width) < 0 || *(*p)++ != 'x' || num(p, 16, 1080, &t->height) < 0 ||
        *(*p)++ != '@' || num(p, 1, 60, &t->fps) < 0 || *(*p)++ != ':' ||
        num(p, 30, 8000, &t->kbps) < 0)
        return CV_E_INVAL;
    return t->width % 2 || t->height % 2 ? CV_E_INVAL : 0;
}

int cv_tiers_parse(const char *s, cv_tiers_t *out, char *why, size_t whycap)
{
    cv_tiers_t t = {0};
    const char *p = s;
    for (;;) {
        skip_blanks(&p);
        if (t.n == CV_TIERS_MAX) {
            snprintf(why, whycap, "more than %d tiers", CV_TIERS_MAX);
            return CV_E_INVAL;
        }
        if (entry(&p, &t.t[t.n]) < 0) {
            snprintf(why, whycap,
                     "tier %d is not WIDTHxHEIGHT@FPS:KBPS (even size up to 1920x1080, "
                     "fps 1..60, kbps 30..8000)",
                     t.n + 1);
            return CV_E_INVAL;
        }
        if (t.n > 0 && t.t[t.n].kbps >= t.t[t.n - 1].kbps) {
            snprintf(why, whycap, "tier %d: list the best tier first (kbps decreasing)", t.n + 1);
            return CV_E_INVAL;
        }
        t.n++;
        skip_blanks(&p);
        if (*p == '\0')
            break;
        if (*p++ != ',') {
            snprintf(why, whycap, "tiers are separated by commas");
            return CV_E_INVAL;
        }
    }
    *out = t;
    return 0;
}

void cv_tier_ctl_init(cv_tier_ctl_t *c, const cv_tiers_t *tiers, int64_t now_us)
{
    memset(c, 0, sizeof(*c));
    c->start = -1;
    c->tiers = *tiers;
    c->tier = 0;
    c->remb_bps = -1;
    c->stable_us = now_us;
    c->up_wait_us = CV_TIER_UP_WAIT_US;
    c->last_step_us = now_us - LOSS_STEP_US;
}

/* What tier i needs, bit/s, audio included; the audio alone for audio only. */
static int64_t need_bps(const cv_tier_ctl_t *c, int i)
{
    int kbps = i == CV_TIER_AUDIO_ONLY ? 0 : c->tiers.t[i].kbps;
    return (int64_t)(kbps + CV_TIER_AUDIO_KBPS) * 1000;
}

static int lowest(const cv_tier_ctl_t *c)
{
    return c->tiers.n - 1;
}

/* The lowest tier loss alone may take a receiver to. */
static int loss_floor(const cv_tier_ctl_t *c)
{
    return c->delay_based && c->tiers.n >= 2 ? c->tiers.n - 2 : lowest(c);
}

static int64_t base_wait(const cv_tier_ctl_t *c)
{
    return c->delay_based ? CV_TIER_UP_WAIT_DELAY_US : CV_TIER_UP_WAIT_US;
}

/* The best tier below the current one that needs no more than bps, or audio only. */
static int fitting(const cv_tier_ctl_t *c, int64_t bps)
{
    for (int i = c->tier + 1; i < c->tiers.n; i++)
        if (need_bps(c, i) <= bps)
            return i;
    return CV_TIER_AUDIO_ONLY;
}

/* Moves to a worse tier (higher index; audio only is worst of all). */
static void go_down(cv_tier_ctl_t *c, int to, int64_t now_us)
{
    int worse = to == CV_TIER_AUDIO_ONLY ? c->tier != CV_TIER_AUDIO_ONLY
                                         : c->tier != CV_TIER_AUDIO_ONLY && to > c->tier;
    c->stable_us = now_us;
    if (!worse)
        return;
    /* a step up that did not hold: wait longer before the next one */
    if (c->up_us && now_us - c->up_us < c->up_wait_us) {
        c->up_wait_us *= 2;
        if (c->up_wait_us > CV_TIER_UP_MAX_US)
            c->up_wait_us = CV_TIER_UP_MAX_US;
    }
    c->tier = to;
    c->downs++;
}

int cv_tier_ctl_on_remb(cv_tier_ctl_t *c, uint64_t bps, int64_t now_us)
{
    int64_t b = bps > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)bps;
    int dropped = c->remb_bps >= 0 && (double)b < (double)c->remb_bps * REMB_DROP;
    c->remb_bps = b;
    c->remb_us = now_us;
    /* a falling estimate below what we send is overuse (a rising one is the
     * browser catching up after a step up, and no reason to go back) */
    /* after a step up the browser's estimate lags the new rate for a while
     * (it grows by some % a second): loss, not REMB, judges the step then */
    int lagging = c->up_us && now_us - c->up_us < CV_TIER_REMB_GRACE_US;
    if (dropped && !lagging && c->tier != CV_TIER_AUDIO_ONLY && b < need_bps(c, c->tier))
        go_down(c, fitting(c, b), now_us);
    return cv_tier_ctl_poll(c, now_us);
}

int cv_tier_ctl_on_loss(cv_tier_ctl_t *c, int fraction_lost, int64_t now_us)
{
    /* A window (cv_tier_ctl_on_report) covers ~1 s, often a few dozen packets:
     * on a link losing 5 % at random one in a dozen says more than 10 %. A step
     * down takes the running average too (a quarter of the weight to each), so
     * only loss that lasts costs a tier, not one noisy window. */
    c->avg_loss = (3 * c->avg_loss + fraction_lost + 2) / 4;
    c->last_loss = fraction_lost;
    /* judged by delay, loss does not hold a climb back to the loss floor */
    int below_floor = c->delay_based && c->tier != CV_TIER_AUDIO_ONLY && c->tier > loss_floor(c);
    if (fraction_lost > LOSS_UNSTABLE && !below_floor)
        c->stable_us = now_us;
    if (fraction_lost > LOSS_DOWN && c->avg_loss > LOSS_DOWN && c->tier != CV_TIER_AUDIO_ONLY &&
        now_us - c->last_step_us >= LOSS_STEP_US) {
        if (c->tier < loss_floor(c))
            go_down(c, c->tier + 1, now_us);
        else if (c->avg_loss > LOSS_AUDIO_ONLY)
            go_down(c, CV_TIER_AUDIO_ONLY, now_us);
        c->last_step_us = now_us;
    }
    return cv_tier_ctl_poll(c, now_us);
}

int cv_tier_ctl_on_report(cv_tier_ctl_t *c, int32_t cum_lost, uint32_t ext_high_seq, int64_t now_us)
{
    uint32_t expected = ext_high_seq - c->win_high; /* modulo 2^32 */
    if (c->win_open && expected > (1u << 30)) {
        c->win_open = 0; /* the sequence went back: a stale report, or a reset */
        return cv_tier_ctl_poll(c, now_us);
    }
    if (!c->win_open || expected == 0 || now_us - c->win_us >= CV_TIER_LOSS_WINDOW_US) {
        int open = c->win_open && expected > 0;
        int64_t lost = (int64_t)cum_lost - c->win_lost;
        c->win_open = 1;
        c->win_lost = cum_lost;
        c->win_high = ext_high_seq;
        c->win_us = now_us;
        if (open) {
            lost = lost < 0 ? 0 : lost > (int64_t)expected ? (int64_t)expected : lost;
            int fraction = (int)(lost * 256 / (int64_t)expected);
            return cv_tier_ctl_on_loss(c, fraction > 255 ? 255 : fraction, now_us);
        }
    }
    return cv_tier_ctl_poll(c, now_us);
}

int cv_tier_ctl_use_delay(cv_tier_ctl_t *c, int64_t now_us)
{
    c->delay_based = 1;
    c->tier = lowest(c);
    for (int i = lowest(c); i >= 0 && need_bps(c, i) <= CV_TIER_START_KBPS * 1000; i--)
        c->tier = i;
    c->stable_us = now_us;
    c->up_wait_us = CV_TIER_UP_WAIT_DELAY_US;
    if (c->probes) { /* audio only until a probe shows the link carries that much */
        c->start = c->tier;
        c->tier = CV_TIER_AUDIO_ONLY;
        c->stable_us = now_us - c->up_wait_us;
        c->want_bps = need_bps(c, c->start);
    }
    return c->tier;
}

int cv_tier_ctl_on_delay(cv_tier_ctl_t *c, int state, int64_t acked_bps, int64_t now_us)
{
    if (state == CV_BWE_OVERUSE) {
        c->ceiling_bps = acked_bps;
        c->ceiling_us = now_us > 0 ? now_us : 1;
        c->ceiling_len_us = CV_TIER_CEILING_US;
        int64_t fits = acked_bps * 85 / 100;
        if (c->tier != CV_TIER_AUDIO_ONLY && need_bps(c, c->tier) > fits)
            go_down(c, fitting(c, fits), now_us);
    }
    if (state == CV_BWE_OVERUSE || state == CV_BWE_QUEUE)
        c->stable_us = now_us; /* a queue, even a short one, argues against more */
    return cv_tier_ctl_poll(c, now_us);
}

int cv_tier_ctl_on_probe(cv_tier_ctl_t *c, int64_t sent_bps, int64_t delivered_bps, int64_t now_us)
{
    c->want_bps = 0;
    if (sent_bps > 0 && delivered_bps >= sent_bps * 85 / 100) {
        c->proven_bps = sent_bps;
        c->proven_us = now_us > 0 ? now_us : 1;
        c->probe_fails = 0;
        return cv_tier_ctl_poll(c, now_us);
    }
    /* the link fell behind: it delivers about that much; no probe for more
     * for a while, longer after each failure in a row (one probe can fall
     * behind on a busy machine, a capped link's fall behind again) */
    c->ceiling_bps = delivered_bps;
    c->ceiling_us = now_us > 0 ? now_us : 1;
    c->ceiling_len_us = CV_TIER_PROBE_BACKOFF_US << (c->probe_fails < 3 ? c->probe_fails : 3);
    if (c->ceiling_len_us > CV_TIER_CEILING_US)
        c->ceiling_len_us = CV_TIER_CEILING_US;
    c->probe_fails++;
    c->stable_us = now_us;
    return c->tier;
}

int cv_tier_ctl_poll(cv_tier_ctl_t *c, int64_t now_us)
{
    if (c->tier == 0 || now_us - c->stable_us < c->up_wait_us)
        return c->tier;
    /* delay-based: what the link delivered when it last queued bounds a step up */
    int up = c->tier != CV_TIER_AUDIO_ONLY ? c->tier - 1 : c->start >= 0 ? c->start : lowest(c);
    if (c->delay_based && c->ceiling_us && now_us - c->ceiling_us < c->ceiling_len_us &&
        need_bps(c, up) > c->ceiling_bps)
        return c->tier;
    /* a probe first: the step up only once the link showed it carries it */
    if (c->delay_based && c->probes &&
        (now_us - c->proven_us > CV_TIER_PROVEN_US || c->proven_bps < need_bps(c, up))) {
        c->want_bps = need_bps(c, up);
        return c->tier;
    }
    c->want_bps = 0;
    /* a fresh REMB that cannot even carry the current tier holds us here */
    if (c->remb_bps >= 0 && now_us - c->remb_us < CV_TIER_REMB_FRESH_US &&
        c->remb_bps < need_bps(c, c->tier))
        return c->tier;
    /* the last step up held for a whole wait: the link is fine again */
    if (c->up_us && now_us - c->up_us >= 2 * c->up_wait_us)
        c->up_wait_us = base_wait(c);
    c->tier = up;
    c->start = -1;
    c->up_us = now_us;
    c->stable_us = now_us;
    c->ups++;
    return c->tier;
}

int64_t cv_tier_rtt_us(uint32_t lsr, uint32_t dlsr, uint32_t now_mid32)
{
    if (lsr == 0)
        return -1;
    uint32_t rtt = now_mid32 - lsr - dlsr; /* 1/65536 s, modulo 2^32 */
    if (rtt > 10u * 65536u)                /* over 10 s (or negative): not plausible */
        return -1;
    return (int64_t)rtt * 1000000 / 65536;
}
