/*
 * audio_codec.h - Opus decoder and encoder wrappers over libopus at 48 kHz,
 * 20 ms frames, plus a Goertzel tone meter for tests and diagnostics.
 *
 * Thread: each wrapper is single-owner - created, used and destroyed by one
 * mixer worker thread at a time. Not thread-safe; no shared state between
 * instances. cv_audio_tone_power is a pure function.
 *
 * Bitstream: Opus, RFC 6716 (packet TOC, section 3.1; in-band FEC/LBRR,
 * section 4.2.4), RTP payload per RFC 7587 (48 kHz clock whatever the coded
 * bandwidth). The mixer decodes every input to mono.
 */
#ifndef CV_AUDIO_CODEC_H
#define CV_AUDIO_CODEC_H

#include <stddef.h>
#include <stdint.h>

#define CV_AUDIO_RATE 48000
#define CV_AUDIO_FRAME 960 /* 20 ms at 48 kHz */
/* Largest Opus packet duration, 120 ms (RFC 6716 section 3.2.5): a pcm
 * buffer of this many samples per channel fits any packet. */
#define CV_AUDIO_MAX_FRAME 5760
/* An encoded packet of at most this many bytes is a DTX packet (nothing to
 * code). The first of a DTX period must be sent: it tells the receiver that
 * the silence is meant (comfort noise, not loss concealment); the next ones
 * need not be, until a real packet ends the period. */
#define CV_OPUS_DTX_MAX_BYTES 2
/* Encoder complexity (0..10): mid-range, as the server encodes several streams. */
#define CV_OPUS_COMPLEXITY 6

typedef struct cv_opus_dec cv_opus_dec_t;

/* A decoder at 48 kHz producing channels (1 or 2) channels; the mixer uses 1.
 * Returns NULL on a bad channel count or if libopus refuses. */
cv_opus_dec_t *cv_opus_dec_create(int channels);

/* Destroys the decoder; NULL does nothing. */
void cv_opus_dec_destroy(cv_opus_dec_t *d);

/* Forgets everything decoded so far (OPUS_RESET_STATE), as if new: a voice
 * that starts again after a gap does not continue stale state. NULL ok. */
void cv_opus_dec_reset(cv_opus_dec_t *d);

/*
 * Decodes one packet (borrowed until return) into pcm, which holds frame_size
 * samples per channel (interleaved), frame_size 1..CV_AUDIO_MAX_FRAME.
 * - data == NULL or len == 0: packet loss concealment; frame_size must then be
 *   the lost duration, a multiple of 2.5 ms (120 samples), e.g. CV_AUDIO_FRAME.
 * - fec = 1: data is the packet AFTER a lost one; decodes the lost packet
 *   from its in-band FEC (opus_decode decode_fec=1), frame_size as for PLC.
 *   Without FEC data in it, libopus falls back to concealment.
 * Returns samples per channel, or CV_E_CODEC (corrupt packet, or a packet
 * longer than frame_size), CV_E_INVAL (bad arguments).
 */
int cv_opus_dec_decode(cv_opus_dec_t *d, const uint8_t *data, size_t len, int16_t *pcm,
                       int frame_size, int fec);

typedef struct cv_opus_enc cv_opus_enc_t;

/*
 * An encoder at 48 kHz, channels 1 or 2, OPUS_APPLICATION_VOIP, complexity
 * CV_OPUS_COMPLEXITY, VBR, bitrate in bit/s (6000..510000). fec = 1 enables
 * in-band FEC (effective once cv_opus_enc_set_loss gives a loss > 0); dtx = 1
 * enables discontinuous transmission. Initial expected loss 0 %.
 * Returns NULL on bad arguments or if libopus refuses.
 */
cv_opus_enc_t *cv_opus_enc_create(int channels, int bitrate, int fec, int dtx);

/* Destroys the encoder; NULL does nothing. */
void cv_opus_enc_destroy(cv_opus_enc_t *e);

/* Expected packet loss 0..100 % (OPUS_SET_PACKET_LOSS_PERC; sizes the FEC).
 * Returns 0, CV_E_INVAL or CV_E_CODEC. */
int cv_opus_enc_set_loss(cv_opus_enc_t *e, int percent);

/* Turns DTX on or off from the next frame (a caller may keep it off while
 * the input holds sound that the encoder's voice detector would take for
 * background, such as a steady tone). 0 or CV_E_INVAL / CV_E_CODEC. */
int cv_opus_enc_set_dtx(cv_opus_enc_t *e, int on);

/*
 * Encodes CV_AUDIO_FRAME samples per channel (20 ms, interleaved, borrowed
 * until return) into out (cap bytes). Returns the packet length. With DTX on,
 * during silence the packet is 1-2 bytes (<= CV_OPUS_DTX_MAX_BYTES; send the
 * first of a run, see there), and cv_opus_enc_in_dtx() then says 1. Errors: CV_E_NOSPACE
 * (cap too small), CV_E_INVAL, CV_E_CODEC.
 */
int cv_opus_enc_encode(cv_opus_enc_t *e, const int16_t *pcm, uint8_t *out, size_t cap);

/* 1 if the last encoded frame was in DTX (OPUS_GET_IN_DTX), 0 if not, or CV_E_CODEC. */
int cv_opus_enc_in_dtx(cv_opus_enc_t *e);

/*
 * Goertzel power of freq (Hz) in n mono samples at rate Hz (rectangular
 * window), normalised to full scale: a sine of amplitude A * 32768 at freq
 * gives about A^2 (exactly when the block holds a whole number of periods),
 * so a full-scale sine gives 1.0 and -10 dBFS about 0.1. n <= 0 gives 0.
 */
double cv_audio_tone_power(const int16_t *pcm, int n, int rate, double freq);

#endif
