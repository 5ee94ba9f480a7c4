/*
 * test_tier.c - the tier list parser and the tier controller, driven by
 * synthetic REMB, receiver-report loss and transport feedback windows on a
 * fake clock.
 */
#include "check.h"
#include "bwe.h"
#include "err.h"
#include "tier.h"

#define MS 1000LL
#define S 1000000LL
#define PCT(x) ((x)*256 / 100) /* fraction lost of x % */

static cv_tiers_t defaults(void)
{
    cv_tiers_t t;
    char why[160];
    CHECK_EQ(cv_tiers_parse(CV_TIERS_DEFAULT, &t, why, sizeof(why)), 0);
    return t;
}

static void test_parse(void)
{
    cv_tiers_t t = defaults();
    CHECK_EQ(t.n, 3);
    CHECK_EQ(t.t[0].width, 1280);
    CHECK_EQ(t.t[0].height, 720);
    CHECK_EQ(t.t[0].fps, 30);
    CHECK_EQ(t.t[0].kbps, 1500);
    CHECK_EQ(t.t[2].width, 320);
    CHECK_EQ(t.t[2].fps, 15);
    CHECK_EQ(t.t[2].kbps, 150);

    char why[160] = "";
    CHECK_EQ(cv_tiers_parse(" 640x360@25:600 , 320x180@10:120 ", &t, why, sizeof(why)), 0);
    CHECK_EQ(t.n, 2);
    CHECK_EQ(t.t[1].kbps, 120);
    CHECK_EQ(cv_tiers_parse("640x360@30:900", &t, why, sizeof(why)), 0);
    CHECK_EQ(t.n, 1);

    /* each bad form is refused with a reason, and *out left alone */
    const char *bad[] = {"",
                         "640x360",
                         "640x360@30",
                         "640x361@30:500",                /* odd */
                         "640x360@0:500",                 /* fps 0 */
                         "640x360@30:20",                 /* under 30 kbps */
                         "4000x360@30:500",               /* too wide */
                         "320x180@15:150,640x360@30:500", /* worst first */
                         "640x360@30:500,,320x180@15:150",
                         "640x360@30:500;320x180@15:150",
                         "640x360@30:500,320x180@15:150,",
                         "a,b,c,d,e,f,g",
                         "1280x720@30:1500,1120x630@30:1200,960x540@30:900,800x450@30:700,"
                         "640x360@30:500,480x270@20:300,320x180@15:150",
                         "-640x360@30:500"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        cv_tiers_t keep = t;
        why[0] = 0;
        CHECK_EQ(cv_tiers_parse(bad[i], &t, why, sizeof(why)), CV_E_INVAL);
        CHECK(why[0] != 0);
        CHECK_EQ(t.n, keep.n);
    }
}

/* Loss above 10 % that lasts steps down one tier a second, to the lowest
 * tier, never to audio only for 20 % (random loss is not congestion); 80 %
 * that lasts pauses the video. */
static void test_loss_down(void)
{
    cv_tiers_t t = defaults();
    cv_tier_ctl_t c;
    cv_tier_ctl_init(&c, &t, 0);
    CHECK_EQ(c.tier, 0);
    CHECK_EQ(cv_tier_ctl_on_loss(&c, PCT(5), 0), 0);      /* 5 %: stay */
    CHECK_EQ(cv_tier_ctl_on_loss(&c, PCT(20), 1 * S), 0); /* lossy reports: not yet */
    CHECK_EQ(cv_tier_ctl_on_loss(&c, PCT(20), 2 * S), 0);
    CHECK_EQ(cv_tier_ctl_on_loss(&c, PCT(20), 3 * S), 1);            /* it lasts: down */
    CHECK_EQ(cv_tier_ctl_on_loss(&c, PCT(20), 3 * S + 500 * MS), 1); /* same interval */
    CHECK_EQ(cv_tier_ctl_on_loss(&c, PCT(20), 4 * S), 2);
    for (int64_t now = 5 * S; now < 60 * S; now += S)
        CHECK_EQ(cv_tier_ctl_on_loss(&c, PCT(20), now), 2);
    /* one report of 80 % on the lowest tier is noise; when it lasts the video pauses */
    CHECK_EQ(cv_tier_ctl_on_loss(&c, PCT(80), 61 * S), 2);
    int64_t now = 62 * S;
    for (; c.tier == 2 && now < 80 * S; now += S)
        cv_tier_ctl_on_loss(&c, PCT(80), now);
    CHECK_EQ(c.tier, CV_TIER_AUDIO_ONLY);
    CHECK(now <= 66 * S); /* within a few reports */
    CHECK_EQ(c.downs, 3);
}

