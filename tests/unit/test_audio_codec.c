/*
 * test_audio_codec.c - the Goertzel tone meter on synthetic sines, Opus
 * encode/decode of a 440 Hz tone, packet loss concealment, in-band FEC, DTX
 * on silence, and malformed packets (RFC 6716 section 3.4 rules).
 */
#include "check.h"

#include "audio_codec.h"
#include "err.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

#define SECOND CV_AUDIO_RATE
#define NFRAMES (SECOND / CV_AUDIO_FRAME) /* 50 frames of 20 ms */
#define SKIP 5                            /* frames left out for codec delay */

static int16_t tone[SECOND];
static int16_t decoded[SECOND];

/* amp * 32768 * sin(2 pi f t + phase), rounded and clipped to int16 */
static void make_sine(int16_t *pcm, int n, double freq, double amp, double phase)
{
    for (int i = 0; i < n; i++) {
        double v = amp * 32768.0 * sin(2.0 * M_PI * freq * i / CV_AUDIO_RATE + phase);
        v = v > 32767.0 ? 32767.0 : v < -32768.0 ? -32768.0 : v;
        pcm[i] = (int16_t)lrint(v);
    }
}

static int near_rel(double got, double want, double rel)
{
    return fabs(got - want) <= rel * want;
}

static void test_goertzel(void)
{
    int16_t pcm[CV_AUDIO_FRAME];
    /* 1000 Hz over 960 samples is 20 whole periods: power = amplitude^2 */
    const double amps[] = {32767.0 / 32768.0, 0.5, 0.3, 0.01};
    for (size_t k = 0; k < sizeof(amps) / sizeof(amps[0]); k++) {
        make_sine(pcm, CV_AUDIO_FRAME, 1000.0, amps[k], 0.0);
        double p = cv_audio_tone_power(pcm, CV_AUDIO_FRAME, CV_AUDIO_RATE, 1000.0);
        CHECK(near_rel(p, amps[k] * amps[k], 0.01));
        /* other whole-period frequencies are orthogonal */
        CHECK(cv_audio_tone_power(pcm, CV_AUDIO_FRAME, CV_AUDIO_RATE, 2000.0) < 1e-6);
        CHECK(cv_audio_tone_power(pcm, CV_AUDIO_FRAME, CV_AUDIO_RATE, 450.0) < 1e-6);
    }
    /* the phase does not matter (cosine) */
    make_sine(pcm, CV_AUDIO_FRAME, 1000.0, 0.5, M_PI / 2);
    CHECK(near_rel(cv_audio_tone_power(pcm, CV_AUDIO_FRAME, CV_AUDIO_RATE, 1000.0), 0.25, 0.01));
    /* 440 Hz over 20 ms is 8.8 periods: close, within leakage */
    make_sine(pcm, CV_AUDIO_FRAME, 440.0, 0.5, 0.0);
    CHECK(near_rel(cv_audio_tone_power(pcm, CV_AUDIO_FRAME, CV_AUDIO_RATE, 440.0), 0.25, 0.1));
    /* over one second 440 Hz is whole again: tight */
    make_sine(tone, SECOND, 440.0, 0.3, 0.0);
    CHECK(near_rel(cv_audio_tone_power(tone, SECOND, CV_AUDIO_RATE, 440.0), 0.09, 0.001));
    CHECK(cv_audio_tone_power(tone, SECOND, CV_AUDIO_RATE, 1000.0) < 1e-6);
    /* silence and empty blocks */
    memset(pcm, 0, sizeof(pcm));
    CHECK(cv_audio_tone_power(pcm, CV_AUDIO_FRAME, CV_AUDIO_RATE, 440.0) == 0.0);
    CHECK(cv_audio_tone_power(pcm, 0, CV_AUDIO_RATE, 440.0) == 0.0);
    CHECK(cv_audio_tone_power(NULL, 10, CV_AUDIO_RATE, 440.0) == 0.0);
}

/* Encodes the 1 s tone in 20 ms frames and decodes it; every packet is kept
 * in pkts/lens for the FEC test. */
static uint8_t pkts[NFRAMES][1500];
static int lens[NFRAMES];

