/*
 * events.c - server-sent event streams over libmicrohttpd (shell). A stream
 * with nothing to send suspends its connection inside the content reader;
 * a publisher resumes it (the pattern microhttpd.h gives for data produced
 * later). A session has one stream: a new one ends the one before. A
 * stream that is dropped, or that took nothing for CV_EVENTS_STALL_US while
 * it had something to send, ends at once without its unsent events, so that
 * its connection is freed.
 */
#include "events.h"

#include "clock.h"
#include "mem.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct sub {
    struct sub *next;
    cv_events_t *ev;
    struct MHD_Connection *conn;
    char room[65];
    char session[33];
    char *buf;
    size_t len, cap;
    int suspended;
    int ended; /* end the stream once the buffer is sent */
    int dropped;
    int64_t waiting_since; /* when the reader last took nothing while len > 0; 0 = it keeps up */
};

struct cv_events {
    pthread_mutex_t lock;
    struct sub *subs;
    int count;
    void (*cut)(void *ud, struct MHD_Connection *c);
    int (*gone)(void *ud, struct MHD_Connection *c);
    void *cut_ud;
};

cv_events_t *cv_events_create(void)
{
    cv_events_t *ev = cv_xcalloc(1, sizeof(*ev));
    pthread_mutex_init(&ev->lock, NULL);
    return ev;
}

/* Under the lock: wakes a suspended connection. */
static void wake(struct sub *s)
{
    if (s->suspended) {
        s->suspended = 0;
        MHD_resume_connection(s->conn);
    }
}

/* Under the lock: ends the stream now, its unsent events thrown away (the
 * reader then ends it with an error and the connection closes). */
static void drop(struct sub *s)
{
    s->dropped = 1;
    s->ended = 1;
    s->len = 0;
    wake(s);
    /* a reader that takes nothing would not even see the end: its
     * connection is closed under it */
    if (s->ev && s->ev->cut)
        s->ev->cut(s->ev->cut_ud, s->conn);
}

static void append(struct sub *s, const char *text, size_t n)
{
    if (s->ended)
        return;
    size_t half = CV_EVENTS_MAX_BUFFER / 2;
    size_t limit = n > half ? n + half : CV_EVENTS_MAX_BUFFER; /* events.h */
    if (n > CV_EVENTS_MAX_EVENT || s->len + n > limit) {
        drop(s); /* too slow a reader: its stream ends, the client reconnects */
        return;
    }
    if (s->len == 0)
        s->waiting_since = cv_now_us();
    if (s->len + n > s->cap) {
        s->cap = (s->len + n) * 2;
        s->buf = cv_xrealloc(s->buf, s->cap);
    }
    memcpy(s->buf + s->len, text, n);
    s->len += n;
    wake(s);
}

void cv_events_set_conn_hooks(cv_events_t *ev, void (*cut)(void *ud, struct MHD_Connection *c),
                              int (*gone)(void *ud, struct MHD_Connection *c), void *ud)
{
    pthread_mutex_lock(&ev->lock);
    ev->cut = cut;
    ev->gone = gone;
    ev->cut_ud = ud;
    pthread_mutex_unlock(&ev->lock);
}

void cv_events_destroy(cv_events_t *ev)
{
    if (!ev)
        return;
    /* streams still open are ended by the HTTP server's stop, which calls
     * free_sub; our list only forgets them here */
    pthread_mutex_lock(&ev->lock);
    for (struct sub *s = ev->subs; s; s = s->next) {
        s->ended = 1;
        s->ev = NULL;
        wake(s);
    }
    ev->subs = NULL;
    pthread_mutex_unlock(&ev->lock);
    pthread_mutex_destroy(&ev->lock);
    free(ev);
}

static ssize_t reader(void *cls, uint64_t pos, char *out, size_t max)
{
    struct sub *s = cls;
    cv_events_t *ev = s->ev;
    if (!ev) /* the hub is gone: the server is stopping */
        return MHD_CONTENT_READER_END_OF_STREAM;
    pthread_mutex_lock(&ev->lock);
    ssize_t n;
    if (s->len > 0) {
        size_t k = s->len < max ? s->len : max;
        memcpy(out, s->buf, k);
        memmove(s->buf, s->buf + k, s->len - k);
        s->len -= k;
        s->waiting_since = cv_now_us(); /* it took something */
        n = (ssize_t)k;
    } else if (s->ended) {
        n = s->dropped ? MHD_CONTENT_READER_END_WITH_ERROR : MHD_CONTENT_READER_END_OF_STREAM;
    } else {
        s->suspended = 1;
        MHD_suspend_connection(s->conn);
        n = 0;
    }
    pthread_mutex_unlock(&ev->lock);
    return n;
}

static void free_sub(void *cls)
{
    struct sub *s = cls;
    cv_events_t *ev = s->ev;
    if (ev) {
        pthread_mutex_lock(&ev->lock);
        for (struct sub **pp = &ev->subs; *pp; pp = &(*pp)->next) {
            if (*pp == s) {
                *pp = s->next;
                ev->count--;
                break;
            }
        }
        pthread_mutex_unlock(&ev->lock);
    }
    free(s->buf);
    free(s);
}

