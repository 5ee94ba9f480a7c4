/*
 * audio_codec.c - Opus decode/encode over libopus at 48 kHz, and a Goertzel
 * tone meter.
 *
 * Thread: every cv_opus_dec_t / cv_opus_enc_t belongs to one mixer worker
 * thread at a time; nothing here is thread-safe or shared.
 *
 * Implements: RFC 6716 through libopus (PLC and in-band FEC decoding per
 * section 4.2.4 LBRR); RFC 7587 fixes the 48 kHz rate.
 */
#include "audio_codec.h"

#include "err.h"
#include "log.h"

#include <limits.h>
#include <math.h>
#include <opus/opus.h>
#include <stdlib.h>

#define MIN_BITRATE 6000
#define MAX_BITRATE 510000
#define MAX_PACKET 4000 /* what libopus documents as ample for any packet */
#define PLC_STEP 120    /* 2.5 ms at 48 kHz: the unit of concealed durations */

struct cv_opus_dec {
    OpusDecoder *dec;
    int channels;
};

struct cv_opus_enc {
    OpusEncoder *enc;
    int channels;
};

void cv_opus_dec_destroy(cv_opus_dec_t *d)
{
    if (!d)
        return;
    if (d->dec)
        opus_decoder_destroy(d->dec);
    free(d);
}

void cv_opus_dec_reset(cv_opus_dec_t *d)
{
    if (d)
        opus_decoder_ctl(d->dec, OPUS_RESET_STATE);
}

cv_opus_dec_t *cv_opus_dec_create(int channels)
{
    cv_opus_dec_t *d = NULL;
    int err = OPUS_OK;
    if (channels != 1 && channels != 2)
        goto fail;
    d = calloc(1, sizeof(*d));
    if (!d)
        goto fail;
    d->channels = channels;
    d->dec = opus_decoder_create(CV_AUDIO_RATE, channels, &err);
    if (!d->dec || err != OPUS_OK) {
        CV_WARN("opus decoder init failed: %s", opus_strerror(err));
        goto fail;
    }
    return d;
fail:
    cv_opus_dec_destroy(d);
    return NULL;
}

static int map_opus_err(int err)
{
    switch (err) {
    case OPUS_BAD_ARG: return CV_E_INVAL;
    case OPUS_BUFFER_TOO_SMALL: return CV_E_NOSPACE;
    default: return CV_E_CODEC;
    }
}

int cv_opus_dec_decode(cv_opus_dec_t *d, const uint8_t *data, size_t len, int16_t *pcm,
                       int frame_size, int fec)
{
    if (!d || !pcm || frame_size <= 0 || frame_size > CV_AUDIO_MAX_FRAME || len > INT_MAX)
        return CV_E_INVAL;
    int n;
    if (!data || len == 0) {
        if (frame_size % PLC_STEP != 0)
            return CV_E_INVAL;
        n = opus_decode(d->dec, NULL, 0, pcm, frame_size, 0);
    } else {
        if (fec && frame_size % PLC_STEP != 0)
            return CV_E_INVAL;
        n = opus_decode(d->dec, data, (opus_int32)len, pcm, frame_size, fec ? 1 : 0);
    }
    if (n < 0) {
        /* a packet longer than the caller's buffer is a bad packet to the mixer */
        return n == OPUS_BAD_ARG ? CV_E_INVAL : CV_E_CODEC;
    }
    return n;
}

void cv_opus_enc_destroy(cv_opus_enc_t *e)
{
    if (!e)
        return;
    if (e->enc)
        opus_encoder_destroy(e->enc);
    free(e);
}

