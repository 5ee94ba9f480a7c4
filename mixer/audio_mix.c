/*
 * audio_mix.c - mix-minus: the sum of all voices, minus the listener's own,
 * through a soft limiter (linear below half full scale, tanh above).
 *
 * Thread: pure, no state; the mixer worker of a room. No RFCs.
 */
#include "audio_mix.h"

#include "audio_codec.h"

#include <math.h>
#include <stddef.h>
#include <string.h>

#define FULL 32767

void cv_mix_sum(const cv_mix_in_t *in, int n, int32_t *total)
{
    if (!total)
        return;
    memset(total, 0, CV_AUDIO_FRAME * sizeof(*total));
    if (!in || n <= 0)
        return;
    if (n > CV_MIX_MAX_INPUTS)
        n = CV_MIX_MAX_INPUTS;
    for (int k = 0; k < n; k++) {
        const int16_t *p = in[k].pcm;
        if (!p)
            continue;
        for (int i = 0; i < CV_AUDIO_FRAME; i++)
            total[i] += p[i];
    }
}

double cv_mix_level_dbfs(const int16_t *pcm, int n)
{
    if (n <= 0)
        return -180.0;
    double acc = 0;
    for (int i = 0; i < n; i++)
        acc += (double)pcm[i] * pcm[i];
    double rms = sqrt(acc / n) / 32768.0;
    return rms > 1e-9 ? 20.0 * log10(rms) : -180.0;
}

int cv_mix_pick(const double *level_db, const int *cand, const int *was, int n, int k,
                double margin_db, int *sel)
{
    int picked = 0;
    for (int i = 0; i < n; i++)
        sel[i] = 0;
    for (; picked < k; picked++) {
        int best = -1;
        double best_db = 0;
        for (int i = 0; i < n; i++) {
            double db = level_db[i] + (was[i] ? margin_db : 0);
            if (cand[i] && !sel[i] && (best < 0 || db > best_db)) {
                best = i;
                best_db = db;
            }
        }
        if (best < 0)
            break;
        sel[best] = 1;
    }
    return picked;
}

int16_t cv_mix_limit(int32_t x)
{
    int64_t a = x < 0 ? -(int64_t)x : x;
    if (a <= CV_MIX_KNEE)
        return (int16_t)x;
    const double span = FULL - CV_MIX_KNEE;
    double y = CV_MIX_KNEE + span * tanh((double)(a - CV_MIX_KNEE) / span);
    long m = lround(y);
    if (m > FULL)
        m = FULL;
    return (int16_t)(x < 0 ? -m : m);
}

void cv_mix_minus(const int32_t *total, const int16_t *own, int16_t *out)
{
    if (!out)
        return;
    if (!total) {
        memset(out, 0, CV_AUDIO_FRAME * sizeof(*out));
        return;
    }
    for (int i = 0; i < CV_AUDIO_FRAME; i++) {
        int64_t d = (int64_t)total[i] - (own ? own[i] : 0);
        out[i] = cv_mix_limit(d < INT32_MIN ? INT32_MIN : d > INT32_MAX ? INT32_MAX : (int32_t)d);
    }
}
