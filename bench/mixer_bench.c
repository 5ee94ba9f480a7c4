/*
 * mixer_bench.c - offline benchmark of one room's mixer work: N participants
 * send pre-encoded VP8 (moving synthetic pictures, 30 fps) and Opus (a tone
 * each, 20 ms); the room's video and audio ticks run on one thread, as fast
 * as they can, for a given span of simulated time. Prints the CPU cost per
 * tick and what that is as a share of one core at real-time rate.
 *
 * usage: mixer_bench [--peer DIR] [participants=4] [seconds=10] [width=1280] [height=720]
 *                    [input_width=640] [input_height=480] [layout=grid] [speakers=0]
 *                    [tiers=1]
 *
 * layout grid | speaker | lecture (participant 0 the lecturer). speakers 0:
 * everyone sends a tone without an RFC 6464 level (each voice is decoded to
 * measure it); speakers s > 0: every packet carries its level, and only s
 * participants speak (in lecture: the lecturer and s students), the others
 * send silence; the loudest of them changes every 2 s. As the network thread does, video of a
 * participant the layout does not show is dropped before the room (counted), and a sender asked for
 * a key frame starts its input again from one. Participants beyond the 9th
 * reuse the first 9 inputs (the cost is the same, the set-up much shorter).
 *
 * --peer DIR: the video job as another mixer can repeat it, for
 * bench/peer_gstreamer.sh. The room draws no active-speaker border (it runs
 * in its self_monitor mode; the border is the one picture difference a plain
 * compositor pipeline would not draw), and after the run the bench writes
 * what the room was fed and how it laid it out: DIR/in<k>.ivf, participant
 * k's VP8 stream exactly as pushed (one frame per video tick, looped input),
 * and DIR/layout.txt, the grid tiles and the fitted picture rects inside them.
 * tiers 1..3: the receivers are spread over that many output tiers (the
 * composite, half its size at 500 kbit/s, a quarter at 15 fps and 150 kbit/s);
 * the room composes once and scales down for the smaller tiers.
 */
#include "audio_codec.h"
#include "compositor.h"
#include "frame.h"
#include "image.h"
#include "layout.h"
#include "room.h"
#include "video_codec.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#define FPS 30
#define MAX_IN_FRAMES 600 /* 20 s of input at 30 fps, looped */
#define MAX_INPUTS 9      /* distinct inputs; more participants share them */

typedef struct {
    cv_frame_t *video[MAX_IN_FRAMES];
    int n_video;
    cv_frame_t *audio[1000];
    int n_audio;
    cv_frame_t *silence; /* 20 ms of digital silence */
} input_t;

static double cpu_s(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
           ru.ru_stime.tv_usec / 1e6;
}

/* A picture of participant k at frame t: a coloured background with a
 * gradient and a square moving across it. */
static void paint(cv_image_t *im, int k, int t)
{
    uint8_t by = (uint8_t)(60 + 40 * k), bu = (uint8_t)(90 + 30 * k), bv = (uint8_t)(200 - 35 * k);
    for (int y = 0; y < im->h; y++)
        for (int x = 0; x < im->w; x++)
            im->y[y * im->stride_y + x] = (uint8_t)(by + (x + y) / 16);
    for (int y = 0; y < im->h / 2; y++)
        for (int x = 0; x < im->w / 2; x++) {
            im->u[y * im->stride_u + x] = bu;
            im->v[y * im->stride_v + x] = bv;
        }
    int sq = im->h / 4 & ~1, sx = ((t * 8) % (im->w - sq)) & ~1, sy = (im->h - sq) / 2 & ~1;
    cv_image_fill_rect(im, sx, sy, sq, sq, 235, 128, 128);
}