#define ENC_CTL(e, req)                                                                            \
    do {                                                                                           \
        int rc_ = opus_encoder_ctl((e)->enc, req);                                                 \
        if (rc_ != OPUS_OK) {                                                                      \
            CV_WARN("opus encoder ctl " #req ": %s", opus_strerror(rc_));                          \
            goto fail;                                                                             \
        }                                                                                          \
    } while (0)

cv_opus_enc_t *cv_opus_enc_create(int channels, int bitrate, int fec, int dtx)
{
    cv_opus_enc_t *e = NULL;
    int err = OPUS_OK;
    if ((channels != 1 && channels != 2) || bitrate < MIN_BITRATE || bitrate > MAX_BITRATE)
        goto fail;
    e = calloc(1, sizeof(*e));
    if (!e)
        goto fail;
    e->channels = channels;
    e->enc = opus_encoder_create(CV_AUDIO_RATE, channels, OPUS_APPLICATION_VOIP, &err);
    if (!e->enc || err != OPUS_OK) {
        CV_WARN("opus encoder init failed: %s", opus_strerror(err));
        goto fail;
    }
    ENC_CTL(e, OPUS_SET_BITRATE(bitrate));
    ENC_CTL(e, OPUS_SET_VBR(1));
    ENC_CTL(e, OPUS_SET_COMPLEXITY(CV_OPUS_COMPLEXITY));
    ENC_CTL(e, OPUS_SET_SIGNAL(OPUS_SIGNAL_VOICE));
    ENC_CTL(e, OPUS_SET_INBAND_FEC(fec ? 1 : 0));
    ENC_CTL(e, OPUS_SET_DTX(dtx ? 1 : 0));
    ENC_CTL(e, OPUS_SET_PACKET_LOSS_PERC(0));
    return e;
fail:
    cv_opus_enc_destroy(e);
    return NULL;
}

int cv_opus_enc_set_loss(cv_opus_enc_t *e, int percent)
{
    if (!e || percent < 0 || percent > 100)
        return CV_E_INVAL;
    int rc = opus_encoder_ctl(e->enc, OPUS_SET_PACKET_LOSS_PERC(percent));
    return rc == OPUS_OK ? 0 : CV_E_CODEC;
}

int cv_opus_enc_set_dtx(cv_opus_enc_t *e, int on)
{
    if (!e)
        return CV_E_INVAL;
    int rc = opus_encoder_ctl(e->enc, OPUS_SET_DTX(on ? 1 : 0));
    return rc == OPUS_OK ? 0 : CV_E_CODEC;
}

int cv_opus_enc_encode(cv_opus_enc_t *e, const int16_t *pcm, uint8_t *out, size_t cap)
{
    if (!e || !pcm || !out || cap == 0)
        return CV_E_INVAL;
    /* a 20 ms packet is at most 1275 bytes of frame plus TOC (RFC 6716 section 3.2.1) */
    opus_int32 max = cap > MAX_PACKET ? MAX_PACKET : (opus_int32)cap;
    int n = opus_encode(e->enc, pcm, CV_AUDIO_FRAME, out, max);
    if (n < 0)
        return map_opus_err(n);
    return n;
}

int cv_opus_enc_in_dtx(cv_opus_enc_t *e)
{
    if (!e)
        return CV_E_INVAL;
    opus_int32 v = 0;
    if (opus_encoder_ctl(e->enc, OPUS_GET_IN_DTX(&v)) != OPUS_OK)
        return CV_E_CODEC;
    return v ? 1 : 0;
}

double cv_audio_tone_power(const int16_t *pcm, int n, int rate, double freq)
{
    if (!pcm || n <= 0 || rate <= 0)
        return 0.0;
    /* Goertzel: s[i] = x[i] + 2cos(w) s[i-1] - s[i-2]; |X(w)|^2 from the last two */
    double w = 2.0 * M_PI * freq / rate;
    double coeff = 2.0 * cos(w);
    double s1 = 0.0, s2 = 0.0;
    for (int i = 0; i < n; i++) {
        double s0 = pcm[i] + coeff * s1 - s2;
        s2 = s1;
        s1 = s0;
    }
    double power = s1 * s1 + s2 * s2 - coeff * s1 * s2;
    double full = 32768.0 * n / 2.0; /* |X| of a full-scale sine */
    return power / (full * full);
}
