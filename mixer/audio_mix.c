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