static int make_input(input_t *in, int k, int w, int h, int frames)
{
    cv_vp8_enc_cfg_t cfg = {.width = w,
                            .height = h,
                            .fps = FPS,
                            .bitrate_kbps = 800,
                            .threads = 1,
                            .cpu_used = -8,
                            .keyframe_max_dist = 3000};
    cv_vp8_enc_t *enc = cv_vp8_enc_create(&cfg);
    cv_image_t im;
    if (!enc || cv_image_alloc(&im, w, h) < 0)
        return -1;
    size_t cap = (size_t)w * h * 2;
    uint8_t *buf = malloc(cap);
    for (int t = 0; t < frames; t++) {
        paint(&im, k, t);
        int key = 0;
        int n = cv_vp8_enc_encode(enc, &im, (int64_t)t * 3000, buf, cap, &key);
        if (n <= 0)
            continue;
        cv_frame_t *f = cv_frame_new(CV_FRAME_VIDEO, (size_t)n);
        memcpy(f->data, buf, (size_t)n);
        f->keyframe = key;
        in->video[in->n_video++] = f;
    }
    free(buf);
    cv_image_free(&im);
    cv_vp8_enc_destroy(enc);
    cv_opus_enc_t *aenc = cv_opus_enc_create(1, 32000, 1, 1);
    int16_t pcm[CV_AUDIO_FRAME];
    uint8_t pkt[1500];
    double f0 = 300.0 + 170.0 * k;
    for (int i = 0; i < 1000; i++) {
        for (int j = 0; j < CV_AUDIO_FRAME; j++)
            pcm[j] = (int16_t)(8000 * sin(2 * M_PI * f0 * (i * CV_AUDIO_FRAME + j) / 48000.0));
        int n = cv_opus_enc_encode(aenc, pcm, pkt, sizeof(pkt));
        cv_frame_t *f = cv_frame_new(CV_FRAME_AUDIO, n > 0 ? (size_t)n : 0);
        if (n > 0)
            memcpy(f->data, pkt, (size_t)n);
        in->audio[in->n_audio++] = f;
    }
    memset(pcm, 0, sizeof(pcm));
    int ns = cv_opus_enc_encode(aenc, pcm, pkt, sizeof(pkt));
    in->silence = cv_frame_new(CV_FRAME_AUDIO, ns > 0 ? (size_t)ns : 0);
    if (ns > 0)
        memcpy(in->silence->data, pkt, (size_t)ns);
    cv_opus_enc_destroy(aenc);
    return 0;
}

static void put_le(FILE *f, uint64_t v, int bytes)
{
    for (int i = 0; i < bytes; i++)
        fputc((int)((v >> (8 * i)) & 0xff), f);
}

/* Writes participant k's stream as pushed in the first `ticks` video ticks
 * to dir/in<k>.ivf (IVF: 32-byte file header, then per frame a 12-byte header
 * of size and timestamp, in units of 1/FPS s). Returns 0 or -1. */
static int dump_ivf(const char *dir, int k, const input_t *in, uint64_t ticks, int w, int h)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/in%d.ivf", dir, k);
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    fputs("DKIF", f);
    put_le(f, 0, 2);  /* version */
    put_le(f, 32, 2); /* header size */
    fputs("VP80", f);
    put_le(f, (uint64_t)w, 2);
    put_le(f, (uint64_t)h, 2);
    put_le(f, FPS, 4); /* time base: 1 / FPS */
    put_le(f, 1, 4);
    put_le(f, ticks, 4);
    put_le(f, 0, 4);
    for (uint64_t t = 0; t < ticks; t++) {
        const cv_frame_t *fr = in->video[t % (uint64_t)in->n_video];
        put_le(f, fr->len, 4);
        put_le(f, t, 8);
        fwrite(fr->data, 1, fr->len, f);
    }
    int bad = ferror(f);
    return fclose(f) == 0 && !bad ? 0 : -1;
}

/* Writes dir/layout.txt: "canvas W H fps FPS kbps K", then per tile
 * "tile i x y w h fit x y w h" (the grid rect of cv_layout_grid and the
 * aspect-kept picture rect inside it that cv_image_blit_fit fills). */
static int dump_layout(const char *dir, int n, int W, int H, int iw, int ih, int kbps)
{
    cv_rect_t r[CV_LAYOUT_MAX];
    char path[4096];
    snprintf(path, sizeof(path), "%s/layout.txt", dir);
    FILE *f = fopen(path, "w");
    if (!f || cv_layout_grid(n, W, H, r) != n) {
        if (f)
            fclose(f);
        return -1;
    }
    fprintf(f, "canvas %d %d fps %d kbps %d\n", W, H, FPS, kbps);
    for (int i = 0; i < n; i++) {
        int fx, fy, fw, fh;
        if (cv_image_fit_rect(r[i].x, r[i].y, r[i].w, r[i].h, iw, ih, &fx, &fy, &fw, &fh) < 0) {
            fclose(f);
            return -1;
        }
        fprintf(f, "tile %d %d %d %d %d fit %d %d %d %d\n", i, r[i].x, r[i].y, r[i].w, r[i].h, fx,
                fy, fw, fh);
    }
    return fclose(f) == 0 ? 0 : -1;
}