/* A link that loses 5 % at random, reported on ~45 packets a second (so one
 * report in a dozen says more than 10 %): no tier is lost to that noise in
 * ten minutes. Binomial draws from a fixed seed. */
static void test_loss_noise(void)
{
    cv_tiers_t t = defaults();
    cv_tier_ctl_t c;
    cv_tier_ctl_init(&c, &t, 0);
    uint32_t rng = 12345;
    int noisy = 0, off_best = 0;
    for (int64_t now = 0; now < 600 * S; now += S) {
        int lost = 0, n = 45;
        for (int i = 0; i < n; i++) {
            rng = rng * 1664525u + 1013904223u;
            lost += (rng >> 8) % 1000 < 50;
        }
        int fraction = lost * 256 / n;
        noisy += fraction > PCT(10);
        off_best += cv_tier_ctl_on_loss(&c, fraction > 255 ? 255 : fraction, now) != 0;
    }
    CHECK(noisy >= 20); /* the noise was there: reports above 10 % */
    CHECK_EQ(c.downs, 0);
    CHECK_EQ(off_best, 0); /* reports answered with a tier below the best */
}

/* Loss measured from the cumulative counts over ~1 s windows. */
static void test_report_windows(void)
{
    cv_tiers_t t = defaults();
    cv_tier_ctl_t c;
    cv_tier_ctl_init(&c, &t, 0);
    CHECK_EQ(cv_tier_ctl_on_report(&c, 0, 1000, 0), 0); /* opens a window */
    CHECK_EQ(c.win_open, 1);
    cv_tier_ctl_on_report(&c, 3, 1040, 500 * MS); /* inside the window: no verdict yet */
    CHECK_EQ(c.last_loss, 0);
    CHECK_EQ(c.win_high, 1000u);
    cv_tier_ctl_on_report(&c, 10, 1100, 1 * S); /* 10 of 100: 25/256 */
    CHECK_EQ(c.last_loss, 25);
    CHECK_EQ(c.win_high, 1100u);
    /* a report from before the window (reordered): a new window, no verdict */
    cv_tier_ctl_on_report(&c, 90, 1050, 2 * S);
    CHECK_EQ(c.win_open, 0);
    CHECK_EQ(c.last_loss, 25);
    cv_tier_ctl_on_report(&c, 10, 1200, 3 * S);
    cv_tier_ctl_on_report(&c, 10, 1300, 4 * S); /* nothing lost */
    CHECK_EQ(c.last_loss, 0);
    /* a receiver whose cumulative count falls (duplicates) loses nothing, not < 0 */
    cv_tier_ctl_on_report(&c, 4, 1400, 5 * S);
    CHECK_EQ(c.last_loss, 0);
    /* across the 32-bit wrap of the extended sequence number: 50 of 200 */
    cv_tier_ctl_init(&c, &t, 0);
    cv_tier_ctl_on_report(&c, 0, 0xffffff9cu, 0);
    cv_tier_ctl_on_report(&c, 50, 100, 1 * S);
    CHECK_EQ(c.last_loss, 64);
    /* no packet sent in the window (video paused): no verdict */
    cv_tier_ctl_init(&c, &t, 0);
    cv_tier_ctl_on_report(&c, 7, 500, 0);
    cv_tier_ctl_on_report(&c, 9, 500, 2 * S);
    CHECK_EQ(c.last_loss, 0);
    CHECK_EQ(c.avg_loss, 0);
}

