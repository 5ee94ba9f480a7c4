/*
 * video_codec.c - VP8 decode and real-time encode over libvpx (1.12 API:
 * vpx_decoder.h/vp8dx.h, vpx_encoder.h/vp8cx.h).
 *
 * Thread: every cv_vp8_dec_t / cv_vp8_enc_t belongs to one mixer worker
 * thread at a time; nothing here is thread-safe or shared.
 *
 * Implements: the VP8 frame header checks of RFC 6386 section 9.1 (frame tag,
 * key frame start code and size) done before libvpx sees a key frame, so a
 * hostile peer cannot make us allocate a huge picture.
 */
#include "video_codec.h"

#include "err.h"
#include "log.h"
#include "mem.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <vpx/vp8cx.h>
#include <vpx/vp8dx.h>
#include <vpx/vpx_decoder.h>
#include <vpx/vpx_encoder.h>

#define CLOCK_HZ 90000 /* RTP clock of video, RFC 7741 section 4.1 */

struct cv_vp8_dec {
    vpx_codec_ctx_t ctx;
    int inited;
};

struct cv_vp8_enc {
    vpx_codec_ctx_t ctx;
    vpx_codec_enc_cfg_t cfg;
    int inited;
    int width, height;
    unsigned long duration; /* one frame in 1/90000 s */
    int64_t last_pts;
    int have_pts;
    int kf_pending;
};

void cv_vp8_dec_destroy(cv_vp8_dec_t *d)
{
    if (!d)
        return;
    if (d->inited)
        vpx_codec_destroy(&d->ctx);
    free(d);
    cv_mem_trim_later(); /* its frame buffers, a MiB or more */
}

cv_vp8_dec_t *cv_vp8_dec_create(void)
{
    cv_vp8_dec_t *d = calloc(1, sizeof(*d));
    if (!d)
        goto fail;
    vpx_codec_dec_cfg_t cfg = {.threads = 1, .w = 0, .h = 0};
    /* flags 0: no VPX_CODEC_USE_ERROR_CONCEALMENT, no post-processing */
    if (vpx_codec_dec_init(&d->ctx, vpx_codec_vp8_dx(), &cfg, 0) != VPX_CODEC_OK) {
        CV_WARN("vp8 decoder init failed: %s", vpx_codec_error(&d->ctx));
        goto fail;
    }
    d->inited = 1;
    return d;
fail:
    cv_vp8_dec_destroy(d);
    return NULL;
}

/*
 * RFC 6386 section 9.1: bit 0 of the 3-byte frame tag is 0 for a key frame,
 * which is followed by the start code 9d 01 2a and two little-endian 16-bit
 * fields, each a 14-bit size and a 2-bit scale. Returns 0 if the frame is an
 * inter frame or a key frame of acceptable size, CV_E_CODEC otherwise.
 */
static int check_keyframe_size(const uint8_t *p, size_t len)
{
    if (p[0] & 0x01)
        return 0; /* inter frame: no size in it */
    if (len < 10 || p[3] != 0x9d || p[4] != 0x01 || p[5] != 0x2a)
        return CV_E_CODEC;
    unsigned w = (unsigned)(p[6] | (p[7] << 8)) & 0x3fff;
    unsigned h = (unsigned)(p[8] | (p[9] << 8)) & 0x3fff;
    if (w == 0 || h == 0 || w > CV_VP8_DEC_MAX_DIM || h > CV_VP8_DEC_MAX_DIM ||
        (unsigned long)w * h > CV_VP8_DEC_MAX_PIXELS)
        return CV_E_CODEC;
    return 0;
}