/* What a smaller tier costs made either way: the composite scaled down
 * (what the room does) against composing the n tiles again at that size. */
static void scale_vs_compose(int n, int W, int H, int iw, int ih)
{
    enum { REPS = 200 };
    cv_image_t pic, big, small;
    cv_image_alloc(&pic, iw, ih);
    paint(&pic, 1, 0);
    cv_image_alloc(&big, W, H);
    cv_tile_t tiles[CV_ROOM_MAX_PARTICIPANTS];
    for (int i = 0; i < n; i++)
        tiles[i] = (cv_tile_t){.pic = &pic, .name = "bench", .speaking = i == 0};
    cv_compose_grid(&big, tiles, n);
    for (int d = 2; d <= 4; d += 2) {
        int w = (W / d) & ~1, h = (H / d) & ~1;
        cv_image_alloc(&small, w, h);
        double c0 = cpu_s();
        for (int k = 0; k < REPS; k++)
            cv_image_blit_fit(&small, 0, 0, w, h, big.y, big.stride_y, big.u, big.stride_u, big.v,
                              big.stride_v, big.w, big.h);
        double c1 = cpu_s();
        for (int k = 0; k < REPS; k++)
            cv_compose_grid(&small, tiles, n);
        double c2 = cpu_s();
        printf("  a %dx%d tier: scaling the composite down %.3f ms, composing %d tiles again "
               "%.3f ms\n",
               w, h, 1000.0 * (c1 - c0) / REPS, n, 1000.0 * (c2 - c1) / REPS);
        cv_image_free(&small);
    }
    cv_image_free(&big);
    cv_image_free(&pic);
}

static void count_out(void *ud)
{
    (void)ud;
}

/* The run's options (from the command line) and state. */
struct bench {
    const char *dump_dir, *layout;
    int n, secs, W, H, iw, ih, speakers, n_tiers, mode;
    int n_in;
    input_t *in;
    uint64_t *vpos; /* each sender's place in its input */
    cv_room_cfg_t cfg;
    cv_room_t *room;
    cv_part_t **parts;
    int loud_to;
    double video_cpu, audio_cpu;
    uint64_t out_frames, out_bytes, vseq, aseq;
};

/* Returns 0, or 2 (the exit status) after a usage message. */
static int parse_args(int argc, char **argv, struct bench *b)
{
    if (argc > 2 && strcmp(argv[1], "--peer") == 0) {
        b->dump_dir = argv[2];
        argv += 2;
        argc -= 2;
    }
    b->n = argc > 1 ? atoi(argv[1]) : 4;
    b->secs = argc > 2 ? atoi(argv[2]) : 10;
    b->W = argc > 3 ? atoi(argv[3]) : 1280, b->H = argc > 4 ? atoi(argv[4]) : 720;
    b->iw = argc > 5 ? atoi(argv[5]) : 640, b->ih = argc > 6 ? atoi(argv[6]) : 480;
    if (b->n < 1 || b->n > CV_ROOM_MAX_PARTICIPANTS || b->secs < 1) {
        fprintf(stderr, "usage: mixer_bench [--peer DIR] [participants] [seconds] [w] [h] "
                        "[in_w] [in_h]\n");
        return 2;
    }
    b->layout = argc > 7 ? argv[7] : "grid";
    b->speakers = argc > 8 ? atoi(argv[8]) : 0;
    b->n_tiers = argc > 9 ? atoi(argv[9]) : 1;
    b->mode = strcmp(b->layout, "speaker") == 0   ? CV_LAYOUT_MODE_SPEAKER
              : strcmp(b->layout, "lecture") == 0 ? CV_LAYOUT_MODE_LECTURE
              : strcmp(b->layout, "grid") == 0    ? CV_LAYOUT_MODE_GRID
                                                  : -1;
    if (b->mode < 0 || b->speakers < 0 || b->speakers > b->n || b->n_tiers < 1 || b->n_tiers > 3) {
        fprintf(stderr, "mixer_bench: layout grid, speaker or lecture; speakers 0..n\n");
        return 2;
    }
    return 0;
}

