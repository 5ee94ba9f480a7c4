/*
 * image.c - I420 pictures: allocation, fill, aspect-preserving scaled blit
 * (libyuv I420Scale, bilinear), Y-plane PSNR and rectangle means.
 *
 * Thread: no shared state; a picture is used by one thread at a time (its
 * mixer worker). No RFCs; I420 layout as in libyuv and libvpx.
 */
#include "image.h"

#include "err.h"
#include "mem.h"

#include <libyuv.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define ROW_ALIGN 32
#define SRC_MAX_DIM 16384

static int align_up(int v, int a)
{
    return (v + a - 1) / a * a;
}

static int chroma(int v)
{
    return (v + 1) / 2;
}

int cv_image_alloc(cv_image_t *im, int w, int h)
{
    memset(im, 0, sizeof(*im));
    if (w < 2 || h < 2 || w > CV_IMAGE_MAX_DIM || h > CV_IMAGE_MAX_DIM || (w & 1) || (h & 1))
        return CV_E_INVAL;
    int sy = align_up(w, ROW_ALIGN);
    int sc = align_up(w / 2, ROW_ALIGN);
    size_t ysize = (size_t)sy * (size_t)h;
    size_t csize = (size_t)sc * (size_t)(h / 2);
    im->mem = cv_xmalloc(ysize + 2 * csize);
    im->w = w;
    im->h = h;
    im->stride_y = sy;
    im->stride_u = sc;
    im->stride_v = sc;
    im->y = im->mem;
    im->u = im->mem + ysize;
    im->v = im->u + csize;
    cv_image_fill(im, CV_IMAGE_BLACK_Y, CV_IMAGE_BLACK_U, CV_IMAGE_BLACK_V);
    return 0;
}

void cv_image_free(cv_image_t *im)
{
    if (!im)
        return;
    free(im->mem);
    memset(im, 0, sizeof(*im));
}

static void fill_plane(uint8_t *p, int stride, int w, int h, uint8_t val)
{
    for (int r = 0; r < h; r++)
        memset(p + (size_t)r * (size_t)stride, val, (size_t)w);
}

void cv_image_fill(cv_image_t *im, uint8_t y, uint8_t u, uint8_t v)
{
    if (!im || !im->y || im->w <= 0 || im->h <= 0)
        return;
    fill_plane(im->y, im->stride_y, im->w, im->h, y);
    fill_plane(im->u, im->stride_u, chroma(im->w), chroma(im->h), u);
    fill_plane(im->v, im->stride_v, chroma(im->w), chroma(im->h), v);
}

/* An even-aligned rectangle of non-negative size inside the picture. */
static int rect_ok(const cv_image_t *im, int x, int y, int w, int h)
{
    if (!im || !im->y || ((x | y | w | h) & 1) || x < 0 || y < 0 || w < 0 || h < 0)
        return 0;
    return w <= im->w - x && h <= im->h - y;
}

static void fill_rect(cv_image_t *im, int x, int y, int w, int h, uint8_t cy, uint8_t cu,
                      uint8_t cv)
{
    if (w <= 0 || h <= 0)
        return;
    fill_plane(im->y + (size_t)y * im->stride_y + x, im->stride_y, w, h, cy);
    fill_plane(im->u + (size_t)(y / 2) * im->stride_u + x / 2, im->stride_u, w / 2, h / 2, cu);
    fill_plane(im->v + (size_t)(y / 2) * im->stride_v + x / 2, im->stride_v, w / 2, h / 2, cv);
}

int cv_image_fill_rect(cv_image_t *im, int x, int y, int w, int h, uint8_t cy, uint8_t cu,
                       uint8_t cv)
{
    if (!rect_ok(im, x, y, w, h))
        return CV_E_INVAL;
    fill_rect(im, x, y, w, h, cy, cu, cv);
    return 0;
}

/* n * m / d rounded to the nearest even number, clamped to 2..lim (lim even). */
static int scale_even(int n, int m, int d, int lim)
{
    int64_t v = 2 * (((int64_t)n * m + d) / (2 * (int64_t)d));
    if (v < 2)
        v = 2;
    if (v > lim)
        v = lim;
    return (int)v;
}

int cv_image_fit_rect(int x, int y, int w, int h, int sw, int sh, int *fx, int *fy, int *fw,
                      int *fh)
{
    if (((x | y | w | h) & 1) || x < 0 || y < 0 || w < 2 || h < 2)
        return CV_E_INVAL;
    if (sw < 1 || sh < 1 || sw > SRC_MAX_DIM || sh > SRC_MAX_DIM)
        return CV_E_INVAL;
    int pw, ph;
    if ((int64_t)sw * h >= (int64_t)w * sh) {
        /* source relatively wider: full width, bars top and bottom */
        pw = w;
        ph = scale_even(sh, w, sw, h);
    } else {
        /* source relatively taller: full height, bars left and right */
        ph = h;
        pw = scale_even(sw, h, sh, w);
    }
    *fx = x + (((w - pw) / 2) & ~1);
    *fy = y + (((h - ph) / 2) & ~1);
    *fw = pw;
    *fh = ph;
    return 0;
}