/* A browser adds a report to every NACK, right after a loss: on a link losing
 * 5 % at random, at 50 packets a second, those reports say 1/3, 1/2, ... The
 * windows see 5 % and keep the best tier; the single reports would not. */
static void test_report_bias(void)
{
    cv_tiers_t t = defaults();
    cv_tier_ctl_t win, single;
    cv_tier_ctl_init(&win, &t, 0);
    cv_tier_ctl_init(&single, &t, 0);
    uint32_t rng = 777, high = 5000, last_high = high;
    int32_t lost = 0, last_lost = 0;
    int64_t next_rr = 1 * S;
    for (int64_t now = 0; now < 600 * S; now += 20 * MS) { /* one packet each 20 ms */
        high++;
        rng = rng * 1664525u + 1013904223u;
        int is_lost = (rng >> 8) % 1000 < 50;
        lost += is_lost;
        if (!is_lost && now < next_rr)
            continue;
        /* a report: the regular one each second, or one with a NACK */
        uint32_t expected = high - last_high;
        int fraction = expected ? (int)((lost - last_lost) * 256 / (int32_t)expected) : 0;
        cv_tier_ctl_on_loss(&single, fraction > 255 ? 255 : fraction, now);
        cv_tier_ctl_on_report(&win, lost, high, now);
        last_high = high;
        last_lost = lost;
        if (now >= next_rr)
            next_rr = now + 1 * S;
    }
    CHECK(single.downs > 0); /* the biased reports cost a tier */
    CHECK_EQ(win.downs, 0);
    CHECK_EQ(win.tier, 0);
    CHECK(win.avg_loss >= 5 && win.avg_loss <= 25); /* ~13/256 */
}

/* Up one tier at a time, only after a stable period. */
static void test_up_slowly(void)
{
    cv_tiers_t t = defaults();
    cv_tier_ctl_t c;
    cv_tier_ctl_init(&c, &t, 0);
    int64_t lossy = 0; /* the last lossy report */
    for (; c.tier != CV_TIER_AUDIO_ONLY && lossy < 20 * S; lossy += S)
        cv_tier_ctl_on_loss(&c, PCT(100), lossy);
    lossy -= S;
    CHECK_EQ(c.tier, CV_TIER_AUDIO_ONLY);
    int64_t changed = -1;
    int last = c.tier;
    for (int64_t now = lossy + S; now < lossy + 40 * S; now += S) {
        int tier = cv_tier_ctl_on_loss(&c, 0, now);
        if (tier != last && changed >= 0)
            CHECK(now - changed >= CV_TIER_UP_WAIT_US); /* never two steps in a row */
        if (tier != last) {
            CHECK(tier == (last == CV_TIER_AUDIO_ONLY ? 2 : last - 1)); /* one step */
            changed = now;
            last = tier;
        }
    }
    CHECK_EQ(c.tier, 0);
    CHECK_EQ(c.ups, 3);
    /* the first step came no sooner than the wait after the last loss */
    CHECK(c.up_us >= lossy + 3 * CV_TIER_UP_WAIT_US);
}

/* A link on the boundary of the lowest tier: every step up fails. The waits
 * double, so the tier changes ever more rarely instead of oscillating. */
static void test_no_oscillation(void)
{
    cv_tiers_t t = defaults();
    cv_tier_ctl_t c;
    cv_tier_ctl_init(&c, &t, 0);
    int changes = 0, last = c.tier;
    int64_t ups[16];
    int n_up = 0;
    for (int64_t now = 0; now < 600 * S; now += 500 * MS) {
        /* video (any tier) loses 90 %, audio alone loses nothing */
        int loss = c.tier == CV_TIER_AUDIO_ONLY ? 0 : PCT(90);
        int tier = cv_tier_ctl_on_loss(&c, loss, now);
        if (tier != last) {
            changes++;
            if (last == CV_TIER_AUDIO_ONLY && n_up < 16)
                ups[n_up++] = now;
            last = tier;
        }
    }
    CHECK(n_up >= 3);
    CHECK(changes < 20);
    for (int i = 2; i < n_up; i++) /* each wait at least as long as the one before */
        CHECK(ups[i] - ups[i - 1] >= ups[i - 1] - ups[i - 2]);
    CHECK(c.up_wait_us <= CV_TIER_UP_MAX_US);
    CHECK(ups[n_up - 1] - ups[n_up - 2] >= 60 * S);
}

