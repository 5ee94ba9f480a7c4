/*
 * api.c - routes of the public HTTP interface, the session table and static
 * files. Runs on HTTP threads; the table lock is held for a lookup or a
 * pointer move, never across a session set-up or teardown.
 * WHIP: RFC 9725 §4.2 (201 + Location + answer), §4.3 (DELETE), §4.3.1 (a
 * server without trickle answers PATCH with 405).
 */
#include "api.h"

#include "err.h"
#include "log.h"
#include "mem.h"
#include "sdp.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define ANSWER_CAP 16384

struct cv_api {
    cv_session_env_t env;
    char www[PATH_MAX];
    int max_sessions;
    pthread_mutex_t lock;
    cv_session_t **sessions; /* unordered; a room-less echo session or a room's */
    int n_sessions;
};

static void reply(cv_api_resp_t *rs, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void reply(cv_api_resp_t *rs, int status, const char *fmt, ...)
{
    char line[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
    va_end(ap);
    if (n < 0)
        n = 0;
    if (n > (int)sizeof(line) - 2)
        n = (int)sizeof(line) - 2;
    line[n++] = '\n';
    rs->status = status;
    rs->content_type = "text/plain; charset=utf-8";
    free(rs->body);
    rs->body = cv_xmalloc((size_t)n);
    memcpy(rs->body, line, (size_t)n);
    rs->body_len = (size_t)n;
    rs->no_store = 1;
}

int cv_api_valid_room(const char *s, size_t len)
{
    if (len < 1 || len > 64)
        return 0;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-'))
            return 0;
    }
    return 1;
}

/* ---- session table ---- */

static int table_add(cv_api_t *api, cv_session_t *s)
{
    int rc = CV_E_FULL;
    pthread_mutex_lock(&api->lock);
    if (api->n_sessions < api->max_sessions) {
        api->sessions[api->n_sessions++] = s;
        rc = 0;
    }
    pthread_mutex_unlock(&api->lock);
    return rc;
}

/* Removes and returns the session with this id, or NULL (then someone else
 * already took it out and closes it). */
static int same_room(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static cv_session_t *table_take(cv_api_t *api, const char *id, const char *room,
                                const cv_session_t *which)
{
    cv_session_t *found = NULL;
    pthread_mutex_lock(&api->lock);
    for (int i = 0; i < api->n_sessions; i++) {
        cv_session_t *s = api->sessions[i];
        if ((which && s == which) ||
            (!which && strcmp(cv_session_id(s), id) == 0 && same_room(cv_session_room(s), room))) {
            found = s;
            api->sessions[i] = api->sessions[--api->n_sessions];
            break;
        }
    }
    pthread_mutex_unlock(&api->lock);
    return found;
}

int cv_api_session_count(cv_api_t *api)
{
    pthread_mutex_lock(&api->lock);
    int n = api->n_sessions;
    pthread_mutex_unlock(&api->lock);
    return n;
}

/* Loop thread: the transport of s failed or timed out. */
static void on_session_failed(void *ud, cv_session_t *s)
{
    cv_api_t *api = ud;
    if (table_take(api, NULL, NULL, s))
        cv_session_close_on_loop(s);
}

/* ---- routes ---- */

static int is_sdp(const char *ct)
{
    if (!ct)
        return 0;
    size_t n = strlen("application/sdp");
    return strncasecmp(ct, "application/sdp", n) == 0 && (ct[n] == 0 || ct[n] == ';');
}

static int session_count_full(cv_api_t *api)
{
    return cv_api_session_count(api) >= api->max_sessions;
}

static void method_not_allowed(cv_api_resp_t *rs, const char *allow);

/* A display name: up to 64 bytes, no control characters. */
static int valid_name(const char *n)
{
    size_t len = strlen(n);
    if (len > CV_PART_NAME_MAX)
        return 0;
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)n[i] < 32 || n[i] == 127)
            return 0;
    return 1;
}

