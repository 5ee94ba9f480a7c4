/*
 * recorder.c - a room's recording: its place in the room (a viewer's) and
 * the writer thread that empties its output queue into a WebM file
 * (recorder.h). The writer wakes when the mixer notifies it, and at least
 * every WAKE_MS to look at its limits and at a stop.
 */
#include "recorder.h"

#include "err.h"
#include "log.h"
#include "mem.h"
#include "webm.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define WAKE_MS 200
#define NAME_TRIES 100 /* "-2" .. "-100" after a name that exists */
#define BACKLOG 80     /* frames at once: the queue (96) may have overflowed */

struct cv_recorder {
    cv_mixer_t *mixer;
    cv_mixer_room_t *handle;
    cv_part_t *part;
    cv_webm_t *webm;
    int64_t max_bytes;
    int64_t max_ms;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int wake, stop; /* under lock */
    atomic_int state, done;
    int64_t counted; /* bytes of this file already added to the total */
};

static atomic_int n_active;
static atomic_uint_fast64_t n_bytes;

void cv_recorder_totals(int *active, uint64_t *bytes)
{
    *active = atomic_load(&n_active);
    *bytes = atomic_load(&n_bytes);
}

/* A mixer worker left frames in the queue. */
static void on_notify(void *ud)
{
    cv_recorder_t *r = ud;
    pthread_mutex_lock(&r->lock);
    r->wake = 1;
    pthread_cond_signal(&r->cond);
    pthread_mutex_unlock(&r->lock);
}

static void count_bytes(cv_recorder_t *r)
{
    int64_t now = cv_webm_bytes(r->webm);
    atomic_fetch_add(&n_bytes, (uint64_t)(now - r->counted));
    r->counted = now;
}

/* Writes every queued frame. Returns CV_RECORDER_RUNNING, or why to end. */
static int drain(cv_recorder_t *r, int *need_key)
{
    cv_frame_t *f;
    int n = 0, end = CV_RECORDER_RUNNING;
    while (end == CV_RECORDER_RUNNING && (f = cv_part_pop(r->part))) {
        n++;
        if (f->kind == CV_FRAME_VIDEO && *need_key && !f->keyframe) {
            cv_frame_unref(f); /* its reference was lost with the frames dropped */
            continue;
        }
        if (f->kind == CV_FRAME_VIDEO)
            *need_key = 0;
        if (cv_webm_write(r->webm, f) < 0)
            end = CV_RECORDER_FAILED;
        cv_frame_unref(f);
        if (end == CV_RECORDER_RUNNING &&
            ((r->max_bytes && cv_webm_bytes(r->webm) >= r->max_bytes) ||
             (r->max_ms && cv_webm_last_ms(r->webm) >= r->max_ms)))
            end = CV_RECORDER_LIMIT;
    }
    if (n >= BACKLOG) { /* the writer fell behind: start again from a key frame */
        *need_key = 1;
        cv_part_request_keyframe(r->part);
    }
    count_bytes(r);
    return end;
}

static void *writer(void *arg)
{
    cv_recorder_t *r = arg;
    int need_key = 0, end = CV_RECORDER_RUNNING;
    for (;;) {
        pthread_mutex_lock(&r->lock);
        if (!r->wake && !r->stop) {
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            ts.tv_nsec += WAKE_MS * 1000000L;
            ts.tv_sec += ts.tv_nsec / 1000000000L;
            ts.tv_nsec %= 1000000000L;
            pthread_cond_timedwait(&r->cond, &r->lock, &ts);
        }
        int stop = r->stop;
        r->wake = 0;
        pthread_mutex_unlock(&r->lock);
        end = drain(r, &need_key);
        if (end != CV_RECORDER_RUNNING || stop)
            break;
    }
    cv_mixer_leave(r->mixer, r->handle, r->part); /* no more frames, nor notify */
    r->part = NULL;
    if (end == CV_RECORDER_RUNNING)
        end = CV_RECORDER_STOPPED;
    int64_t size = 0;
    int closed = cv_webm_close(r->webm, &size);
    atomic_fetch_add(&n_bytes, (uint64_t)(size - r->counted)); /* the index at the end */
    if (closed < 0 && end != CV_RECORDER_FAILED) {
        end = CV_RECORDER_FAILED;
        CV_WARN("recording: the file could not be finished (its clusters stay playable)");
    } else if (end == CV_RECORDER_FAILED) {
        CV_WARN("recording: a write failed: the recording stopped, the meeting goes on");
    }
    r->webm = NULL;
    atomic_store(&r->state, end);
    atomic_fetch_sub(&n_active, 1);
    atomic_store(&r->done, 1);
    CV_INFO("recording: ended (%s)", end == CV_RECORDER_LIMIT    ? "limit"
                                     : end == CV_RECORDER_FAILED ? "write error"
                                                                 : "stopped");
    return NULL;
}

