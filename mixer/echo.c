/*
 * echo.c - decode and re-encode one participant's own media (the echo
 * check). Jobs run on the mixer pool; the queues are the only shared state.
 */
#include "echo.h"

#include "audio_codec.h"
#include "err.h"
#include "log.h"
#include "mem.h"
#include "queue.h"
#include "video_codec.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#define IN_CAP 64
#define OUT_CAP 64
#define MAX_CONCEAL 5 /* lost audio frames to conceal before giving up (100 ms) */

struct cv_echo {
    cv_pool_t *pool;
    void (*notify)(void *ud);
    void *ud;
    cv_queue_t in, out;
    pthread_mutex_t lock; /* guards scheduled */
    pthread_cond_t idle;
    int scheduled;
    atomic_int want_keyframe, decoder_error;
    /* worker-only state below */
    cv_vp8_dec_t *vdec;
    cv_vp8_enc_t *venc;
    int enc_w, enc_h;
    cv_opus_dec_t *adec;
    cv_opus_enc_t *aenc;
    int16_t pcm[CV_AUDIO_MAX_FRAME + CV_AUDIO_FRAME];
    int pcm_len;
    uint32_t pcm_ts; /* sender timestamp of pcm[0] */
    cv_echo_stats_t st;     /* worker's counters */
    cv_echo_stats_t st_pub; /* copy published under lock at the end of each job */
};

static int video_kbps(int w, int h)
{
    long kbps = (long)w * h * 30 / 14000; /* ~0.07 bit per pixel */
    return kbps < 150 ? 150 : kbps > 2000 ? 2000 : (int)kbps;
}

static void emit(cv_echo_t *e, int kind, const uint8_t *data, size_t len, uint32_t ts,
                 int64_t t_us, int key)
{
    cv_frame_t *o = cv_frame_new(kind, len);
    memcpy(o->data, data, len);
    o->rtp_ts = ts;
    o->t_us = t_us;
    o->keyframe = key;
    if (cv_queue_push(&e->out, o) < 0)
        cv_frame_unref(o);
}

static int ensure_encoder(cv_echo_t *e, int w, int h)
{
    if (e->venc && e->enc_w == w && e->enc_h == h)
        return 0;
    cv_vp8_enc_destroy(e->venc);
    cv_vp8_enc_cfg_t cfg = {.width = w,
                            .height = h,
                            .fps = 30,
                            .bitrate_kbps = video_kbps(w, h),
                            .threads = 1,
                            .cpu_used = -8,
                            .keyframe_max_dist = 3000};
    e->venc = cv_vp8_enc_create(&cfg);
    e->enc_w = w;
    e->enc_h = h;
    return e->venc ? 0 : CV_E_CODEC;
}

static void do_video(cv_echo_t *e, cv_frame_t *f)
{
    cv_image_t pic;
    int rc = cv_vp8_dec_decode(e->vdec, f->data, f->len, &pic);
    if (rc < 0) {
        e->st.video_decode_errors++;
        atomic_store(&e->decoder_error, 1);
        return;
    }
    if (rc == 0)
        return;
    e->st.video_decoded++;
    if (ensure_encoder(e, pic.w, pic.h) < 0)
        return;
    if (atomic_exchange(&e->want_keyframe, 0))
        cv_vp8_enc_request_keyframe(e->venc);
    size_t cap = (size_t)pic.w * pic.h * 3 / 2 + 4096;
    uint8_t *out = cv_xmalloc(cap);
    int key = 0;
    int n = cv_vp8_enc_encode(e->venc, &pic, (int64_t)f->rtp_ts, out, cap, &key);
    if (n > 0) {
        e->st.video_encoded++;
        emit(e, CV_FRAME_VIDEO, out, (size_t)n, f->rtp_ts, f->t_us, key);
    }
    free(out);
}

/* Encodes whole 20 ms frames from the PCM buffer. */
static void flush_pcm(cv_echo_t *e, int64_t t_us)
{
    uint8_t pkt[1500];
    while (e->pcm_len >= CV_AUDIO_FRAME) {
        int n = cv_opus_enc_encode(e->aenc, e->pcm, pkt, sizeof(pkt));
        if (n > CV_OPUS_DTX_MAX_BYTES) { /* smaller: DTX, nothing to send */
            e->st.audio_encoded++;
            emit(e, CV_FRAME_AUDIO, pkt, (size_t)n, e->pcm_ts, t_us, 0);
        }
        e->pcm_len -= CV_AUDIO_FRAME;
        memmove(e->pcm, e->pcm + CV_AUDIO_FRAME, (size_t)e->pcm_len * sizeof(int16_t));
        e->pcm_ts += CV_AUDIO_FRAME;
    }
}

/* Decodes one packet (or conceals one 20 ms frame when data is NULL) and
 * appends the samples to the PCM buffer. */