/* WHIP join (RFC 9725 §4.2) of `room`, or of the echo check when room is NULL. */
static void join(cv_api_t *api, const cv_api_req_t *rq, const char *room, cv_api_resp_t *rs)
{
    if (strcmp(rq->method, "POST") != 0) {
        method_not_allowed(rs, "POST");
        return;
    }
    if (!is_sdp(rq->content_type)) {
        reply(rs, 415, "Content-Type must be application/sdp");
        return;
    }
    if (rq->name && !valid_name(rq->name)) {
        reply(rs, 400, "bad name: at most 64 bytes, no control characters");
        return;
    }
    cv_sdp_offer_t *offer = cv_xmalloc(sizeof(*offer));
    const char *reason = "malformed SDP";
    if (cv_sdp_parse_offer(rq->body, rq->body_len, offer, &reason) < 0) {
        reply(rs, 400, "bad SDP offer: %s", reason);
        free(offer);
        return;
    }
    if (session_count_full(api)) {
        reply(rs, 503, "server full: too many sessions");
        free(offer);
        return;
    }
    char *answer = cv_xmalloc(ANSWER_CAP);
    int status = 500;
    cv_session_t *s =
        cv_session_create(&api->env, offer, room, rq->name, answer, ANSWER_CAP, &status, &reason);
    free(offer);
    if (!s) {
        reply(rs, status, "%s", reason);
        free(answer);
        return;
    }
    if (table_add(api, s) < 0) {
        cv_session_close(s);
        reply(rs, 503, "server full: too many sessions");
        free(answer);
        return;
    }
    rs->status = 201;
    rs->content_type = "application/sdp";
    rs->body = answer;
    rs->body_len = strlen(answer);
    rs->no_store = 1;
    if (room)
        snprintf(rs->location, sizeof(rs->location), "/rooms/%s/sessions/%s", room,
                 cv_session_id(s));
    else
        snprintf(rs->location, sizeof(rs->location), "/echo/sessions/%s", cv_session_id(s));
}

/* WHIP leave (RFC 9725 §4.3). room is NULL for the echo check. */
static void leave(cv_api_t *api, const char *room, const char *id, cv_api_resp_t *rs)
{
    cv_session_t *s = table_take(api, id, room, NULL);
    if (!s) {
        reply(rs, 404, "no such session");
        return;
    }
    cv_session_close(s);
    reply(rs, 200, "session ended");
}

static int valid_session_id(const char *id)
{
    size_t n = strlen(id);
    if (n != CV_SESSION_ID_LEN)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!((id[i] >= '0' && id[i] <= '9') || (id[i] >= 'a' && id[i] <= 'f')))
            return 0;
    return 1;
}

static void method_not_allowed(cv_api_resp_t *rs, const char *allow)
{
    reply(rs, 405, "method not allowed here (allowed: %s)", allow);
    rs->allow = allow;
}

/* /echo/whip, /echo/sessions/{id} */
static void route_echo(cv_api_t *api, const cv_api_req_t *rq, const char *rest, cv_api_resp_t *rs)
{
    if (strcmp(rest, "whip") == 0) {
        join(api, rq, NULL, rs);
        return;
    }
    if (strncmp(rest, "sessions/", 9) == 0) {
        const char *id = rest + 9;
        if (!valid_session_id(id)) {
            reply(rs, 404, "no such session");
        } else if (strcmp(rq->method, "DELETE") == 0) {
            leave(api, NULL, id, rs);
        } else {
            method_not_allowed(rs, "DELETE");
        }
        return;
    }
    reply(rs, 404, "not found");
}