struct MHD_Response *cv_events_subscribe(cv_events_t *ev, struct MHD_Connection *c,
                                         const char *room, const char *session_id,
                                         const char *initial)
{
    struct sub *s = cv_xcalloc(1, sizeof(*s));
    s->ev = ev;
    s->conn = c;
    snprintf(s->room, sizeof(s->room), "%s", room);
    snprintf(s->session, sizeof(s->session), "%s", session_id);
    struct MHD_Response *r =
        MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 4096, reader, s, free_sub);
    if (!r) {
        free(s);
        return NULL;
    }
    pthread_mutex_lock(&ev->lock);
    /* one stream a session: the one before (another tab, a lost connection
     * not yet seen closed, or a flood of them) ends */
    for (struct sub *o = ev->subs; o; o = o->next)
        if (strcmp(o->session, s->session) == 0 && !o->ended)
            drop(o);
    append(s, "retry: 2000\n\n", 13);
    if (initial)
        append(s, initial, strlen(initial));
    s->next = ev->subs;
    ev->subs = s;
    ev->count++;
    pthread_mutex_unlock(&ev->lock);
    return r;
}

static char *format(const char *name, const char *json, size_t *n)
{
    size_t len = strlen(name) + strlen(json) + sizeof("event: \ndata: \n\n");
    char *t = cv_xmalloc(len);
    *n = (size_t)snprintf(t, len, "event: %s\ndata: %s\n\n", name, json);
    return t;
}

void cv_events_publish(cv_events_t *ev, const char *room, const char *name, const char *json)
{
    size_t n;
    char *t = format(name, json, &n);
    pthread_mutex_lock(&ev->lock);
    for (struct sub *s = ev->subs; s; s = s->next)
        if (strcmp(s->room, room) == 0)
            append(s, t, n);
    pthread_mutex_unlock(&ev->lock);
    free(t);
}

void cv_events_publish_to(cv_events_t *ev, const char *session_id, const char *name,
                          const char *json)
{
    size_t n;
    char *t = format(name, json, &n);
    pthread_mutex_lock(&ev->lock);
    for (struct sub *s = ev->subs; s; s = s->next)
        if (strcmp(s->session, session_id) == 0)
            append(s, t, n);
    pthread_mutex_unlock(&ev->lock);
    free(t);
}

void cv_events_broadcast(cv_events_t *ev, const char *name, const char *json)
{
    size_t n;
    char *t = format(name, json, &n);
    pthread_mutex_lock(&ev->lock);
    for (struct sub *s = ev->subs; s; s = s->next)
        append(s, t, n);
    pthread_mutex_unlock(&ev->lock);
    free(t);
}

void cv_events_end_session(cv_events_t *ev, const char *session_id)
{
    pthread_mutex_lock(&ev->lock);
    for (struct sub *s = ev->subs; s; s = s->next) {
        if (strcmp(s->session, session_id) == 0) {
            s->ended = 1;
            wake(s);
        }
    }
    pthread_mutex_unlock(&ev->lock);
}

void cv_events_ping(cv_events_t *ev)
{
    pthread_mutex_lock(&ev->lock);
    for (struct sub *s = ev->subs; s; s = s->next)
        append(s, ": ping\n\n", 8);
    pthread_mutex_unlock(&ev->lock);
}

int cv_events_reap(cv_events_t *ev, int64_t now_us)
{
    int n = 0;
    pthread_mutex_lock(&ev->lock);
    for (struct sub *s = ev->subs; s; s = s->next) {
        if (s->ended)
            continue;
        if ((s->len > 0 && now_us - s->waiting_since >= CV_EVENTS_STALL_US) ||
            (ev->gone && ev->gone(ev->cut_ud, s->conn))) {
            drop(s);
            n++;
        }
    }
    pthread_mutex_unlock(&ev->lock);
    return n;
}

void cv_events_each_room(cv_events_t *ev, void (*fn)(const char *room, void *ud), void *ud)
{
    /* copy the names first: fn may publish (and so take the lock) */
    char(*rooms)[65] = NULL;
    int n = 0;
    pthread_mutex_lock(&ev->lock);
    rooms = cv_xcalloc((size_t)ev->count + 1, sizeof(*rooms));
    for (struct sub *s = ev->subs; s; s = s->next) {
        int seen = 0;
        for (int i = 0; i < n && !seen; i++)
            seen = strcmp(rooms[i], s->room) == 0;
        if (!seen && n < ev->count)
            memcpy(rooms[n++], s->room, sizeof(rooms[0]));
    }
    pthread_mutex_unlock(&ev->lock);
    for (int i = 0; i < n; i++)
        fn(rooms[i], ud);
    free(rooms);
}

int cv_events_end_all(cv_events_t *ev, int64_t wait_ms)
{
    pthread_mutex_lock(&ev->lock);
    for (struct sub *s = ev->subs; s; s = s->next) {
        s->ended = 1;
        wake(s);
    }
    pthread_mutex_unlock(&ev->lock);
    /* libmicrohttpd must have finished the resumed streams before it stops */
    for (int64_t t = 0; t < wait_ms && cv_events_count(ev) > 0; t += 10)
        nanosleep(&(struct timespec){.tv_nsec = 10 * 1000 * 1000}, NULL);
    return cv_events_count(ev) == 0 ? 0 : -1;
}

int cv_events_count(cv_events_t *ev)
{
    pthread_mutex_lock(&ev->lock);
    int n = ev->count;
    pthread_mutex_unlock(&ev->lock);
    return n;
}