int cv_vp8_dec_decode(cv_vp8_dec_t *d, const uint8_t *data, size_t len, cv_image_t *out)
{
    if (!d || !data || !out || len == 0 || len > UINT_MAX)
        return CV_E_INVAL;
    if (check_keyframe_size(data, len) < 0)
        return CV_E_CODEC;
    if (vpx_codec_decode(&d->ctx, data, (unsigned int)len, NULL, 0) != VPX_CODEC_OK) {
        CV_DEBUG("vp8 decode: %s", vpx_codec_error(&d->ctx));
        return CV_E_CODEC;
    }
    vpx_codec_iter_t it = NULL;
    vpx_image_t *img = vpx_codec_get_frame(&d->ctx, &it);
    if (!img)
        return 0;
    /* VP8 gives at most one picture per frame; drain in case of surprises */
    while (vpx_codec_get_frame(&d->ctx, &it))
        ;
    int corrupt = 0;
    if (vpx_codec_control(&d->ctx, VP8D_GET_FRAME_CORRUPTED, &corrupt) != VPX_CODEC_OK || corrupt)
        return CV_E_CODEC;
    if (img->fmt != VPX_IMG_FMT_I420 || img->d_w == 0 || img->d_h == 0)
        return CV_E_CODEC;
    memset(out, 0, sizeof(*out));
    out->w = (int)img->d_w;
    out->h = (int)img->d_h;
    out->y = img->planes[VPX_PLANE_Y];
    out->u = img->planes[VPX_PLANE_U];
    out->v = img->planes[VPX_PLANE_V];
    out->stride_y = img->stride[VPX_PLANE_Y];
    out->stride_u = img->stride[VPX_PLANE_U];
    out->stride_v = img->stride[VPX_PLANE_V];
    out->mem = NULL;
    return 1;
}

void cv_vp8_enc_destroy(cv_vp8_enc_t *e)
{
    if (!e)
        return;
    if (e->inited)
        vpx_codec_destroy(&e->ctx);
    free(e);
}

static int cfg_ok(const cv_vp8_enc_cfg_t *c)
{
    if (c->width < 2 || c->height < 2 || c->width > CV_IMAGE_MAX_DIM ||
        c->height > CV_IMAGE_MAX_DIM || (c->width & 1) || (c->height & 1))
        return 0;
    if (c->fps < 1 || c->fps > 120 || c->threads < 0 || c->threads > 16)
        return 0;
    if (c->bitrate_kbps < CV_VP8_MIN_KBPS || c->bitrate_kbps > CV_VP8_MAX_KBPS)
        return 0;
    return c->cpu_used >= -16 && c->cpu_used <= 16 && c->keyframe_max_dist >= 0;
}

/* Rate control for interactive video: CBR with a short buffer model. */
static void fill_vpx_cfg(vpx_codec_enc_cfg_t *v, const cv_vp8_enc_cfg_t *c)
{
    v->g_w = (unsigned)c->width;
    v->g_h = (unsigned)c->height;
    v->g_threads = (unsigned)(c->threads > 0 ? c->threads : 1);
    v->g_timebase.num = 1;
    v->g_timebase.den = CLOCK_HZ;
    v->g_pass = VPX_RC_ONE_PASS;
    v->g_lag_in_frames = 0;
    v->g_error_resilient = VPX_ERROR_RESILIENT_DEFAULT;
    v->rc_end_usage = VPX_CBR;
    v->rc_target_bitrate = (unsigned)c->bitrate_kbps;
    v->rc_min_quantizer = 2;
    v->rc_max_quantizer = 56;
    v->rc_undershoot_pct = 100;
    v->rc_overshoot_pct = 15;
    v->rc_buf_initial_sz = 500; /* ms */
    v->rc_buf_optimal_sz = 600;
    v->rc_buf_sz = 1000;
    v->rc_dropframe_thresh = 30;
    v->rc_resize_allowed = 0; /* the tier size is fixed */
    v->kf_mode = VPX_KF_AUTO;
    v->kf_min_dist = 0;
    v->kf_max_dist = (unsigned)(c->keyframe_max_dist > 0 ? c->keyframe_max_dist : 3000);
}