/* /rooms/{room}/whip | whep | sessions/{id} */
static void route_rooms(cv_api_t *api, const cv_api_req_t *rq, const char *rest, cv_api_resp_t *rs)
{
    const char *slash = strchr(rest, '/');
    size_t room_len = slash ? (size_t)(slash - rest) : strlen(rest);
    if (!cv_api_valid_room(rest, room_len)) {
        reply(rs, 400, "bad room name: 1 to 64 of A-Z a-z 0-9 _ -");
        return;
    }
    const char *what = slash ? slash + 1 : "";
    char room[65];
    memcpy(room, rest, room_len);
    room[room_len] = 0;
    if (strcmp(what, "whip") == 0) {
        join(api, rq, room, rs);
    } else if (strcmp(what, "whep") == 0) {
        if (strcmp(rq->method, "POST") != 0)
            method_not_allowed(rs, "POST");
        else
            reply(rs, 501, "viewers (WHEP) are not available yet; join with /whip");
    } else if (strncmp(what, "sessions/", 9) == 0) {
        const char *id = what + 9;
        if (strcmp(rq->method, "PATCH") == 0)
            method_not_allowed(rs, "DELETE"); /* RFC 9725 §4.3.1: no trickle ICE here */
        else if (strcmp(rq->method, "DELETE") != 0)
            method_not_allowed(rs, "DELETE");
        else if (!valid_session_id(id))
            reply(rs, 404, "no such session");
        else
            leave(api, room, id, rs);
    } else {
        reply(rs, 404, "not found");
    }
}

/* ---- static files ---- */

static const char *mime_type(const char *path)
{
    static const struct {
        const char *ext, *type;
    } types[] = {
        {".html", "text/html; charset=utf-8"},
        {".js", "text/javascript; charset=utf-8"},
        {".mjs", "text/javascript; charset=utf-8"},
        {".css", "text/css; charset=utf-8"},
        {".json", "application/json"},
        {".svg", "image/svg+xml"},
        {".png", "image/png"},
        {".ico", "image/x-icon"},
        {".woff2", "font/woff2"},
        {".txt", "text/plain; charset=utf-8"},
        {".webmanifest", "application/manifest+json"},
    };
    const char *dot = strrchr(path, '.');
    if (dot)
        for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
            if (strcmp(dot, types[i].ext) == 0)
                return types[i].type;
    return "application/octet-stream";
}

/* A path we are willing to look up: /, then segments of [A-Za-z0-9._-] that
 * are not "." or ".." and do not start with a dot. */
static int safe_path(const char *p)
{
    if (p[0] != '/')
        return 0;
    const char *seg = p + 1;
    for (const char *c = p + 1;; c++) {
        if (*c == '/' || *c == 0) {
            if (c == seg && *c == '/')
                return 0; /* empty segment */
            if (c > seg && seg[0] == '.')
                return 0; /* ".", "..", hidden files */
            if (*c == 0)
                return 1;
            seg = c + 1;
            continue;
        }
        char ch = *c;
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
              ch == '.' || ch == '_' || ch == '-'))
            return 0;
    }
}

static void serve_file(cv_api_t *api, const cv_api_req_t *rq, cv_api_resp_t *rs)
{
    if (strcmp(rq->method, "GET") != 0 && strcmp(rq->method, "HEAD") != 0) {
        method_not_allowed(rs, "GET, HEAD");
        return;
    }
    const char *path = rq->path;
    if (!safe_path(path)) {
        reply(rs, 400, "bad path");
        return;
    }
    char full[PATH_MAX * 2];
    size_t pl = strlen(path);
    int dir = path[pl - 1] == '/';
    int n = snprintf(full, sizeof(full), "%s%s%s", api->www, path, dir ? "index.html" : "");
    if (n < 0 || (size_t)n >= sizeof(full)) {
        reply(rs, 404, "not found");
        return;
    }
    int fd = open(full, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        if (fd >= 0)
            close(fd);
        reply(rs, 404, "not found");
        return;
    }
    rs->status = 200;
    rs->fd = fd;
    rs->fd_len = (size_t)st.st_size;
    rs->content_type = mime_type(dir ? "index.html" : path);
}