static void test_round_trip(void)
{
    cv_opus_enc_t *enc = cv_opus_enc_create(1, 32000, 1, 0);
    cv_opus_dec_t *dec = cv_opus_dec_create(1);
    CHECK(enc != NULL && dec != NULL);
    if (!enc || !dec)
        goto out;
    CHECK_EQ(cv_opus_enc_set_loss(enc, 20), 0);
    make_sine(tone, SECOND, 440.0, 0.3, 0.0);
    int ok = 1;
    for (int f = 0; f < NFRAMES; f++) {
        lens[f] = cv_opus_enc_encode(enc, tone + f * CV_AUDIO_FRAME, pkts[f], sizeof(pkts[f]));
        ok &= lens[f] > CV_OPUS_DTX_MAX_BYTES;
        int n = cv_opus_dec_decode(dec, pkts[f], (size_t)(lens[f] > 0 ? lens[f] : 0),
                                   decoded + f * CV_AUDIO_FRAME, CV_AUDIO_FRAME, 0);
        ok &= n == CV_AUDIO_FRAME;
    }
    CHECK(ok);
    /* 45 frames = 0.9 s = 396 whole periods of 440 Hz */
    const int16_t *body = decoded + SKIP * CV_AUDIO_FRAME;
    int n = (NFRAMES - SKIP) * CV_AUDIO_FRAME;
    double p440 = cv_audio_tone_power(body, n, CV_AUDIO_RATE, 440.0);
    double p1000 = cv_audio_tone_power(body, n, CV_AUDIO_RATE, 1000.0);
    CHECK(p440 > 0.05 && p440 < 0.15); /* sent 0.09 (-10.5 dBFS) */
    CHECK(p1000 < p440 / 1000.0);
    if (!(p440 > 0.05 && p440 < 0.15) || !(p1000 < p440 / 1000.0))
        fprintf(stderr, "decoded tone: 440 Hz %g, 1000 Hz %g\n", p440, p1000);

    /* packet loss concealment: NULL or empty input gives one frame */
    int16_t pcm[CV_AUDIO_MAX_FRAME];
    CHECK_EQ(cv_opus_dec_decode(dec, NULL, 0, pcm, CV_AUDIO_FRAME, 0), CV_AUDIO_FRAME);
    CHECK_EQ(cv_opus_dec_decode(dec, pkts[0], 0, pcm, CV_AUDIO_FRAME, 0), CV_AUDIO_FRAME);
    CHECK_EQ(cv_opus_dec_decode(dec, NULL, 0, pcm, 480, 0), 480);
    CHECK_EQ(cv_opus_dec_decode(dec, NULL, 0, pcm, 100, 0), CV_E_INVAL); /* not 2.5 ms units */
    CHECK_EQ(cv_opus_dec_decode(dec, NULL, 0, pcm, 0, 0), CV_E_INVAL);
    CHECK_EQ(cv_opus_dec_decode(dec, NULL, 0, pcm, CV_AUDIO_MAX_FRAME + 120, 0), CV_E_INVAL);
    CHECK_EQ(cv_opus_dec_decode(dec, NULL, 0, NULL, CV_AUDIO_FRAME, 0), CV_E_INVAL);
out:
    cv_opus_dec_destroy(dec);
    cv_opus_enc_destroy(enc);
}

/* Frame 20 is lost: it is rebuilt from the FEC data in packet 21. */
static void test_fec(void)
{
    cv_opus_dec_t *dec = cv_opus_dec_create(1);
    CHECK(dec != NULL);
    if (!dec)
        return;
    int16_t pcm[CV_AUDIO_FRAME];
    int ok = 1;
    for (int f = 0; f < 20; f++)
        ok &= cv_opus_dec_decode(dec, pkts[f], (size_t)lens[f], pcm, CV_AUDIO_FRAME, 0) ==
              CV_AUDIO_FRAME;
    CHECK(ok);
    /* packet 21 is SILK or hybrid (TOC config < 16, RFC 6716 section 3.1) and
     * its LBRR flag - the second header bit of the mono 20 ms SILK frame, coded
     * at probability 1/2 so it is the second bit of the range coder's first
     * byte (section 4.2.3) - is set: it carries FEC for packet 20 */
    CHECK((pkts[21][0] >> 3) < 16);
    CHECK((pkts[21][1] & 0x40) != 0);
    CHECK(lens[21] > 2);
    CHECK_EQ(cv_opus_dec_decode(dec, pkts[21], (size_t)lens[21], pcm, CV_AUDIO_FRAME, 1),
             CV_AUDIO_FRAME);
    /* the recovered 20 ms still carry the tone (8.8 periods: loose bounds) */
    double p = cv_audio_tone_power(pcm, CV_AUDIO_FRAME, CV_AUDIO_RATE, 440.0);
    CHECK(p > 0.03);
    if (!(p > 0.03))
        fprintf(stderr, "FEC frame 440 Hz power %g\n", p);
    CHECK_EQ(cv_opus_dec_decode(dec, pkts[21], (size_t)lens[21], pcm, CV_AUDIO_FRAME, 0),
             CV_AUDIO_FRAME);
    CHECK_EQ(cv_opus_dec_decode(dec, pkts[22], (size_t)lens[22], pcm, 100, 1), CV_E_INVAL);
    cv_opus_dec_destroy(dec);
}