/* REMB: a falling estimate below the tier's need goes down to the tier that
 * fits, or audio only; a rising one (ramping up) does not. */
static void test_remb(void)
{
    cv_tiers_t t = defaults();
    cv_tier_ctl_t c;
    cv_tier_ctl_init(&c, &t, 0);
    CHECK_EQ(cv_tier_ctl_on_remb(&c, 2000000, 0), 0);
    CHECK_EQ(cv_tier_ctl_on_remb(&c, 1700000, 100 * MS), 0); /* still carries 1500+40 */
    CHECK_EQ(cv_tier_ctl_on_remb(&c, 300000, 200 * MS), 2);  /* 540k no, 190k yes */
    CHECK_EQ(cv_tier_ctl_on_remb(&c, 120000, 300 * MS), CV_TIER_AUDIO_ONLY);
    /* rising estimates (the browser catching up) never push down */
    cv_tier_ctl_init(&c, &t, 0);
    c.tier = 2;
    for (int i = 0; i < 20; i++)
        CHECK_EQ(cv_tier_ctl_on_remb(&c, 50000 + 5000 * (uint64_t)i, i * 200 * MS), 2);
    /* a fresh REMB that cannot carry the current tier holds it there */
    for (int64_t now = 4 * S; now < 30 * S; now += S)
        CHECK_EQ(cv_tier_ctl_on_remb(&c, 150000, now), 2);
    /* once it can, the step up comes after the wait */
    int64_t now = 30 * S;
    int stepped = 0;
    for (; now < 60 * S && !stepped; now += S)
        stepped = cv_tier_ctl_on_remb(&c, 700000, now) == 1;
    CHECK(stepped);
}

/* After a step up, the browser's REMB still reflects the old rate: its dips do
 * not undo the step for CV_TIER_REMB_GRACE_US; loss still does. */
static void test_remb_grace(void)
{
    cv_tiers_t t = defaults();
    cv_tier_ctl_t c;
    cv_tier_ctl_init(&c, &t, 0);
    c.tier = CV_TIER_AUDIO_ONLY;
    CHECK_EQ(cv_tier_ctl_on_remb(&c, 60000, 0), CV_TIER_AUDIO_ONLY);
    CHECK_EQ(cv_tier_ctl_poll(&c, CV_TIER_UP_WAIT_US), 2); /* stepped up */
    int64_t up = CV_TIER_UP_WAIT_US;
    CHECK_EQ(cv_tier_ctl_on_remb(&c, 70000, up + 1 * S), 2);
    CHECK_EQ(cv_tier_ctl_on_remb(&c, 50000, up + 2 * S), 2); /* a dip, within the grace */
    CHECK_EQ(cv_tier_ctl_on_remb(&c, 80000, up + CV_TIER_REMB_GRACE_US), 2);
    CHECK_EQ(cv_tier_ctl_on_remb(&c, 60000, up + CV_TIER_REMB_GRACE_US + S), CV_TIER_AUDIO_ONLY);
    /* loss that lasts undoes a step, grace or not */
    cv_tier_ctl_init(&c, &t, 0);
    c.tier = 2;
    c.up_us = 1;
    CHECK_EQ(cv_tier_ctl_on_loss(&c, PCT(100), 2 * S), 2);
    for (int64_t now = 3 * S; now < 6 * S; now += S)
        cv_tier_ctl_on_loss(&c, PCT(100), now);
    CHECK_EQ(c.tier, CV_TIER_AUDIO_ONLY);
}

