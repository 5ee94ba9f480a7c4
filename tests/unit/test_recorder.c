/*
 * test_recorder.c - unit tests of mixer/recorder.c against a real mixer (one
 * worker, a 160x90 room at 10 fps): a recording joins the room as one more
 * receiver and its writer puts the room's picture and sound in a WebM file
 * (read back with libavformat: VP8 of the room's size, starting with a key
 * frame, and Opus); the directory is made 0700 and the file 0600; the totals
 * for /metrics follow; max_bytes ends a recording by itself (LIMIT); a
 * directory that cannot be made, and a full room, refuse a start and leave
 * no file behind.
 */
#include "check.h"

#include "err.h"
#include "mixer.h"
#include "recorder.h"

#include <libavformat/avformat.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static void no_notify(void *ud)
{
    (void)ud;
}

static void sleep_ms(int ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Polls cond(arg) every 20 ms for up to ms; returns its last value. */
static int poll_until(int (*cond)(void *), void *arg, int ms)
{
    for (int waited = 0; waited < ms; waited += 20) {
        if (cond(arg))
            return 1;
        sleep_ms(20);
    }
    return cond(arg);
}

struct growth {
    const char *path;
    off_t from;
};

/* The file grew by a cluster: the writer flushes as it goes. */
static int file_grew(void *arg)
{
    const struct growth *g = arg;
    struct stat st;
    return stat(g->path, &st) == 0 && st.st_size > g->from + 200;
}

static int writer_done(void *arg)
{
    return cv_recorder_done(arg);
}

static int count_files(const char *dir)
{
    DIR *d = opendir(dir);
    int n = 0;
    if (!d)
        return -1;
    for (struct dirent *e; (e = readdir(d));)
        n += e->d_name[0] != '.';
    closedir(d);
    return n;
}

typedef struct {
    int vp8, opus, w, h, video, audio, first_key;
} contents_t;

static void read_back(const char *path, contents_t *c)
{
    memset(c, 0, sizeof(*c));
    AVFormatContext *fmt = NULL;
    if (avformat_open_input(&fmt, path, NULL, NULL) < 0)
        return;
    avformat_find_stream_info(fmt, NULL);
    for (unsigned i = 0; i < fmt->nb_streams; i++) {
        const AVCodecParameters *p = fmt->streams[i]->codecpar;
        if (p->codec_id == AV_CODEC_ID_VP8) {
            c->vp8 = 1;
            c->w = p->width;
            c->h = p->height;
        }
        c->opus |= p->codec_id == AV_CODEC_ID_OPUS;
    }
    AVPacket *pkt = av_packet_alloc();
    while (av_read_frame(fmt, pkt) >= 0) {
        if (fmt->streams[pkt->stream_index]->codecpar->codec_id == AV_CODEC_ID_VP8) {
            if (c->video++ == 0)
                c->first_key = !!(pkt->flags & AV_PKT_FLAG_KEY);
        } else {
            c->audio++;
        }
        av_packet_unref(pkt);
    }
    av_packet_free(&pkt);
    avformat_close_input(&fmt);
}

static cv_mixer_t *make_mixer(cv_pool_t *pool, int max_participants)
{
    cv_mixer_cfg_t cfg = {
        .room = {.width = 160,
                 .height = 90,
                 .fps = 10,
                 .video_kbps = 100,
                 .audio_bps = 16000,
                 .max_participants = max_participants},
        .max_rooms = 4,
        .open_rooms = 1,
        .names = "",
    };
    return cv_mixer_create(pool, &cfg);
}

static void test_records(const char *top)
{
    char dir[512], name[1024], why[160];
    snprintf(dir, sizeof(dir), "%s/rec", top);
    cv_pool_t *pool = cv_pool_create(1);
    cv_mixer_t *m = make_mixer(pool, 2);
    cv_mixer_room_t *h;
    int err = 0, active = -1;
    uint64_t bytes0, bytes1;
    cv_part_t *p = cv_mixer_join(m, "r", "someone", CV_ROLE_PARTICIPANT, no_notify, NULL, &h, &err);
    CHECK(p != NULL);
    cv_recorder_totals(&active, &bytes0);
    CHECK_EQ(active, 0);

    cv_recorder_cfg_t cfg = {.dir = dir, .room = "r", .width = 160, .height = 90};
    cv_recorder_t *r = cv_recorder_start(m, &cfg, name, sizeof(name), &err, why, sizeof(why));
    CHECK(r != NULL);
    cv_recorder_totals(&active, &bytes1);
    CHECK_EQ(active, 1);
    CHECK(strncmp(name, dir, strlen(dir)) == 0 && strstr(name, "/r-") != NULL &&
          strcmp(name + strlen(name) - 5, ".webm") == 0);
    struct stat st;
    struct growth g = {.path = name};
    CHECK(stat(name, &st) == 0); /* the header is written at the start */
    g.from = st.st_size;
    CHECK(g.from > 0);
    CHECK(poll_until(file_grew, &g, 5000));
    CHECK_EQ(cv_recorder_state(r), CV_RECORDER_RUNNING);
    cv_recorder_destroy(r);
    cv_recorder_totals(&active, &bytes1);
    CHECK_EQ(active, 0);
    CHECK(stat(dir, &st) == 0 && (st.st_mode & 0777) == 0700);
    CHECK(stat(name, &st) == 0 && (st.st_mode & 0777) == 0600);
    CHECK(bytes1 - bytes0 == (uint64_t)st.st_size); /* every byte of the file counted once */
    contents_t c;
    read_back(name, &c);
    CHECK(c.vp8 && c.opus);
    CHECK_EQ(c.w, 160);
    CHECK_EQ(c.h, 90);
    CHECK(c.video >= 3);
    CHECK(c.first_key);

    /* max_bytes: the writer ends by itself */
    cfg.max_bytes = 3000;
    r = cv_recorder_start(m, &cfg, name, sizeof(name), &err, why, sizeof(why));
    CHECK(r != NULL);
    CHECK(r && poll_until(writer_done, r, 8000));
    CHECK(r && cv_recorder_state(r) == CV_RECORDER_LIMIT);
    cv_recorder_destroy(r);
    CHECK(stat(name, &st) == 0 && st.st_size >= 3000);
    CHECK_EQ(count_files(dir), 2);

    /* the room is full: the participant and nobody else */
    cv_mixer_t *full = make_mixer(pool, 1);
    cv_mixer_room_t *h2;
    cv_part_t *q =
        cv_mixer_join(full, "f", "someone", CV_ROLE_PARTICIPANT, no_notify, NULL, &h2, &err);
    CHECK(q != NULL);
    cfg.room = "f";
    cfg.max_bytes = 0;
    err = 0;
    CHECK(cv_recorder_start(full, &cfg, NULL, 0, &err, why, sizeof(why)) == NULL);
    CHECK_EQ(err, CV_E_FULL);
    CHECK_STR(why, "room full");
    CHECK_EQ(count_files(dir), 2); /* its file was removed */
    cv_mixer_leave(full, h2, q);
    cv_mixer_destroy(full);

    cv_mixer_leave(m, h, p);
    cv_mixer_destroy(m);
    cv_pool_destroy(pool);
}

static void test_bad_directory(const char *top)
{
    char dir[512], file[512], why[160];
    int err = 0;
    cv_pool_t *pool = cv_pool_create(1);
    cv_mixer_t *m = make_mixer(pool, 2);
    snprintf(dir, sizeof(dir), "%s/missing/rec", top); /* only the last part is made */
    cv_recorder_cfg_t cfg = {.dir = dir, .room = "r", .width = 160, .height = 90};
    CHECK(cv_recorder_start(m, &cfg, NULL, 0, &err, why, sizeof(why)) == NULL);
    CHECK_EQ(err, CV_E_IO);
    CHECK(strncmp(why, "cannot make the recordings directory: ", 38) == 0);
    snprintf(file, sizeof(file), "%s/plain", top);
    FILE *f = fopen(file, "w");
    CHECK(f != NULL);
    if (f)
        fclose(f);
    cfg.dir = file;
    err = 0;
    CHECK(cv_recorder_start(m, &cfg, NULL, 0, &err, why, sizeof(why)) == NULL);
    CHECK_EQ(err, CV_E_IO);
    CHECK_STR(why, "the recordings directory is not a directory");
    unlink(file);
    cv_mixer_destroy(m);
    cv_pool_destroy(pool);
}

int main(void)
{
    char top[] = "/tmp/test_recorder.XXXXXX";
    CHECK(mkdtemp(top) != NULL);
    test_records(top);
    test_bad_directory(top);
    char cmd[600];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", top);
    CHECK_EQ(system(cmd), 0);
    return CHECK_DONE("test_recorder");
}