/* Digital silence with DTX: after a few frames the packets shrink to 1-2
 * bytes (with a real comfort-noise update now and then, every 400 ms). */
static void test_dtx(void)
{
    cv_opus_enc_t *enc = cv_opus_enc_create(1, 32000, 1, 1);
    CHECK(enc != NULL);
    if (!enc)
        return;
    static const int16_t silence[CV_AUDIO_FRAME];
    uint8_t out[1500];
    int tiny = 0, in_dtx = 0, first_len = 0;
    for (int f = 0; f < NFRAMES; f++) {
        int len = cv_opus_enc_encode(enc, silence, out, sizeof(out));
        CHECK(len > 0);
        if (f == 0)
            first_len = len;
        if (f >= 15 && len <= 3)
            tiny++;
        if (f >= 15 && cv_opus_enc_in_dtx(enc) == 1)
            in_dtx++;
    }
    CHECK(first_len > 3); /* DTX needs some frames of silence first */
    CHECK(tiny >= 25);    /* of 35 frames 15..49 */
    CHECK(in_dtx >= 25);
    if (tiny < 25 || in_dtx < 25)
        fprintf(stderr, "DTX: %d tiny packets, %d in DTX\n", tiny, in_dtx);

    /* the same silence without DTX keeps producing real packets */
    cv_opus_enc_t *plain = cv_opus_enc_create(1, 32000, 0, 0);
    CHECK(plain != NULL);
    int len = 0;
    for (int f = 0; plain && f < 20; f++)
        len = cv_opus_enc_encode(plain, silence, out, sizeof(out));
    CHECK(len > 3);
    CHECK_EQ(cv_opus_enc_in_dtx(plain), 0);
    cv_opus_enc_destroy(plain);
    cv_opus_enc_destroy(enc);
}

/* A steady 400 Hz tone with DTX on: Opus's voice detector soon takes it
 * for background and goes to DTX (why the mixer keeps DTX off while its mix
 * holds sound); cv_opus_enc_set_dtx(0) gets real packets again at once. */
static void test_dtx_steady_tone(void)
{
    cv_opus_enc_t *enc = cv_opus_enc_create(1, 32000, 1, 1);
    CHECK(enc != NULL);
    if (!enc)
        return;
    static int16_t tone[CV_AUDIO_FRAME * 300];
    make_sine(tone, CV_AUDIO_FRAME * 300, 400.0, 0.3, 0.0);
    uint8_t out[1500];
    int tiny = 0, tiny_off = 0;
    for (int f = 0; f < 300; f++) {
        if (f == 200)
            CHECK_EQ(cv_opus_enc_set_dtx(enc, 0), 0);
        int len = cv_opus_enc_encode(enc, tone + (size_t)f * CV_AUDIO_FRAME, out, sizeof(out));
        CHECK(len > 0);
        if (f < 200)
            tiny += len <= CV_OPUS_DTX_MAX_BYTES;
        else
            tiny_off += len <= CV_OPUS_DTX_MAX_BYTES;
    }
    printf("  steady tone: %d of 200 packets DTX with DTX on, %d of 100 with it off\n", tiny,
           tiny_off);
    CHECK(tiny > 20);
    CHECK_EQ(tiny_off, 0);
    CHECK_EQ(cv_opus_enc_set_dtx(NULL, 1), CV_E_INVAL);
    cv_opus_enc_destroy(enc);
}

/* Malformed packets, each breaking one rule of RFC 6716 section 3.4. */
static const uint8_t zero_frames[] = {
    0x03, /* TOC: config 0 (SILK NB 10 ms), mono, code 3 (arbitrary frames) */
    0x00, /* frame count byte: VBR 0, padding 0, M = 0 frames (R5: M >= 1) */
};
static const uint8_t odd_cbr_pair[] = {
    0x01,             /* TOC: config 0, mono, code 1 (two frames of equal size) */
    0xaa, 0xbb, 0xcc, /* 3 payload bytes cannot split in two equal frames (R3) */
};
static const uint8_t long_first_frame[] = {
    0x02, /* TOC: config 0, mono, code 2 (two frames, sizes differ) */
    0x05, /* first frame says 5 bytes ... */
    0xaa, /* ... but only 1 byte follows (R4) */
};
static const uint8_t too_long[] = {
    0x03, /* TOC: config 0 (10 ms frames), mono, code 3 */
    0x0d, /* CBR, no padding, M = 13 frames: 130 ms > 120 ms (R5) */
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
};