/* The directory (0700 when made here), then a new file of mode 0600.
 * Returns the descriptor or -1 with why. */
static int open_file(const cv_recorder_cfg_t *cfg, char *path, size_t pathcap, char *why,
                     size_t whycap)
{
    struct stat st;
    if (mkdir(cfg->dir, 0700) < 0 && errno != EEXIST) {
        snprintf(why, whycap, "cannot make the recordings directory: %s", strerror(errno));
        return -1;
    }
    if (stat(cfg->dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
        snprintf(why, whycap, "the recordings directory is not a directory");
        return -1;
    }
    char stamp[32];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", &tm);
    for (int i = 1; i <= NAME_TRIES; i++) {
        char suffix[8] = "";
        if (i > 1)
            snprintf(suffix, sizeof(suffix), "-%d", i);
        int n = snprintf(path, pathcap, "%s/%s-%s%s.webm", cfg->dir, cfg->room, stamp, suffix);
        if (n < 0 || (size_t)n >= pathcap) {
            snprintf(why, whycap, "the recordings directory's path is too long");
            return -1;
        }
        int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (fd >= 0)
            return fd;
        if (errno != EEXIST) {
            snprintf(why, whycap, "cannot make a file in the recordings directory: %s",
                     strerror(errno));
            return -1;
        }
    }
    snprintf(why, whycap, "too many recordings of one room in one second");
    return -1;
}

static void free_recorder(cv_recorder_t *r)
{
    pthread_mutex_destroy(&r->lock);
    pthread_cond_destroy(&r->cond);
    free(r);
}

cv_recorder_t *cv_recorder_start(cv_mixer_t *m, const cv_recorder_cfg_t *cfg, char *name,
                                 size_t namecap, int *err, char *why, size_t whycap)
{
    char path[1024];
    snprintf(why, whycap, "could not start the recording");
    int fd = open_file(cfg, path, sizeof(path), why, whycap);
    if (fd < 0) {
        *err = CV_E_IO;
        return NULL;
    }
    if (name && namecap)
        snprintf(name, namecap, "%s", path);
    cv_recorder_t *r = cv_xcalloc(1, sizeof(*r));
    pthread_mutex_init(&r->lock, NULL);
    pthread_cond_init(&r->cond, NULL);
    r->mixer = m;
    r->max_bytes = cfg->max_bytes;
    r->max_ms = (int64_t)cfg->max_seconds * 1000;
    r->webm = cv_webm_open(fd, cfg->width, cfg->height, err);
    if (!r->webm) {
        snprintf(why, whycap, "could not start the WebM file");
        goto fail;
    }
    r->part =
        cv_mixer_join(m, cfg->room, "recording", CV_ROLE_VIEWER, on_notify, r, &r->handle, err);
    if (!r->part) {
        snprintf(why, whycap, "%s", *err == CV_E_FULL ? "room full" : "could not join the room");
        goto fail;
    }
    atomic_fetch_add(&n_active, 1);
    if (pthread_create(&r->thread, NULL, writer, r) != 0) {
        atomic_fetch_sub(&n_active, 1);
        cv_mixer_leave(m, r->handle, r->part);
        *err = CV_E_IO;
        snprintf(why, whycap, "could not start the writer thread");
        goto fail;
    }
    pthread_setname_np(r->thread, "cv-rec");
    CV_INFO("recording: started");
    return r;
fail:
    cv_webm_close(r->webm, NULL);
    unlink(path); /* nothing of it was recorded */
    free_recorder(r);
    return NULL;
}

void cv_recorder_stop(cv_recorder_t *r)
{
    pthread_mutex_lock(&r->lock);
    r->stop = 1;
    pthread_cond_signal(&r->cond);
    pthread_mutex_unlock(&r->lock);
}

int cv_recorder_state(cv_recorder_t *r)
{
    return atomic_load(&r->state);
}

int cv_recorder_done(cv_recorder_t *r)
{
    return atomic_load(&r->done);
}

void cv_recorder_destroy(cv_recorder_t *r)
{
    if (!r)
        return;
    cv_recorder_stop(r);
    pthread_join(r->thread, NULL);
    free_recorder(r);
}
