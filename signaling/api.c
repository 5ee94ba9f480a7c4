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
#include "clock.h"
#include "command.h"
#include "config.h"
#include "metrics.h"
#include "moderation.h"
#include "sdp.h"
#include "turn.h"

#include <jansson.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define ANSWER_CAP 16384
#define TICK_MS 250   /* active speaker polling */
#define PING_TICKS 60 /* a comment on every event stream each 15 s */
#define SPEAKER_ROOMS 256

struct cv_api {
    cv_session_env_t env;
    char www[PATH_MAX];
    int max_sessions;
    pthread_mutex_t lock;
    cv_session_t **sessions; /* unordered; a room-less echo session or a room's */
    int n_sessions;
    cv_events_t *events;
    cv_settings_t *settings; /* borrowed */
    cv_moderation_t *mod;    /* room states: under the lock */
    GSource *tick;           /* on the network loop: speakers and pings */
    atomic_int stopping;     /* shutdown began: failed sessions wait for cv_api_destroy */
    int ticks;
    struct {
        char room[65];
        int active;       /* last active speaker index published, -2: none yet */
    } spk[SPEAKER_ROOMS]; /* loop thread only */
    int n_spk;
};

static void publish_room(cv_api_t *api, const char *room);
static void events(cv_api_t *api, const cv_api_req_t *rq, const char *room, cv_api_resp_t *rs);
static void command(cv_api_t *api, const cv_api_req_t *rq, const char *room, const char *id,
                    cv_api_resp_t *rs);
static void end_owned_screens(cv_api_t *api, const char *owner_id, int on_loop);

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

/* ---- session table ---- */

/* Adds s (NULL: the join failed) and settles its admission to room (NULL:
 * the echo check, no admission). */
static int table_add(cv_api_t *api, cv_session_t *s, const char *room, int admit)
{
    int rc = CV_E_FULL;
    pthread_mutex_lock(&api->lock);
    if (s && api->n_sessions < api->max_sessions)
        rc = 0;
    if (room) {
        cv_moderation_enter(api->mod, room, rc == 0 ? s : NULL, admit);
        if (rc < 0)
            cv_moderation_tidy(api->mod, api->sessions, api->n_sessions, room);
    }
    if (rc == 0)
        api->sessions[api->n_sessions++] = s;
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
    /* during shutdown the event streams and the HTTP server are being stopped on
     * the main thread: leave the session to cv_api_destroy, which closes them all */
    if (atomic_load(&api->stopping) || !table_take(api, NULL, NULL, s))
        return;
    char id[CV_SESSION_ID_LEN + 1], room[65];
    snprintf(id, sizeof(id), "%s", cv_session_id(s));
    snprintf(room, sizeof(room), "%s", cv_session_room(s) ? cv_session_room(s) : "");
    cv_session_close_on_loop(s);
    cv_events_end_session(api->events, id);
    end_owned_screens(api, id, 1);
    if (room[0])
        publish_room(api, room);
}

/* ---- routes ---- */

/* ct names the media type `type`, with or without parameters. */
static int has_type(const char *ct, const char *type)
{
    size_t n = strlen(type);
    return ct && strncasecmp(ct, type, n) == 0 && (ct[n] == 0 || ct[n] == ';');
}

static void method_not_allowed(cv_api_resp_t *rs, const char *allow);

/* A POST with a body of that media type; else answers 405 or 415. */
static int is_post_of(const cv_api_req_t *rq, const char *type, cv_api_resp_t *rs)
{
    if (strcmp(rq->method, "POST") != 0) {
        method_not_allowed(rs, "POST");
        return 0;
    }
    if (!has_type(rq->content_type, type)) {
        reply(rs, 415, "Content-Type must be %s", type);
        return 0;
    }
    return 1;
}

static int session_count_full(cv_api_t *api)
{
    return cv_api_session_count(api) >= api->max_sessions;
}

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

/* Under the lock: the session of this room with this id, or NULL. */
static cv_session_t *find_locked(cv_api_t *api, const char *room, const char *id)
{
    for (int i = 0; i < api->n_sessions; i++) {
        cv_session_t *s = api->sessions[i];
        if (strcmp(cv_session_id(s), id) == 0 && same_room(cv_session_room(s), room))
            return s;
    }
    return NULL;
}

