/*
 * api_routes.c - routing of the public HTTP interface: which path and
 * method goes where, the plain text answers and their status codes, the
 * health check and /metrics. Runs on HTTP threads.
 * WHIP: RFC 9725 §4.3.1 (a server without trickle answers PATCH with 405).
 */
#include "api_int.h"

#include "clock.h"
#include "config.h"
#include "mem.h"
#include "metrics.h"
#include "recorder.h"
#include "streamtok.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

static void reply_line(cv_api_resp_t *rs, int status, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));

static void reply_line(cv_api_resp_t *rs, int status, const char *fmt, va_list ap)
{
    char line[256];
    int n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
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
    rs->error_code = NULL;
}

void cv_api_reply(cv_api_resp_t *rs, int status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    reply_line(rs, status, fmt, ap);
    va_end(ap);
}

void cv_api_fail(cv_api_resp_t *rs, int status, const char *code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    reply_line(rs, status, fmt, ap);
    va_end(ap);
    rs->error_code = code;
}

void cv_api_fail_status(cv_api_resp_t *rs, int status, const char *why)
{
    switch (status) {
    case 400: cv_api_fail(rs, 400, "bad-request", "%s", why); break;
    case 401: cv_api_fail(rs, 401, "unauthorized", "%s", why); break;
    case 403: cv_api_fail(rs, 403, "forbidden", "%s", why); break;
    case 404: cv_api_fail(rs, 404, "not-found", "%s", why); break;
    case 409: cv_api_fail(rs, 409, "conflict", "%s", why); break;
    case 413: cv_api_fail(rs, 413, "too-large", "%s", why); break;
    case 429: cv_api_fail(rs, 429, "rate-limited", "%s", why); break;
    case 503: cv_api_fail(rs, 503, "unavailable", "%s", why); break;
    default:
        if (status < 500)
            cv_api_fail(rs, status, "bad-request", "%s", why);
        else
            cv_api_fail(rs, status, "internal", "%s", why);
        break;
    }
}

/* ct names the media type `type`, with or without parameters. */
static int has_type(const char *ct, const char *type)
{
    size_t n = strlen(type);
    return ct && strncasecmp(ct, type, n) == 0 && (ct[n] == 0 || ct[n] == ';');
}

/* A POST with a body of that media type; else answers 405 or 415. */
int cv_api_is_post_of(const cv_api_req_t *rq, const char *type, cv_api_resp_t *rs)
{
    if (strcmp(rq->method, "POST") != 0) {
        cv_api_method_not_allowed(rs, "POST");
        return 0;
    }
    if (!has_type(rq->content_type, type)) {
        cv_api_fail(rs, 415, "bad-content-type", "Content-Type must be %s", type);
        return 0;
    }
    return 1;
}

void cv_api_method_not_allowed(cv_api_resp_t *rs, const char *allow)
{
    cv_api_fail(rs, 405, "bad-method", "method not allowed here (allowed: %s)", allow);
    rs->allow = allow;
}

int cv_api_valid_session_id(const char *id)
{
    size_t n = strlen(id);
    if (n != CV_SESSION_ID_LEN)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!((id[i] >= '0' && id[i] <= '9') || (id[i] >= 'a' && id[i] <= 'f')))
            return 0;
    return 1;
}

/* /echo/whip, /echo/sessions/{id} */
static void route_echo(cv_api_t *api, const cv_api_req_t *rq, const char *rest, cv_api_resp_t *rs)
{
    if (strcmp(rest, "whip") == 0) {
        cv_api_join(api, rq, NULL, CV_ROLE_PARTICIPANT, rs);
        return;
    }
    if (strncmp(rest, "sessions/", 9) == 0) {
        const char *id = rest + 9;
        if (!cv_api_valid_session_id(id)) {
            cv_api_fail(rs, 404, "no-session", "no such session");
        } else if (strcmp(rq->method, "DELETE") == 0) {
            cv_api_leave(api, NULL, id, rs);
        } else {
            cv_api_method_not_allowed(rs, "DELETE");
        }
        return;
    }
    cv_api_fail(rs, 404, "not-found", "not found");
}

