/*
 * test_audio_mix.c - mix-minus with three synthetic voices (each listener
 * hears the two others and never itself, a listener who is not speaking hears
 * all three), silent (NULL) inputs, the input cap, and the soft limiter
 * (identity below the knee, monotonic, slope <= 1, symmetric, bounded).
 */
#include "check.h"

#include "audio_codec.h"
#include "audio_mix.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#define NV 3
#define AMP 0.2    /* of full scale: expected tone power 0.04 */
#define HEARD 0.03 /* a tone counts as heard above this power */

/* 300, 500, 700 Hz: 6, 10 and 14 whole periods in 960 samples, so the
 * Goertzel meter of one is blind to the others */
static const double freqs[NV] = {300.0, 500.0, 700.0};

static void sine(int16_t *pcm, double freq, double amp)
{
    for (int i = 0; i < CV_AUDIO_FRAME; i++)
        pcm[i] = (int16_t)lround(amp * 32767.0 * sin(2.0 * M_PI * freq * i / CV_AUDIO_RATE));
}

static double power(const int16_t *pcm, double freq)
{
    return cv_audio_tone_power(pcm, CV_AUDIO_FRAME, CV_AUDIO_RATE, freq);
}

static void check_mix_minus(void)
{
    static int16_t voice[NV][CV_AUDIO_FRAME], out[CV_AUDIO_FRAME];
    static int32_t total[CV_AUDIO_FRAME];
    cv_mix_in_t in[NV];
    for (int k = 0; k < NV; k++) {
        sine(voice[k], freqs[k], AMP);
        in[k].pcm = voice[k];
    }
    cv_mix_sum(in, NV, total);
    int exact = 1;
    for (int i = 0; i < CV_AUDIO_FRAME; i++)
        exact &= total[i] == voice[0][i] + voice[1][i] + voice[2][i];
    CHECK(exact);

    for (int k = 0; k < NV; k++) {
        cv_mix_minus(total, voice[k], out);
        double own = power(out, freqs[k]);
        double weakest = 1.0;
        for (int j = 0; j < NV; j++) {
            if (j == k)
                continue;
            double p = power(out, freqs[j]);
            CHECK(p > HEARD);
            weakest = p < weakest ? p : weakest;
        }
        CHECK(own < 1e-4 * weakest);
        /* two voices at 0.2 FS stay below the knee: the mix is their exact sum */
        int same = 1;
        for (int i = 0; i < CV_AUDIO_FRAME; i++)
            same &= out[i] == total[i] - voice[k][i];
        CHECK(same);
    }

    /* a listener who is not speaking hears everyone */
    cv_mix_minus(total, NULL, out);
    for (int j = 0; j < NV; j++)
        CHECK(power(out, freqs[j]) > HEARD);
}

static void check_silence(void)
{
    static int16_t a[CV_AUDIO_FRAME], out[CV_AUDIO_FRAME], ones[CV_AUDIO_FRAME];
    static int32_t total[CV_AUDIO_FRAME];
    sine(a, 500.0, 0.3);
    cv_mix_in_t in[3] = {{NULL}, {a}, {NULL}};
    cv_mix_sum(in, 3, total);
    int same = 1;
    for (int i = 0; i < CV_AUDIO_FRAME; i++)
        same &= total[i] == a[i];
    CHECK(same);
    /* the speaker of the only voice hears silence */
    cv_mix_minus(total, a, out);
    int zero = 1;
    for (int i = 0; i < CV_AUDIO_FRAME; i++)
        zero &= out[i] == 0;
    CHECK(zero);

    /* all silent, no inputs, NULL array: silence */
    in[1].pcm = NULL;
    total[7] = 99;
    cv_mix_sum(in, 3, total);
    zero = 1;
    for (int i = 0; i < CV_AUDIO_FRAME; i++)
        zero &= total[i] == 0;
    CHECK(zero);
    total[7] = 99;
    cv_mix_sum(in, 0, total);
    CHECK_EQ(total[7], 0);
    total[7] = 99;
    cv_mix_sum(NULL, 5, total);
    CHECK_EQ(total[7], 0);
    out[3] = 5;
    cv_mix_minus(NULL, NULL, out);
    CHECK_EQ(out[3], 0);

    /* only the first CV_MIX_MAX_INPUTS inputs count */
    static cv_mix_in_t many[200];
    for (int i = 0; i < CV_AUDIO_FRAME; i++)
        ones[i] = 1;
    for (int k = 0; k < 200; k++)
        many[k].pcm = ones;
    cv_mix_sum(many, 200, total);
    CHECK_EQ(total[0], CV_MIX_MAX_INPUTS);
    CHECK_EQ(total[CV_AUDIO_FRAME - 1], CV_MIX_MAX_INPUTS);
}