static void test_rtt(void)
{
    /* SR sent at mid32 0x10000 (1 s); the receiver held it 0.5 s; now is 1.7 s */
    CHECK_EQ(cv_tier_rtt_us(0x10000, 0x8000, 0x1b333), 199996); /* 0x1b333 ~ 1.7 s */
    CHECK_EQ(cv_tier_rtt_us(0, 0, 12345), -1);                  /* no SR yet */
    CHECK_EQ(cv_tier_rtt_us(0x20000, 0, 0x10000), -1);          /* negative */
    /* across the wrap of the 32-bit middle word */
    CHECK_EQ(cv_tier_rtt_us(0xffff8000u, 0x4000, 0x00004000u), 500000);
}

/* Judged by delay: starts on the best tier that needs no more than the start
 * rate, climbs after a short quiet period, drops at once on overuse to what
 * the link delivered, and does not probe past that for the ceiling's time. */
static void test_delay(void)
{
    cv_tiers_t t = defaults(); /* needs 1540, 540, 190 kbit/s with audio */
    cv_tier_ctl_t c;
    int64_t now = 5 * S;
    cv_tier_ctl_init(&c, &t, now);
    CHECK_EQ(cv_tier_ctl_use_delay(&c, now), 2);
    for (int step = 2; step > 0; step--) {
        const int64_t wait = CV_TIER_UP_WAIT_DELAY_US;
        for (int64_t t = 100 * MS; t < wait; t += 100 * MS) /* windows without a queue */
            CHECK_EQ(cv_tier_ctl_on_delay(&c, CV_BWE_NORMAL, 500000, now + t), step);
        CHECK_EQ(cv_tier_ctl_on_delay(&c, CV_BWE_NORMAL, 500000, now + wait), step - 1);
        now += wait;
    }
    /* a short queue holds a step up back, it does not step down */
    CHECK_EQ(cv_tier_ctl_on_delay(&c, CV_BWE_QUEUE, 1400000, now + 100 * MS), 0);
    /* a capped link: down past the middle tier at once */
    CHECK_EQ(cv_tier_ctl_on_delay(&c, CV_BWE_OVERUSE, 300000, now + 200 * MS), 2);
    CHECK_EQ(cv_tier_ctl_on_delay(&c, CV_BWE_OVERUSE, 290000, now + 300 * MS), 2); /* draining */
    now += 300 * MS;
    /* quiet for 25 s: the middle tier would not fit what the link delivered */
    for (int i = 1; i <= 250; i++)
        CHECK_EQ(cv_tier_ctl_on_delay(&c, CV_BWE_NORMAL, 200000, now + i * 100 * MS), 2);
    /* once the ceiling is old, one step up is tried */
    CHECK_EQ(cv_tier_ctl_poll(&c, now + CV_TIER_CEILING_US + 1 * S), 1);
    CHECK_EQ(c.ups, 3);
    /* too little even for the lowest tier: audio only, and back when it fits */
    now += CV_TIER_CEILING_US + 1 * S;
    CHECK_EQ(cv_tier_ctl_on_delay(&c, CV_BWE_OVERUSE, 150000, now + 100 * MS), CV_TIER_AUDIO_ONLY);
    CHECK_EQ(cv_tier_ctl_poll(&c, now + 20 * S), CV_TIER_AUDIO_ONLY);
    CHECK_EQ(cv_tier_ctl_poll(&c, now + 100 * MS + CV_TIER_CEILING_US + 1 * S), 2);
}

/* With probes: audio only until the start tier is proven; each step up waits
 * for a probe at the better tier's rate; a probe the link fell behind on is a
 * ceiling (no probe for more until it is old), and a proof is good for
 * CV_TIER_PROVEN_US only. */
