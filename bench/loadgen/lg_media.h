/*
 * lg_media.h - media the load generator sends, encoded once at start:
 * a looped VP8 clip per picture (a colour of its own and a dark bar moving
 * across; the first frame a key frame; optionally three white "flash" frames
 * once a second, whose send time marks the mixer-latency probe) and looped
 * Opus 20 ms frames of a tone, plus one frame of silence.
 */
#ifndef LG_MEDIA_H
#define LG_MEDIA_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    uint8_t *data;
    size_t len;
    int key;
    int flash_onset; /* the first white frame of a flash */
} lg_frame_t;

typedef struct {
    lg_frame_t *f;
    int n;
    int fps;
} lg_clip_t;

typedef struct {
    uint8_t data[400];
    int len;
} lg_opus_t;

/* Encodes a clip of n frames of w x h at fps; colour picks the hue; flash
 * adds the white frames. 0, or -1 if libvpx failed. */
int lg_clip_encode(lg_clip_t *c, int w, int h, int fps, int n, int colour, int flash);
void lg_clip_free(lg_clip_t *c);

/* Encodes n 20 ms frames of a sine at freq Hz (amplitude -12 dBFS), or of
 * silence with freq 0, into out[0..n-1]. 0 or -1. */
int lg_opus_encode(lg_opus_t *out, int n, double freq);

/* Encodes the speech of a WAV file (PCM, 16 bits, the first channel, any
 * rate: resampled to 48 kHz) into 20 ms frames as a browser would: voice,
 * in-band FEC on for 10 % loss. *out (malloc'd) gets *n frames. 0, or -1
 * with a one-line reason on stderr. */
int lg_opus_encode_wav(const char *path, lg_opus_t **out, int *n);

/* Mean luma of each cell of a LG_CELLS_X x LG_CELLS_Y grid over a decoded
 * picture (sampled every 4th pixel of every 4th row) into out[row * X + col]:
 * a flash of one small tile shows in the cells it covers. */
#define LG_CELLS_X 32
#define LG_CELLS_Y 18
#define LG_CELLS (LG_CELLS_X * LG_CELLS_Y)
void lg_cell_luma(const uint8_t *y, int stride, int w, int h, double *out);

#endif