static void test_invalid(void)
{
    cv_opus_dec_t *dec = cv_opus_dec_create(1);
    CHECK(dec != NULL);
    if (!dec)
        return;
    int16_t pcm[CV_AUDIO_MAX_FRAME];
    CHECK_EQ(cv_opus_dec_decode(dec, zero_frames, sizeof(zero_frames), pcm, CV_AUDIO_MAX_FRAME, 0),
             CV_E_CODEC);
    CHECK_EQ(
        cv_opus_dec_decode(dec, odd_cbr_pair, sizeof(odd_cbr_pair), pcm, CV_AUDIO_MAX_FRAME, 0),
        CV_E_CODEC);
    CHECK_EQ(cv_opus_dec_decode(dec, long_first_frame, sizeof(long_first_frame), pcm,
                                CV_AUDIO_MAX_FRAME, 0),
             CV_E_CODEC);
    CHECK_EQ(cv_opus_dec_decode(dec, too_long, sizeof(too_long), pcm, CV_AUDIO_MAX_FRAME, 0),
             CV_E_CODEC);
    /* a valid 20 ms packet into a 10 ms buffer does not fit */
    CHECK_EQ(cv_opus_dec_decode(dec, pkts[10], (size_t)lens[10], pcm, 480, 0), CV_E_CODEC);
    /* and the decoder still works afterwards */
    CHECK_EQ(cv_opus_dec_decode(dec, pkts[11], (size_t)lens[11], pcm, CV_AUDIO_FRAME, 0),
             CV_AUDIO_FRAME);
    cv_opus_dec_destroy(dec);
}

static void test_api(void)
{
    CHECK(cv_opus_dec_create(0) == NULL);
    CHECK(cv_opus_dec_create(3) == NULL);
    CHECK(cv_opus_enc_create(1, 1000, 0, 0) == NULL);
    CHECK(cv_opus_enc_create(3, 32000, 0, 0) == NULL);
    cv_opus_dec_t *stereo = cv_opus_dec_create(2);
    CHECK(stereo != NULL);
    cv_opus_dec_destroy(stereo);
    cv_opus_dec_destroy(NULL);
    cv_opus_enc_destroy(NULL);

    cv_opus_enc_t *enc = cv_opus_enc_create(1, 24000, 0, 0);
    CHECK(enc != NULL);
    if (!enc)
        return;
    uint8_t out[8];
    CHECK_EQ(cv_opus_enc_set_loss(enc, 101), CV_E_INVAL);
    CHECK_EQ(cv_opus_enc_set_loss(enc, -1), CV_E_INVAL);
    CHECK_EQ(cv_opus_enc_set_loss(enc, 100), 0);
    CHECK_EQ(cv_opus_enc_encode(enc, tone, out, 0), CV_E_INVAL);
    CHECK_EQ(cv_opus_enc_encode(enc, NULL, out, sizeof(out)), CV_E_INVAL);
    int n = cv_opus_enc_encode(enc, tone, out, sizeof(out)); /* squeezed, never overrun */
    CHECK(n >= 0 && n <= (int)sizeof(out));
    cv_opus_enc_destroy(enc);
}

/* A voice-like signal: a 140 Hz glottal buzz (its harmonics shaped by two
 * formants that glide as vowels do) in syllables of about 200 ms with short
 * pauses, which keeps Opus in its voice modes (SILK or hybrid), where in-band
 * FEC exists; a tone or music would not. */
static void make_voice(int16_t *out, int n)
{
    for (int i = 0; i < n; i++) {
        double t = (double)i / CV_AUDIO_RATE;
        double f1 = 500 + 250 * sin(2 * M_PI * 1.3 * t), f2 = 1500 + 600 * sin(2 * M_PI * 0.7 * t);
        double v = 0;
        for (int k = 1; k * 140.0 < 4000; k++) {
            double h = k * 140.0;
            double g = 1 / (1 + pow((h - f1) / 120, 2)) + 0.5 / (1 + pow((h - f2) / 200, 2));
            v += g * sin(2 * M_PI * h * t + k);
        }
        double env = sin(M_PI * fmod(t, 0.25) / 0.25); /* a syllable each 250 ms */
        out[i] = (int16_t)(4000 * v * (env > 0.15 ? env : 0));
    }
}