static void check_limiter(void)
{
    int bad = 0;
    for (int32_t x = -CV_MIX_KNEE; x <= CV_MIX_KNEE; x++)
        bad += cv_mix_limit(x) != x;
    CHECK_EQ(bad, 0);
    /* just above the knee the slope is still about 1 */
    CHECK_EQ(cv_mix_limit(CV_MIX_KNEE + 1), CV_MIX_KNEE + 1);
    CHECK_EQ(cv_mix_limit(-CV_MIX_KNEE - 1), -CV_MIX_KNEE - 1);
    CHECK(cv_mix_limit(CV_MIX_KNEE + 1000) >= CV_MIX_KNEE + 990);
    CHECK(cv_mix_limit(CV_MIX_KNEE + 1000) < CV_MIX_KNEE + 1000);

    /* monotonic, no jumps (slope <= 1), symmetric, within 16 bit, over the
     * whole range a sum of CV_MIX_MAX_INPUTS inputs can take */
    const int32_t lim = CV_MIX_MAX_INPUTS * 32768;
    int mono = 0, jump = 0, sym = 0, range = 0;
    int prev = cv_mix_limit(-lim);
    for (int32_t x = -lim + 1; x <= lim; x++) {
        int y = cv_mix_limit(x);
        mono += y < prev;
        jump += y - prev > 1;
        prev = y;
        range += y > 32767 || y < -32768;
        if ((x & 63) == 0)
            sym += cv_mix_limit(-x) != -y;
    }
    CHECK_EQ(mono, 0);
    CHECK_EQ(jump, 0);
    CHECK_EQ(sym, 0);
    CHECK_EQ(range, 0);
    CHECK_EQ(cv_mix_limit(INT32_MAX), 32767);
    CHECK_EQ(cv_mix_limit(INT32_MIN), -32767);
    CHECK_EQ(cv_mix_limit(INT32_MIN + 1), -32767);

    /* ten inputs at full scale, both polarities: no wrap, pinned near full scale */
    static int16_t hi[CV_AUDIO_FRAME], lo[CV_AUDIO_FRAME], out[CV_AUDIO_FRAME];
    static int32_t total[CV_AUDIO_FRAME];
    for (int i = 0; i < CV_AUDIO_FRAME; i++) {
        hi[i] = (i & 1) ? 32767 : -32768;
        lo[i] = (i & 1) ? -32768 : 32767;
    }
    cv_mix_in_t in[10];
    for (int k = 0; k < 10; k++)
        in[k].pcm = hi;
    cv_mix_sum(in, 10, total);
    CHECK_EQ(total[0], -327680);
    CHECK_EQ(total[1], 327670);
    cv_mix_minus(total, NULL, out);
    CHECK(out[0] <= -32700 && out[0] >= -32768);
    CHECK(out[1] >= 32700 && out[1] <= 32767);
    /* minus one of opposite polarity: even further out, still bounded */
    cv_mix_minus(total, lo, out);
    CHECK(out[0] <= -32700 && out[1] >= 32700);

    /* a loud mix keeps its tones: 10 sines of 0.3 FS at 500 Hz through the limiter */
    static int16_t s[CV_AUDIO_FRAME];
    sine(s, 500.0, 0.3);
    for (int k = 0; k < 10; k++)
        in[k].pcm = s;
    cv_mix_sum(in, 10, total);
    cv_mix_minus(total, NULL, out);
    CHECK(power(out, 500.0) > 0.3);
}

/* The level meter and the choice of voices to mix. */
static void check_pick(void)
{
    int16_t pcm[960];
    for (int i = 0; i < 960; i++)
        pcm[i] = (int16_t)(i & 1 ? 16384 : -16384); /* square wave at half scale: -6.02 dBFS */
    CHECK(fabs(cv_mix_level_dbfs(pcm, 960) + 6.0206) < 0.01);
    memset(pcm, 0, sizeof(pcm));
    CHECK(cv_mix_level_dbfs(pcm, 960) == -180.0);
    CHECK(cv_mix_level_dbfs(pcm, 0) == -180.0);

    double db[6] = {-20, -10, -30, -5, -12, -40};
    int cand[6] = {1, 1, 1, 0, 1, 1}, was[6] = {0}, sel[6];
    /* the two loudest candidates: -10 and -12 (-5 is no candidate) */
    CHECK_EQ(cv_mix_pick(db, cand, was, 6, 2, 3.0, sel), 2);
    CHECK(!sel[0] && sel[1] && !sel[2] && !sel[3] && sel[4] && !sel[5]);
    /* input 0 was picked: -20 + 3 is not louder than -12, -20 + 9 is */
    was[0] = 1;
    cv_mix_pick(db, cand, was, 6, 2, 3.0, sel);
    CHECK(sel[1] && sel[4] && !sel[0]);
    cv_mix_pick(db, cand, was, 6, 2, 9.0, sel);
    CHECK(sel[0] && sel[1] && !sel[4]);
    /* fewer candidates than places; ties to the earlier input */
    int one[6] = {0, 0, 1, 0, 0, 0}, none[6] = {0};
    CHECK_EQ(cv_mix_pick(db, one, none, 6, 3, 3.0, sel), 1);
    CHECK(sel[2]);
    double same[3] = {-10, -10, -10};
    int all[3] = {1, 1, 1};
    CHECK_EQ(cv_mix_pick(same, all, none, 3, 1, 3.0, sel), 1);
    CHECK(sel[0] && !sel[1] && !sel[2]);
    CHECK_EQ(cv_mix_pick(same, all, none, 3, 0, 3.0, sel), 0);
}

int main(void)
{
    check_pick();
    check_mix_minus();
    check_silence();
    check_limiter();
    return CHECK_DONE("test_audio_mix");
}