/* GET /rooms/{room}/events?token=: the stream of the token's session;
 * POST /rooms/{room}/events with Conclave-Session: a token for it. */
static void route_events(cv_api_t *api, const cv_api_req_t *rq, const char *room, cv_api_resp_t *rs)
{
    if (strcmp(rq->method, "POST") == 0) {
        cv_api_stream_token(api, rq, room, rs);
        return;
    }
    if (strcmp(rq->method, "GET") != 0) {
        cv_api_method_not_allowed(rs, "GET, POST");
        return;
    }
    char sid[CV_SESSION_ID_LEN + 1] = "";
    pthread_mutex_lock(&api->lock);
    int rc = cv_streamtok_redeem(api->tokens, rq->token, room, cv_now_us(), sid, sizeof(sid));
    pthread_mutex_unlock(&api->lock);
    if (rc < 0) {
        cv_api_fail(rs, 404, "no-token", "no such stream token (they are good once, for 10 s)");
        return;
    }
    cv_api_req_t with = *rq;
    with.session = sid;
    cv_api_event_stream(api, &with, room, rs);
}

/* /rooms/{room}/whip | whep | events | command | lobby[/{ticket}] | sessions/{id} */
static void route_rooms(cv_api_t *api, const cv_api_req_t *rq, const char *rest, cv_api_resp_t *rs)
{
    const char *slash = strchr(rest, '/');
    size_t room_len = slash ? (size_t)(slash - rest) : strlen(rest);
    if (!cv_config_room_name(rest, room_len)) {
        cv_api_fail(rs, 400, "bad-room", "bad room name: 1 to 64 of A-Z a-z 0-9 _ -");
        return;
    }
    const char *what = slash ? slash + 1 : "";
    /* one room whatever the case it is spelt in: Board is board, and a
     * protected room cannot be sidestepped by another spelling. The name is
     * kept in lower case from here on (session table, events, Location). */
    char room[65];
    for (size_t i = 0; i < room_len; i++)
        room[i] = (char)tolower((unsigned char)rest[i]);
    room[room_len] = 0;
    if (strcmp(what, "whip") == 0) {
        cv_api_join(api, rq, room, CV_ROLE_PARTICIPANT, rs);
    } else if (strcmp(what, "events") == 0) {
        route_events(api, rq, room, rs);
    } else if (strcmp(what, "command") == 0) {
        cv_api_command(api, rq, room, rq->session, rs);
    } else if (strcmp(what, "whep") == 0) {
        cv_api_join(api, rq, room, CV_ROLE_VIEWER, rs);
    } else if (strncmp(what, "lobby", 5) == 0 && (what[5] == 0 || what[5] == '/')) {
        cv_api_lobby_route(api, rq, room, what + 5, rs);
    } else if (strcmp(what, "ice-servers") == 0) {
        cv_api_ice_servers(api, rq, room, rs);
    } else if (strncmp(what, "sessions/", 9) == 0) {
        char id[CV_SESSION_ID_LEN + 1];
        const char *rest = what + 9;
        const char *tail = strchr(rest, '/');
        size_t idlen = tail ? (size_t)(tail - rest) : strlen(rest);
        snprintf(id, sizeof(id), "%.*s", idlen < sizeof(id) ? (int)idlen : 0, rest);
        if (idlen >= sizeof(id) || !cv_api_valid_session_id(id))
            cv_api_fail(rs, 404, "no-session", "no such session");
        else if (tail)
            cv_api_fail(rs, 404, "not-found", "not found");
        else if (strcmp(rq->method, "PATCH") == 0)
            cv_api_method_not_allowed(rs, "DELETE"); /* RFC 9725 §4.3.1: no trickle ICE here */
        else if (strcmp(rq->method, "DELETE") != 0)
            cv_api_method_not_allowed(rs, "DELETE");
        else
            cv_api_leave(api, room, id, rs);
    } else {
        cv_api_fail(rs, 404, "not-found", "not found");
    }
}