static void test_probes(void)
{
    cv_tiers_t t = defaults(); /* needs 1540, 540, 190 kbit/s with audio */
    cv_tier_ctl_t c;
    int64_t now = 5 * S;
    cv_tier_ctl_init(&c, &t, now);
    c.probes = 1;
    CHECK_EQ(cv_tier_ctl_use_delay(&c, now), CV_TIER_AUDIO_ONLY);
    CHECK_EQ(c.want_bps, 190000);
    CHECK_EQ(cv_tier_ctl_poll(&c, now + 10 * MS), CV_TIER_AUDIO_ONLY); /* not before */
    CHECK_EQ(cv_tier_ctl_on_probe(&c, 220000, 219000, now + 150 * MS), 2);
    CHECK_EQ(c.want_bps, 0);
    now += 150 * MS;
    /* the wait, then a probe is wanted for the middle tier, and no step yet */
    CHECK_EQ(cv_tier_ctl_on_delay(&c, CV_BWE_NORMAL, 200000, now + CV_TIER_UP_WAIT_DELAY_US), 2);
    CHECK_EQ(c.want_bps, 540000);
    /* an old proof does not count */
    CHECK_EQ(cv_tier_ctl_on_probe(&c, 620000, 610000, now), 2);
    CHECK_EQ(cv_tier_ctl_poll(&c, now + CV_TIER_UP_WAIT_DELAY_US + CV_TIER_PROVEN_US + 1), 2);
    CHECK_EQ(c.want_bps, 540000);
    now += CV_TIER_UP_WAIT_DELAY_US + CV_TIER_PROVEN_US + 1;
    /* the link fell behind (300 of 620 kbit/s): no step, and no probe wanted
     * for 4 s, then 8, 16, 30, 30 after each failure in a row */
    const int64_t holds[] = {4 * S, 8 * S, 16 * S, CV_TIER_CEILING_US, CV_TIER_CEILING_US};
    for (int i = 0; i < 5; i++) {
        CHECK_EQ(cv_tier_ctl_on_probe(&c, 620000, 300000, now), 2);
        CHECK_EQ(c.want_bps, 0);
        CHECK_EQ(cv_tier_ctl_poll(&c, now + holds[i] - 1 * S), 2);
        CHECK_EQ(c.want_bps, 0);
        CHECK_EQ(cv_tier_ctl_poll(&c, now + holds[i] + 1 * S), 2);
        CHECK_EQ(c.want_bps, 540000);
        now += holds[i] + 1 * S;
    }
    /* a probe that proves too little for the tier (sent below its need) */
    CHECK_EQ(cv_tier_ctl_on_probe(&c, 500000, 500000, now), 2);
    CHECK_EQ(cv_tier_ctl_poll(&c, now + 1), 2);
    CHECK_EQ(c.want_bps, 540000);
    /* it kept up at the middle tier's rate: the step */
    CHECK_EQ(cv_tier_ctl_on_probe(&c, 620000, 600000, now + 2), 1);
    CHECK_EQ(c.downs, 0);
}

/* Judged by delay, loss alone (a queue would have shown) stops at the
 * second-lowest tier, and does not hold back a climb from the lowest to it;
 * judged by loss, it goes to the lowest. */
static void test_delay_loss_floor(void)
{
    cv_tiers_t t = defaults();
    for (int delay = 0; delay <= 1; delay++) {
        cv_tier_ctl_t c;
        cv_tier_ctl_init(&c, &t, 0);
        if (delay)
            cv_tier_ctl_use_delay(&c, 0);
        int tier = c.tier;
        CHECK_EQ(tier, delay ? 2 : 0);
        for (int i = 1; i <= 30; i++)
            tier = cv_tier_ctl_on_loss(&c, PCT(20), i * S);
        CHECK_EQ(tier, delay ? 1 : 2);
        CHECK_EQ(c.ups, delay ? 1 : 0);
    }
}

int main(void)
{
    test_probes();
    test_parse();
    test_loss_down();
    test_loss_noise();
    test_report_windows();
    test_report_bias();
    test_up_slowly();
    test_no_oscillation();
    test_remb();
    test_remb_grace();
    test_rtt();
    test_delay();
    test_delay_loss_floor();
    return CHECK_DONE("tier");
}