int cv_image_blit_fit(cv_image_t *dst, int x, int y, int w, int h, const uint8_t *sy, int ssy,
                      const uint8_t *su, int ssu, const uint8_t *sv, int ssv, int sw, int sh)
{
    int fx, fy, fw, fh;
    if (!rect_ok(dst, x, y, w, h) || !sy || !su || !sv)
        return CV_E_INVAL;
    if (cv_image_fit_rect(x, y, w, h, sw, sh, &fx, &fy, &fw, &fh) < 0)
        return CV_E_INVAL;
    if (ssy < sw || ssu < chroma(sw) || ssv < chroma(sw))
        return CV_E_INVAL;

    /* bars: top, bottom, left, right (only two of them are ever non-empty) */
    fill_rect(dst, x, y, w, fy - y, CV_IMAGE_BLACK_Y, CV_IMAGE_BLACK_U, CV_IMAGE_BLACK_V);
    fill_rect(dst, x, fy + fh, w, y + h - fy - fh, CV_IMAGE_BLACK_Y, CV_IMAGE_BLACK_U,
              CV_IMAGE_BLACK_V);
    fill_rect(dst, x, fy, fx - x, fh, CV_IMAGE_BLACK_Y, CV_IMAGE_BLACK_U, CV_IMAGE_BLACK_V);
    fill_rect(dst, fx + fw, fy, x + w - fx - fw, fh, CV_IMAGE_BLACK_Y, CV_IMAGE_BLACK_U,
              CV_IMAGE_BLACK_V);

    uint8_t *dy = dst->y + (size_t)fy * dst->stride_y + fx;
    uint8_t *du = dst->u + (size_t)(fy / 2) * dst->stride_u + fx / 2;
    uint8_t *dv = dst->v + (size_t)(fy / 2) * dst->stride_v + fx / 2;
    if (I420Scale(sy, ssy, su, ssu, sv, ssv, sw, sh, dy, dst->stride_y, du, dst->stride_u, dv,
                  dst->stride_v, fw, fh, kFilterBilinear) != 0)
        return CV_E_INVAL;
    return 0;
}

double cv_image_psnr_y(const cv_image_t *a, const cv_image_t *b)
{
    if (!a || !b || !a->y || !b->y || a->w != b->w || a->h != b->h || a->w <= 0 || a->h <= 0)
        return -1.0;
    uint64_t sse = 0;
    for (int r = 0; r < a->h; r++) {
        const uint8_t *pa = a->y + (size_t)r * a->stride_y;
        const uint8_t *pb = b->y + (size_t)r * b->stride_y;
        for (int c = 0; c < a->w; c++) {
            int d = pa[c] - pb[c];
            sse += (uint64_t)(d * d);
        }
    }
    if (sse == 0)
        return 99.0;
    double mse = (double)sse / ((double)a->w * a->h);
    double psnr = 10.0 * log10(255.0 * 255.0 / mse);
    return psnr > 99.0 ? 99.0 : psnr;
}

/* Mean of columns [x0, x1) and rows [y0, y1) of one plane; 0 if empty. */
static double plane_mean(const uint8_t *p, int stride, int x0, int y0, int x1, int y1)
{
    if (x1 <= x0 || y1 <= y0)
        return 0.0;
    uint64_t sum = 0;
    for (int r = y0; r < y1; r++) {
        const uint8_t *row = p + (size_t)r * stride;
        for (int c = x0; c < x1; c++)
            sum += row[c];
    }
    return (double)sum / ((double)(x1 - x0) * (y1 - y0));
}

static int clampi(int64_t v, int lo, int hi)
{
    return v < lo ? lo : v > hi ? hi : (int)v;
}

void cv_image_mean(const cv_image_t *im, int x, int y, int w, int h, double *my, double *mu,
                   double *mv)
{
    double ry = 0, ru = 0, rv = 0;
    if (im && im->y && w > 0 && h > 0) {
        int x0 = clampi(x, 0, im->w), y0 = clampi(y, 0, im->h);
        int x1 = clampi((int64_t)x + w, 0, im->w), y1 = clampi((int64_t)y + h, 0, im->h);
        ry = plane_mean(im->y, im->stride_y, x0, y0, x1, y1);
        ru = plane_mean(im->u, im->stride_u, x0 / 2, y0 / 2, chroma(x1), chroma(y1));
        rv = plane_mean(im->v, im->stride_v, x0 / 2, y0 / 2, chroma(x1), chroma(y1));
    }
    if (my)
        *my = ry;
    if (mu)
        *mu = ru;
    if (mv)
        *mv = rv;
}