/* The inputs, the room and its participants. */
static int setup(struct bench *b)
{
    int n = b->n, W = b->W, H = b->H;
    b->n_in = n < MAX_INPUTS ? n : MAX_INPUTS;
    b->in = calloc((size_t)b->n_in, sizeof(*b->in));
    for (int k = 0; k < b->n_in; k++)
        if (make_input(&b->in[k], k, b->iw, b->ih, 300) < 0)
            return -1;
    b->vpos = calloc((size_t)n, sizeof(*b->vpos));
    b->cfg = (cv_room_cfg_t){.width = W,
                             .height = H,
                             .fps = FPS,
                             .video_kbps = 1500,
                             .audio_bps = 32000,
                             .max_participants = n,
                             .self_monitor = b->dump_dir != NULL,
                             .max_speakers = 0,
                             .hidden_kbps = 0,
                             .n_tiers = 3,
                             .tiers = {{W, H, FPS, 1500},
                                       {(W / 2) & ~1, (H / 2) & ~1, FPS, 500},
                                       {(W / 4) & ~1, (H / 4) & ~1, FPS / 2, 150}}};
    b->room = cv_room_create(&b->cfg, 0);
    b->parts = calloc((size_t)n, sizeof(*b->parts));
    for (int k = 0; k < n; k++) {
        b->parts[k] = cv_room_join(b->room, "bench", count_out, NULL);
        cv_part_set_tier(b->parts[k], k % b->n_tiers);
    }
    cv_room_set_layout(b->room, b->mode);
    if (b->mode == CV_LAYOUT_MODE_LECTURE)
        cv_part_set_lecturer(b->parts[0], 1);
    /* who speaks: everyone without levels, or the first `speakers` (in a
     * lecture the lecturer and `speakers` students) */
    b->loud_to = b->speakers == 0                    ? n
                 : b->mode == CV_LAYOUT_MODE_LECTURE ? b->speakers + 1
                                                     : b->speakers;
    return 0;
}

/* One 20 ms packet from every participant, then the audio tick. */
static void audio_period(struct bench *b, int64_t now)
{
    for (int k = 0; k < b->n; k++) {
        int loud = k < b->loud_to;
        const input_t *ik = &b->in[k % b->n_in];
        cv_frame_t *f = loud ? ik->audio[b->aseq % 1000] : ik->silence;
        /* frames are shared and immutable; give each push its own copy of seq */
        cv_frame_t *c = cv_frame_new(CV_FRAME_AUDIO, f->len);
        memcpy(c->data, f->data, f->len);
        c->seq = (1 << 16) + b->aseq;
        /* the loudest of the speakers changes every 2 s */
        int turn = (int)(now / 2000000), lv = 20 + 3 * ((k + turn) % (b->loud_to ? b->loud_to : 1));
        c->level = b->speakers == 0 ? -1 : loud ? lv : 127;
        cv_part_push(b->parts[k], c);
    }
    b->aseq++;
    double c0 = cpu_s();
    cv_room_audio_tick(b->room, now);
    b->audio_cpu += cpu_s() - c0;
}

/* One picture from every participant the room wants video of, then the
 * video tick. */
static void video_period(struct bench *b, int64_t now)
{
    for (int k = 0; k < b->n; k++) {
        /* what the network thread does for a sender not shown */
        if (cv_part_take_keyframe_needed(b->parts[k]))
            b->vpos[k] = 0; /* the sender answers the PLI: its input restarts on a key frame */
        const input_t *ik = &b->in[k % b->n_in];
        cv_frame_t *f = ik->video[b->vpos[k]++ % (uint64_t)ik->n_video];
        if (cv_part_video_wanted(b->parts[k]))
            cv_part_push(b->parts[k], cv_frame_ref(f));
        else
            cv_part_count_hidden_drop(b->parts[k]);
    }
    b->vseq++;
    double c0 = cpu_s();
    cv_room_video_tick(b->room, now);
    b->video_cpu += cpu_s() - c0;
}

/* Empties every participant's output; participant 0's video is counted. */
static void drain_output(struct bench *b)
{
    for (int k = 0; k < b->n; k++) {
        cv_frame_t *f;
        while ((f = cv_part_pop(b->parts[k]))) {
            if (k == 0 && f->kind == CV_FRAME_VIDEO) {
                b->out_frames++;
                b->out_bytes += f->len;
            }
            cv_frame_unref(f);
        }
    }
}

/* The simulated span: audio and video periods in time order. */
static void run(struct bench *b)
{
    int64_t video_period_us = 1000000 / FPS, next_video = 0, next_audio = 0;
    for (int64_t now = 0; now < (int64_t)b->secs * 1000000;) {
        if (next_audio <= next_video) {
            now = next_audio;
            audio_period(b, now);
            next_audio += 20000;
        } else {
            now = next_video;
            video_period(b, now);
            next_video += video_period_us;
        }
        drain_output(b);
    }
}