/* A screen share's owner must be a participant of the room not already sharing. */
static const char *check_owner(cv_api_t *api, const char *room, const char *owner, int *status)
{
    *status = 400;
    if (!room)
        return "the echo check cannot share a screen";
    if (!owner)
        return "a screen share needs ?session= of its owner";
    const char *why = NULL;
    pthread_mutex_lock(&api->lock);
    cv_session_t *o = find_locked(api, room, owner);
    if (!o || cv_session_info(o)->role != CV_ROLE_PARTICIPANT) {
        *status = 404;
        why = "no such participant to share a screen for";
    }
    for (int i = 0; i < api->n_sessions && !why; i++) {
        if (strcmp(cv_session_info(api->sessions[i])->owner, owner) == 0) {
            *status = 409;
            why = "this participant already shares a screen";
        }
    }
    pthread_mutex_unlock(&api->lock);
    return why;
}

/* Checks the join's credential (RFC 6750 §2.1, §3: a 401 challenges with
 * WWW-Authenticate: Bearer). Returns 1 when let in, with *admit, the join
 * then pending; else 0 with the refusal in rs. */
static int admitted(cv_api_t *api, const cv_api_req_t *rq, const char *room, int role, int *admit,
                    cv_api_resp_t *rs)
{
    char cred[CV_ACCESS_SECRET_MAX + 1];
    int b = cv_access_bearer(rq->authorization, cred, sizeof(cred));
    if (b < 0) {
        reply(rs, 401, "Authorization must be 'Bearer <password>' (printable ASCII)");
        rs->www_authenticate = "Bearer realm=\"conclave\", error=\"invalid_request\"";
        return 0;
    }
    const char *why = NULL;
    pthread_mutex_lock(&api->lock);
    int st = cv_moderation_admit(api->mod, api->sessions, api->n_sessions, room, b ? cred : NULL,
                                 role, rq->session, admit, &why);
    pthread_mutex_unlock(&api->lock);
    if (!st)
        return 1;
    reply(rs, st, "%s", why);
    if (st == 401)
        rs->www_authenticate = "Bearer realm=\"conclave\"";
    return 0;
}

/* ---- TURN servers (turn.h) ---- */

/* A fresh credential for the [turn] servers in force, when some are configured. */
static int turn_cred(cv_api_t *api, char *urls, size_t cap, cv_turn_cred_t *cred)
{
    urls[0] = '\0';
    if (!api->settings)
        return 0;
    const cv_config_t *c = cv_settings_hold(api->settings);
    int ok = cv_turn_offer(c, (int64_t)time(NULL), urls, cap, cred);
    cv_settings_release(c);
    return ok;
}

/* The Link header of a 201 (RFC 9725 §4.6), NULL without TURN servers. */
static char *turn_link(cv_api_t *api)
{
    char urls[sizeof(((cv_config_t *)0)->turn_urls)];
    cv_turn_cred_t cred;
    return turn_cred(api, urls, sizeof(urls), &cred) ? cv_turn_link_header(urls, &cred) : NULL;
}

static int room_allowed(cv_api_t *api, const char *room)
{
    if (!api->settings)
        return 1;
    const cv_config_t *c = cv_settings_hold(api->settings);
    int ok = cv_config_room_allowed(c, room);
    cv_settings_release(c);
    return ok;
}

static int admitted(cv_api_t *api, const cv_api_req_t *rq, const char *room, int role, int *admit,
                    cv_api_resp_t *rs);

/* GET /rooms/{room}/ice-servers: the browser client's ICE servers, before it
 * builds its peer connection; only to whom may join the room now (the join's
 * password and lock rules), {"iceServers":[]} without [turn]. */
static void ice_servers(cv_api_t *api, const cv_api_req_t *rq, const char *room, cv_api_resp_t *rs)
{
    if (strcmp(rq->method, "GET") != 0) {
        method_not_allowed(rs, "GET");
        return;
    }
    if (!room_allowed(api, room)) {
        reply(rs, 404, "no such room");
        return;
    }
    int admit = CV_ACCESS_ATTENDEE;
    if (!admitted(api, rq, room, CV_ROLE_PARTICIPANT, &admit, rs))
        return;
    table_add(api, NULL, room, admit); /* settles the check: no join follows here */
    char urls[sizeof(((cv_config_t *)0)->turn_urls)];
    cv_turn_cred_t cred;
    int ok = turn_cred(api, urls, sizeof(urls), &cred);
    rs->status = 200;
    rs->content_type = "application/json";
    free(rs->body);
    rs->body = cv_turn_ice_servers_json(ok ? urls : "", ok ? &cred : NULL);
    rs->body_len = strlen(rs->body);
    rs->no_store = 1;
}

