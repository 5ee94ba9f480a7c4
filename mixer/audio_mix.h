/*
 * audio_mix.h - mix-minus for a room's audio: one sum of every voice, from
 * which each active speaker's own voice is taken out again so nobody hears
 * themselves, then a soft limiter back to 16 bit. 48 kHz mono, 20 ms frames
 * (CV_AUDIO_FRAME samples, audio_codec.h).
 *
 * Thread: pure functions, no state; called by the mixer worker that mixes a
 * room. No RFCs.
 */
#ifndef CV_AUDIO_MIX_H
#define CV_AUDIO_MIX_H

#include <stdint.h>

#define CV_MIX_MAX_INPUTS 128
/* The limiter is the identity for |x| <= CV_MIX_KNEE (half full scale). */
#define CV_MIX_KNEE 16384

typedef struct {
    const int16_t *pcm; /* CV_AUDIO_FRAME samples, or NULL if this input is silent/absent */
} cv_mix_in_t;

/*
 * total[i] = sum over the inputs of in[k].pcm[i], NULL inputs counting as
 * silence; CV_AUDIO_FRAME samples. Only the first CV_MIX_MAX_INPUTS inputs are
 * used, so the sum cannot overflow; n <= 0 or in == NULL gives silence.
 * Borrows the inputs until return.
 */
void cv_mix_sum(const cv_mix_in_t *in, int n, int32_t *total);

/*
 * out[i] = cv_mix_limit(total[i] - own[i]): what one listener hears, total
 * being cv_mix_sum of every input and own that listener's input. own may be
 * NULL (a listener who is not speaking: out = cv_mix_limit(total)). All
 * arrays hold CV_AUDIO_FRAME samples; total NULL gives silence.
 */
void cv_mix_minus(const int32_t *total, const int16_t *own, int16_t *out);

/*
 * The soft limiter: exactly x for |x| <= CV_MIX_KNEE, above the knee
 * knee + (32767 - knee) * tanh((|x| - knee) / (32767 - knee)) with the sign
 * of x, rounded: continuous with slope 1 at the knee, monotonic, symmetric
 * (limit(-x) == -limit(x)), always within -32767..32767.
 */
int16_t cv_mix_limit(int32_t x);

/* RMS level of n samples in dBFS (a full-scale square wave is 0, a
 * full-scale sine about -3); -180 for silence or n <= 0. */
double cv_mix_level_dbfs(const int16_t *pcm, int n);

/*
 * Picks the voices to mix: among the n inputs with cand[i] set, the k
 * loudest by level_db[i], an input already picked (was[i]) counting margin_db
 * louder so that two voices of about the same level do not take turns; ties
 * go to the earlier input. Writes sel[i] = 1 for the picked ones, 0 for the
 * others, and returns how many were picked (at most k). Pure.
 */
int cv_mix_pick(const double *level_db, const int *cand, const int *was, int n, int k,
                double margin_db, int *sel);

#endif
