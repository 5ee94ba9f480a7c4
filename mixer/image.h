/*
 * image.h - a plain I420 (YUV 4:2:0, 8 bit) picture and the few helpers the
 * mixer needs on it: fill, aspect-preserving scaled blit (libyuv), PSNR and
 * rectangle means (for tests and diagnostics).
 *
 * Thread: no shared state. A picture belongs to whoever holds it; in practice
 * one mixer worker thread at a time. Not thread-safe.
 *
 * Colours are limited-range BT.601 as used by VP8 in browsers: black is
 * Y=16, U=V=128 (CV_IMAGE_BLACK_*).
 *
 * A cv_image_t either owns its planes (allocated by cv_image_alloc, mem != NULL)
 * or is a view of planes owned by somebody else (mem == NULL, e.g. a picture
 * borrowed from a decoder). cv_image_free on a view only zeroes the struct.
 */
#ifndef CV_IMAGE_H
#define CV_IMAGE_H

#include <stdint.h>

#define CV_IMAGE_MAX_DIM 4096
#define CV_IMAGE_BLACK_Y 16
#define CV_IMAGE_BLACK_U 128
#define CV_IMAGE_BLACK_V 128

typedef struct {
    int w, h;                         /* luma size; chroma is ((w+1)/2) x ((h+1)/2) */
    int stride_y, stride_u, stride_v; /* bytes per row of each plane */
    uint8_t *y, *u, *v;               /* plane origins */
    uint8_t *mem;                     /* owned block, NULL for a view */
} cv_image_t;

/*
 * Allocates an owned picture of w x h (both even, 2..CV_IMAGE_MAX_DIM), rows
 * padded to 32 bytes, filled black. Returns 0, or CV_E_INVAL (im is then
 * zeroed). Out of memory aborts.
 */
int cv_image_alloc(cv_image_t *im, int w, int h);

/* Frees an owned picture and zeroes *im. A zeroed struct or a view is fine. */
void cv_image_free(cv_image_t *im);

/* Sets every sample of the whole picture to (y, u, v). */
void cv_image_fill(cv_image_t *im, uint8_t y, uint8_t u, uint8_t v);

/*
 * Fills the rectangle (x, y, w, h) of the picture with (cy, cu, cv). x, y, w, h
 * must be even, w and h >= 0, and the rectangle inside the picture.
 * Returns 0 or CV_E_INVAL.
 */
int cv_image_fill_rect(cv_image_t *im, int x, int y, int w, int h, uint8_t cy, uint8_t cu,
                       uint8_t cv);

/*
 * Scales the I420 source (planes sy/su/sv with strides ssy/ssu/ssv, size
 * sw x sh, any size 1..16384, chroma (sw+1)/2 x (sh+1)/2) into the rectangle
 * (x, y, w, h) of dst, keeping the source aspect ratio: the picture is centred
 * and the rest of the rectangle (letterbox or pillarbox bars) is filled black.
 * Uses libyuv I420Scale with kFilterBilinear. x, y, w, h must be even, w and h
 * >= 2, and the rectangle inside dst. The source must not overlap the
 * rectangle. Borrows the source until return.
 * Returns 0 or CV_E_INVAL.
 */
int cv_image_blit_fit(cv_image_t *dst, int x, int y, int w, int h, const uint8_t *sy, int ssy,
                      const uint8_t *su, int ssu, const uint8_t *sv, int ssv, int sw, int sh);

/*
 * The rectangle cv_image_blit_fit draws the picture into (bars excluded), for
 * a source of sw x sh fitted into (x, y, w, h). Same argument rules; returns 0
 * or CV_E_INVAL.
 */
int cv_image_fit_rect(int x, int y, int w, int h, int sw, int sh, int *fx, int *fy, int *fw,
                      int *fh);

/*
 * PSNR in dB of the Y planes of two pictures of the same size: 10 log10(255^2 /
 * MSE), capped at 99.0 (identical planes give 99.0). Returns -1.0 if the sizes
 * differ or a picture is empty.
 */
double cv_image_psnr_y(const cv_image_t *a, const cv_image_t *b);

/*
 * Mean sample value over the rectangle (x, y, w, h), given in luma
 * coordinates, of each plane; the chroma rectangle is the chroma samples
 * covering it: columns x/2 .. (x+w+1)/2 - 1, rows likewise. The rectangle is
 * clipped to the picture; an empty one gives 0. Any output pointer may be NULL.
 */
void cv_image_mean(const cv_image_t *im, int x, int y, int w, int h, double *my, double *mu,
                   double *mv);

#endif