static void decode_into_pcm(cv_echo_t *e, const uint8_t *data, size_t len, uint32_t ts,
                            int64_t t_us)
{
    int16_t tmp[CV_AUDIO_MAX_FRAME];
    int n = cv_opus_dec_decode(e->adec, data, len, tmp, data ? CV_AUDIO_MAX_FRAME : CV_AUDIO_FRAME,
                               0);
    if (n <= 0)
        return;
    if (e->pcm_len == 0)
        e->pcm_ts = ts;
    int room = (int)(sizeof(e->pcm) / sizeof(e->pcm[0])) - e->pcm_len;
    if (n > room)
        n = room;
    memcpy(e->pcm + e->pcm_len, tmp, (size_t)n * sizeof(int16_t));
    e->pcm_len += n;
    if (data)
        e->st.audio_decoded++;
    else
        e->st.audio_concealed++;
    flush_pcm(e, t_us);
}

static void do_audio(cv_echo_t *e, cv_frame_t *f)
{
    int lost = f->lost_before < MAX_CONCEAL ? f->lost_before : MAX_CONCEAL;
    uint32_t ts = f->rtp_ts - (uint32_t)(lost * CV_AUDIO_FRAME);
    for (int i = 0; i < lost; i++)
        decode_into_pcm(e, NULL, 0, ts + (uint32_t)(i * CV_AUDIO_FRAME), f->t_us);
    decode_into_pcm(e, f->data, f->len, f->rtp_ts, f->t_us);
}

/* Drains the input queue. notify() runs before the job marks itself idle, so
 * cv_echo_destroy (which waits for idle) never frees e under it. */
static void run_job(void *arg)
{
    cv_echo_t *e = arg;
    for (;;) {
        cv_frame_t *f;
        int produced = 0;
        while ((f = cv_queue_pop(&e->in))) {
            if (f->kind == CV_FRAME_VIDEO)
                do_video(e, f);
            else
                do_audio(e, f);
            cv_frame_unref(f);
            produced = 1;
        }
        if (produced && e->notify)
            e->notify(e->ud);
        pthread_mutex_lock(&e->lock);
        e->st_pub = e->st;
        if (cv_queue_count(&e->in) == 0) {
            e->scheduled = 0;
            pthread_cond_broadcast(&e->idle);
            pthread_mutex_unlock(&e->lock);
            return;
        }
        pthread_mutex_unlock(&e->lock);
    }
}

cv_echo_t *cv_echo_create(cv_pool_t *pool, void (*notify)(void *ud), void *ud)
{
    cv_echo_t *e = cv_xcalloc(1, sizeof(*e));
    e->pool = pool;
    e->notify = notify;
    e->ud = ud;
    cv_queue_init(&e->in, IN_CAP);
    cv_queue_init(&e->out, OUT_CAP);
    pthread_mutex_init(&e->lock, NULL);
    pthread_cond_init(&e->idle, NULL);
    e->vdec = cv_vp8_dec_create();
    e->adec = cv_opus_dec_create(1);
    e->aenc = cv_opus_enc_create(1, 32000, 1, 1);
    if (!e->vdec || !e->adec || !e->aenc)
        goto fail;
    return e;
fail:
    cv_echo_destroy(e);
    return NULL;
}

void cv_echo_destroy(cv_echo_t *e)
{
    if (!e)
        return;
    pthread_mutex_lock(&e->lock);
    while (e->scheduled)
        pthread_cond_wait(&e->idle, &e->lock);
    pthread_mutex_unlock(&e->lock);
    cv_queue_cleanup(&e->in, cv_frame_unref_void);
    cv_queue_cleanup(&e->out, cv_frame_unref_void);
    cv_vp8_dec_destroy(e->vdec);
    cv_vp8_enc_destroy(e->venc);
    cv_opus_dec_destroy(e->adec);
    cv_opus_enc_destroy(e->aenc);
    pthread_cond_destroy(&e->idle);
    pthread_mutex_destroy(&e->lock);
    free(e);
}

int cv_echo_push(cv_echo_t *e, cv_frame_t *f)
{
    if (cv_queue_push(&e->in, f) < 0) {
        cv_frame_unref(f);
        return CV_E_FULL;
    }
    pthread_mutex_lock(&e->lock);
    int submit = !e->scheduled;
    e->scheduled = 1;
    pthread_mutex_unlock(&e->lock);
    if (submit)
        cv_pool_submit(e->pool, run_job, e);
    return 0;
}

cv_frame_t *cv_echo_pop(cv_echo_t *e) { return cv_queue_pop(&e->out); }

void cv_echo_request_keyframe(cv_echo_t *e) { atomic_store(&e->want_keyframe, 1); }

int cv_echo_take_decoder_error(cv_echo_t *e) { return atomic_exchange(&e->decoder_error, 0); }

void cv_echo_get_stats(cv_echo_t *e, cv_echo_stats_t *st)
{
    pthread_mutex_lock(&e->lock);
    *st = e->st_pub;
    st->input_drops = e->in.drops;
    pthread_mutex_unlock(&e->lock);
}