/* WHIP join (RFC 9725 §4.2) of `room`, or of the echo check when room is
 * NULL; a WHEP viewer's (role CV_ROLE_VIEWER) the same way. */
static void join(cv_api_t *api, const cv_api_req_t *rq, const char *room, int role,
                 cv_api_resp_t *rs)
{
    if (!is_post_of(rq, "application/sdp", rs))
        return;
    if (rq->name && !valid_name(rq->name)) {
        reply(rs, 400, "bad name: at most 64 bytes, no control characters");
        return;
    }
    int status = 500;
    if (role == CV_ROLE_VIEWER && rq->role) {
        reply(rs, 400, "a viewer takes no role");
        return;
    }
    if (rq->role && strcmp(rq->role, "screen") == 0) {
        role = CV_ROLE_SCREEN;
        const char *why = check_owner(api, room, rq->session, &status);
        if (why) {
            reply(rs, status, "%s", why);
            return;
        }
    } else if (rq->role && strcmp(rq->role, "participant") != 0) {
        reply(rs, 400, "bad role: participant or screen");
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
    int admit = CV_ACCESS_ATTENDEE;
    if (room && !admitted(api, rq, room, role, &admit, rs)) {
        free(offer);
        return;
    }
    char *answer = cv_xmalloc(ANSWER_CAP);
    cv_session_t *s = cv_session_create(&api->env, offer, room, rq->name, role,
                                        role == CV_ROLE_SCREEN ? rq->session : NULL, answer,
                                        ANSWER_CAP, &status, &reason);
    free(offer);
    if (!s) {
        table_add(api, NULL, room, admit);
        reply(rs, status, "%s", reason);
        free(answer);
        return;
    }
    if (table_add(api, s, room, admit) < 0) {
        cv_session_close(s);
        reply(rs, 503, "server full: too many sessions");
        free(answer);
        return;
    }
    if (room) {
        pthread_mutex_lock(&api->lock);
        const char *token = cv_moderation_token(api->mod, s);
        if (token)
            snprintf(rs->moderator_token, sizeof(rs->moderator_token), "%s", token);
        pthread_mutex_unlock(&api->lock);
    }
    rs->status = 201;
    rs->content_type = "application/sdp";
    rs->body = answer;
    rs->body_len = strlen(answer);
    rs->no_store = 1;
    if (room) /* the echo check is no room: whoever may join a room gets credentials */
        rs->link = turn_link(api);
    if (room)
        snprintf(rs->location, sizeof(rs->location), "/rooms/%s/sessions/%s", room,
                 cv_session_id(s));
    else
        snprintf(rs->location, sizeof(rs->location), "/echo/sessions/%s", cv_session_id(s));
    if (room)
        publish_room(api, room);
}

/* Closes a session already taken out of the table, and what hangs on it. */
static void end_session(cv_api_t *api, cv_session_t *s)
{
    char id[CV_SESSION_ID_LEN + 1];
    snprintf(id, sizeof(id), "%s", cv_session_id(s));
    cv_session_close(s);
    cv_events_end_session(api->events, id);
    end_owned_screens(api, id, 0);
}

/* WHIP leave (RFC 9725 §4.3). room is NULL for the echo check. */
static void leave(cv_api_t *api, const char *room, const char *id, cv_api_resp_t *rs)
{
    cv_session_t *s = table_take(api, id, room, NULL);
    if (!s) {
        reply(rs, 404, "no such session");
        return;
    }
    end_session(api, s);
    reply(rs, 200, "session ended");
    if (room)
        publish_room(api, room);
}

static void end_owned_screens(cv_api_t *api, const char *owner_id, int on_loop)
{
    for (;;) {
        cv_session_t *found = NULL;
        pthread_mutex_lock(&api->lock);
        for (int i = 0; i < api->n_sessions && !found; i++) {
            if (strcmp(cv_session_info(api->sessions[i])->owner, owner_id) == 0) {
                found = api->sessions[i];
                api->sessions[i] = api->sessions[--api->n_sessions];
            }
        }
        pthread_mutex_unlock(&api->lock);
        if (!found)
            return;
        cv_events_end_session(api->events, cv_session_id(found));
        if (on_loop)
            cv_session_close_on_loop(found);
        else
            cv_session_close(found);
    }
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
        join(api, rq, NULL, CV_ROLE_PARTICIPANT, rs);
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
    if (!cv_config_room_name(rest, room_len)) {
        reply(rs, 400, "bad room name: 1 to 64 of A-Z a-z 0-9 _ -");
        return;
    }
    const char *what = slash ? slash + 1 : "";
    char room[65];
    memcpy(room, rest, room_len);
    room[room_len] = 0;
    if (strcmp(what, "whip") == 0) {
        join(api, rq, room, CV_ROLE_PARTICIPANT, rs);
    } else if (strcmp(what, "events") == 0) {
        events(api, rq, room, rs);
    } else if (strcmp(what, "whep") == 0) {
        join(api, rq, room, CV_ROLE_VIEWER, rs);
    } else if (strcmp(what, "ice-servers") == 0) {
        ice_servers(api, rq, room, rs);
    } else if (strncmp(what, "sessions/", 9) == 0) {
        char id[CV_SESSION_ID_LEN + 1];
        const char *rest = what + 9;
        const char *tail = strchr(rest, '/');
        size_t idlen = tail ? (size_t)(tail - rest) : strlen(rest);
        snprintf(id, sizeof(id), "%.*s", idlen < sizeof(id) ? (int)idlen : 0, rest);
        if (idlen >= sizeof(id) || !valid_session_id(id))
            reply(rs, 404, "no such session");
        else if (tail && strcmp(tail, "/command") == 0)
            command(api, rq, room, id, rs);
        else if (tail)
            reply(rs, 404, "not found");
        else if (strcmp(rq->method, "PATCH") == 0)
            method_not_allowed(rs, "DELETE"); /* RFC 9725 §4.3.1: no trickle ICE here */
        else if (strcmp(rq->method, "DELETE") != 0)
            method_not_allowed(rs, "DELETE");
        else
            leave(api, room, id, rs);
    } else {
        reply(rs, 404, "not found");
    }
}

/* ---- roster, events and commands (the browser client) ---- */

/* Tells everyone in the room who is there and how the picture is laid out. */
static void publish_room(cv_api_t *api, const char *room)
{
    pthread_mutex_lock(&api->lock);
    char *roster = cv_moderation_roster_json(api->sessions, api->n_sessions, room);
    char *layout = cv_moderation_layout_json(api->mod, api->sessions, api->n_sessions, room);
    char *state = cv_moderation_room_json(api->mod, room);
    cv_moderation_tidy(api->mod, api->sessions, api->n_sessions, room);
    pthread_mutex_unlock(&api->lock);
    cv_events_publish(api->events, room, "roster", roster);
    cv_events_publish(api->events, room, "layout", layout);
    cv_events_publish(api->events, room, "room", state);
    free(roster);
    free(layout);
    free(state);
}

/* Under the lock: the public id of the room's active speaker, or NULL. */
static const char *speaker_locked(cv_api_t *api, const char *room, int *index)
{
    *index = -1;
    for (int i = 0; i < api->n_sessions; i++) {
        cv_session_t *s = api->sessions[i];
        if (same_room(cv_session_room(s), room) && cv_session_part(s)) {
            *index = cv_mixer_active_speaker(cv_session_mixer_room(s));
            break;
        }
    }
    for (int i = 0; i < api->n_sessions && *index >= 0; i++) {
        cv_session_t *s = api->sessions[i];
        if (same_room(cv_session_room(s), room) && cv_session_part(s) &&
            cv_part_index(cv_session_part(s)) == *index)
            return cv_session_info(s)->public_id;
    }
    return NULL;
}

static char *speakers_json(const char *public_id)
{
    json_t *o = json_pack("{s:o}", "active", public_id ? json_string(public_id) : json_null());
    char *text = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    return text;
}

/* GET /rooms/{room}/events?session={id} */
static void events(cv_api_t *api, const cv_api_req_t *rq, const char *room, cv_api_resp_t *rs)
{
    if (strcmp(rq->method, "GET") != 0) {
        method_not_allowed(rs, "GET");
        return;
    }
    if (!rq->session || !valid_session_id(rq->session)) {
        reply(rs, 404, "no such session");
        return;
    }
    pthread_mutex_lock(&api->lock);
    cv_session_t *s = find_locked(api, room, rq->session);
    char *hello = NULL, *roster = NULL, *layout = NULL, *state = NULL, *speakers = NULL;
    if (s) {
        hello = cv_moderation_hello_json(api->mod, s);
        roster = cv_moderation_roster_json(api->sessions, api->n_sessions, room);
        layout = cv_moderation_layout_json(api->mod, api->sessions, api->n_sessions, room);
        state = cv_moderation_room_json(api->mod, room);
        int idx;
        speakers = speakers_json(speaker_locked(api, room, &idx));
    }
    pthread_mutex_unlock(&api->lock);
    if (!s) {
        reply(rs, 404, "no such session");
        return;
    }
    size_t cap =
        strlen(hello) + strlen(roster) + strlen(layout) + strlen(state) + strlen(speakers) + 160;
    rs->body = cv_xmalloc(cap);
    rs->body_len = (size_t)snprintf(
        rs->body, cap,
        "event: hello\ndata: %s\n\nevent: roster\ndata: %s\n\n"
        "event: layout\ndata: %s\n\nevent: room\ndata: %s\n\nevent: speakers\ndata: %s\n\n",
        hello, roster, layout, state, speakers);
    free(hello);
    free(roster);
    free(layout);
    free(state);
    free(speakers);
    rs->status = 200;
    rs->sse = 1;
    rs->no_store = 1;
    rs->content_type = "text/event-stream; charset=utf-8";
    snprintf(rs->sse_room, sizeof(rs->sse_room), "%s", room);
    snprintf(rs->sse_session, sizeof(rs->sse_session), "%s", rq->session);
}

/* POST /rooms/{room}/sessions/{id}/command, JSON; only the session's holder
 * knows {id}, so the command is theirs. */
static void command(cv_api_t *api, const cv_api_req_t *rq, const char *room, const char *id,
                    cv_api_resp_t *rs)
{
    if (!is_post_of(rq, "application/json", rs))
        return;
    cv_command_t *cmd = cv_xmalloc(sizeof(*cmd));
    const char *why;
    int rc = cv_command_parse(rq->body, rq->body_len, cmd, &why);
    if (rc < 0) {
        reply(rs, rc == CV_E_NOSPACE ? 413 : 400, "bad command: %s", why);
        free(cmd);
        return;
    }
    cv_moderation_fx_t fx = {0};
    int st = 0;
    pthread_mutex_lock(&api->lock);
    cv_session_t *s = find_locked(api, room, id);
    if (s)
        st = cv_moderation_apply(api->mod, api->sessions, api->n_sessions, room, s, cmd, &fx, &why);
    pthread_mutex_unlock(&api->lock);
    free(cmd);
    if (!s) {
        reply(rs, 404, "no such session");
    } else if (st) {
        reply(rs, st, "%s%s", st == 400 ? "bad command: " : "", why);
    } else {
        rs->status = 204;
        rs->no_store = 1;
    }
    if (fx.chat)
        cv_events_publish(api->events, room, "chat", fx.chat);
    free(fx.chat);
    if (fx.remove[0]) {
        /* the removed client learns why before its stream ends, and does not rejoin */
        cv_events_publish_to(api->events, fx.remove, "removed", "{\"by\":\"moderator\"}");
        cv_session_t *gone = table_take(api, fx.remove, room, NULL);
        if (gone)
            end_session(api, gone);
        fx.changed = 1;
    }
    if (fx.changed)
        publish_room(api, room);
}

/* Loop thread, every TICK_MS: a speakers event where the active speaker changed. */
static void poll_room(const char *room, void *ud)
{
    cv_api_t *api = ud;
    int idx;
    char id[17] = "";
    pthread_mutex_lock(&api->lock);
    const char *pub = speaker_locked(api, room, &idx);
    if (pub)
        snprintf(id, sizeof(id), "%s", pub);
    pthread_mutex_unlock(&api->lock);
    int slot = -1;
    for (int i = 0; i < api->n_spk && slot < 0; i++)
        if (strcmp(api->spk[i].room, room) == 0)
            slot = i;
    if (slot < 0) {
        if (api->n_spk == SPEAKER_ROOMS)
            api->n_spk = 0; /* forget the oldest rooms: they publish once more */
        slot = api->n_spk++;
        snprintf(api->spk[slot].room, sizeof(api->spk[slot].room), "%s", room);
        api->spk[slot].active = -2;
    }
    int now = id[0] ? idx : -1;
    if (api->spk[slot].active == now)
        return;
    api->spk[slot].active = now;
    char *json = speakers_json(id[0] ? id : NULL);
    cv_events_publish(api->events, room, "speakers", json);
    free(json);
}

static gboolean tick_cb(gpointer arg)
{
    cv_api_t *api = arg;
    cv_events_each_room(api->events, poll_room, api);
    if (++api->ticks % PING_TICKS == 0)
        cv_events_ping(api->events);
    return G_SOURCE_CONTINUE;
}

static void stop_tick(void *arg)
{
    cv_api_t *api = arg;
    g_source_destroy(api->tick);
    g_source_unref(api->tick);
}

void cv_api_set_rooms(cv_api_t *api, const cv_config_t *cfg)
{
    pthread_mutex_lock(&api->lock);
    cv_moderation_set_config(api->mod, cfg);
    pthread_mutex_unlock(&api->lock);
}

cv_events_t *cv_api_events(cv_api_t *api)
{
    return api->events;
}

void cv_api_end_streams(cv_api_t *api, const char *reason, int wait_ms)
{
    atomic_store(&api->stopping, 1);
    json_t *o = json_pack("{s:s}", "reason", reason ? reason : "");
    char *json = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    cv_events_broadcast(api->events, "shutdown", json);
    free(json);
    if (cv_events_end_all(api->events, wait_ms) < 0)
        CV_WARN("event streams still open at shutdown");
}

void cv_api_set_settings(cv_api_t *api, cv_settings_t *settings)
{
    api->settings = settings;
}

cv_settings_t *cv_api_settings(cv_api_t *api)
{
    return api->settings;
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

/* GET /metrics (metrics.h): gauges counted from the session table under its
 * lock, the rest from the mixer and stats.h; aggregates only. */
static void metrics(cv_api_t *api, cv_api_resp_t *rs)
{
    cv_metrics_t *m = cv_xcalloc(1, sizeof(*m));
    cv_mixer_stats_t ms;
    cv_mixer_get_stats(api->env.mixer, &ms);
    m->rooms = ms.rooms;
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
        if (tier < 0)
            m->audio_only++;
        else
            m->receivers[tier < CV_METRICS_TIERS ? tier : CV_METRICS_TIERS - 1]++;
        if (tier >= m->tiers)
            m->tiers = tier + 1;
    }
    pthread_mutex_unlock(&api->lock);
    m->event_streams = cv_events_count(api->events);
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
    } else if (strncmp(p, "/r/", 3) == 0 && cv_config_room_name(p + 3, strlen(p + 3))) {
        /* a room's link: the client routes on the fragment, which the
         * server never sees, so send the browser there */
        reply(rs, 302, "see /#/r/%s", p + 3);
        snprintf(rs->location, sizeof(rs->location), "/#/r/%s", p + 3);
    } else {
        serve_file(api, rq, rs);
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

/* Loop thread: s's video was paused for a weak connection, or resumed; only
 * that session's own event stream is told. */
static void on_video_paused(void *ud, cv_session_t *s, int paused)
{
    cv_api_t *api = ud;
    cv_events_publish_to(api->events, cv_session_id(s), "video",
                         paused ? "{\"paused\":true,\"reason\":\"weak connection\"}"
                                : "{\"paused\":false}");
}

cv_api_t *cv_api_create(const cv_session_env_t *env, const char *www_root, int max_sessions)
{
    cv_api_t *api = cv_xcalloc(1, sizeof(*api));
    api->env = *env;
    api->env.on_failed = on_session_failed;
    api->env.on_video_paused = on_video_paused;
    api->env.ud = api;
    if (!realpath(www_root, api->www)) {
        CV_ERROR("www root %s: %s", www_root, strerror(errno));
        free(api);
        return NULL;
    }
    api->max_sessions = max_sessions;
    api->sessions = cv_xcalloc((size_t)max_sessions, sizeof(cv_session_t *));
    pthread_mutex_init(&api->lock, NULL);
    api->events = cv_events_create();
    api->mod = cv_moderation_create();
    api->tick = g_timeout_source_new(TICK_MS);
    g_source_set_callback(api->tick, tick_cb, api, NULL);
    g_source_attach(api->tick, cv_loop_context(env->loop));
    return api;
}

void cv_api_destroy(cv_api_t *api)
{
    if (!api)
        return;
    cv_loop_call_sync(api->env.loop, stop_tick, api); /* never under a running tick_cb */
    for (;;) {
        pthread_mutex_lock(&api->lock);
        cv_session_t *s = api->n_sessions ? api->sessions[--api->n_sessions] : NULL;
        pthread_mutex_unlock(&api->lock);
        if (!s)
            break;
        cv_session_close(s);
    }
    pthread_mutex_destroy(&api->lock);
    cv_events_destroy(api->events);
    cv_moderation_destroy(api->mod);
    free(api->sessions);
    free(api);
}