/* Prometheus text format (aggregate counters only: nothing names a room or a person). */
static void metrics(cv_api_t *api, cv_api_resp_t *rs)
{
    cv_mixer_stats_t ms;
    cv_mixer_get_stats(api->env.mixer, &ms);
    char buf[1024];
    int n = snprintf(buf, sizeof(buf),
                     "# HELP conclave_sessions Open sessions (participants and echo checks).\n"
                     "# TYPE conclave_sessions gauge\n"
                     "conclave_sessions %d\n"
                     "# HELP conclave_rooms Rooms being mixed (an echo check is a room).\n"
                     "# TYPE conclave_rooms gauge\n"
                     "conclave_rooms %d\n"
                     "# HELP conclave_participants Participants in all rooms.\n"
                     "# TYPE conclave_participants gauge\n"
                     "conclave_participants %d\n"
                     "# HELP conclave_mixer_late_ticks_total Mixer ticks skipped because the "
                     "previous one still ran.\n"
                     "# TYPE conclave_mixer_late_ticks_total counter\n"
                     "conclave_mixer_late_ticks_total %llu\n",
                     cv_api_session_count(api), ms.rooms, ms.participants,
                     (unsigned long long)ms.late_ticks);
    rs->status = 200;
    rs->content_type = "text/plain; version=0.0.4; charset=utf-8";
    rs->body = cv_xmalloc((size_t)n);
    memcpy(rs->body, buf, (size_t)n);
    rs->body_len = (size_t)n;
    rs->no_store = 1;
}

void cv_api_handle(cv_api_t *api, const cv_api_req_t *rq, cv_api_resp_t *rs)
{
    memset(rs, 0, sizeof(*rs));
    rs->fd = -1;
    const char *p = rq->path;
    if (strcmp(p, "/healthz") == 0) {
        if (strcmp(rq->method, "GET") == 0 || strcmp(rq->method, "HEAD") == 0)
            reply(rs, 200, "ok");
        else
            method_not_allowed(rs, "GET, HEAD");
    } else if (strcmp(p, "/metrics") == 0) {
        if (strcmp(rq->method, "GET") == 0 || strcmp(rq->method, "HEAD") == 0)
            metrics(api, rs);
        else
            method_not_allowed(rs, "GET, HEAD");
    } else if (strncmp(p, "/rooms/", 7) == 0) {
        route_rooms(api, rq, p + 7, rs);
    } else if (strncmp(p, "/echo/", 6) == 0) {
        route_echo(api, rq, p + 6, rs);
    } else {
        serve_file(api, rq, rs);
    }
}

void cv_api_resp_cleanup(cv_api_resp_t *rs)
{
    free(rs->body);
    rs->body = NULL;
    if (rs->fd >= 0)
        close(rs->fd);
    rs->fd = -1;
}

cv_api_t *cv_api_create(const cv_session_env_t *env, const char *www_root, int max_sessions)
{
    cv_api_t *api = cv_xcalloc(1, sizeof(*api));
    api->env = *env;
    api->env.on_failed = on_session_failed;
    api->env.ud = api;
    if (!realpath(www_root, api->www)) {
        CV_ERROR("www root %s: %s", www_root, strerror(errno));
        free(api);
        return NULL;
    }
    api->max_sessions = max_sessions;
    api->sessions = cv_xcalloc((size_t)max_sessions, sizeof(cv_session_t *));
    pthread_mutex_init(&api->lock, NULL);
    return api;
}

void cv_api_destroy(cv_api_t *api)
{
    if (!api)
        return;
    for (;;) {
        pthread_mutex_lock(&api->lock);
        cv_session_t *s = api->n_sessions ? api->sessions[--api->n_sessions] : NULL;
        pthread_mutex_unlock(&api->lock);
        if (!s)
            break;
        cv_session_close(s);
    }
    pthread_mutex_destroy(&api->lock);
    free(api->sessions);
    free(api);
}