static double err_energy(const int16_t *a, const int16_t *b, int n)
{
    double e = 0;
    for (int i = 0; i < n; i++)
        e += ((double)a[i] - b[i]) * ((double)a[i] - b[i]);
    return e;
}

/* In-band FEC on a voice, 20 % of the packets lost at random (seeded): each
 * lost packet whose next one came is decoded from that one's FEC data, and
 * comes closer to what the lost packet itself would have given than the
 * decoder's concealment does. */
static void test_fec_voice(void)
{
    enum { SECS = 4, FRAMES = SECS * NFRAMES };
    static int16_t voice[SECS * SECOND], clean[SECS * SECOND], fec[SECS * SECOND],
        plc[SECS * SECOND];
    static uint8_t pk[FRAMES][1500];
    static int ln[FRAMES], lost[FRAMES];
    make_voice(voice, SECS * SECOND);
    cv_opus_enc_t *enc = cv_opus_enc_create(1, 32000, 1, 0);
    cv_opus_dec_t *d_clean = cv_opus_dec_create(1), *d_fec = cv_opus_dec_create(1),
                  *d_plc = cv_opus_dec_create(1);
    CHECK(enc && d_clean && d_fec && d_plc);
    if (!enc || !d_clean || !d_fec || !d_plc)
        goto out;
    cv_opus_enc_set_loss(enc, 20);
    uint64_t rng = 7;
    int voiced = 0, with_lbrr = 0;
    for (int f = 0; f < FRAMES; f++) {
        ln[f] = cv_opus_enc_encode(enc, voice + f * CV_AUDIO_FRAME, pk[f], sizeof(pk[f]));
        rng = rng * 6364136223846793005ull + 1442695040888963407ull;
        lost[f] = f > SKIP && f < FRAMES - 1 && (rng >> 33) % 5 == 0;
        int silk = ln[f] > 2 && (pk[f][0] >> 3) < 16; /* SILK or hybrid (RFC 6716 §3.1) */
        voiced += silk;
        with_lbrr += silk && (pk[f][1] & 0x40); /* its LBRR flag, as in test_fec */
    }
    /* the encoder stayed in its voice modes, and put FEC in nearly every packet */
    CHECK(voiced > FRAMES * 9 / 10);
    CHECK(with_lbrr > voiced * 8 / 10);
    double e_fec = 0, e_plc = 0;
    int n_lost = 0;
    for (int f = 0; f < FRAMES; f++) {
        int16_t *c = clean + f * CV_AUDIO_FRAME, *x = fec + f * CV_AUDIO_FRAME,
                *y = plc + f * CV_AUDIO_FRAME;
        cv_opus_dec_decode(d_clean, pk[f], (size_t)ln[f], c, CV_AUDIO_FRAME, 0);
        if (!lost[f]) {
            cv_opus_dec_decode(d_fec, pk[f], (size_t)ln[f], x, CV_AUDIO_FRAME, 0);
            cv_opus_dec_decode(d_plc, pk[f], (size_t)ln[f], y, CV_AUDIO_FRAME, 0);
            continue;
        }
        int next_ok = !lost[f + 1];
        cv_opus_dec_decode(d_fec, next_ok ? pk[f + 1] : NULL, next_ok ? (size_t)ln[f + 1] : 0, x,
                           CV_AUDIO_FRAME, next_ok);
        cv_opus_dec_decode(d_plc, NULL, 0, y, CV_AUDIO_FRAME, 0);
        if (next_ok) {
            e_fec += err_energy(c, x, CV_AUDIO_FRAME);
            e_plc += err_energy(c, y, CV_AUDIO_FRAME);
            n_lost++;
        }
    }
    printf("test_audio_codec: voice, 20 %% loss: %d of %d packets voiced, %d with FEC; %d lost "
           "packets rebuilt, error %.1f dB below concealment's\n",
           voiced, FRAMES, with_lbrr, n_lost, 10 * log10(e_plc / (e_fec + 1)));
    CHECK(n_lost > FRAMES / 10);
    CHECK(e_fec * 2 < e_plc); /* at least 3 dB closer (6.6 dB with libopus 1.3) */
out:
    cv_opus_dec_destroy(d_plc);
    cv_opus_dec_destroy(d_fec);
    cv_opus_dec_destroy(d_clean);
    cv_opus_enc_destroy(enc);
}

int main(void)
{
    test_dtx_steady_tone();
    test_goertzel();
    test_round_trip();
    test_fec();
    test_fec_voice();
    test_dtx();
    test_invalid();
    test_api();
    return CHECK_DONE("test_audio_codec");
}