static void report(const struct bench *b, const cv_room_stats_t *st)
{
    int n = b->n, secs = b->secs, n_tiers = b->n_tiers;
    double video_cpu = b->video_cpu, audio_cpu = b->audio_cpu;
    double total = video_cpu + audio_cpu;
    int shown[CV_ROOM_MAX_PARTICIPANTS];
    int n_shown = cv_room_shown(b->room, shown, CV_ROOM_MAX_PARTICIPANTS);
    printf("mixer_bench: %d participants, %dx%d inputs -> %dx%d composite @ %d fps, %d s "
           "simulated, layout %s, %s\n",
           n, b->iw, b->ih, b->W, b->H, FPS, secs, b->layout,
           b->speakers ? "audio levels sent" : "no audio levels (every voice decoded)");
    printf("  video ticks %llu: %.2f ms CPU each (decode the %d shown inputs + composite + one "
           "encode per tier)\n",
           (unsigned long long)st->video_ticks, 1000.0 * video_cpu / (double)st->video_ticks,
           n_shown);
    printf("  audio ticks %llu: %.3f ms CPU each (decode the speakers + mix-minus + encodes)\n",
           (unsigned long long)st->audio_ticks, 1000.0 * audio_cpu / (double)st->audio_ticks);
    printf("  decoded: %llu pictures, %llu Opus packets; dropped undecoded: %llu video frames "
           "(not shown), %llu Opus packets (not among the speakers)\n",
           (unsigned long long)st->decoded, (unsigned long long)st->audio_decoded,
           (unsigned long long)st->hidden_dropped, (unsigned long long)st->voices_dropped);
    printf("  frames encoded per tier: %llu %llu %llu (%d tier%s received)\n",
           (unsigned long long)st->tier_frames[0], (unsigned long long)st->tier_frames[1],
           (unsigned long long)st->tier_frames[2], n_tiers, n_tiers > 1 ? "s" : "");
    printf("  output: %llu frames, %.0f kbit/s, decode errors %llu\n",
           (unsigned long long)b->out_frames, b->out_bytes * 8.0 / secs / 1000.0,
           (unsigned long long)st->decode_errors);
    printf("  real-time CPU share: %.1f %% of one core (video %.1f %%, audio %.1f %%)\n",
           100.0 * total / secs, 100.0 * video_cpu / secs, 100.0 * audio_cpu / secs);
}

/* --peer DIR: what the room was fed and how it laid it out. */
static int dump(const struct bench *b)
{
    for (int k = 0; k < b->n; k++)
        if (dump_ivf(b->dump_dir, k, &b->in[k % b->n_in], b->vseq, b->iw, b->ih) < 0) {
            fprintf(stderr, "mixer_bench: cannot write %s/in%d.ivf\n", b->dump_dir, k);
            return -1;
        }
    if (dump_layout(b->dump_dir, b->n, b->W, b->H, b->iw, b->ih, b->cfg.video_kbps) < 0) {
        fprintf(stderr, "mixer_bench: cannot write %s/layout.txt\n", b->dump_dir);
        return -1;
    }
    return 0;
}

static void teardown(struct bench *b)
{
    for (int k = 0; k < b->n; k++)
        cv_room_leave(b->room, b->parts[k]);
    cv_room_destroy(b->room);
    for (int k = 0; k < b->n_in; k++) {
        for (int i = 0; i < b->in[k].n_video; i++)
            cv_frame_unref(b->in[k].video[i]);
        for (int i = 0; i < b->in[k].n_audio; i++)
            cv_frame_unref(b->in[k].audio[i]);
        cv_frame_unref(b->in[k].silence);
    }
    free(b->parts);
    free(b->vpos);
    free(b->in);
}

int main(int argc, char **argv)
{
    struct bench b = {0};
    int rc = parse_args(argc, argv, &b);
    if (rc)
        return rc;
    if (setup(&b) < 0)
        return 1;
    run(&b);
    cv_room_stats_t st;
    cv_room_get_stats(b.room, &st);
    report(&b, &st);
    if (b.dump_dir && dump(&b) < 0)
        return 1;
    if (b.n_tiers > 1)
        scale_vs_compose(b.n, b.W, b.H, b.iw, b.ih);
    teardown(&b);
    return st.decode_errors ? 1 : 0;
}