/* GET /metrics (metrics.h): gauges counted from the session table under its
 * lock, the rest from the mixer and stats.h; aggregates only. */
static void metrics(cv_api_t *api, cv_api_resp_t *rs)
{
    cv_metrics_t *m = cv_xcalloc(1, sizeof(*m));
    cv_mixer_stats_t ms;
    cv_mixer_get_stats(api->env.mixer, &ms);
    m->rooms = ms.rooms;
    m->overload_level = ms.overload_level;
    m->overload_shed = ms.overload_shed;
    m->tiers = 3;
    pthread_mutex_lock(&api->lock);
    m->sessions = api->n_sessions;
    for (int i = 0; i < api->n_sessions; i++) {
        cv_session_t *s = api->sessions[i];
        int role = cv_session_info(s)->role;
        if (role >= 0 && role < CV_METRICS_ROLES)
            m->participants[role]++;
        if (role != CV_ROLE_PARTICIPANT && role != CV_ROLE_VIEWER)
            continue; /* a screen share or a publisher receives nothing */
        int tier = cv_part_tier(cv_session_part(s));
        int low = !cv_part_receives_video(cv_session_part(s));
        m->low_data += low;
        m->portrait += !low && cv_part_portrait(cv_session_part(s));
        if (tier < 0 || low)
            m->audio_only++;
        else
            m->receivers[tier < CV_METRICS_TIERS ? tier : CV_METRICS_TIERS - 1]++;
        if (tier >= m->tiers)
            m->tiers = tier + 1;
    }
    pthread_mutex_unlock(&api->lock);
    m->event_streams = cv_events_count(api->events);
    cv_recorder_totals(&m->recordings, &m->recording_bytes);
    cv_metrics_read_stats(m);
    rs->status = 200;
    rs->content_type = "text/plain; version=0.0.4; charset=utf-8";
    rs->body = cv_metrics_render(m, &rs->body_len);
    rs->no_store = 1;
    free(m);
}

void cv_api_handle(cv_api_t *api, const cv_api_req_t *rq, cv_api_resp_t *rs)
{
    memset(rs, 0, sizeof(*rs));
    rs->fd = -1;
    const char *p = rq->path;
    if (strcmp(p, "/healthz") == 0) {
        if (strcmp(rq->method, "GET") == 0 || strcmp(rq->method, "HEAD") == 0)
            cv_api_reply(rs, 200, "ok");
        else
            cv_api_method_not_allowed(rs, "GET, HEAD");
    } else if (strcmp(p, "/metrics") == 0) {
        if (strcmp(rq->method, "GET") == 0 || strcmp(rq->method, "HEAD") == 0)
            metrics(api, rs);
        else
            cv_api_method_not_allowed(rs, "GET, HEAD");
    } else if (strncmp(p, "/rooms/", 7) == 0) {
        route_rooms(api, rq, p + 7, rs);
    } else if (strncmp(p, "/echo/", 6) == 0) {
        route_echo(api, rq, p + 6, rs);
    } else if (strncmp(p, "/r/", 3) == 0 && cv_config_room_name(p + 3, strlen(p + 3))) {
        /* a room's link: the client routes on the fragment, which the
         * server never sees, so send the browser there */
        cv_api_reply(rs, 302, "see /#/r/%s", p + 3);
        snprintf(rs->location, sizeof(rs->location), "/#/r/%s", p + 3);
    } else {
        cv_api_serve_file(api, rq, rs);
    }
}

void cv_api_resp_cleanup(cv_api_resp_t *rs)
{
    free(rs->body);
    rs->body = NULL;
    free(rs->link);
    rs->link = NULL;
    if (rs->fd >= 0)
        close(rs->fd);
    rs->fd = -1;
}