#define CTRL(e, id, val)                                                                           \
    do {                                                                                           \
        if (vpx_codec_control(&(e)->ctx, id, val) != VPX_CODEC_OK) {                               \
            CV_WARN("vp8 encoder control " #id ": %s", vpx_codec_error(&(e)->ctx));                \
            goto fail;                                                                             \
        }                                                                                          \
    } while (0)

cv_vp8_enc_t *cv_vp8_enc_create(const cv_vp8_enc_cfg_t *cfg)
{
    cv_vp8_enc_t *e = NULL;
    if (!cfg || !cfg_ok(cfg))
        goto fail;
    e = calloc(1, sizeof(*e));
    if (!e)
        goto fail;
    if (vpx_codec_enc_config_default(vpx_codec_vp8_cx(), &e->cfg, 0) != VPX_CODEC_OK)
        goto fail;
    fill_vpx_cfg(&e->cfg, cfg);
    if (vpx_codec_enc_init(&e->ctx, vpx_codec_vp8_cx(), &e->cfg, 0) != VPX_CODEC_OK) {
        CV_WARN("vp8 encoder init failed: %s", vpx_codec_error(&e->ctx));
        goto fail;
    }
    e->inited = 1;
    e->width = cfg->width;
    e->height = cfg->height;
    e->duration = (unsigned long)(CLOCK_HZ / cfg->fps);
    /* a key frame may take up to this % of a frame's average budget: buffer
     * optimal size (600 ms) x 0.5 x fps / 10, as in WebRTC's VP8 wrapper */
    unsigned max_intra = (unsigned)(600 / 2 * cfg->fps / 10);
    CTRL(e, VP8E_SET_CPUUSED, cfg->cpu_used);
    CTRL(e, VP8E_SET_STATIC_THRESHOLD, 1);
    CTRL(e, VP8E_SET_NOISE_SENSITIVITY, 0);
    CTRL(e, VP8E_SET_TOKEN_PARTITIONS, VP8_ONE_TOKENPARTITION);
    CTRL(e, VP8E_SET_ENABLEAUTOALTREF, 0);
    CTRL(e, VP8E_SET_MAX_INTRA_BITRATE_PCT, max_intra < 300 ? 300 : max_intra);
    CTRL(e, VP8E_SET_SCREEN_CONTENT_MODE, 0);
    e->kf_pending = 1;
    return e;
fail:
    cv_vp8_enc_destroy(e);
    return NULL;
}

void cv_vp8_enc_request_keyframe(cv_vp8_enc_t *e)
{
    if (e)
        e->kf_pending = 1;
}

/* Wraps our planes in a vpx_image_t without copying. */
static void wrap_image(vpx_image_t *img, const cv_image_t *im)
{
    vpx_img_wrap(img, VPX_IMG_FMT_I420, (unsigned)im->w, (unsigned)im->h, 1, im->y);
    img->planes[VPX_PLANE_Y] = im->y;
    img->planes[VPX_PLANE_U] = im->u;
    img->planes[VPX_PLANE_V] = im->v;
    img->stride[VPX_PLANE_Y] = im->stride_y;
    img->stride[VPX_PLANE_U] = im->stride_u;
    img->stride[VPX_PLANE_V] = im->stride_v;
}

int cv_vp8_enc_encode(cv_vp8_enc_t *e, const cv_image_t *im, int64_t pts90k, uint8_t *out,
                      size_t cap, int *keyframe)
{
    if (!e || !im || !im->y || !out || !keyframe)
        return CV_E_INVAL;
    *keyframe = 0;
    if (im->w != e->width || im->h != e->height)
        return CV_E_INVAL;
    if (e->have_pts && pts90k <= e->last_pts)
        pts90k = e->last_pts + 1;
    e->last_pts = pts90k;
    e->have_pts = 1;

    vpx_image_t img;
    wrap_image(&img, im);
    vpx_enc_frame_flags_t flags = e->kf_pending ? VPX_EFLAG_FORCE_KF : 0;
    if (vpx_codec_encode(&e->ctx, &img, pts90k, e->duration, flags, VPX_DL_REALTIME) !=
        VPX_CODEC_OK) {
        CV_WARN("vp8 encode: %s", vpx_codec_error(&e->ctx));
        return CV_E_CODEC;
    }
    int ret = 0;
    vpx_codec_iter_t it = NULL;
    const vpx_codec_cx_pkt_t *pkt;
    while ((pkt = vpx_codec_get_cx_data(&e->ctx, &it)) != NULL) {
        if (pkt->kind != VPX_CODEC_CX_FRAME_PKT || ret != 0)
            continue; /* lag 0, no layers: one frame at most; ignore extras */
        if (pkt->data.frame.sz > cap || pkt->data.frame.sz > INT_MAX) {
            ret = CV_E_NOSPACE;
            continue;
        }
        memcpy(out, pkt->data.frame.buf, pkt->data.frame.sz);
        ret = (int)pkt->data.frame.sz;
        *keyframe = (pkt->data.frame.flags & VPX_FRAME_IS_KEY) != 0;
    }
    if (ret > 0 && *keyframe)
        e->kf_pending = 0;
    else if (ret == CV_E_NOSPACE)
        e->kf_pending = 1; /* the lost frame breaks the chain: restart it */
    return ret;
}
